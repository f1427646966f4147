/* Unit tests for daemon/scrub.c: value rules, names, argv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "scrub.h"

static struct bb_config cfg;

static int setup(void **state)
{
	char err[256];
	const char *text =
		"scrub_value = [A-Z]{2}[0-9]{2}[A-Z0-9]{10,30} => [iban]\n"
		"scrub_value = (card) ([0-9]{4})[0-9]* => \\1 \\2...\n"
		"scrub_names = iban pin\n";

	(void)state;
	bb_config_init(&cfg);
	return bb_config_parse(&cfg, "t", text, strlen(text), err, sizeof(err));
}

static int teardown(void **state)
{
	(void)state;
	bb_config_free(&cfg);
	return 0;
}

static void values(void **state)
{
	char *s;

	(void)state;
	s = scrub_string(&cfg, "pay DE89370400440532013000 and NL91ABNA0417164300 now");
	assert_string_equal(s, "pay [iban] and [iban] now");
	free(s);
	s = scrub_string(&cfg, "card 4111111111111111");
	assert_string_equal(s, "card 4111...");
	free(s);
	s = scrub_string(&cfg, "nothing here");
	assert_string_equal(s, "nothing here");
	free(s);
	s = scrub_string(&cfg, "");
	assert_string_equal(s, "");
	free(s);
}

static void names(void **state)
{
	(void)state;
	assert_true(scrub_name_is_sensitive(&cfg, "db_password"));
	assert_true(scrub_name_is_sensitive(&cfg, "API_KEY"));
	assert_true(scrub_name_is_sensitive(&cfg, "authHeader"));
	assert_true(scrub_name_is_sensitive(&cfg, "customer_iban"));
	assert_true(scrub_name_is_sensitive(&cfg, "PIN"));
	assert_false(scrub_name_is_sensitive(&cfg, "amount"));
	assert_false(scrub_name_is_sensitive(NULL, "iban"));
}

static void event(void **state)
{
	struct json_object *ev = json_tokener_parse(
		"{\"message\":\"failed for DE89370400440532013000\","
		" \"stacktrace\":[{\"vars\":{\"acct\":\"DE89370400440532013000\",\"token\":\"abc\",\"n\":\"1\"}}],"
		" \"exceptions\":[{\"value\":\"x DE89370400440532013000\",\"stacktrace\":"
		"   [{\"vars\":{\"pin\":\"1234\",\"s\":\"NL91ABNA0417164300\"}}]}],"
		" \"request\":{\"method\":\"GET\",\"url\":\"/pay?iban=DE89370400440532013000\"},"
		" \"context\":{\"process\":{\"argv\":[\"app\",\"--password=hunter2\",\"--token\",\"t0k\","
		"   \"--name\",\"DE89370400440532013000\",\"-v\"]}}}");

	(void)state;
	scrub_event(&cfg, ev);
	const char *out = json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	assert_null(strstr(out, "DE89"));
	assert_null(strstr(out, "NL91"));
	assert_null(strstr(out, "hunter2"));
	assert_null(strstr(out, "t0k"));
	assert_null(strstr(out, "1234"));
	assert_non_null(strstr(out, "\"message\":\"failed for [iban]\""));
	assert_non_null(strstr(out, "\"token\":\"[filtered]\""));
	assert_non_null(strstr(out, "\"--password=[filtered]\",\"--token\",\"[filtered]\""));
	assert_non_null(strstr(out, "\"--name\",\"[iban]\",\"-v\""));
	assert_non_null(strstr(out, "\"url\":\"/pay?iban=[iban]\""));
	assert_non_null(strstr(out, "\"n\":\"1\""));
	json_object_put(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values),
		cmocka_unit_test(names),
		cmocka_unit_test(event),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
