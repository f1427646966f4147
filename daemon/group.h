/*
 * group.h - identical events grouped, so a retry loop or a crash-looping
 * service is one story in the ingest, not thousands.
 *
 * Events are identical when they are of the same user and program, type,
 * message and innermost frame of the program's own.  In each window of
 * group_window_s seconds, the first group_burst of a kind are sent; the
 * rest are held back and counted, and the count travels on the next event
 * of the kind that is sent: context.repeats = {count, first, last}.  When
 * a window ends with events held, the newest of them is sent carrying the
 * count, so no count is ever lost; at shutdown too.
 *
 * One table for messages (the main loop, before any work is spent on them)
 * and one for reports (the delivery thread): each used by one thread.
 */
#ifndef BB_GROUP_H
#define BB_GROUP_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "event_facts.h"
#include "record.h"

struct groups;

struct group_repeats {
	unsigned long count;	/* events held back since the last one sent */
	uint64_t first, last;	/* their times, seconds since the epoch */
};

/* What is held for a group is its newest held event, sent at the window's
 * end with the count of the others held with it (maybe 0): fn gets it
 * (and frees it).  Also called when a group must make room for another.
 * fn with a NULL rep: an older held event is let go (freed, not sent). */
typedef void group_flush_fn(void *arg, uid_t uid, void *item, const struct group_repeats *rep);

struct groups *groups_new(const struct bb_config *cfg, group_flush_fn *flush, void *arg);
/* Flushes what is held, then frees. */
void groups_free(struct groups *g);

/* The identity of an event. */
uint64_t group_key_of_record(uid_t uid, const char *exe, const struct bb_record *rec);
uint64_t group_key_of_event(uid_t uid, const struct event_facts *ev);

/* r's events added to into's (first the earlier, last the later). */
void group_repeats_merge(struct group_repeats *into, const struct group_repeats *r);

/* Send this event, or hold it?  own, when not NULL, are the repeats the
 * event already stands for besides itself (a Rust panic's count from the
 * shim).  On true, *rep holds the count it must carry (count 0: none),
 * own's included, and item is not taken.  On false the event is held: item
 * is kept as the group's newest, the previous one let go. */
bool groups_admit(struct groups *g, uint64_t key, uid_t uid, uint64_t now, void *item,
		const struct group_repeats *own, struct group_repeats *rep);

/* Windows that ended with events held: flushed. */
void groups_flush(struct groups *g, uint64_t now);

/* context.repeats on an event. */
void group_add_repeats(struct json_object *ev, const struct group_repeats *rep);

/* Events held back so far (for status.json). */
unsigned long groups_held_total(struct groups *g);

#endif
