/*
 * scrub.h - value-level scrubbing of an event before it leaves the daemon:
 * scrub_value rules (POSIX ERE => replacement) wherever values appear, and
 * argv values after sensitive flags.  Name-based scrubbing of locals,
 * and of the members, fields and keys inside their values, happens where
 * they are rendered (locals.c, render.c).
 */
#ifndef BB_SCRUB_H
#define BB_SCRUB_H

#include <json-c/json.h>
#include <stdbool.h>

#include "config.h"

/* Apply every scrub_value rule to one string; malloc'd result. */
char *scrub_string(const struct bb_config *cfg, const char *in);

/* Scrub the message, exceptions' values, vars of every frame (top-level
 * and each exception's stacktrace), request.url, argv and the C++
 * exception's what.  True when anything was changed. */
bool scrub_event(const struct bb_config *cfg, struct json_object *ev);

/* Does a name (variable, flag, header) count as sensitive? */
bool scrub_name_is_sensitive(const struct bb_config *cfg, const char *name);

#endif
