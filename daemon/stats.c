/*
 * stats.c - persistent counters in SPOOL_DIR/status.json.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "stats.h"

static unsigned long get_ulong(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (unsigned long)json_object_get_int64(v) : 0;
}

void stats_load(struct stats *st, const char *spool_dir)
{
	char path[4096];
	struct json_object *o;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/status.json", spool_dir);
	o = json_object_from_file(path);
	if (!o)
		return;
	st->ignored = get_ulong(o, "ignored");
	st->dropped_by_before_send = get_ulong(o, "dropped_by_before_send");
	st->before_send_failures = get_ulong(o, "before_send_failures");
	st->spool_failures = get_ulong(o, "spool_failures");
	st->spool_full = get_ulong(o, "spool_full");
	json_object_put(o);
}

void stats_save(struct stats *st, const char *spool_dir, pid_t pid, long started,
		struct json_object *users)
{
	char path[4096], tmp[4096];
	struct json_object *o;

	if (!st->dirty) {
		json_object_put(users);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object_object_add(o, "started", json_object_new_int64(started));
	json_object_object_add(o, "ignored", json_object_new_int64((int64_t)st->ignored));
	json_object_object_add(o, "dropped_by_before_send",
			json_object_new_int64((int64_t)st->dropped_by_before_send));
	json_object_object_add(o, "before_send_failures",
			json_object_new_int64((int64_t)st->before_send_failures));
	json_object_object_add(o, "spool_failures", json_object_new_int64((int64_t)st->spool_failures));
	json_object_object_add(o, "spool_full", json_object_new_int64((int64_t)st->spool_full));
	json_object_object_add(o, "sent_since_start", json_object_new_int64((int64_t)st->sent));
	json_object_object_add(o, "rejected_since_start", json_object_new_int64((int64_t)st->rejected));
	json_object_object_add(o, "retries_since_start", json_object_new_int64((int64_t)st->retries));
	json_object_object_add(o, "last_upload_error", json_object_new_string(st->last_upload_error));
	json_object_object_add(o, "users", users ? users : json_object_new_object());
	snprintf(path, sizeof(path), "%s/status.json", spool_dir);
	snprintf(tmp, sizeof(tmp), "%s/status.json.tmp", spool_dir);
	if (json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PRETTY) != 0 || rename(tmp, path) != 0) {
		bb_log_limited("status.json", 60, BB_LOG_WARN, "%s: cannot write: %s", path,
			       json_util_get_last_err());
		unlink(tmp);	/* never leave a half-written file behind */
	} else
		st->dirty = false;
	json_object_put(o);
}
