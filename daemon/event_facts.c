/*
 * event_facts.c - an event's deciding values out of its JSON (see
 * event_facts.h).
 */
#include "event_facts.h"
#include "event_keys.h"

static struct json_object *member(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, type) ? v
											    : NULL;
}

static const char *string_of(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key, json_type_string);

	return v ? json_object_get_string(v) : "";
}

/* stacktrace is oldest call first: the innermost in_app frame is the last */
static struct json_object *top_app_frame(struct json_object *ev)
{
	struct json_object *st = member(ev, EV_STACKTRACE, json_type_array);

	for (size_t i = st ? json_object_array_length(st) : 0; i-- > 0;) {
		struct json_object *f = json_object_array_get_idx(st, i);
		struct json_object *in_app = member(f, EV_IN_APP, json_type_boolean);
		if (in_app && json_object_get_boolean(in_app))
			return f;
	}
	return NULL;
}

static void read_bases(struct json_object *ctx, struct event_facts *f)
{
	struct json_object *ex = member(ctx, EV_CTX_EXCEPTION, json_type_object);
	struct json_object *bases = member(ex, EV_EXCEPTION_BASES, json_type_array);
	size_t n = bases ? json_object_array_length(bases) : 0;

	f->n_bases = 0;
	for (size_t i = 0; i < n && f->n_bases < CXX_MAX_BASES; i++) {
		struct json_object *b = json_object_array_get_idx(bases, i);
		if (json_object_is_type(b, json_type_string))
			f->bases[f->n_bases++] = json_object_get_string(b);
	}
}

void event_facts_read(struct json_object *ev, struct event_facts *f)
{
	struct json_object *ctx = member(ev, EV_CONTEXT, json_type_object);
	struct json_object *top = top_app_frame(ev);
	struct json_object *line = member(top, EV_LINENO, json_type_int);

	f->type = string_of(ev, EV_EXCEPTION_TYPE);
	f->message = string_of(ev, EV_MESSAGE);
	f->exe = string_of(member(ctx, EV_CTX_PROCESS, json_type_object), EV_PROCESS_EXE);
	read_bases(ctx, f);
	f->top_function = string_of(top, EV_FUNCTION);
	f->top_filename = string_of(top, EV_FILENAME);
	f->top_lineno = line ? json_object_get_int64(line) : 0;
}
