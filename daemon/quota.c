/*
 * quota.c - per-user limits and counters (see quota.h).
 *
 * Users are few on any host, so they live in a small array searched
 * linearly; past QUOTA_USERS the entry of a user with nothing open is
 * reused (their counters are then lost, the limits still hold).  The
 * spool's per-user usage is an estimate kept up to date on each admitted
 * event and recounted from the spool's file names when it says "full",
 * since the uploader drains pending/ behind our back.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "quota.h"

#define QUOTA_USERS 1024
#define RECOUNT_EVERY_MS 1000

static const char *const counter_names[QUOTA_N_COUNTERS] = {
	[QUOTA_REFUSED_CONNECTIONS] = "refused_connections",
	[QUOTA_REFUSED_QUEUE] = "refused_queue_full",
	[QUOTA_RATE_LIMITED] = "rate_limited_messages",
	[QUOTA_SPOOL_REFUSED] = "refused_spool_full",
	[QUOTA_SILENT_CONNECTIONS] = "silent_connections",
	[QUOTA_BAD_RECORDS] = "bad_records",
	[QUOTA_REPORTS] = "reports",
	[QUOTA_DEGRADED] = "degraded_reports",
	[QUOTA_WORKER_FAILURES] = "worker_failures",
	[QUOTA_DROPS_REMOVED] = "drops_removed",
	[QUOTA_GROUPED] = "grouped",
};

struct quota_user {
	uid_t uid;
	bool used;
	unsigned conns, queued;
	double tokens;		/* message bucket */
	uint64_t tokens_at_ms;
	size_t spool_events, spool_bytes;
	pid_t worker;		/* its worker's pid, 0 when none runs */
	unsigned long counters[QUOTA_N_COUNTERS];
};

struct quota {
	pthread_mutex_t lock;
	const struct bb_config *cfg;
	struct quota_user users[QUOTA_USERS];
	uint64_t recounted_at_ms;
};

struct quota *quota_new(const struct bb_config *cfg)
{
	struct quota *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->cfg = cfg;
	pthread_mutex_init(&q->lock, NULL);
	return q;
}

void quota_free(struct quota *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static bool idle(const struct quota_user *u)
{
	return !u->conns && !u->queued && !u->spool_events && !u->worker;
}

/* The user's entry, made if need be; with the lock held.  A new user
 * takes a free entry, else that of a user with nothing open. */
static struct quota_user *user(struct quota *q, uid_t uid)
{
	struct quota_user *free_slot = NULL, *idle_slot = NULL;

	for (size_t i = 0; i < QUOTA_USERS; i++) {
		struct quota_user *u = &q->users[i];
		if (u->used && u->uid == uid)
			return u;
		if (!u->used && !free_slot)
			free_slot = u;
		else if (u->used && idle(u) && !idle_slot)
			idle_slot = u;
	}
	struct quota_user *u = free_slot ? free_slot : idle_slot ? idle_slot :
			       &q->users[uid % QUOTA_USERS];	/* 1024 users, all busy */
	memset(u, 0, sizeof(*u));
	u->used = true;
	u->uid = uid;
	u->tokens = q->cfg->uid_messages_per_minute;
	return u;
}

void quota_set_worker(struct quota *q, uid_t uid, pid_t pid)
{
	pthread_mutex_lock(&q->lock);
	user(q, uid)->worker = pid;
	pthread_mutex_unlock(&q->lock);
}

/* Take one of a gauge (at `offset` in struct quota_user) if under limit. */
static bool take(struct quota *q, uid_t uid, size_t offset, unsigned limit,
		enum quota_counter refused)
{
	pthread_mutex_lock(&q->lock);
	struct quota_user *u = user(q, uid);
	unsigned *gauge = (unsigned *)((char *)u + offset);
	bool ok = *gauge < limit;
	if (ok)
		(*gauge)++;
	else
		u->counters[refused]++;
	pthread_mutex_unlock(&q->lock);
	return ok;
}

static void give_back(struct quota *q, uid_t uid, size_t offset)
{
	pthread_mutex_lock(&q->lock);
	struct quota_user *u = user(q, uid);
	unsigned *gauge = (unsigned *)((char *)u + offset);
	if (*gauge)
		(*gauge)--;
	pthread_mutex_unlock(&q->lock);
}

bool quota_conn_open(struct quota *q, uid_t uid)
{
	return take(q, uid, offsetof(struct quota_user, conns), q->cfg->uid_max_connections,
		    QUOTA_REFUSED_CONNECTIONS);
}

void quota_conn_close(struct quota *q, uid_t uid)
{
	give_back(q, uid, offsetof(struct quota_user, conns));
}

bool quota_job_add(struct quota *q, uid_t uid)
{
	return take(q, uid, offsetof(struct quota_user, queued), q->cfg->uid_max_queued,
		    QUOTA_REFUSED_QUEUE);
}

void quota_job_done(struct quota *q, uid_t uid)
{
	give_back(q, uid, offsetof(struct quota_user, queued));
}

/* A token bucket: uid_messages_per_minute tokens, refilled continuously. */
bool quota_message(struct quota *q, uid_t uid, uint64_t now_ms)
{
	double cap = q->cfg->uid_messages_per_minute;

	pthread_mutex_lock(&q->lock);
	struct quota_user *u = user(q, uid);
	if (u->tokens_at_ms && now_ms > u->tokens_at_ms)
		u->tokens += (double)(now_ms - u->tokens_at_ms) * cap / 60000.0;
	if (u->tokens > cap)
		u->tokens = cap;
	u->tokens_at_ms = now_ms;
	bool ok = u->tokens >= 1.0;
	if (ok)
		u->tokens -= 1.0;
	else
		u->counters[QUOTA_RATE_LIMITED]++;
	pthread_mutex_unlock(&q->lock);
	return ok;
}

void quota_count(struct quota *q, uid_t uid, enum quota_counter which)
{
	quota_add(q, uid, which, 1);
}

void quota_add(struct quota *q, uid_t uid, enum quota_counter which, unsigned long n)
{
	pthread_mutex_lock(&q->lock);
	user(q, uid)->counters[which] += n;
	pthread_mutex_unlock(&q->lock);
}

/* ---- the spool ------------------------------------------------------------------ */

static void add_usage(void *arg, uid_t uid, size_t bytes)
{
	struct quota_user *u = user(arg, uid);

	u->spool_events++;
	u->spool_bytes += bytes;
}

static void recount(struct quota *q, struct spool *sp)
{
	for (size_t i = 0; i < QUOTA_USERS; i++)
		q->users[i].spool_events = q->users[i].spool_bytes = 0;
	spool_pending_usage(sp, add_usage, q);
}

static bool spool_full(const struct quota *q, const struct quota_user *u, size_t bytes)
{
	return u->spool_events + 1 > q->cfg->uid_spool_max_events ||
	       u->spool_bytes + bytes > (size_t)q->cfg->uid_spool_max_mb << 20;
}

bool quota_spool_admit(struct quota *q, struct spool *sp, uid_t uid, size_t bytes)
{
	pthread_mutex_lock(&q->lock);
	struct quota_user *u = user(q, uid);
	uint64_t now = bb_now_ms();
	if (!q->recounted_at_ms || (spool_full(q, u, bytes) &&
				    now - q->recounted_at_ms >= RECOUNT_EVERY_MS)) {
		recount(q, sp);
		q->recounted_at_ms = now;
		u = user(q, uid);
	}
	bool ok = !spool_full(q, u, bytes);
	if (ok) {
		u->spool_events++;
		u->spool_bytes += bytes;
		u->counters[QUOTA_REPORTS]++;
	} else {
		u->counters[QUOTA_SPOOL_REFUSED]++;
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

/* ---- status ---------------------------------------------------------------------- */

static struct json_object *user_json(const struct quota_user *u)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "open_connections", json_object_new_int64(u->conns));
	json_object_object_add(o, "queued", json_object_new_int64(u->queued));
	json_object_object_add(o, "pending_events", json_object_new_int64((int64_t)u->spool_events));
	json_object_object_add(o, "pending_bytes", json_object_new_int64((int64_t)u->spool_bytes));
	json_object_object_add(o, "worker_pid", json_object_new_int64(u->worker));
	for (int i = 0; i < QUOTA_N_COUNTERS; i++)
		json_object_object_add(o, counter_names[i],
				json_object_new_int64((int64_t)u->counters[i]));
	return o;
}

struct json_object *quota_status_json(struct quota *q)
{
	struct json_object *users = json_object_new_object();
	char key[24];

	pthread_mutex_lock(&q->lock);
	for (size_t i = 0; i < QUOTA_USERS; i++) {
		if (!q->users[i].used)
			continue;
		snprintf(key, sizeof(key), "%u", (unsigned)q->users[i].uid);
		json_object_object_add(users, key, user_json(&q->users[i]));
	}
	pthread_mutex_unlock(&q->lock);
	return users;
}
