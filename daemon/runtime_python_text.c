/*
 * runtime_python_text.c - str, bytes, int and float as repr() writes
 * them (Objects/unicodeobject.c unicode_repr, bytesobject.c
 * PyBytes_Repr, longobject.c, Python/pystrtod.c's 'r' format), from the
 * objects' memory.  A str's quotes depend on all its characters: up to
 * SCAN_MAX of them are looked at.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_python_text.h"
#include "utf8.h"

#include "runtime_python_printable.h"

#define SCAN_MAX (256 * 1024)	/* characters scanned for quotes */
#define CHUNK 512		/* characters read at once */
#define INT_DIGITS_MAX 1500	/* 30-bit digits of an int shown (~13,500 decimal) */

/* ---- output ---------------------------------------------------------------------- */

void py_out_init(struct py_out *o, char *buf, size_t cap)
{
	memset(o, 0, sizeof(*o));
	o->buf = buf;
	o->cap = cap;
	buf[0] = '\0';
}

static size_t encode(uint32_t ch, char *enc)
{
	if (ch < 0x80) {
		enc[0] = (char)ch;
		return 1;
	}
	if (ch < 0x800) {
		enc[0] = (char)(0xc0 | ch >> 6);
		enc[1] = (char)(0x80 | (ch & 0x3f));
		return 2;
	}
	if (ch < 0x10000) {
		enc[0] = (char)(0xe0 | ch >> 12);
		enc[1] = (char)(0x80 | ((ch >> 6) & 0x3f));
		enc[2] = (char)(0x80 | (ch & 0x3f));
		return 3;
	}
	enc[0] = (char)(0xf0 | ch >> 18);
	enc[1] = (char)(0x80 | ((ch >> 12) & 0x3f));
	enc[2] = (char)(0x80 | ((ch >> 6) & 0x3f));
	enc[3] = (char)(0x80 | (ch & 0x3f));
	return 4;
}

/* The code point of a valid n-byte UTF-8 sequence. */
static uint32_t decode(const unsigned char *s, size_t n)
{
	static const unsigned char lead_mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t ch = s[0] & lead_mask[n];

	for (size_t i = 1; i < n; i++)
		ch = ch << 6 | (s[i] & 0x3f);
	return ch;
}

void py_out_char(struct py_out *o, uint32_t ch)
{
	char enc[4];
	size_t n;

	if (o->full)
		return;
	n = encode(ch > 0x10ffff ? 0xfffd : ch, enc);
	if (o->len + n + 1 > o->cap) {
		o->full = o->cut = true;
		return;
	}
	memcpy(o->buf + o->len, enc, n);
	o->len += n;
	o->buf[o->len] = '\0';
	if (++o->chars > RT_VALUE_MAX)
		o->full = true;
}

/* UTF-8 text; what is not UTF-8 (a tp_name is the process's bytes) as U+FFFD */
void py_out_puts(struct py_out *o, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t left = strlen(text);

	while (left && !o->full) {
		size_t n = utf8_seq_len(s, left);
		py_out_char(o, n ? decode(s, n) : 0xfffd);
		s += n ? n : 1;
		left -= n ? n : 1;
	}
}

void py_out_cut(struct py_out *o)
{
	o->full = o->cut = true;
}

void py_out_finish(struct py_out *o)
{
	size_t at = 0, chars = 0;

	if (!o->cut && o->chars <= RT_VALUE_MAX)
		return;
	/* keep RT_VALUE_MAX - 3 characters at most, then "..." */
	while (at < o->len && chars < RT_VALUE_MAX - 3) {
		at++;
		while (at < o->len && ((unsigned char)o->buf[at] & 0xc0) == 0x80)
			at++;
		chars++;
	}
	if (at + 4 > o->cap)
		at = o->cap >= 4 ? o->cap - 4 : 0;
	memcpy(o->buf + at, "...", 4);
	o->len = at + 3;
}

/* ---- str ---------------------------------------------------------------------- */

struct text {
	uint64_t data;
	int64_t len;
	unsigned kind;		/* bytes per character: 1, 2 or 4 */
};

static bool str_text(const struct py_ctx *c, uint64_t obj, struct text *t)
{
	const struct py_layout *L = c->L;
	uint32_t state;

	if (!py_is(c, obj, c->t.str) || !py_read(c, obj + L->u_state, &state, 4) ||
	    !py_read(c, obj + L->u_length, &t->len, 8) || t->len < 0)
		return false;
	t->kind = (state >> PY_STATE_KIND_SHIFT) & 7;
	/* only compact strings keep their text inline; others are made by
	 * deprecated C APIs that 3.12 removed */
	if (!(state & (1u << PY_STATE_COMPACT_BIT)) || (t->kind != 1 && t->kind != 2 && t->kind != 4))
		return false;
	t->data = obj + ((state & (1u << PY_STATE_ASCII_BIT)) ? L->u_ascii_size : L->u_compact_size);
	return true;
}

/* Characters [at, at + n) of t into out; false when unreadable. */
static bool text_chars(const struct py_ctx *c, const struct text *t, int64_t at, size_t n,
		uint32_t *out)
{
	unsigned char raw[CHUNK * 4];

	if (n > CHUNK || !py_read(c, t->data + (uint64_t)at * t->kind, raw, n * t->kind))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (t->kind == 1)
			out[i] = raw[i];
		else if (t->kind == 2)
			out[i] = (uint32_t)raw[2 * i] | (uint32_t)raw[2 * i + 1] << 8;
		else
			memcpy(&out[i], raw + 4 * i, 4);
	}
	return true;
}

bool py_str(const struct py_ctx *c, uint64_t obj, char *out, size_t outlen)
{
	struct text t;
	uint32_t chars[CHUNK];
	size_t len = 0;

	if (!outlen || !str_text(c, obj, &t))
		return false;
	for (int64_t at = 0; at < t.len;) {
		size_t n = (size_t)(t.len - at < CHUNK ? t.len - at : CHUNK);
		if (!text_chars(c, &t, at, n, chars))
			return false;
		for (size_t i = 0; i < n; i++) {
			uint32_t ch = chars[i] >= 0xd800 && chars[i] <= 0xdfff ? 0xfffd : chars[i];
			char enc[4];
			size_t k = encode(ch, enc);
			if (len + k + 1 > outlen)
				goto done;
			memcpy(out + len, enc, k);
			len += k;
		}
		at += (int64_t)n;
	}
done:
	out[len] = '\0';
	return true;
}

bool py_printable(uint32_t ch)
{
	size_t lo = 0, hi = sizeof(py_non_printable) / sizeof(py_non_printable[0]);

	if (ch < 0x80)
		return ch >= 0x20 && ch < 0x7f;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ch < py_non_printable[mid][0])
			hi = mid;
		else if (ch > py_non_printable[mid][1])
			lo = mid + 1;
		else
			return false;
	}
	return true;
}

/* The quote repr() picks: ' unless the text has ' and no ". */
static char choose_quote(const struct py_ctx *c, const struct text *t)
{
	uint32_t chars[CHUNK];
	bool squote = false, dquote = false;

	for (int64_t at = 0; at < t->len && at < SCAN_MAX;) {
		size_t n = (size_t)(t->len - at < CHUNK ? t->len - at : CHUNK);
		if (!text_chars(c, t, at, n, chars))
			break;
		for (size_t i = 0; i < n; i++) {
			squote |= chars[i] == '\'';
			dquote |= chars[i] == '"';
		}
		at += (int64_t)n;
	}
	return squote && !dquote ? '"' : '\'';
}

static void put_hex(struct py_out *o, const char *prefix, uint32_t v, int digits)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%s%0*x", prefix, digits, v);
	py_out_puts(o, buf);
}

/* One character of a str or bytes literal, escaped as repr() escapes it. */
static void put_escaped(struct py_out *o, uint32_t ch, char quote, bool bytes)
{
	if (ch == (uint32_t)quote || ch == '\\') {
		py_out_char(o, '\\');
		py_out_char(o, ch);
	} else if (ch == '\t') {
		py_out_puts(o, "\\t");
	} else if (ch == '\n') {
		py_out_puts(o, "\\n");
	} else if (ch == '\r') {
		py_out_puts(o, "\\r");
	} else if (ch < ' ' || ch == 0x7f || (bytes && ch >= 0x80)) {
		put_hex(o, "\\x", ch, 2);
	} else if (ch < 0x7f || py_printable(ch)) {
		py_out_char(o, ch);
	} else if (ch <= 0xff) {
		put_hex(o, "\\x", ch, 2);
	} else if (ch <= 0xffff) {
		put_hex(o, "\\u", ch, 4);
	} else {
		put_hex(o, "\\U", ch, 8);
	}
}

void py_render_str(const struct py_ctx *c, struct py_out *o, uint64_t obj)
{
	struct text t;
	uint32_t chars[CHUNK];

	if (!str_text(c, obj, &t)) {
		py_out_cut(o);
		return;
	}
	char quote = choose_quote(c, &t);
	py_out_char(o, (uint32_t)quote);
	for (int64_t at = 0; at < t.len && !o->full;) {
		size_t n = (size_t)(t.len - at < CHUNK ? t.len - at : CHUNK);
		if (!text_chars(c, &t, at, n, chars)) {
			py_out_cut(o);
			return;
		}
		for (size_t i = 0; i < n && !o->full; i++)
			put_escaped(o, chars[i], quote, false);
		at += (int64_t)n;
	}
	py_out_char(o, (uint32_t)quote);
}

/* ---- bytes --------------------------------------------------------------------- */

void py_render_bytes(const struct py_ctx *c, struct py_out *o, uint64_t obj)
{
	unsigned char buf[CHUNK];
	int64_t len;
	bool squote = false, dquote = false;
	uint64_t data = obj + c->L->by_sval;

	if (!py_read(c, obj + c->L->ob_size, &len, 8) || len < 0) {
		py_out_cut(o);
		return;
	}
	for (int64_t at = 0; at < len && at < SCAN_MAX; at += CHUNK) {
		size_t n = (size_t)(len - at < CHUNK ? len - at : CHUNK);
		if (!py_read(c, data + (uint64_t)at, buf, n))
			break;
		squote |= memchr(buf, '\'', n) != NULL;
		dquote |= memchr(buf, '"', n) != NULL;
	}
	char quote = squote && !dquote ? '"' : '\'';
	py_out_char(o, 'b');
	py_out_char(o, (uint32_t)quote);
	for (int64_t at = 0; at < len && !o->full; at += CHUNK) {
		size_t n = (size_t)(len - at < CHUNK ? len - at : CHUNK);
		if (!py_read(c, data + (uint64_t)at, buf, n)) {
			py_out_cut(o);
			return;
		}
		for (size_t i = 0; i < n && !o->full; i++)
			put_escaped(o, buf[i], quote, true);
	}
	py_out_char(o, (uint32_t)quote);
}

/* ---- int ---------------------------------------------------------------------- */

/* The sign and number of 30-bit digits: 3.11 keeps them in ob_size,
 * 3.12 on in lv_tag (bits 0-1: 0 positive, 1 zero, 2 negative; the
 * count from bit 3). */
static bool int_shape(const struct py_ctx *c, uint64_t obj, bool *negative, size_t *ndigits)
{
	uint64_t tag;

	if (!py_word(c, obj + c->L->lo_size, &tag))
		return false;
	if (c->minor <= 11) {
		int64_t size = (int64_t)tag;
		*negative = size < 0;
		*ndigits = (size_t)(size < 0 ? -(uint64_t)size : (uint64_t)size);
	} else {
		*negative = (tag & 3) == 2;
		*ndigits = (tag & 3) == 1 ? 0 : (size_t)(tag >> 3);
	}
	return *ndigits <= INT_DIGITS_MAX;
}

/* Base 2^30 digits (least significant first) to decimal, in place. */
static void int_decimal(uint32_t *d, size_t n, struct py_out *o, bool negative)
{
	char dec[INT_DIGITS_MAX * 10 + 2];
	size_t at = sizeof(dec) - 1;

	dec[at] = '\0';
	while (n > 0 && d[n - 1] == 0)
		n--;
	do {	/* divide by 10^9, keep the remainder's 9 digits */
		uint64_t rem = 0;
		for (size_t i = n; i-- > 0;) {
			uint64_t cur = rem << 30 | d[i];
			d[i] = (uint32_t)(cur / 1000000000u);
			rem = cur % 1000000000u;
		}
		while (n > 0 && d[n - 1] == 0)
			n--;
		for (int k = 0; k < 9 && at > 0; k++) {
			dec[--at] = (char)('0' + rem % 10);
			rem /= 10;
			if (n == 0 && rem == 0)
				break;
		}
	} while (n > 0 && at > 9);
	if (negative)
		py_out_char(o, '-');
	py_out_puts(o, dec + at);
}

void py_render_int(const struct py_ctx *c, struct py_out *o, uint64_t obj)
{
	uint32_t digits[INT_DIGITS_MAX];
	bool negative;
	size_t n;

	if (!int_shape(c, obj, &negative, &n) ||
	    (n && !py_read(c, obj + c->L->lo_digits, digits, n * 4))) {
		py_out_cut(o);
		return;
	}
	for (size_t i = 0; i < n; i++)
		digits[i] &= (1u << 30) - 1;
	if (n == 0) {
		py_out_char(o, '0');
		return;
	}
	int_decimal(digits, n, o, negative);
}

/* ---- float ---------------------------------------------------------------------- */

/* float.__repr__ (format 'r'): the shortest digits that read back as v,
 * in exponent form when the decimal point would be 4 or more places left
 * of them, or more than 16 right. */
void py_float_repr(double v, char *out, size_t outlen)
{
	char buf[40], digits[24];
	int exp = 0, nd = 0;

	if (isnan(v) || isinf(v)) {
		snprintf(out, outlen, "%s", isnan(v) ? "nan" : v < 0 ? "-inf" : "inf");
		return;
	}
	if (v == 0) {
		snprintf(out, outlen, "%s", signbit(v) ? "-0.0" : "0.0");
		return;
	}
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	/* buf: [-]d[.ddd]e±XX */
	const char *s = buf + (buf[0] == '-');
	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9')
			digits[nd++] = *s;
	exp = atoi(s + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	int decpt = exp + 1;
	const char *sign = v < 0 ? "-" : "";
	static const char zeros[] = "0000000000000000";	/* decpt is -3..16 here */
	if (decpt <= -4 || decpt > 16)
		snprintf(out, outlen, "%s%c%s%se%c%02d", sign, digits[0], nd > 1 ? "." : "",
			 digits + 1, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	else if (decpt <= 0)
		snprintf(out, outlen, "%s0.%.*s%s", sign, -decpt, zeros, digits);
	else if (decpt >= nd)
		snprintf(out, outlen, "%s%s%.*s.0", sign, digits, decpt - nd, zeros);
	else
		snprintf(out, outlen, "%s%.*s.%s", sign, decpt, digits, digits + decpt);
}

void py_render_float(const struct py_ctx *c, struct py_out *o, uint64_t obj)
{
	double v;
	char buf[48];

	if (!py_read(c, obj + c->L->fl_fval, &v, sizeof(v))) {
		py_out_cut(o);
		return;
	}
	py_float_repr(v, buf, sizeof(buf));
	py_out_puts(o, buf);
}
