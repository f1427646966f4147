/* Unit tests for utf8.c: what is valid UTF-8 passes unchanged, anything
 * else becomes U+FFFD byte by byte, never a shorter or cut string; and for
 * a terminal, every control character becomes escape text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define FFFD "\xef\xbf\xbd"

static void check(const char *in, size_t len, const char *want)
{
	size_t n = 0;
	char *out = utf8_valid_copy(in, len, &n);

	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	free(out);
}

static void valid_text_is_unchanged(void **state)
{
	static const char *const texts[] = {
		"", "plain ascii {\"k\": 1}", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xa5",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		check(texts[i], strlen(texts[i]), texts[i]);
}

static void invalid_bytes_become_replacement_characters(void **state)
{
	(void)state;
	check("cr\xe9" "dit", 6, "cr" FFFD "dit");		/* Latin-1 */
	check("\xff\xfe", 2, FFFD FFFD);
	check("\xc3", 1, FFFD);					/* cut sequence at the end */
	check("\xe2\x82" "x", 3, FFFD FFFD "x");		/* cut sequence inside */
	check("\x80", 1, FFFD);					/* lone continuation */
}

static void overlong_and_surrogates_are_invalid(void **state)
{
	(void)state;
	check("\xc0\xaf", 2, FFFD FFFD);			/* overlong '/' */
	check("\xe0\x80\xaf", 3, FFFD FFFD FFFD);
	check("\xed\xa0\x80", 3, FFFD FFFD FFFD);		/* U+D800 */
	check("\xf4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD);	/* past U+10FFFF */
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xf4\x8f\xbf\xbf", 4), 4);
}

static void embedded_nul_is_kept_as_is(void **state)
{
	size_t n = 0;
	char *out = utf8_valid_copy("a\0b", 3, &n);

	(void)state;
	assert_int_equal(n, 3);
	assert_memory_equal(out, "a\0b", 3);
	free(out);
}

static void check_escape(const char *in, size_t len, enum utf8_esc mode, const char *want)
{
	size_t n = 99;
	char *out = utf8_escape(in, len, mode, &n);

	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	free(out);
}

static void line_escapes_every_control(void **state)
{
	(void)state;
	/* OSC (retitle, here ended by BEL) and CSI (clear the screen) */
	check_escape("a\x1b]0;pwned\x07" "b", 12, UTF8_ESC_LINE, "a\\x1b]0;pwned\\x07b");
	check_escape("\x1b[2J", 4, UTF8_ESC_LINE, "\\x1b[2J");
	check_escape("t\tn\nr\r", 6, UTF8_ESC_LINE, "t\\x09n\\x0ar\\x0d");
	check_escape("nul\0.", 5, UTF8_ESC_LINE, "nul\\x00.");
	check_escape("del\x7f", 4, UTF8_ESC_LINE, "del\\x7f");
	check_escape("\x01\x1f", 2, UTF8_ESC_LINE, "\\x01\\x1f");
	/* C1 as characters (U+0080, U+009B CSI, U+009F) */
	check_escape("\xc2\x80\xc2\x9b" "2J\xc2\x9f", 8, UTF8_ESC_LINE,
		     "\\u0080\\u009b2J\\u009f");
	/* bytes that are not UTF-8: a raw 0x9b is a CSI to an 8-bit terminal */
	check_escape("\x9b" "2J\xff", 4, UTF8_ESC_LINE, "\\x9b2J\\xff");
}

static void line_keeps_printable_text(void **state)
{
	static const char text[] = "caf\xc3\xa9 \xc2\xa0\xe2\x82\xac \xf0\x9f\x92\xa5 C:\\x ~";

	(void)state;
	check_escape(text, strlen(text), UTF8_ESC_LINE, text);	/* U+00A0 is past C1 */
	check_escape("", 0, UTF8_ESC_LINE, "");
}

static void source_lines_expand_tabs(void **state)
{
	(void)state;
	check_escape("\tif (x)", 7, UTF8_ESC_SOURCE, "        if (x)");
	check_escape("ab\tc\t\td", 7, UTF8_ESC_SOURCE, "ab      c               d");
	check_escape("\xc3\xa9\tx", 4, UTF8_ESC_SOURCE, "\xc3\xa9       x");	/* é is one column */
	check_escape("s = \"\x1b[2J\";", 11, UTF8_ESC_SOURCE, "s = \"\\x1b[2J\";");
}

static void json_escapes_inside_strings(void **state)
{
	static const char in[] = "{\"m\":\"a\x1b\x7f\xc2\x9b\x9b\n\\\"\t\",\n\"n\":1}\n";

	(void)state;
	check_escape(in, strlen(in), UTF8_ESC_JSON,
		     "{\"m\":\"a\\u001b\\u007f\\u009b\\ufffd\\u000a\\\"\\u0009\",\n\"n\":1}\n");
	/* already escaped text is left alone: \\ then " ends the string */
	check_escape("[\"\\\\\",\"x\"]", 10, UTF8_ESC_JSON, "[\"\\\\\",\"x\"]");
	/* outside strings a raw control is escaped too (never written by json-c) */
	check_escape("[1,\r2]", 6, UTF8_ESC_JSON, "[1,\\u000d2]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_text_is_unchanged),
		cmocka_unit_test(invalid_bytes_become_replacement_characters),
		cmocka_unit_test(overlong_and_surrogates_are_invalid),
		cmocka_unit_test(embedded_nul_is_kept_as_is),
		cmocka_unit_test(line_escapes_every_control),
		cmocka_unit_test(line_keeps_printable_text),
		cmocka_unit_test(source_lines_expand_tabs),
		cmocka_unit_test(json_escapes_inside_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
