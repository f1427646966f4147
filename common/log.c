/*
 * log.c - stderr/syslog logging with per-cause rate limiting.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static bool log_stderr = true;
static bool log_debug;
static const char *log_ident = "booboo";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

#define LIMIT_SLOTS 32
static struct {
	const char *cause;
	time_t last;
	unsigned suppressed;
} limits[LIMIT_SLOTS];

void bb_log_init(const char *ident, bool to_stderr, bool debug)
{
	log_ident = ident;
	log_stderr = to_stderr;
	log_debug = debug;
	if (!to_stderr)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

static void log_emit(enum bb_log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const word[] = { "error", "warning", "info", "debug" };

	if (level == BB_LOG_DEBUG && !log_debug)
		return;
	if (!log_stderr) {
		vsyslog(prio[level], fmt, ap);
		return;
	}
	char line[2048];
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "%s: %s: %s\n", log_ident, word[level], line);
}

void bb_log(enum bb_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(level, fmt, ap);
	va_end(ap);
}

void bb_log_limited(const char *cause, unsigned interval_s,
		enum bb_log_level level, const char *fmt, ...)
{
	time_t now = time(NULL);
	unsigned suppressed = 0;
	size_t i, slot = LIMIT_SLOTS;
	bool emit = true;

	pthread_mutex_lock(&log_lock);
	for (i = 0; i < LIMIT_SLOTS; i++) {
		if (limits[i].cause && strcmp(limits[i].cause, cause) == 0) {
			slot = i;
			break;
		}
		if (!limits[i].cause && slot == LIMIT_SLOTS)
			slot = i;
	}
	if (slot == LIMIT_SLOTS)
		slot = 0;	/* table full: share the first slot rather than flood */
	if (limits[slot].cause && strcmp(limits[slot].cause, cause) == 0 &&
	    now - limits[slot].last < (time_t)interval_s) {
		limits[slot].suppressed++;
		emit = false;
	} else {
		suppressed = limits[slot].cause ? limits[slot].suppressed : 0;
		limits[slot].cause = cause;
		limits[slot].last = now;
		limits[slot].suppressed = 0;
	}
	pthread_mutex_unlock(&log_lock);
	if (!emit)
		return;

	va_list ap;
	va_start(ap, fmt);
	log_emit(level, fmt, ap);
	va_end(ap);
	if (suppressed)
		bb_log(level, "(%u similar messages suppressed)", suppressed);
}
