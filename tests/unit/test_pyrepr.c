/* Unit tests for the Python stage's readers: line tables, float.__repr__,
 * and repr() of objects laid out in a fake memory with the layout
 * python3.11-dev's headers give (runtime_python_*.c).  The expected
 * strings are what CPython 3.11 prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "inapp.h"
#include "runtime_python.h"

/* ---- line tables ------------------------------------------------------------------ */

/* def f(a):            # line 4
 *     x = a + 1
 *     if x:
 *         y = [x,
 *              2]
 *     return y
 * f.__code__.co_linetable in 3.11, and what co_lines() says of it. */
static const uint8_t table[] = {
	128, 0, 216, 8, 9, 136, 65, 137, 5, 128, 65, 216, 7, 8, 240, 0, 2, 5, 16, 216, 13, 14,
	216, 13, 14, 240, 3, 1, 13, 16, 136, 1, 224, 11, 12, 128, 72,
};

static void line_table(void **state)
{
	static const int want[][2] = {
		{ 0, 4 }, { 2, 5 }, { 4, 5 }, { 10, 5 }, { 12, 6 }, { 14, 6 }, { 16, 7 }, { 18, 8 },
		{ 20, 7 }, { 24, 9 }, { 26, 9 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(py_line_of(table, sizeof(table), 4, want[i][0]), want[i][1]);
	/* before its first instruction a frame is on its first line */
	assert_int_equal(py_line_of(table, sizeof(table), 4, -2), 4);
	/* past the table, or a truncated one: no line, never a guess */
	assert_int_equal(py_line_of(table, sizeof(table), 4, 100), -1);
	assert_int_equal(py_line_of(table, 3, 4, 12), -1);
	assert_int_equal(py_line_of(NULL, 0, 4, 0), -1);
}

/* ---- float.__repr__ --------------------------------------------------------------------- */

static void float_repr(void **state)
{
	static const struct { double v; const char *want; } cases[] = {
		{ 0.1, "0.1" }, { 1e22, "1e+22" }, { 1e-7, "1e-07" }, { 3.0, "3.0" },
		{ -0.0, "-0.0" }, { 1e16, "1e+16" }, { 1e15, "1000000000000000.0" },
		{ 123456789012345.6, "123456789012345.6" }, { 0.0001, "0.0001" },
		{ 0.00001, "1e-05" }, { 2.5, "2.5" }, { -1.5e-300, "-1.5e-300" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" }, { 5e-324, "5e-324" },
		{ 100.0, "100.0" }, { 1.0 / 3, "0.3333333333333333" }, { 0.5, "0.5" }, { 1.0, "1.0" },
	};
	char out[48];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		py_float_repr(cases[i].v, out, sizeof(out));
		assert_string_equal(out, cases[i].want);
	}
	py_float_repr(INFINITY, out, sizeof(out));
	assert_string_equal(out, "inf");
	py_float_repr(-INFINITY, out, sizeof(out));
	assert_string_equal(out, "-inf");
	py_float_repr(NAN, out, sizeof(out));
	assert_string_equal(out, "nan");
}

/* ---- objects in a fake memory ------------------------------------------------------------ */

#define BASE 0x100000u
#define SIZE 0x10000u

static unsigned char mem[SIZE];
static size_t used;
static struct py_ctx ctx;

static bool fake_read(void *arg, uint64_t addr, void *buf, size_t len)
{
	(void)arg;
	if (addr < BASE || addr + len > BASE + SIZE || addr + len < addr)
		return false;
	memcpy(buf, mem + (addr - BASE), len);
	return true;
}

static const struct rt_reader reader = { fake_read, NULL };

static uint64_t alloc(size_t len)
{
	uint64_t at = BASE + used;

	used += (len + 15) & ~(size_t)15;
	assert_true(used <= SIZE);
	return at;
}

static void put(uint64_t addr, const void *v, size_t len)
{
	memcpy(mem + (addr - BASE), v, len);
}

static void put64(uint64_t addr, uint64_t v)
{
	put(addr, &v, 8);
}

static uint64_t object(uint64_t type, size_t len)
{
	uint64_t o = alloc(len);

	put64(o + ctx.L->ob_type, type);
	return o;
}

/* A type whose repr is kind k (tp_repr = a fake function per kind). */
static uint64_t new_type(int kind, const char *name)
{
	uint64_t t = object(0, 512), n = alloc(strlen(name) + 1);

	put(n, name, strlen(name) + 1);
	put64(t + ctx.L->tp_name, n);
	put64(t + ctx.L->tp_repr, 0xf00 + (uint64_t)kind);
	ctx.repr_fn[kind] = 0xf00 + (uint64_t)kind;
	return t;
}

static uint64_t str_obj(const uint32_t *chars, size_t n, unsigned kind)
{
	bool ascii = kind == 1;
	for (size_t i = 0; i < n; i++)
		ascii &= chars[i] < 0x80;
	size_t head = ascii ? ctx.L->u_ascii_size : ctx.L->u_compact_size;
	uint64_t o = object(ctx.t.str, head + (n + 1) * kind);
	uint32_t state = kind << PY_STATE_KIND_SHIFT | 1u << PY_STATE_COMPACT_BIT |
			 (ascii ? 1u << PY_STATE_ASCII_BIT : 0);
	int64_t len = (int64_t)n;

	put(o + ctx.L->u_state, &state, 4);
	put(o + ctx.L->u_length, &len, 8);
	for (size_t i = 0; i < n; i++)
		put(o + head + i * kind, &chars[i], kind);	/* little-endian */
	return o;
}

static uint64_t ascii(const char *s)
{
	uint32_t chars[512];
	size_t n = strlen(s);

	assert_true(n <= 512);
	for (size_t i = 0; i < n; i++)
		chars[i] = (unsigned char)s[i];
	return str_obj(chars, n, 1);
}

static uint64_t int_obj(int64_t size, const uint32_t *digits)
{
	uint64_t o = object(ctx.t.int_, 64);

	put64(o + ctx.L->lo_size, (uint64_t)size);
	put(o + ctx.L->lo_digits, digits, (size_t)(size < 0 ? -size : size) * 4);
	return o;
}

static uint64_t small_int(uint32_t v)
{
	return int_obj(v ? 1 : 0, &v);
}

static uint64_t list_obj(const uint64_t *items, int64_t n)
{
	uint64_t o = object(ctx.t.list, 64), arr = alloc((size_t)n * 8 + 8);

	put64(o + ctx.L->ob_size, (uint64_t)n);
	put64(o + ctx.L->li_items, arr);
	put(arr, items, (size_t)n * 8);
	return o;
}

static uint64_t tuple_obj(const uint64_t *items, int64_t n)
{
	uint64_t o = object(ctx.t.tuple, ctx.L->tu_items + (size_t)n * 8);

	put64(o + ctx.L->ob_size, (uint64_t)n);
	put(o + ctx.L->tu_items, items, (size_t)n * 8);
	return o;
}

/* A combined dict of str keys (DICT_KEYS_UNICODE), 8 index bytes. */
static uint64_t dict_obj(const uint64_t *keys, const uint64_t *values, int64_t n)
{
	uint64_t d = object(ctx.t.dict, 64), k = alloc(ctx.L->dk_indices + 8 + (size_t)n * 24);
	uint8_t log2_bytes = 3, kind = 1;

	put(k + ctx.L->dk_log2_index_bytes, &log2_bytes, 1);
	put(k + ctx.L->dk_kind, &kind, 1);
	put64(k + ctx.L->dk_nentries, (uint64_t)n);
	for (int64_t i = 0; i < n; i++) {
		uint64_t e = k + ctx.L->dk_indices + 8 + (uint64_t)i * ctx.L->dku_size;
		put64(e + ctx.L->dku_key, keys[i]);
		put64(e + ctx.L->dku_value, values[i]);
	}
	put64(d + ctx.L->di_used, (uint64_t)n);
	put64(d + ctx.L->di_keys, k);
	put64(d + ctx.L->di_values, 0);
	return d;
}

static int setup(void **state)
{
	(void)state;
	if (!py_header_layouts[0])
		return -1;	/* no python3.11-dev at build time */
	memset(mem, 0, sizeof(mem));
	used = 0;
	memset(&ctx, 0, sizeof(ctx));
	ctx.rd = &reader;
	ctx.L = py_header_layouts[0];
	ctx.minor = py_minor(ctx.L->version);
	ctx.t.type = new_type(PYR_TYPE, "type");
	ctx.t.str = new_type(PYR_STR, "str");
	ctx.t.int_ = new_type(PYR_INT, "int");
	ctx.t.list = new_type(PYR_LIST, "list");
	ctx.t.tuple = new_type(PYR_TUPLE, "tuple");
	ctx.t.dict = new_type(PYR_DICT, "dict");
	ctx.t.bool_ = new_type(PYR_BOOL, "bool");
	ctx.t.none = alloc(16);
	ctx.t.true_ = object(ctx.t.bool_, 32);
	return 0;
}

static void expect(uint64_t obj, const char *want)
{
	char out[RT_VALUE_MAX * 4 + 8];

	py_repr(&ctx, obj, out, sizeof(out));
	assert_string_equal(out, want);
}

static void strings(void **state)
{
	static const uint32_t uni[] = { 0xa0, 0x200b, 0x1f600, 0xd800, 0xe9, 0x7f, 0 };

	(void)state;
	expect(ascii("a'b"), "\"a'b\"");
	expect(ascii("a\"b'c"), "'a\"b\\'c'");
	expect(ascii("tab\there\nback\\slash"), "'tab\\there\\nback\\\\slash'");
	expect(str_obj(uni, 7, 4), "'\\xa0\\u200b\xf0\x9f\x98\x80\\ud800\xc3\xa9\\x7f\\x00'");
	expect(ascii(""), "''");
}

static void integers(void **state)
{
	static const uint32_t two70[] = { 0, 0, 1u << 10 };	/* 2**70 */
	static const uint32_t two30[] = { 0, 1 };

	(void)state;
	expect(small_int(0), "0");
	expect(small_int(42), "42");
	expect(int_obj(-3, two70), "-1180591620717411303424");
	expect(int_obj(2, two30), "1073741824");
}

static void containers(void **state)
{
	(void)state;
	uint64_t one = small_int(1), two = small_int(2);
	uint64_t items[] = { one, ascii("x"), ctx.t.none, ctx.t.true_ };
	expect(list_obj(items, 4), "[1, 'x', None, True]");
	expect(tuple_obj(items, 1), "(1,)");
	expect(tuple_obj(items, 0), "()");
	uint64_t keys[] = { ascii("k"), ascii("v") }, values[] = { one, two };
	expect(dict_obj(keys, values, 2), "{'k': 1, 'v': 2}");
	/* a list that holds itself, as Python shows it */
	uint64_t self = list_obj(items, 1), arr = 0;
	assert_true(fake_read(NULL, self + ctx.L->li_items, &arr, 8));
	put64(arr, self);
	expect(self, "[[...]]");
}

static void cut_and_unreadable(void **state)
{
	char text[301];
	char want[RT_VALUE_MAX + 1];

	(void)state;
	memset(text, 'x', 300);
	text[300] = '\0';
	snprintf(want, sizeof(want), "'%.196s...", text);
	expect(ascii(text), want);
	/* a pointer to nowhere: the value stops there */
	uint64_t items[] = { small_int(7), 0xdead0000 };
	expect(list_obj(items, 2), "[7, ...");
}

/* ---- in_app by the Python SDK's rule --------------------------------------------------- */

static void python_in_app(void **state)
{
	(void)state;
	assert_false(inapp_python_file("/usr/lib/python3.11/ctypes/__init__.py"));
	assert_false(inapp_python_file("/root/.pyenv/versions/3.11.7/lib/python3.11/json/decoder.py"));
	assert_false(inapp_python_file("/usr/lib64/python3.13t/threading.py"));
	assert_false(inapp_python_file("/srv/venv/lib/python3.11/site-packages/requests/api.py"));
	assert_false(inapp_python_file("/usr/lib/python3/dist-packages/apt/package.py"));
	assert_false(inapp_python_file("<frozen importlib._bootstrap>"));
	assert_false(inapp_python_file(
		"/usr/lib/python3.11/lib-dynload/_ctypes.cpython-311-x86_64-linux-gnu.so"));
	assert_true(inapp_python_file("/srv/app/job.py"));
	assert_true(inapp_python_file("/srv/lib/python3.11-tools/job.py"));
	assert_true(inapp_python_file("/srv/python3.11/job.py"));
	assert_true(inapp_python_file("<string>"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(line_table),
		cmocka_unit_test(float_repr),
		cmocka_unit_test(python_in_app),
		cmocka_unit_test_setup(strings, setup),
		cmocka_unit_test_setup(integers, setup),
		cmocka_unit_test_setup(containers, setup),
		cmocka_unit_test_setup(cut_and_unreadable, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
