/* Unit tests for utf8.c: what is valid UTF-8 passes unchanged, anything
 * else becomes U+FFFD byte by byte, never a shorter or cut string. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_text_is_unchanged),
		cmocka_unit_test(invalid_bytes_become_replacement_characters),
		cmocka_unit_test(overlong_and_surrogates_are_invalid),
		cmocka_unit_test(embedded_nul_is_kept_as_is),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
