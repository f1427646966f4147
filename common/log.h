/*
 * log.h - one way to say what failed, on what, and what happens next.
 *
 * Messages go to stderr (foreground, CLI) or syslog (daemonized).  Repeated
 * warnings about the same cause (an ingest that is down, a quota that is
 * exhausted) are rate-limited: once per minute per cause.
 */
#ifndef BB_LOG_H
#define BB_LOG_H

#include <stdbool.h>

enum bb_log_level { BB_LOG_ERR, BB_LOG_WARN, BB_LOG_INFO, BB_LOG_DEBUG };

void bb_log_init(const char *ident, bool to_stderr, bool debug);
void bb_log(enum bb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like bb_log, but at most once per `interval_s` seconds for one cause
 * (a short constant string); the suppressed count is reported next time. */
void bb_log_limited(const char *cause, unsigned interval_s,
		enum bb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
