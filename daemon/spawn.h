/*
 * spawn.h - starting one boobood-worker with a user's rights (sandbox.h).
 *
 * The worker gets its channel to the root part as descriptor 3, the
 * configuration without the DSN as a sealed memfd on descriptor 4, stderr
 * for its log, and an environment holding only what libraries need (the
 * debuginfod settings, with a cache directory of its user's own).
 */
#ifndef BB_SPAWN_H
#define BB_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sandbox.h"

struct spawn_opts {
	const char *path;		/* boobood-worker */
	const char *config_text;	/* bb_config_text_without_dsn() */
	size_t config_len;
	const char *cache_dir;		/* per-user debuginfod caches live in CACHE_DIR/UID */
	unsigned memory_mb;		/* RLIMIT_AS, unless built with AddressSanitizer */
	bool foreground, debug;
};

/* boobood-worker beside this program (a build tree), else the installed
 * one; false when neither can be run. */
bool spawn_find_binary(char *path, size_t len);
/* The same for another helper program of ours. */
bool spawn_find_program(const char *name, char *path, size_t len);

/* Start a worker as c.  Returns its pid and fills *chan (our end of its
 * channel, non-blocking, close-on-exec) and *pidfd; -1 with errno. */
pid_t spawn_worker(const struct spawn_opts *o, const struct sandbox_creds *c, int *chan,
		int *pidfd);

/* Start the uploader (boobood-uploader, see upload.h) as c, with the
 * same sandbox as a worker's but its own limits, and an environment that
 * holds only the proxy and certificate settings libcurl reads.  Returns
 * its pid, *chan and *pidfd as spawn_worker; -1 with errno. */
pid_t spawn_uploader(const struct sandbox_creds *c, int *chan, int *pidfd);

#endif
