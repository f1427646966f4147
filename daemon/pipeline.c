/*
 * pipeline.c - the worker's report thread: symbolize -> enrich (source,
 * locals) -> event, then the event goes back to the root part.  Jobs
 * queue in arrival order; the root part bounds how many a user may have
 * outstanding, and the queue here has a bound of its own besides.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "event.h"
#include "locals.h"
#include "log.h"
#include "pipeline.h"
#include "runtime.h"
#include "source.h"
#include "symbolize.h"
#include "symcache.h"

#define QUEUE_MAX 64

struct job {
	struct job *next;
	uint64_t id;
	struct capture cap;
	uint64_t t0_us;
};

struct pipeline {
	const struct bb_config *cfg;
	pipeline_emit_fn *emit;
	void *emit_arg;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *head, *tail;
	size_t queued;
	bool stop;
};

static void describe_job(const struct capture *cap, char *what, size_t len)
{
	snprintf(what, len, "%s of %s (pid %d, %.64s)", bb_record_kind_name(&cap->rec),
		 cap->name && *cap->name ? cap->name : "?", (int)cap->pid,
		 cap->rec.kind == BB_REC_ERROR ? cap->rec.error_type :
		 cap->rec.kind == BB_REC_PANIC ? cap->rec.panic_where :
		 bb_signal_name(cap->rec.signo) ?: "signal");
}

static void emit_event(struct pipeline *p, uint64_t id, struct json_object *ev)
{
	size_t len = 0;
	char *json = ev ? event_serialize(ev, &len) : NULL;

	p->emit(p->emit_arg, id, json, len);
	free(json);
	json_object_put(ev);
}

static void process_crash(struct pipeline *p, struct job *j)
{
	struct capture *cap = &j->cap;
	struct symbolized sym;
	char what[128];
	uint64_t start = bb_now_us();

	describe_job(cap, what, sizeof(what));
	symcache_job_begin();
	if (symbolize_capture(cap, &sym) != 0)
		bb_log(BB_LOG_WARN, "%s: cannot symbolize: out of memory or no libdwfl", what);
	uint64_t symbolized = bb_now_us();
	source_enrich(&sym, p->cfg);
	locals_enrich(&sym, cap, p->cfg);
	/* then an interpreter's frames (with their source) take the place of
	 * the C frames that ran them: native locals looked at those */
	runtime_merge(&sym, cap, p->cfg);
	uint64_t enriched = bb_now_us();
	emit_event(p, j->id, event_from_crash(p->cfg, cap, &sym));
	uint64_t end = bb_now_us();
	bb_log(BB_LOG_DEBUG, "%s: record to event in %llu us (%llu us of work: symbolize %llu, "
	       "source and locals %llu, event %llu)", what,
	       (unsigned long long)(end - j->t0_us), (unsigned long long)(end - start),
	       (unsigned long long)(symbolized - start), (unsigned long long)(enriched - symbolized),
	       (unsigned long long)(end - enriched));
	symbolize_free(&sym);
	symcache_job_end();
	capture_free(cap);
}

/* ---- the thread and its queue ---------------------------------------------- */

static struct job *next_job(struct pipeline *p)
{
	struct job *j;

	pthread_mutex_lock(&p->lock);
	while (!p->head && !p->stop)
		pthread_cond_wait(&p->cond, &p->lock);
	j = p->head;
	if (j) {
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
		p->queued--;
		pthread_cond_broadcast(&p->cond);	/* room for a waiting producer */
	}
	pthread_mutex_unlock(&p->lock);
	return j;
}

static void *pipeline_main(void *arg)
{
	struct pipeline *p = arg;
	uint64_t t0 = bb_now_us();

	symcache_preload();
	bb_log(BB_LOG_DEBUG, "debug info of libc read ahead in %llu us",
	       (unsigned long long)(bb_now_us() - t0));
	for (;;) {
		struct job *j = next_job(p);
		if (!j)
			return NULL;	/* stopped and drained */
		process_crash(p, j);
		free(j);
	}
}

void pipeline_crash(struct pipeline *p, uint64_t id, struct capture *cap, uint64_t t0_us)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j) {
		bb_log(BB_LOG_ERR, "out of memory: the report of pid %d is left to the root part",
		       (int)cap->pid);
		capture_free(cap);
		p->emit(p->emit_arg, id, NULL, 0);
		return;
	}
	j->id = id;
	j->cap = *cap;	/* the job owns the capture's memory now */
	j->t0_us = t0_us;
	pthread_mutex_lock(&p->lock);
	while (p->queued >= QUEUE_MAX)
		pthread_cond_wait(&p->cond, &p->lock);
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->queued++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

struct pipeline *pipeline_start(const struct bb_config *cfg, pipeline_emit_fn *emit, void *arg)
{
	struct pipeline *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->cfg = cfg;
	p->emit = emit;
	p->emit_arg = arg;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (pthread_create(&p->thread, NULL, pipeline_main, p) != 0) {
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->cond);
		free(p);
		return NULL;
	}
	return p;
}

void pipeline_stop(struct pipeline *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}
