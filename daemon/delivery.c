/*
 * delivery.c - the root part's delivery thread (see delivery.h), and the
 * status counters it keeps in status.json.
 *
 * A worker's JSON is parsed here with a bounded depth: a compromised
 * worker is only the user it runs as, and all it can do with a crafted
 * event is send that user an odd report, never reach another user's
 * quota or skip the administrator's scrubbing, which is applied here.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "delivery.h"
#include "event.h"
#include "event_facts.h"
#include "filter.h"
#include "group.h"
#include "log.h"
#include "panic_repeats.h"
#include "scrub.h"
#include "shrink.h"
#include "stats.h"
#include "utf8.h"
#include "wire.h"

#define QUEUE_MAX 256
#define JSON_DEPTH 64

struct item {
	struct item *next;
	struct delivery_from from;
	char *json;		/* from a worker, or */
	size_t len;
	struct json_object *ev;	/* built by the root part, or */
	struct group_repeats count;	/* a panic count: its site's first event again */
	char what[128];
	uint64_t t0_us;
	char drop[WIRE_DROP_NAME_MAX];	/* "" or the drop file it came from */
};

struct delivery {
	const struct bb_config *cfg;
	struct spool *sp;
	struct uploader *up;
	struct quota *quota;
	struct stats stats;
	long started;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct item *head, *tail;
	size_t queued;
	size_t pending_estimate;	/* events in pending/, recounted now and then */
	int drop_dirfd;
	struct groups *groups;		/* identical reports (group.h) */
	struct panic_repeats *panics;	/* each panic site's first event */
	unsigned since_count;
	bool stop;
};

static void counted(struct delivery *d, unsigned long *counter)
{
	(*counter)++;
	d->stats.dirty = true;
}

/* ---- the stages ------------------------------------------------------------ */

/* A crash-looping service must not fill the disk: past spool_max_events
 * waiting events (all users), new ones are dropped (the first ones of a
 * loop are kept, they say the most) and counted.  Counting the directory
 * is a scan, so it is done every 64 events or when near the limit. */
static bool spool_has_room(struct delivery *d)
{
	if (d->since_count++ >= 64 || d->pending_estimate + 64 >= d->cfg->spool_max_events) {
		d->pending_estimate = spool_count(d->sp, SPOOL_PENDING);
		d->since_count = 0;
	}
	return d->pending_estimate < d->cfg->spool_max_events;
}

/* The event as it goes on disk: a worker's own text when nothing here
 * changed it (it is checked JSON, valid UTF-8 and small enough), else the
 * object shrunk to the ingest's limit and written anew. */
static char *spool_text(struct json_object *ev, const struct item *raw, size_t *len,
		const char *what)
{
	if (raw && raw->len <= SHRINK_LIMIT && utf8_is_valid(raw->json, raw->len)) {
		*len = raw->len;
		return strndup(raw->json, raw->len);
	}
	*len = shrink_event(ev, SHRINK_LIMIT);
	if (*len > SHRINK_LIMIT)
		bb_log(BB_LOG_WARN, "%s: event is %zu bytes even after shrinking; "
		       "the ingest may refuse it", what, *len);
	return event_serialize(ev, len);
}

/* False when the event could not be written (out of memory, disk): a
 * drop it came from is then kept for another try. */
static bool spool_event(struct delivery *d, uid_t uid, struct json_object *ev,
		const struct item *raw, const char *what, uint64_t t0_us)
{
	size_t len;
	char id[SPOOL_ID_MAX];
	char *json = spool_text(ev, raw, &len, what);
	bool done = true;

	if (!json) {
		bb_log(BB_LOG_ERR, "%s: out of memory: the event is lost", what);
		counted(d, &d->stats.spool_failures);
		return false;
	}
	if (!spool_has_room(d)) {
		bb_log_limited("spool full", 60, BB_LOG_ERR, "%s: dropped: %zu events are waiting in "
			       "%s/pending (spool_max_events)", what, d->pending_estimate,
			       d->cfg->spool_dir);
		counted(d, &d->stats.spool_full);
	} else if (!quota_spool_admit(d->quota, d->sp, uid, len)) {
		bb_log_limited("user spool full", 60, BB_LOG_WARN, "%s: dropped: uid %u has "
			       "uid_spool_max_events or uid_spool_max_mb waiting", what, (unsigned)uid);
		d->stats.dirty = true;
	} else {
		enum spool_err err = spool_put(d->sp, json, len, uid, id);
		if (err == SPOOL_OK) {
			d->pending_estimate++;
			bb_log(BB_LOG_INFO, "%s: spooled as %s", what, id);
			if (t0_us)
				bb_log(BB_LOG_DEBUG, "%s: record to spool in %llu us", what,
				       (unsigned long long)(bb_now_us() - t0_us));
			if (d->up)
				upload_wake(d->up);
		} else {
			bb_log(BB_LOG_ERR, "%s: cannot spool the event in %s: %s; it is lost",
			       what, d->cfg->spool_dir, spool_strerror(err));
			counted(d, &d->stats.spool_failures);
			done = false;
		}
	}
	free(json);
	return done;
}

/* before_send, then the spool.  Takes ev; raw, when not NULL, is the
 * worker's text ev was parsed from.  False when the event could not be
 * written. */
static bool send_on(struct delivery *d, uid_t uid, struct json_object *ev,
		const struct item *raw, const char *what, uint64_t t0_us)
{
	const struct bb_config *cfg = d->cfg;
	char reason[512];
	bool done = true;

	switch (cfg->before_send ? filter_before_send(cfg, &ev, reason, sizeof(reason))
				 : BEFORE_SEND_KEEP) {
	case BEFORE_SEND_KEEP:
		done = spool_event(d, uid, ev, cfg->before_send ? NULL : raw, what, t0_us);
		break;
	case BEFORE_SEND_DROP:
		bb_log(BB_LOG_INFO, "%s: dropped by before_send", what);
		counted(d, &d->stats.dropped_by_before_send);
		break;
	case BEFORE_SEND_FAILED:
		bb_log(BB_LOG_WARN, "%s: before_send %s: %s; the event is dropped, "
		       "not sent unmodified", what, cfg->before_send, reason);
		counted(d, &d->stats.before_send_failures);
		break;
	}
	json_object_put(ev);
	return done;
}

/* A window ended with reports held back (group.h): the newest goes with
 * the count; or, rep NULL, an older held one is let go. */
static void flush_report(void *arg, uid_t uid, void *item, const struct group_repeats *rep)
{
	if (!rep) {
		json_object_put(item);
		return;
	}
	struct delivery *d = arg;

	group_add_repeats(item, rep);
	quota_add(d->quota, uid, QUOTA_GROUPED, rep->count);
	send_on(d, uid, item, NULL, "repeated report", 0);
}

/* Reports are grouped here; messages were in the main loop already, and
 * a drop is sent as it is (its file goes once it is spooled). */
static bool held_back(struct delivery *d, uid_t uid, struct json_object **ev,
		const struct item *raw, const struct group_repeats *own, bool *changed)
{
	struct event_facts facts;
	struct group_repeats rep;

	if (raw && raw->drop[0])
		return false;
	/* read again after scrubbing: messages that differ only in a secret
	 * are one group */
	event_facts_read(*ev, &facts);
	if (!*facts.type)
		return false;
	if (!groups_admit(d->groups, group_key_of_event(uid, &facts), uid, (uint64_t)time(NULL),
			  *ev, own, &rep)) {
		*ev = NULL;	/* the table has it */
		return true;
	}
	if (rep.count) {
		group_add_repeats(*ev, &rep);
		quota_add(d->quota, uid, QUOTA_GROUPED, rep.count);
		*changed = true;
	}
	return false;
}

/* ignore_errors, scrubbing, grouping, before_send, then the spool.
 * Takes ev; raw, when not NULL, is the worker's text ev was parsed from;
 * own, the repeats ev stands for besides itself.  False when the event
 * could not be written. */
static bool deliver(struct delivery *d, uid_t uid, struct json_object *ev,
		const struct item *raw, const struct group_repeats *own, const char *what,
		uint64_t t0_us)
{
	struct event_facts facts;
	const char *ignored;
	bool changed;

	event_facts_read(ev, &facts);
	if ((ignored = filter_ignored(d->cfg, &facts))) {
		bb_log(BB_LOG_INFO, "%s: ignored (ignore_errors: %s)", what, ignored);
		counted(d, &d->stats.ignored);
		json_object_put(ev);
		return true;
	}
	changed = scrub_event(d->cfg, ev);
	if (held_back(d, uid, &ev, raw, own, &changed))
		return true;
	return send_on(d, uid, ev, changed ? NULL : raw, what, t0_us);
}

/* A worker's text: one JSON object, nothing after it, bounded depth. */
static struct json_object *parse_worker_json(const char *json, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	struct json_object *ev = NULL;

	if (!tok || len > INT32_MAX)
		goto out;
	ev = json_tokener_parse_ex(tok, json, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len || !json_object_is_type(ev, json_type_object)) {
		json_object_put(ev);
		ev = NULL;
	}
out:
	if (tok)
		json_tokener_free(tok);
	return ev;
}

/* A drop's event is in the spool (or was filtered out): the drop goes. */
static void remove_drop(struct delivery *d, const struct item *it)
{
	if (it->drop[0] && d->drop_dirfd >= 0 && unlinkat(d->drop_dirfd, it->drop, 0) != 0)
		bb_log(BB_LOG_WARN, "%s: cannot remove drop %s: %s", it->what, it->drop,
		       strerror(errno));
}

/* A panic count: its site's first event again, standing for them all
 * (or, before the first is here, kept for it). */
static void process_count(struct delivery *d, struct item *it)
{
	struct group_repeats others;
	struct json_object *ev = panic_repeats_count(d->panics, it->from.uid, it->from.pid,
						     it->from.panic_site, &it->count,
						     (uint64_t)time(NULL), &others);

	if (ev)
		deliver(d, it->from.uid, ev, NULL, &others, it->what, 0);
}

/* The counts of a panic site that came before its first event go now. */
static void deliver_waited(struct delivery *d, const struct item *it)
{
	struct group_repeats others;
	struct json_object *ev = panic_repeats_waited(d->panics, it->from.uid, it->from.pid,
						      it->from.panic_site, &others);

	if (ev)
		deliver(d, it->from.uid, ev, NULL, &others, it->what, 0);
}

static void process(struct delivery *d, struct item *it)
{
	struct json_object *ev = it->ev;

	if (it->count.count) {
		process_count(d, it);
		return;
	}
	if (!ev) {
		ev = parse_worker_json(it->json, it->len);
		if (!ev) {
			bb_log(BB_LOG_ERR, "%s: the worker's event is not one JSON object; dropped",
			       it->what);
			quota_count(d->quota, it->from.uid, QUOTA_WORKER_FAILURES);
			remove_drop(d, it);
			return;
		}
	}
	/* as it came: its copies are scrubbed, grouped and shrunk in turn */
	if (it->from.panic_site)
		panic_repeats_keep(d->panics, it->from.uid, it->from.pid, it->from.panic_site, ev);
	if (deliver(d, it->from.uid, ev, it->ev ? NULL : it, NULL, it->what, it->t0_us))
		remove_drop(d, it);
	if (it->from.panic_site)
		deliver_waited(d, it);
}

/* ---- status.json -------------------------------------------------------------- */

static void save_status(struct delivery *d)
{
	if (d->up) {
		struct upload_status us;
		upload_get_status(d->up, &us);
		if (us.sent != d->stats.sent || us.rejected != d->stats.rejected ||
		    us.retries != d->stats.retries ||
		    strncmp(us.last_error, d->stats.last_upload_error,
			    sizeof(d->stats.last_upload_error)) != 0) {
			d->stats.sent = us.sent;
			d->stats.rejected = us.rejected;
			d->stats.retries = us.retries;
			snprintf(d->stats.last_upload_error, sizeof(d->stats.last_upload_error),
				 "%.*s", (int)sizeof(d->stats.last_upload_error) - 1, us.last_error);
			d->stats.dirty = true;
		}
	}
	stats_save(&d->stats, d->cfg->spool_dir, getpid(), d->started, quota_status_json(d->quota));
}

/* ---- the thread and its queue ---------------------------------------------- */

static struct item *next_item(struct delivery *d)
{
	struct timespec until;
	struct item *it;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;	/* status.json follows the uploader's counters */
	pthread_mutex_lock(&d->lock);
	while (!d->head && !d->stop)
		if (pthread_cond_timedwait(&d->cond, &d->lock, &until) != 0)
			break;
	it = d->head;
	if (it) {
		d->head = it->next;
		if (!d->head)
			d->tail = NULL;
		d->queued--;
	}
	pthread_mutex_unlock(&d->lock);
	return it;
}

static void *delivery_main(void *arg)
{
	struct delivery *d = arg;

	save_status(d);	/* `booboo status` has something to read from the start */
	for (;;) {
		struct item *it = next_item(d);
		if (it) {
			process(d, it);
			free(it->json);
			free(it);
		}
		groups_flush(d->groups, (uint64_t)time(NULL));
		/* per-user gauges change in the main loop: written each round */
		d->stats.dirty = true;
		save_status(d);
		pthread_mutex_lock(&d->lock);
		bool done = d->stop && !d->head;
		pthread_mutex_unlock(&d->lock);
		if (done) {
			groups_free(d->groups);	/* what it holds is spooled, counted */
			d->groups = NULL;
			panic_repeats_free(d->panics);
			d->panics = NULL;
			save_status(d);
			return NULL;
		}
	}
}

/* Never blocks the main loop: past QUEUE_MAX waiting events the new one
 * is dropped and said so (the disk or before_send is stuck for long). */
static void enqueue(struct delivery *d, struct item *it)
{
	pthread_mutex_lock(&d->lock);
	bool full = d->queued >= QUEUE_MAX;
	if (!full) {
		if (d->tail)
			d->tail->next = it;
		else
			d->head = it;
		d->tail = it;
		d->queued++;
		pthread_cond_broadcast(&d->cond);
	}
	pthread_mutex_unlock(&d->lock);
	if (full) {
		bb_log_limited("delivery queue full", 60, BB_LOG_ERR, "%s: dropped: %d events "
			       "wait for the spool (a slow disk or before_send?)", it->what, QUEUE_MAX);
		json_object_put(it->ev);
		free(it->json);
		free(it);
	}
}

static struct item *new_item(const struct delivery_from *from, const char *what,
		uint64_t t0_us, const char *drop)
{
	struct item *it = calloc(1, sizeof(*it));

	if (!it) {
		bb_log(BB_LOG_ERR, "%s: out of memory: the event is lost", what);
		return NULL;
	}
	it->from = *from;
	it->t0_us = t0_us;
	snprintf(it->what, sizeof(it->what), "%s", what);
	snprintf(it->drop, sizeof(it->drop), "%s", drop ? drop : "");
	return it;
}

struct delivery_from delivery_from_record(uid_t uid, pid_t pid, const struct bb_record *rec)
{
	return (struct delivery_from){ uid, pid, rec->kind == BB_REC_PANIC ? rec->panic_site : 0 };
}

void delivery_json(struct delivery *d, const struct delivery_from *from, char *json, size_t len,
		const char *what, uint64_t t0_us, const char *drop)
{
	struct item *it = new_item(from, what, t0_us, drop);

	if (!it) {
		free(json);
		return;
	}
	it->json = json;
	it->len = len;
	enqueue(d, it);
}

void delivery_event(struct delivery *d, const struct delivery_from *from, struct json_object *ev,
		const char *what, uint64_t t0_us, const char *drop)
{
	struct item *it = ev ? new_item(from, what, t0_us, drop) : NULL;

	if (!it) {
		json_object_put(ev);
		return;
	}
	it->ev = ev;
	enqueue(d, it);
}

void delivery_panic_count(struct delivery *d, uid_t uid, pid_t pid, const struct bb_record *rec)
{
	struct delivery_from from = { uid, pid, rec->panic_site };
	char what[128];

	snprintf(what, sizeof(what), "%u more panics at %.64s (pid %d)", rec->panic_count,
		 rec->panic_where[0] ? rec->panic_where : "a site", (int)pid);
	struct item *it = rec->panic_count ? new_item(&from, what, 0, "") : NULL;
	if (!it)
		return;
	it->count = (struct group_repeats){ rec->panic_count, rec->panic_first_sec, rec->time_sec };
	enqueue(d, it);
}

struct delivery *delivery_start(const struct bb_config *cfg, struct spool *sp,
		struct uploader *up, struct quota *q, int drop_dirfd)
{
	struct delivery *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->cfg = cfg;
	d->sp = sp;
	d->up = up;
	d->quota = q;
	d->drop_dirfd = drop_dirfd;
	d->groups = groups_new(cfg, flush_report, d);
	d->panics = panic_repeats_new();
	if (!d->groups || !d->panics) {
		groups_free(d->groups);
		panic_repeats_free(d->panics);
		free(d);
		return NULL;
	}
	stats_load(&d->stats, cfg->spool_dir);
	d->started = (long)time(NULL);
	d->stats.dirty = true;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	if (pthread_create(&d->thread, NULL, delivery_main, d) != 0) {
		pthread_mutex_destroy(&d->lock);
		pthread_cond_destroy(&d->cond);
		groups_free(d->groups);
		panic_repeats_free(d->panics);
		free(d);
		return NULL;
	}
	return d;
}

void delivery_stop(struct delivery *d)
{
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	free(d);
}
