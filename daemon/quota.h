/*
 * quota.h - per-user limits in the root part, so that no local user can
 * crowd out another: open connections, records queued for a worker,
 * message rate, and pending events (count and bytes) in the spool.  Each
 * refusal is counted per user and shown by `booboo status`.
 *
 * Used from the main loop (connections, queue, messages) and the delivery
 * thread (spool): every call takes one mutex.
 */
#ifndef BB_QUOTA_H
#define BB_QUOTA_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "spool.h"

enum quota_counter {
	QUOTA_REFUSED_CONNECTIONS,	/* over uid_max_connections */
	QUOTA_REFUSED_QUEUE,		/* over uid_max_queued */
	QUOTA_RATE_LIMITED,		/* over uid_messages_per_minute */
	QUOTA_SPOOL_REFUSED,		/* over uid_spool_max_events/_mb */
	QUOTA_SILENT_CONNECTIONS,	/* connected, sent nothing in time */
	QUOTA_BAD_RECORDS,
	QUOTA_REPORTS,			/* events spooled */
	QUOTA_DEGRADED,			/* reported from what the root part had */
	QUOTA_WORKER_FAILURES,		/* workers killed, crashed or out of limits */
	QUOTA_DROPS_REMOVED,		/* over uid_max_drops */
	QUOTA_GROUPED,			/* sent as a repeats count, not one by one (group.h) */
	QUOTA_N_COUNTERS
};

struct quota;

struct quota *quota_new(const struct bb_config *cfg);
void quota_free(struct quota *q);

bool quota_conn_open(struct quota *q, uid_t uid);	/* false: refused, counted */
void quota_conn_close(struct quota *q, uid_t uid);
bool quota_job_add(struct quota *q, uid_t uid);		/* false: refused, counted */
void quota_job_done(struct quota *q, uid_t uid);
bool quota_message(struct quota *q, uid_t uid, uint64_t now_ms);	/* false: over the rate */
void quota_count(struct quota *q, uid_t uid, enum quota_counter which);
void quota_add(struct quota *q, uid_t uid, enum quota_counter which, unsigned long n);
void quota_set_worker(struct quota *q, uid_t uid, pid_t pid);	/* 0: none */

/* May uid spool one more event of `bytes`?  Recounts the spool when the
 * estimate says no (the uploader empties it meanwhile).  False: refused,
 * counted.  On true the event is counted as pending. */
bool quota_spool_admit(struct quota *q, struct spool *sp, uid_t uid, size_t bytes);

/* Per-user figures for status.json. */
struct json_object *quota_status_json(struct quota *q);

#endif
