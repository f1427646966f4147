/*
 * panic_repeats.h - a Rust panic site's later panics, as repeats of its
 * first event.
 *
 * The shim reports a site's first panic in a process with its stack (the
 * thread held), and only counts the later ones at the same site, sending
 * the count now and then without a stack (shim/panic.c).  The delivery
 * thread keeps a copy of each site's first event here; a count comes out
 * as that event again, standing for the panics counted, and is grouped as
 * any repeated event is (group.h).  A count that comes before its first
 * event (still in the worker: a cold report takes a while, a short
 * program's count is sent at its exit) waits here for it, a few minutes at
 * most; a count whose first event never comes (the daemon restarted, the
 * table made room) is dropped.
 */
#ifndef BB_PANIC_REPEATS_H
#define BB_PANIC_REPEATS_H

#include <json-c/json.h>
#include <stdint.h>
#include <sys/types.h>

#include "group.h"

struct panic_repeats;

struct panic_repeats *panic_repeats_new(void);
void panic_repeats_free(struct panic_repeats *r);

/* A site's first event, as the worker made it (a copy is kept). */
void panic_repeats_keep(struct panic_repeats *r, uid_t uid, pid_t pid, uint64_t site,
		struct json_object *ev);

/* The counts of the site that came before its first event: the event they
 * are (a copy of the first) and *others the repeats it stands for besides
 * itself; NULL when none waited. */
struct json_object *panic_repeats_waited(struct panic_repeats *r, uid_t uid, pid_t pid,
		uint64_t site, struct group_repeats *others);

/* A count of a site's panics (count->count of them): the event it is, a
 * copy of the site's first timed at its last panic, and *others the
 * repeats it stands for besides itself.  NULL when the first is not here
 * yet: the count waits for it. */
struct json_object *panic_repeats_count(struct panic_repeats *r, uid_t uid, pid_t pid,
		uint64_t site, const struct group_repeats *count, uint64_t now,
		struct group_repeats *others);

#endif
