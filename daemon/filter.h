/*
 * filter.h - stage 5b: what never leaves the machine.  ignore_errors
 * (signal names and C++ types, a type matching its subclasses like
 * isinstance) and the before_send program.
 */
#ifndef BB_FILTER_H
#define BB_FILTER_H

#include <json-c/json.h>
#include <stdbool.h>

#include "config.h"
#include "event_facts.h"

/* Is this event's error in ignore_errors?  Returns the matching entry. */
const char *filter_ignored(const struct bb_config *cfg, const struct event_facts *ev);

enum before_send_result {
	BEFORE_SEND_KEEP,	/* *ev replaced by the program's object */
	BEFORE_SEND_DROP,	/* exit 0, empty output: dropped as asked */
	BEFORE_SEND_FAILED,	/* crashed, timed out, bad output: dropped, reason set */
};

/* Run cfg->before_send with the event on stdin.  On KEEP, *ev is the new
 * event (the old one put).  reason gets why a FAILED event was dropped. */
enum before_send_result filter_before_send(const struct bb_config *cfg,
		struct json_object **ev, char *reason, size_t reasonlen);

/* What before_send printed (len bytes, not NUL-terminated): blanks alone
 * are DROP; one JSON object with only blanks around it is KEEP, *obj then
 * the object; anything else FAILED with reason set.  Exposed for the
 * fuzzer (tests/fuzz/). */
enum before_send_result filter_check_output(const char *out, size_t len,
		struct json_object **obj, char *reason, size_t reasonlen);

#endif
