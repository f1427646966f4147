/*
 * stats.h - the daemon's counters for `booboo status`, kept in
 * SPOOL_DIR/status.json (written atomically) so the CLI can read them
 * without talking to the daemon and they survive a restart.
 */
#ifndef BB_STATS_H
#define BB_STATS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

struct stats {
	unsigned long ignored;
	unsigned long dropped_by_before_send;	/* exit 0, empty output */
	unsigned long before_send_failures;	/* crashed, hung, garbage: dropped */
	unsigned long spool_failures;
	unsigned long spool_full;	/* new events dropped: spool_max_events pending */
	unsigned long sent, rejected, retries;	/* from the uploader */
	char last_upload_error[256];
	bool dirty;
};

/* Load the counters kept by an earlier run (missing file: zeros). */
void stats_load(struct stats *st, const char *spool_dir);
/* Write them if they changed; pid, start time and the per-user figures
 * (quota.h; taken, may be NULL) go along. */
void stats_save(struct stats *st, const char *spool_dir, pid_t pid, long started,
		struct json_object *users);

#endif
