/* Unit tests for daemon/shrink.c: big events fit, in the stated order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "shrink.h"

static struct json_object *frame(int i, size_t var_bytes, size_t ctx_bytes)
{
	struct json_object *f = json_object_new_object(), *vars = json_object_new_object();
	struct json_object *pre = json_object_new_array();
	char name[32], big[4096];

	memset(big, 'v', var_bytes);
	big[var_bytes] = '\0';
	snprintf(name, sizeof(name), "fn%d", i);
	json_object_object_add(f, "function", json_object_new_string(name));
	json_object_object_add(vars, "x", json_object_new_string(big));
	json_object_object_add(f, "vars", vars);
	memset(big, 'c', ctx_bytes);
	big[ctx_bytes] = '\0';
	json_object_array_add(pre, json_object_new_string(big));
	json_object_object_add(f, "pre_context", pre);
	json_object_object_add(f, "context_line", json_object_new_string("line"));
	return f;
}

static struct json_object *event(int nframes, size_t var_bytes, size_t ctx_bytes)
{
	struct json_object *ev = json_object_new_object(), *st = json_object_new_array();
	struct json_object *st2 = json_object_new_array(), *exs = json_object_new_array();
	struct json_object *ex = json_object_new_object();

	for (int i = 0; i < nframes; i++) {
		json_object_array_add(st, frame(i, var_bytes, ctx_bytes));
		json_object_array_add(st2, frame(i, var_bytes, ctx_bytes));
	}
	json_object_object_add(ev, "message", json_object_new_string("m"));
	json_object_object_add(ev, "stacktrace", st);
	json_object_object_add(ex, "stacktrace", st2);
	json_object_array_add(exs, ex);
	json_object_object_add(ev, "exceptions", exs);
	json_object_object_add(ev, "context", json_object_new_object());
	return ev;
}

static int truncation(struct json_object *ev, const char *key)
{
	struct json_object *ctx, *t, *v;

	if (!json_object_object_get_ex(ev, "context", &ctx) ||
	    !json_object_object_get_ex(ctx, "truncation", &t) ||
	    !json_object_object_get_ex(t, key, &v))
		return -1;
	return json_object_get_int(v);
}

static void small_untouched(void **state)
{
	struct json_object *ev = event(5, 100, 100);

	(void)state;
	assert_true(shrink_event(ev, SHRINK_LIMIT) <= SHRINK_LIMIT);
	assert_int_equal(truncation(ev, "frames_removed"), -1);
	json_object_put(ev);
}

static void vars_go_first_outer_frames_first(void **state)
{
	struct json_object *ev = event(40, 2000, 100);	/* ~160 KB, mostly vars */
	struct json_object *st, *last, *first, *v;

	(void)state;
	assert_true(shrink_event(ev, SHRINK_LIMIT) <= SHRINK_LIMIT);
	json_object_object_get_ex(ev, "stacktrace", &st);
	assert_int_equal(json_object_array_length(st), 40);
	first = json_object_array_get_idx(st, 0);
	last = json_object_array_get_idx(st, 39);
	/* the outermost lost its vars, emptied: the key stays, as the ingest wants */
	assert_true(json_object_object_get_ex(first, "vars", &v));
	assert_int_equal(json_object_object_length(v), 0);
	assert_true(json_object_object_get_ex(last, "vars", &v));	/* the crash site kept them */
	assert_int_equal(json_object_object_length(v), 1);
	assert_true(json_object_object_get_ex(last, "pre_context", &v));
	assert_int_equal(json_object_array_length(v), 1);
	assert_true(truncation(ev, "frames_without_vars") > 0);
	assert_int_equal(truncation(ev, "frames_removed"), 0);
	json_object_put(ev);
}

static void then_source_then_frames(void **state)
{
	struct json_object *ev = event(400, 10, 300), *st;

	(void)state;
	assert_true(shrink_event(ev, SHRINK_LIMIT) <= SHRINK_LIMIT);
	assert_true(truncation(ev, "frames_without_source") > 0);
	json_object_object_get_ex(ev, "stacktrace", &st);
	struct json_object *f0 = json_object_array_get_idx(st, 0), *fl, *name;
	fl = json_object_array_get_idx(st, json_object_array_length(st) - 1);
	json_object_object_get_ex(f0, "function", &name);
	assert_string_equal(json_object_get_string(name), "fn0");	/* outermost kept */
	json_object_object_get_ex(fl, "function", &name);
	assert_string_equal(json_object_get_string(name), "fn399");	/* crash site kept */
	/* an outer frame's source is emptied, its keys kept */
	json_object_object_get_ex(f0, "context_line", &name);
	assert_string_equal(json_object_get_string(name), "");
	json_object_object_get_ex(f0, "pre_context", &name);
	assert_int_equal(json_object_array_length(name), 0);
	json_object_put(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(small_untouched),
		cmocka_unit_test(vars_go_first_outer_frames_first),
		cmocka_unit_test(then_source_then_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
