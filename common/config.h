/*
 * config.h - /etc/booboo.conf: "key = value" lines, '#' comments.
 *
 * Parsed once at start-up; any bad line stops the daemon with
 * "FILE:LINE: what is wrong" rather than running half-configured.
 */
#ifndef BB_CONFIG_H
#define BB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <regex.h>

#include "dsn.h"

#define BB_DEFAULT_CONFIG "/etc/booboo.conf"
#define BB_DEFAULT_SOCKET "/run/booboo/booboo.sock"
#define BB_DEFAULT_SPOOL "/var/spool/booboo"
#define BB_DEFAULT_HOLD_MS 3000u
#define BB_DEFAULT_BEFORE_SEND_MS 5000u
#define BB_DEFAULT_SPOOL_MAX 10000u
#define BB_DEFAULT_CACHE "/var/cache/booboo"

struct bb_path_map {		/* source_path_map = FROM => TO */
	char *from;
	char *to;
};

struct bb_scrub_rule {		/* scrub_value = REGEX => REPLACEMENT */
	char *pattern;
	regex_t re;		/* REG_EXTENDED */
	char *replacement;
};

struct bb_config {
	bool has_dsn;		/* false: local mode, nothing is sent */
	struct bb_dsn dsn;	/* token + endpoint derived from the DSN */
	char *endpoint;		/* effective endpoint: `endpoint` key, else dsn.endpoint; NULL in local mode */
	char *environment;	/* default "" */
	char *release;		/* default "" */
	char *socket_path;	/* default BB_DEFAULT_SOCKET */
	char *spool_dir;	/* default BB_DEFAULT_SPOOL */
	unsigned hold_timeout_ms;	/* 1..60000, default BB_DEFAULT_HOLD_MS */
	unsigned spool_max_events;	/* pending events kept at most, default BB_DEFAULT_SPOOL_MAX */
	char *tags;		/* "k=v,k=v" (validated), default "" */

	/* enrichment (source context, debug info) */
	struct bb_path_map *path_maps;	/* repeatable key, in file order */
	size_t n_path_maps;
	char *debuginfod_urls;	/* NULL: use DEBUGINFOD_URLS of the environment */

	/* filtering */
	char **ignore_errors;	/* signal names / C++ type names, split on ',' and blanks */
	size_t n_ignore_errors;
	char *before_send;	/* absolute path of a program, or NULL */
	unsigned before_send_timeout_ms;	/* default BB_DEFAULT_BEFORE_SEND_MS */
	struct bb_scrub_rule *scrub_values;	/* repeatable */
	size_t n_scrub_values;
	char **scrub_names;	/* extra sensitive names, split on blanks/',' */
	size_t n_scrub_names;

	/* per-user limits: no user can crowd out another */
	unsigned uid_max_connections;	/* open connections not yet answered */
	unsigned uid_max_queued;	/* crash/error records waiting for or in a worker */
	unsigned uid_spool_max_events;	/* pending events */
	unsigned uid_spool_max_mb;	/* pending bytes, in MiB */
	unsigned uid_messages_per_minute;
	unsigned group_window_s;	/* identical events: a window ... */
	unsigned group_burst;		/* ... in which this many are sent */

	/* workers: one per user, with that user's rights */
	unsigned worker_timeout_ms;	/* a report taking longer is killed and sent degraded */
	unsigned worker_memory_mb;	/* RLIMIT_AS of a worker */
	char *cache_dir;	/* per-user debuginfod caches: CACHE_DIR/UID */
	char *drop_dir;		/* crashes written while no daemon answered (drop.h) */
	unsigned uid_max_drops;	/* drops of one user kept waiting */

	char *text;		/* the file as read (bb_config_load), NULL if none */
	size_t text_len;
};

/* Defaults only (local mode). */
void bb_config_init(struct bb_config *cfg);

/* Parse text named `name` (used in messages).  On error returns -1 and
 * writes "NAME:LINE: what is wrong" to err. */
int bb_config_parse(struct bb_config *cfg, const char *name,
		const char *text, size_t len, char *err, size_t errlen);

/* Load a file.  If the file does not exist and `must_exist` is false,
 * keeps the defaults and returns 0.  Errors as for bb_config_parse, or
 * "PATH: strerror" when the file cannot be read. */
int bb_config_load(struct bb_config *cfg, const char *path, bool must_exist,
		char *err, size_t errlen);

void bb_config_free(struct bb_config *cfg);

/* The configuration text for a worker: the file without its `dsn` lines
 * (blank lines in their place), whose token a user's process must never
 * hold.  malloc'd; NULL when out of memory. */
char *bb_config_text_without_dsn(const struct bb_config *cfg, size_t *len);

/* Replace the string *dst with a copy of v (command-line overrides);
 * -1 when out of memory, *dst unchanged. */
int bb_config_set_str(char **dst, const char *v);

#endif
