/*
 * spool.h - every event is on disk before any upload is tried.
 *
 * Layout under spool_dir:
 *   tmp/                 half-written files (cleaned at open)
 *   pending/ID.json      waiting for upload (or kept: local mode)
 *   sent/ID.json         accepted by the ingest (the newest 1000 kept)
 *   rejected/ID.json     refused for good (4xx other than 429)
 *   rejected/ID.reason   the server's status and detail
 * Writes are write-to-tmp, fsync, rename, fsync(dir): a crash of the
 * daemon, a reboot or a full disk never leaves a half event in pending/.
 * An ID sorts by time: "YYYYmmdd-HHMMSS-uuuuuu-RRRRRRRR-UUUUUUUU", the
 * last part being the sender's uid in hex (for per-user quotas).
 */
#ifndef BB_SPOOL_H
#define BB_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define SPOOL_ID_MAX 48
#define SPOOL_EVENT_MAX (64 * 1024 * 1024)	/* read at most */

enum spool_state { SPOOL_PENDING, SPOOL_SENT, SPOOL_REJECTED };

enum spool_err {
	SPOOL_OK = 0,
	SPOOL_EIO,		/* errno says what; message logged with the path */
	SPOOL_ENOSPC,		/* disk full: nothing half-written is left behind */
	SPOOL_ENOENT,		/* no such event / nothing pending */
	SPOOL_EID,		/* malformed id */
	SPOOL_EUNSAFE,		/* the spool, or a directory of it or on the way to
				 * it, is a symlink or someone else's: the reason
				 * is logged with the path */
};

struct spool {
	char *dir;
	int dirfd;
};

/* mkdir -p, clean tmp/.  The directories on the way must be root's or
 * ours and not writable by others (unless sticky), the spool and its
 * subdirectories ours alone and no symlinks: SPOOL_EUNSAFE otherwise. */
enum spool_err spool_open(struct spool *sp, const char *dir);
/* For readers (the CLI): no directory is made and tmp/ is left alone,
 * since a daemon may be writing there. */
enum spool_err spool_open_reader(struct spool *sp, const char *dir);
void spool_close(struct spool *sp);

/* Write one event of user uid; id_out receives its new id. */
enum spool_err spool_put(struct spool *sp, const char *json, size_t len, uid_t uid,
		char id_out[SPOOL_ID_MAX]);

/* The user an id was spooled for (false for ids without one). */
bool spool_id_uid(const char *id, uid_t *uid);

/* Call fn for every pending event with its user and size in bytes. */
typedef void spool_usage_fn(void *arg, uid_t uid, size_t bytes);
void spool_pending_usage(struct spool *sp, spool_usage_fn *fn, void *arg);

/* Oldest pending event id. */
enum spool_err spool_oldest_pending(struct spool *sp, char id[SPOOL_ID_MAX]);

/* Read an event (malloc'd, NUL-terminated) from a state directory. */
enum spool_err spool_read(struct spool *sp, enum spool_state st, const char *id,
		char **buf, size_t *len);

/* An event's file, opened read-only for the uploader (a regular file of
 * at most SPOOL_EVENT_MAX bytes, never through a symlink): its
 * descriptor, or -1 with errno. */
int spool_open_event(struct spool *sp, enum spool_state st, const char *id);

/* All of the regular file fd (SPOOL_EVENT_MAX bytes at most), malloc'd
 * and NUL-terminated; NULL when it is none or too big, or out of memory. */
char *spool_read_fd(int fd, size_t *len);

/* The server's reason for a rejected event (rejected/ID.reason), and the
 * daemon's counters (status.json), read like spool_read reads events. */
enum spool_err spool_read_reason(struct spool *sp, const char *id, char **buf, size_t *len);
enum spool_err spool_read_status(struct spool *sp, char **buf, size_t *len);

enum spool_err spool_mark_sent(struct spool *sp, const char *id);
enum spool_err spool_mark_rejected(struct spool *sp, const char *id, const char *reason);

struct spool_entry {
	char id[SPOOL_ID_MAX];
	enum spool_state state;
};
/* All events, oldest first (malloc'd array). */
enum spool_err spool_list(struct spool *sp, struct spool_entry **out, size_t *n);
size_t spool_count(struct spool *sp, enum spool_state st);

const char *spool_state_name(enum spool_state st);
const char *spool_strerror(enum spool_err err);

#endif
