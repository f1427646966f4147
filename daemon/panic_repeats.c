/*
 * panic_repeats.c - each panic site's first event, kept for its counts
 * (see panic_repeats.h).  A small table searched linearly; the entry used
 * the longest ago makes room.  Used by the delivery thread alone.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "event.h"
#include "event_keys.h"
#include "log.h"
#include "panic_repeats.h"

#define KEPT 32			/* sites at once; an event is tens of KiB */
#define WAIT_MAX_S 300		/* a count waits this long for its first event */

struct kept {
	bool used;
	uid_t uid;
	pid_t pid;
	uint64_t site;
	uint64_t last_use;
	struct json_object *ev;		/* the first event; NULL while counts wait */
	struct group_repeats waiting;	/* counts that came before it */
	uint64_t waiting_since;
};

struct panic_repeats {
	struct kept table[KEPT];
	uint64_t clock;
};

struct panic_repeats *panic_repeats_new(void)
{
	return calloc(1, sizeof(struct panic_repeats));
}

static void forget(struct kept *k)
{
	if (k->waiting.count)
		bb_log(BB_LOG_INFO, "%lu panics of pid %d: their site's first report never came; "
		       "not counted", k->waiting.count, (int)k->pid);
	json_object_put(k->ev);
	*k = (struct kept){ .used = false };
}

void panic_repeats_free(struct panic_repeats *r)
{
	for (size_t i = 0; r && i < KEPT; i++)
		forget(&r->table[i]);
	free(r);
}

/* The site's entry, made (room made) when it has none. */
static struct kept *entry(struct panic_repeats *r, uid_t uid, pid_t pid, uint64_t site)
{
	struct kept *oldest = &r->table[0];

	for (size_t i = 0; i < KEPT; i++) {
		struct kept *k = &r->table[i];
		if (k->used && k->uid == uid && k->pid == pid && k->site == site) {
			k->last_use = ++r->clock;
			return k;
		}
		if (!k->used || (oldest->used && k->last_use < oldest->last_use))
			oldest = k;
	}
	forget(oldest);
	*oldest = (struct kept){ .used = true, .uid = uid, .pid = pid, .site = site,
				 .last_use = ++r->clock };
	return oldest;
}

static struct json_object *copy_at(struct json_object *ev, uint64_t sec)
{
	struct json_object *copy = NULL;

	if (json_object_deep_copy(ev, &copy, NULL) != 0)
		return NULL;
	event_add_time(copy, EV_TIMESTAMP, sec, 0);
	return copy;
}

/* n panics: the event is one, the others are repeats */
static struct group_repeats others_of(const struct group_repeats *n)
{
	struct group_repeats o = *n;

	o.count--;
	return o;
}

void panic_repeats_keep(struct panic_repeats *r, uid_t uid, pid_t pid, uint64_t site,
		struct json_object *ev)
{
	struct kept *k = entry(r, uid, pid, site);

	json_object_put(k->ev);
	if (json_object_deep_copy(ev, &k->ev, NULL) != 0)
		k->ev = NULL;	/* out of memory: this site's counts will be dropped */
}

struct json_object *panic_repeats_waited(struct panic_repeats *r, uid_t uid, pid_t pid,
		uint64_t site, struct group_repeats *others)
{
	struct kept *k = entry(r, uid, pid, site);
	struct json_object *copy = NULL;

	if (k->ev && k->waiting.count) {
		copy = copy_at(k->ev, k->waiting.last);
		*others = others_of(&k->waiting);
		k->waiting = (struct group_repeats){ 0 };
	}
	return copy;
}

struct json_object *panic_repeats_count(struct panic_repeats *r, uid_t uid, pid_t pid,
		uint64_t site, const struct group_repeats *count, uint64_t now,
		struct group_repeats *others)
{
	struct kept *k = entry(r, uid, pid, site);

	if (k->ev) {
		*others = others_of(count);
		return copy_at(k->ev, count->last);
	}
	if (k->waiting.count && now > k->waiting_since + WAIT_MAX_S) {
		bb_log(BB_LOG_INFO, "%lu panics of pid %d: their site's first report did not "
		       "come in %d s; not counted", k->waiting.count, (int)pid, WAIT_MAX_S);
		k->waiting = (struct group_repeats){ 0 };
	}
	if (!k->waiting.count)
		k->waiting_since = now;
	group_repeats_merge(&k->waiting, count);
	return NULL;
}
