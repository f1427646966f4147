/*
 * group.c - identical events grouped (see group.h).  A small table, each
 * entry one kind of event and its current window; the table is searched
 * linearly (a few hundred kinds at most are live at once), and a kind
 * unseen the longest makes room, its held count flushed first.
 */
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "event_keys.h"
#include "group.h"

#define GROUPS 512

struct group {
	uint64_t key;
	uid_t uid;
	bool used;
	uint64_t window_start, last_seen;
	unsigned sent;		/* in this window */
	struct group_repeats held;
	void *item;		/* the newest held event */
};

struct groups {
	const struct bb_config *cfg;
	group_flush_fn *flush;
	void *arg;
	struct group table[GROUPS];
	unsigned long held_total;
};

/* ---- keys ------------------------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;	/* a separator: "ab"+"c" is not "a"+"bc" */
}

static uint64_t fnv_u(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		h = (h ^ (v & 0xff)) * 0x100000001b3ull;
	return h;
}

uint64_t group_key_of_record(uid_t uid, const char *exe, const struct bb_record *rec)
{
	uint64_t h = fnv_u(0xcbf29ce484222325ull, uid);

	return fnv(fnv(fnv(h, exe), rec->level), rec->message);
}

uint64_t group_key_of_event(uid_t uid, const struct event_facts *ev)
{
	uint64_t h = fnv_u(0xcbf29ce484222325ull, uid);

	h = fnv(fnv(fnv(h, ev->exe), ev->type), ev->message);
	h = fnv(fnv(h, ev->top_function), ev->top_filename);
	return fnv_u(h, (uint64_t)ev->top_lineno);
}

/* ---- the table ---------------------------------------------------------------------- */

struct groups *groups_new(const struct bb_config *cfg, group_flush_fn *flush, void *arg)
{
	struct groups *g = calloc(1, sizeof(*g));

	if (g) {
		g->cfg = cfg;
		g->flush = flush;
		g->arg = arg;
	}
	return g;
}

/* The newest held event goes, standing for the others held with it: its
 * count is theirs, so sent events plus counts are every event. */
static void flush_one(struct groups *g, struct group *e)
{
	if (e->item && e->held.count) {
		struct group_repeats others = e->held;
		others.count--;
		g->flush(g->arg, e->uid, e->item, &others);
	}
	e->item = NULL;
	memset(&e->held, 0, sizeof(e->held));
}

static struct group *find(struct groups *g, uint64_t key, uid_t uid)
{
	struct group *oldest = &g->table[0];

	for (size_t i = 0; i < GROUPS; i++) {
		struct group *e = &g->table[i];
		if (e->used && e->key == key && e->uid == uid)
			return e;
		if (!e->used || (oldest->used && e->last_seen < oldest->last_seen))
			oldest = e;
	}
	flush_one(g, oldest);	/* room for this kind: no count is lost */
	memset(oldest, 0, sizeof(*oldest));
	oldest->used = true;
	oldest->key = key;
	oldest->uid = uid;
	return oldest;
}

void group_repeats_merge(struct group_repeats *into, const struct group_repeats *r)
{
	if (!r || !r->count)
		return;
	if (!into->count || r->first < into->first)
		into->first = r->first;
	if (r->last > into->last)
		into->last = r->last;
	into->count += r->count;
}

bool groups_admit(struct groups *g, uint64_t key, uid_t uid, uint64_t now, void *item,
		const struct group_repeats *own, struct group_repeats *rep)
{
	struct group_repeats self = { 1, now, now };
	struct group *e = find(g, key, uid);

	e->last_seen = now;
	if (!e->window_start || now >= e->window_start + g->cfg->group_window_s) {
		flush_one(g, e);	/* the last window's count, before this one starts */
		e->window_start = now;
		e->sent = 0;
	}
	if (e->sent < g->cfg->group_burst) {
		e->sent++;
		*rep = e->held;	/* what was held since: none, in a new window */
		group_repeats_merge(rep, own);
		memset(&e->held, 0, sizeof(e->held));
		return true;
	}
	if (e->item)
		g->flush(g->arg, e->uid, e->item, NULL);
	e->item = item;
	group_repeats_merge(&e->held, &self);
	group_repeats_merge(&e->held, own);
	g->held_total += self.count + (own ? own->count : 0);
	return false;
}

void groups_flush(struct groups *g, uint64_t now)
{
	for (size_t i = 0; g && i < GROUPS; i++) {
		struct group *e = &g->table[i];
		if (e->used && e->held.count && now >= e->window_start + g->cfg->group_window_s)
			flush_one(g, e);
	}
}

void groups_free(struct groups *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < GROUPS; i++)
		if (g->table[i].used)
			flush_one(g, &g->table[i]);
	free(g);
}

unsigned long groups_held_total(struct groups *g)
{
	return g ? g->held_total : 0;
}

void group_add_repeats(struct json_object *ev, const struct group_repeats *rep)
{
	struct json_object *ctx, *r;

	if (!rep || !rep->count || !json_object_object_get_ex(ev, EV_CONTEXT, &ctx))
		return;
	r = json_object_new_object();
	json_object_object_add(r, "count", json_object_new_int64((int64_t)rep->count));
	event_add_time(r, "first", rep->first, 0);
	event_add_time(r, "last", rep->last, 0);
	json_object_object_add(ctx, EV_CTX_REPEATS, r);
}
