/* Unit tests for daemon/source.c's line cleaning: valid UTF-8, bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

static void check(const char *in, size_t len, const char *want)
{
	char *out = source_clean_line(in, len);

	assert_string_equal(out, want);
	free(out);
}

static void utf8(void **state)
{
	(void)state;
	check("int x = 1;\n", 11, "int x = 1;");
	check("caf\xc3\xa9\r\n", 7, "caf\xc3\xa9");
	check("bad \xff byte", 10, "bad \xef\xbf\xbd byte");
	check("\xc3", 1, "\xef\xbf\xbd");			/* truncated sequence */
	check("\xe0\x80\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");	/* overlong */
	check("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");	/* surrogate */
	check("a\0b", 3, "a\xef\xbf\xbd" "b");
	check("\xf0\x9f\x92\xa5 boom", 9, "\xf0\x9f\x92\xa5 boom");
}

static void long_lines(void **state)
{
	char line[1000];

	(void)state;
	memset(line, 'x', sizeof(line));
	char *out = source_clean_line(line, sizeof(line));
	assert_int_equal(strlen(out), SOURCE_LINE_MAX + 3);
	assert_string_equal(out + SOURCE_LINE_MAX, "...");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8),
		cmocka_unit_test(long_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
