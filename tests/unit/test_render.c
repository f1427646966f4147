/* Unit tests for daemon/render.c's quoting: gdb's way with chars. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "render.h"

static void check(const char *in, size_t n, bool more, const char *want)
{
	char out[512];

	render_chars((const unsigned char *)in, n, more, out, sizeof(out));
	assert_string_equal(out, want);
}

static void quoting(void **state)
{
	(void)state;
	check("hello", 5, false, "\"hello\"");
	check("", 0, false, "\"\"");
	check("a\nb\"\\\t", 6, false, "\"a\\nb\\\"\\\\\\t\"");
	check("\x1b[0m", 4, false, "\"\\033[0m\"");
	check("caf\xc3\xa9", 5, false, "\"caf\xc3\xa9\"");
	check("\xff\xfe", 2, false, "\"\\377\\376\"");
	check("abc", 3, true, "\"abc\"...");
}

static void repeats(void **state)
{
	char buf[64];

	(void)state;
	memset(buf, 'x', 39);
	check(buf, 39, false, "'x' <repeats 39 times>");
	memset(buf, 'y', 10);	/* exactly the threshold: written out */
	check(buf, 10, false, "\"yyyyyyyyyy\"");
	memcpy(buf, "gift wrap", 9);
	memset(buf + 9, 0, 22);
	check(buf, 31, false, "\"gift wrap\", '\\000' <repeats 22 times>");
	memset(buf, 0, 20);
	memcpy(buf + 20, "ab", 2);
	check(buf, 22, false, "'\\000' <repeats 20 times>, \"ab\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quoting),
		cmocka_unit_test(repeats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
