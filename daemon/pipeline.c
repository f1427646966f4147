/*
 * pipeline.c - the worker thread behind the ack: symbolize -> enrich
 * (source, locals) -> event -> filter (ignore_errors, scrub, before_send)
 * -> shrink -> spool, and the status counters.  Jobs queue in arrival
 * order; the queue is bounded, and when it is full the main thread waits
 * for room (after the crashed process was released, so nothing but the
 * next record waits).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "filter.h"
#include "locals.h"
#include "log.h"
#include "pipeline.h"
#include "scrub.h"
#include "shrink.h"
#include "source.h"
#include "stats.h"
#include "symbolize.h"
#include "symcache.h"

#define QUEUE_MAX 64

struct job {
	struct job *next;
	bool is_crash;
	struct capture cap;	/* crash */
	uint64_t t0_us;
	struct bb_record rec;	/* message */
	pid_t pid;
	uid_t uid;
};

struct pipeline {
	const struct bb_config *cfg;
	struct spool *sp;
	struct uploader *up;
	struct stats stats;
	long started;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *head, *tail;
	size_t queued;
	size_t pending_estimate;	/* events in pending/, recounted now and then */
	unsigned since_count;
	bool stop;
};

uint64_t pipeline_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- the stages ------------------------------------------------------------ */

static void counted(struct pipeline *p, unsigned long *counter)
{
	(*counter)++;
	p->stats.dirty = true;
}

/* A crash-looping service must not fill the disk: past spool_max_events
 * waiting events, new ones are dropped (the first ones of a loop are kept,
 * they say the most) and counted.  Counting the directory is a scan, so
 * it is done every 64 events or when near the limit. */
static bool spool_has_room(struct pipeline *p)
{
	if (p->since_count++ >= 64 || p->pending_estimate + 64 >= p->cfg->spool_max_events) {
		p->pending_estimate = spool_count(p->sp, SPOOL_PENDING);
		p->since_count = 0;
	}
	return p->pending_estimate < p->cfg->spool_max_events;
}

static void spool_event(struct pipeline *p, struct json_object *ev, const char *what)
{
	size_t len = shrink_event(ev, SHRINK_LIMIT);
	char id[SPOOL_ID_MAX];

	if (!spool_has_room(p)) {
		bb_log_limited("spool full", 60, BB_LOG_ERR, "%s: dropped: %zu events are waiting in "
			       "%s/pending (spool_max_events)", what, p->pending_estimate,
			       p->cfg->spool_dir);
		counted(p, &p->stats.spool_full);
		return;
	}

	if (len > SHRINK_LIMIT)
		bb_log(BB_LOG_WARN, "%s: event is %zu bytes even after shrinking; "
		       "the ingest may refuse it", what, len);
	char *json = event_serialize(ev, &len);
	enum spool_err err = json ? spool_put(p->sp, json, len, id) : SPOOL_EIO;
	free(json);
	if (err != SPOOL_OK) {
		bb_log(BB_LOG_ERR, "%s: cannot spool the event in %s: %s; it is lost",
		       what, p->cfg->spool_dir, spool_strerror(err));
		counted(p, &p->stats.spool_failures);
		return;
	}
	p->pending_estimate++;
	bb_log(BB_LOG_INFO, "%s: spooled as %s", what, id);
	if (p->up)
		upload_wake(p->up);
}

/* ignore_errors, scrubbing, before_send, then the spool.  Takes ev. */
static void deliver(struct pipeline *p, struct json_object *ev, const char *what)
{
	const struct bb_config *cfg = p->cfg;
	const char *ignored = filter_ignored(cfg, ev);
	char reason[512];

	if (ignored) {
		bb_log(BB_LOG_INFO, "%s: ignored (ignore_errors: %s)", what, ignored);
		counted(p, &p->stats.ignored);
		json_object_put(ev);
		return;
	}
	scrub_event(cfg, ev);
	switch (cfg->before_send ? filter_before_send(cfg, &ev, reason, sizeof(reason))
				 : BEFORE_SEND_KEEP) {
	case BEFORE_SEND_KEEP:
		spool_event(p, ev, what);
		break;
	case BEFORE_SEND_DROP:
		bb_log(BB_LOG_INFO, "%s: dropped by before_send", what);
		counted(p, &p->stats.dropped_by_before_send);
		break;
	case BEFORE_SEND_FAILED:
		bb_log(BB_LOG_WARN, "%s: before_send %s: %s; the event is dropped, "
		       "not sent unmodified", what, cfg->before_send, reason);
		counted(p, &p->stats.before_send_failures);
		break;
	}
	json_object_put(ev);
}

static void enrich(struct pipeline *p, const struct capture *cap, struct symbolized *sym)
{
	struct source_cred cred = { .uid = cap->uid, .gid = cap->gid };

	if (cap->have_fscred) {
		cred.uid = cap->fsuid;
		cred.gid = cap->fsgid;
		cred.n_groups = cap->n_groups;
		memcpy(cred.groups, cap->groups, cap->n_groups * sizeof(gid_t));
	}
	source_enrich(sym, p->cfg, &cred);
	locals_enrich(sym, cap, p->cfg);
}

static void process_crash(struct pipeline *p, struct job *j)
{
	struct capture *cap = &j->cap;
	struct symbolized sym;
	char what[128];
	uint64_t start = pipeline_now_us();

	snprintf(what, sizeof(what), "%s of %s (pid %d, %.64s)",
		 cap->rec.kind == BB_REC_ERROR ? "error" : "crash",
		 cap->comm[0] ? cap->comm : "?", (int)cap->pid,
		 cap->rec.kind == BB_REC_ERROR ? cap->rec.error_type :
		 bb_signal_name(cap->rec.signo) ?: "signal");
	if (symbolize_capture(cap, &sym) != 0)
		bb_log(BB_LOG_WARN, "%s: cannot symbolize: out of memory or no libdwfl", what);
	uint64_t symbolized = pipeline_now_us();
	enrich(p, cap, &sym);
	uint64_t enriched = pipeline_now_us();
	deliver(p, event_from_crash(p->cfg, cap, &sym), what);
	uint64_t end = pipeline_now_us();
	bb_log(BB_LOG_DEBUG, "%s: record to spool in %llu us (%llu us of work: symbolize %llu, "
	       "source and locals %llu, event and spool %llu)", what,
	       (unsigned long long)(end - j->t0_us), (unsigned long long)(end - start),
	       (unsigned long long)(symbolized - start), (unsigned long long)(enriched - symbolized),
	       (unsigned long long)(end - enriched));
	symbolize_free(&sym);
	capture_free(cap);
}

static void process_message(struct pipeline *p, struct job *j)
{
	char what[64];

	snprintf(what, sizeof(what), "message from pid %d", (int)j->pid);
	deliver(p, event_from_message(p->cfg, &j->rec, j->pid, j->uid), what);
}

/* ---- the thread and its queue ---------------------------------------------- */

static void save_status(struct pipeline *p)
{
	if (p->up) {
		struct upload_status us;
		upload_get_status(p->up, &us);
		if (us.sent != p->stats.sent || us.rejected != p->stats.rejected ||
		    us.retries != p->stats.retries ||
		    strncmp(us.last_error, p->stats.last_upload_error,
			    sizeof(p->stats.last_upload_error)) != 0) {
			p->stats.sent = us.sent;
			p->stats.rejected = us.rejected;
			p->stats.retries = us.retries;
			snprintf(p->stats.last_upload_error, sizeof(p->stats.last_upload_error),
				 "%.*s", (int)sizeof(p->stats.last_upload_error) - 1, us.last_error);
			p->stats.dirty = true;
		}
	}
	stats_save(&p->stats, p->cfg->spool_dir, getpid(), p->started);
}

static struct job *next_job(struct pipeline *p)
{
	struct timespec until;
	struct job *j;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&p->lock);
	while (!p->head && !p->stop)
		if (pthread_cond_timedwait(&p->cond, &p->lock, &until) != 0)
			break;
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
	uint64_t t0 = pipeline_now_us();

	save_status(p);	/* `booboo status` has something to read from the start */
	symcache_preload();
	bb_log(BB_LOG_DEBUG, "debug info of libc read ahead in %llu us",
	       (unsigned long long)(pipeline_now_us() - t0));

	for (;;) {
		struct job *j = next_job(p);
		if (j) {
			if (j->is_crash)
				process_crash(p, j);
			else
				process_message(p, j);
			free(j);
		}
		save_status(p);
		pthread_mutex_lock(&p->lock);
		bool done = p->stop && !p->head;
		pthread_mutex_unlock(&p->lock);
		if (done)
			return NULL;
	}
}

static void enqueue(struct pipeline *p, struct job *j)
{
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

void pipeline_crash(struct pipeline *p, struct capture *cap, uint64_t t0_us)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j) {
		bb_log(BB_LOG_ERR, "out of memory: a crash of pid %d is lost", (int)cap->pid);
		capture_free(cap);
		return;
	}
	j->is_crash = true;
	j->cap = *cap;	/* the job owns the capture's memory now */
	j->t0_us = t0_us;
	enqueue(p, j);
}

void pipeline_message(struct pipeline *p, const struct bb_record *rec, pid_t pid, uid_t uid)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j) {
		bb_log(BB_LOG_ERR, "out of memory: a message from pid %d is lost", (int)pid);
		return;
	}
	j->rec = *rec;
	j->pid = pid;
	j->uid = uid;
	enqueue(p, j);
}

struct pipeline *pipeline_start(const struct bb_config *cfg, struct spool *sp,
		struct uploader *up)
{
	struct pipeline *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->cfg = cfg;
	p->sp = sp;
	p->up = up;
	stats_load(&p->stats, cfg->spool_dir);
	p->started = (long)time(NULL);
	p->stats.dirty = true;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (pthread_create(&p->thread, NULL, pipeline_main, p) != 0) {
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
