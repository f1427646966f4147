/* Unit tests for daemon/event_facts.c and ignore_errors on its facts: what
 * the delivery thread reads out of a worker's event (a missing or
 * mistyped key is "", never a crash or a NULL), and which events
 * ignore_errors keeps from the ingest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "event_facts.h"
#include "filter.h"

static struct json_object *parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

/* ev's facts are want's (no bases) */
static void facts_are(struct json_object *ev, const struct event_facts *want)
{
	struct event_facts f;

	event_facts_read(ev, &f);
	assert_string_equal(f.type, want->type);
	assert_string_equal(f.message, want->message);
	assert_string_equal(f.exe, want->exe);
	assert_string_equal(f.top_function, want->top_function);
	assert_string_equal(f.top_filename, want->top_filename);
	assert_int_equal(f.top_lineno, want->top_lineno);
	assert_int_equal(f.n_bases, 0);
}

static void a_crash_report(void **state)
{
	(void)state;
	struct json_object *ev = parse(
		"{\"exception_type\": \"SIGSEGV\", \"message\": \"SIGSEGV: invalid read\","
		" \"context\": {\"process\": {\"exe\": \"/usr/bin/app\"}},"
		" \"stacktrace\": ["
		"  {\"function\": \"main\", \"filename\": \"app.c\", \"lineno\": 40, \"in_app\": true},"
		"  {\"function\": \"parse\", \"filename\": \"parse.c\", \"lineno\": 12, \"in_app\": true},"
		"  {\"function\": \"memcpy\", \"filename\": \"libc.so.6\", \"lineno\": 0, \"in_app\": false}]}");
	/* the innermost of the program's own frames: the last in_app one */
	const struct event_facts want = { .type = "SIGSEGV", .message = "SIGSEGV: invalid read",
					  .exe = "/usr/bin/app", .top_function = "parse",
					  .top_filename = "parse.c", .top_lineno = 12 };

	facts_are(ev, &want);
	json_object_put(ev);
}

static void missing_and_mistyped_keys_read_as_nothing(void **state)
{
	(void)state;
	const char *texts[] = {
		"{}",
		"{\"exception_type\": 7, \"message\": null, \"context\": [],"
		" \"stacktrace\": {\"in_app\": true}}",
		"{\"context\": {\"process\": \"x\", \"exception\": {\"bases\": [1, null]}},"
		" \"stacktrace\": [7, {\"in_app\": 1, \"function\": \"f\"},"
		"  {\"in_app\": true, \"function\": 3, \"lineno\": \"12\"}]}",
	};

	const struct event_facts nothing = { .type = "", .message = "", .exe = "",
					     .top_function = "", .top_filename = "" };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct json_object *ev = parse(texts[i]);
		facts_are(ev, &nothing);
		json_object_put(ev);
	}
}

static void bases_are_bounded(void **state)
{
	(void)state;
	char text[4096] = "{\"context\": {\"exception\": {\"bases\": [";
	struct event_facts f;

	for (int i = 0; i < CXX_MAX_BASES + 5; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\"B%d\"",
			 i ? ", " : "", i);
	strcat(text, "]}}}");
	struct json_object *ev = parse(text);
	event_facts_read(ev, &f);
	assert_int_equal(f.n_bases, CXX_MAX_BASES);
	assert_string_equal(f.bases[0], "B0");
	assert_string_equal(f.bases[CXX_MAX_BASES - 1], "B15");
	json_object_put(ev);
}

/* The ignore_errors entry that keeps event back, "-" for none. */
static const char *ignored(const char *list, const char *event)
{
	static char out[64];
	struct bb_config cfg;
	char conf[256], why[256];
	struct json_object *ev = parse(event);
	struct event_facts f;
	const char *hit;

	bb_config_init(&cfg);
	snprintf(conf, sizeof(conf), "ignore_errors = %s\n", list);
	assert_int_equal(bb_config_parse(&cfg, "test", conf, strlen(conf), why, sizeof(why)), 0);
	event_facts_read(ev, &f);
	hit = filter_ignored(&cfg, &f);
	snprintf(out, sizeof(out), "%s", hit ? hit : "-");
	json_object_put(ev);
	bb_config_free(&cfg);
	return out;
}

static void ignore_errors_by_type_and_base(void **state)
{
	(void)state;
	const char *cxx = "{\"exception_type\": \"app::Timeout\", \"message\": \"t\", \"context\":"
			  " {\"exception\": {\"bases\": [\"app::Error\", \"std::exception\"]}}}";

	assert_string_equal(ignored("SIGPIPE, SIGSEGV", "{\"exception_type\": \"SIGSEGV\"}"),
			    "SIGSEGV");
	assert_string_equal(ignored("SIGPIPE", "{\"exception_type\": \"SIGSEGV\"}"), "-");
	/* a type matches its subclasses, as isinstance does */
	assert_string_equal(ignored("std::exception", cxx), "std::exception");
	assert_string_equal(ignored("app::Timeout", cxx), "app::Timeout");
	assert_string_equal(ignored("app::Err", cxx), "-");
	/* messages are never ignored, whatever their text */
	assert_string_equal(ignored("SIGSEGV", "{\"exception_type\": \"\", \"message\": \"SIGSEGV\"}"),
			    "-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_crash_report),
		cmocka_unit_test(missing_and_mistyped_keys_read_as_nothing),
		cmocka_unit_test(bases_are_bounded),
		cmocka_unit_test(ignore_errors_by_type_and_base),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
