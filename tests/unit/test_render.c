/* Unit tests for daemon/render.c: gdb's way with chars, and bit-fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
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

static uint64_t bits_of(const unsigned char *buf, size_t len, unsigned shift, unsigned bits)
{
	uint64_t v = 0xdeadbeef;

	assert_true(render_bitfield(buf, len, shift, bits, &v));
	return v;
}

static void bitfields(void **state)
{
	unsigned char buf[9];

	(void)state;
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(bits_of(buf, 1, 0, 1), 1);
	assert_int_equal(bits_of(buf, 1, 5, 3), 7);
	assert_int_equal(bits_of(buf, 8, 0, 64), UINT64_MAX);
	/* 63 bits from bit 7 span 9 bytes: the ninth is read from buf, not
	 * from past an 8-byte word (packed structs, crafted DWARF) */
	memset(buf, 0, sizeof(buf));
	buf[8] = 0x20;			/* bit 69, the field's last */
	assert_int_equal(bits_of(buf, 9, 7, 63), 1ULL << 62);
	buf[0] = 0x80;			/* bit 7, its first */
	assert_int_equal(bits_of(buf, 9, 7, 63), (1ULL << 62) | 1);
	buf[0] = 0;
	buf[8] = 0x40;			/* bit 70: past the field */
	assert_int_equal(bits_of(buf, 9, 7, 63), 0);
	/* 64 bits from bit 1: the field's bit 63 is bit 0 of byte 8 */
	buf[8] = 0x01;
	assert_int_equal(bits_of(buf, 9, 1, 64), 1ULL << 63);
	/* a field that does not fit what was read, or makes no sense */
	uint64_t v;
	assert_false(render_bitfield(buf, 8, 7, 63, &v));
	assert_false(render_bitfield(buf, 9, 0, 0, &v));
	assert_false(render_bitfield(buf, 9, 0, 65, &v));
	assert_false(render_bitfield(buf, 9, 8, 1, &v));
}

/* The strings a filtered value held, as the report hides them elsewhere. */
struct found {
	char text[4][64];
	int n;
};

static void found_secret(void *arg, const char *text, size_t len)
{
	struct found *f = arg;

	if (f->n < 4)
		snprintf(f->text[f->n++], sizeof(f->text[0]), "%.*s", (int)len, text);
}

static void secrets_in_values(void **state)
{
	struct found f = { .n = 0 };
	struct render_ctx ctx = { .secret = found_secret, .arg = &f };

	(void)state;
	render_report_secrets(&ctx, "{user = \"ops\", pass = \"a\\\"b\", n = 3}");
	assert_int_equal(f.n, 2);
	assert_string_equal(f.text[0], "ops");
	assert_string_equal(f.text[1], "a\\\"b");	/* as quoted: as source writes it */
	f.n = 0;
	render_report_secrets(&ctx, "0x1234 \"unterminated");
	assert_int_equal(f.n, 0);
	ctx.secret = NULL;
	render_report_secrets(&ctx, "\"x\"");	/* nobody asked */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quoting),
		cmocka_unit_test(repeats),
		cmocka_unit_test(bitfields),
		cmocka_unit_test(secrets_in_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
