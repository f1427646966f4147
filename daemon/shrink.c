/*
 * shrink.c - fit an event under the ingest's size limit.
 *
 * The crash site (the last frame) keeps its locals and source until
 * everything else has gone.  The top-level stacktrace and
 * exceptions[0].stacktrace hold the same
 * frames, so every cut is applied to both.  Sizes are tracked by
 * subtracting the serialized size of what is removed, and checked against
 * a real serialization at the end of each pass.
 */
#include <stdbool.h>

#include "event_keys.h"
#include "shrink.h"

#define FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct shrink {
	struct json_object *ev;
	struct json_object *stacks[2];	/* stacktrace, exceptions[0].stacktrace */
	size_t n_stacks;
	size_t size;
	size_t limit;
	int vars, sources, frames, threads, modules;
	bool last_resort;	/* the crash site's own details may go too */
};

static size_t json_len(struct json_object *o)
{
	size_t len = 0;

	json_object_to_json_string_length(o, FLAGS, &len);
	return len;
}

static void measure(struct shrink *s)
{
	s->size = json_len(s->ev);
}

static struct json_object *empty_like(struct json_object *v)
{
	if (json_object_is_type(v, json_type_array))
		return json_object_new_array();
	if (json_object_is_type(v, json_type_object))
		return json_object_new_object();
	return json_object_new_string("");
}

/* Emptied, not removed: the ingest answers 422 to a frame without its
 * vars or source keys.  Returns the bytes freed. */
static size_t empty_key(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	size_t before = json_len(v);
	struct json_object *empty = empty_like(v);
	size_t after = json_len(empty);
	json_object_object_add(o, key, empty);	/* frees the old value */
	return before > after ? before - after : 0;
}

/* Empty `key` in frame i of every stack; true if anything went. */
static bool drop_frame_key(struct shrink *s, size_t i, const char *key)
{
	size_t freed = 0;

	for (size_t k = 0; k < s->n_stacks; k++) {
		struct json_object *f = json_object_array_get_idx(s->stacks[k], i);
		if (f)
			freed += empty_key(f, key);
	}
	s->size = freed > s->size ? 0 : s->size - freed;
	return freed > 0;
}

static size_t n_frames(const struct shrink *s)
{
	return s->n_stacks ? json_object_array_length(s->stacks[0]) : 0;
}

/* Frames that may lose details: all but the crash site, until the last
 * resort. */
static size_t expendable(const struct shrink *s)
{
	size_t n = n_frames(s);

	return s->last_resort || n == 0 ? n : n - 1;
}

static void drop_vars(struct shrink *s)
{
	/* Oldest frames first: the crash site's locals matter most. */
	for (size_t i = 0; i < expendable(s) && s->size > s->limit; i++)
		if (drop_frame_key(s, i, EV_VARS))
			s->vars++;
}

static void drop_sources(struct shrink *s)
{
	for (size_t i = 0; i < expendable(s) && s->size > s->limit; i++) {
		bool any = drop_frame_key(s, i, EV_PRE_CONTEXT);
		any |= drop_frame_key(s, i, EV_POST_CONTEXT);
		any |= drop_frame_key(s, i, EV_CONTEXT_LINE);
		if (any)
			s->sources++;
	}
}

static void drop_middle_frames(struct shrink *s)
{
	/* Keep the 10 outermost and the 20 innermost calls. */
	while (s->size > s->limit && n_frames(s) > 30) {
		size_t mid = 10 + (n_frames(s) - 30) / 2;
		size_t freed = 0;
		for (size_t k = 0; k < s->n_stacks; k++) {
			freed += json_len(json_object_array_get_idx(s->stacks[k], mid)) + 1;
			json_object_array_del_idx(s->stacks[k], mid, 1);
		}
		s->size = freed > s->size ? 0 : s->size - freed;
		s->frames++;
	}
}

static void drop_context_list(struct shrink *s, const char *key, int *count)
{
	struct json_object *ctx, *list;

	if (!json_object_object_get_ex(s->ev, EV_CONTEXT, &ctx) ||
	    !json_object_object_get_ex(ctx, key, &list) ||
	    !json_object_is_type(list, json_type_array))
		return;
	/* Keep the first entry: the crashed thread, the main program. */
	while (s->size > s->limit && json_object_array_length(list) > 1) {
		size_t last = json_object_array_length(list) - 1;
		s->size -= json_len(json_object_array_get_idx(list, last)) + 1;
		json_object_array_del_idx(list, last, 1);
		(*count)++;
	}
}

static void find_stacks(struct shrink *s)
{
	struct json_object *st, *exs;

	if (json_object_object_get_ex(s->ev, EV_STACKTRACE, &st) &&
	    json_object_is_type(st, json_type_array))
		s->stacks[s->n_stacks++] = st;
	if (json_object_object_get_ex(s->ev, EV_EXCEPTIONS, &exs) &&
	    json_object_is_type(exs, json_type_array) && json_object_array_length(exs) > 0) {
		struct json_object *ex0 = json_object_array_get_idx(exs, 0);
		if (json_object_object_get_ex(ex0, EV_STACKTRACE, &st) &&
		    json_object_is_type(st, json_type_array) && s->n_stacks &&
		    json_object_array_length(st) == json_object_array_length(s->stacks[0]))
			s->stacks[s->n_stacks++] = st;
	}
}

static void mark(struct shrink *s, size_t original)
{
	struct json_object *ctx, *t = json_object_new_object();

	json_object_object_add(t, "original_size", json_object_new_int64((int64_t)original));
	json_object_object_add(t, "frames_without_vars", json_object_new_int(s->vars));
	json_object_object_add(t, "frames_without_source", json_object_new_int(s->sources));
	json_object_object_add(t, "frames_removed", json_object_new_int(s->frames));
	json_object_object_add(t, "threads_removed", json_object_new_int(s->threads));
	json_object_object_add(t, "modules_removed", json_object_new_int(s->modules));
	if (json_object_object_get_ex(s->ev, EV_CONTEXT, &ctx))
		json_object_object_add(ctx, "truncation", t);
	else
		json_object_put(t);
}

size_t shrink_event(struct json_object *ev, size_t limit)
{
	struct shrink s = { .ev = ev, .limit = limit > 512 ? limit - 512 : limit };
	size_t original;

	measure(&s);
	original = s.size;
	if (original <= limit)
		return original;
	find_stacks(&s);
	/* Each pass works from estimates; a real measure decides whether to
	 * go on to the next, coarser cut. */
	void (*const steps[])(struct shrink *) = { drop_vars, drop_sources, drop_middle_frames };
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && s.size > s.limit; i++) {
		steps[i](&s);
		measure(&s);
	}
	if (s.size > s.limit) {
		drop_context_list(&s, "threads", &s.threads);
		measure(&s);
	}
	if (s.size > s.limit) {
		drop_context_list(&s, "modules", &s.modules);
		measure(&s);
	}
	if (s.size > s.limit) {
		s.last_resort = true;
		drop_vars(&s);
		drop_sources(&s);
		measure(&s);
	}
	mark(&s, original);
	measure(&s);
	return s.size;
}
