/*
 * source.h - stage 4a (enrich): five lines of source around each frame's
 * line, read in the worker, which has the crashing user's rights and no
 * more, so debug info that names /etc/shadow cannot make us upload it.
 */
#ifndef BB_SOURCE_H
#define BB_SOURCE_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "symbolize.h"

#define SOURCE_CONTEXT_LINES 5
#define SOURCE_LINE_MAX 256	/* longer lines are cut, marked with "..." */

/* Fill context_line/pre_context/post_context of every frame whose file
 * this process can read.  source_path_map rules from cfg are applied first. */
void source_enrich(struct symbolized *sym, const struct bb_config *cfg);

/* path under the first source_path_map whose FROM is the path itself or a
 * directory above it (FROM ends at a '/' of the path, or with it); a
 * malloc'd copy of path when none is; NULL when out of memory. */
char *source_map_path(const struct bb_config *cfg, const char *path);

/* Drop the cache of files (for tests). */
void source_cache_clear(void);

/* The cache keeps at most this many bytes of files (their data and line
 * index); a file bigger than that alone is read for its frame and not
 * kept. */
#define SOURCE_CACHE_BUDGET ((size_t)32 << 20)

/* What the cache holds now, in bytes (data and line index). */
size_t source_cache_bytes(void);

/* Empty the cache and bound it to `bytes` from now on (for tests). */
void source_cache_set_budget(size_t bytes);

/* Make `in` valid UTF-8 (invalid bytes become U+FFFD) and cut it at
 * SOURCE_LINE_MAX bytes; returns a malloc'd string. */
char *source_clean_line(const char *in, size_t len);

#endif
