/*
 * utf8.c - making text valid UTF-8.  What a report carries comes from
 * places nobody checked: source files, strings in debug info (a corrupt
 * .debug_str gives bytes, not names), program arguments.  The ingest and a
 * before_send program read JSON, which must be UTF-8, so whatever is not
 * becomes U+FFFD, never a refused or dropped event.
 *
 * The same text reaches an administrator's terminal through booboo list
 * and show, where a control character is a command (ESC ] 0 ; retitles the
 * window, CSI 2 J clears it, a C1 CSI does as much on many terminals): there
 * it is shown as escape text instead (utf8_escape).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

size_t utf8_seq_len(const unsigned char *s, size_t left)
{
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong and surrogate forms are not valid UTF-8 either. */
	if (n == 3 && s[0] == 0xe0 && s[1] < 0xa0)
		return 0;
	if (n == 3 && s[0] == 0xed && s[1] >= 0xa0)
		return 0;
	if (n == 4 && s[0] == 0xf0 && s[1] < 0x90)
		return 0;
	if (n == 4 && s[0] == 0xf4 && s[1] >= 0x90)
		return 0;
	return n;
}

bool utf8_is_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0, n; i < len; i += n)
		if (u[i] == 0 || !(n = utf8_seq_len(u + i, len - i)))
			return false;
	return true;
}

size_t utf8_copy_valid(char *out, size_t out_max, const char *in, size_t len,
		bool nul_is_invalid, size_t *consumed)
{
	size_t o = 0, i = 0;

	while (i < len && o < out_max) {
		const unsigned char *s = (const unsigned char *)in + i;
		size_t n = utf8_seq_len(s, len - i);
		if (n == 0 || (nul_is_invalid && s[0] == 0)) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, s, n);
		o += n;
		i += n;
	}
	*consumed = i;
	return o;
}

char *utf8_valid_copy(const char *in, size_t len, size_t *out_len)
{
	/* Worst case every byte becomes U+FFFD, three bytes. */
	char *out = malloc(len * 3 + 1);
	size_t used;

	if (!out)
		return NULL;
	*out_len = utf8_copy_valid(out, len * 3, in, len, false, &used);
	out[*out_len] = '\0';
	return out;
}

/* ---- escape text for terminals ------------------------------------------ */

#define ESC_GROWTH 8	/* the most one input byte becomes: a TAB, 8 spaces */

struct esc {
	enum utf8_esc mode;
	char *out;
	size_t o;
	size_t col;		/* characters written: where the TAB stops are */
	bool in_string;		/* JSON: inside "..." */
	bool backslash;		/* JSON: the previous character was a \ in a string */
};

static bool is_control(unsigned cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

/* Only 1- and 2-byte sequences can be controls: longer ones are >= U+0800. */
static unsigned code_point(const unsigned char *s, size_t n)
{
	if (n == 2)
		return ((s[0] & 0x1fu) << 6) | (s[1] & 0x3fu);
	return n <= 1 ? s[0] : 0x800;
}

static void esc_put(struct esc *e, const char *s, size_t n)
{
	memcpy(e->out + e->o, s, n);
	e->o += n;
	e->col += n;
}

/* cp is a control character, or the byte of an invalid sequence. */
static void esc_control(struct esc *e, unsigned cp, bool invalid_byte)
{
	char buf[8];
	int n;

	if (e->mode == UTF8_ESC_JSON)
		n = snprintf(buf, sizeof(buf), "\\u%04x", invalid_byte ? 0xfffdu : cp);
	else if (cp >= 0x80 && !invalid_byte)
		n = snprintf(buf, sizeof(buf), "\\u%04x", cp);
	else
		n = snprintf(buf, sizeof(buf), "\\x%02x", cp);
	esc_put(e, buf, (size_t)n);
	e->backslash = false;
}

static void esc_tab(struct esc *e)
{
	size_t n = ESC_GROWTH - e->col % ESC_GROWTH;

	memset(e->out + e->o, ' ', n);
	e->o += n;
	e->col += n;
}

/* Where JSON strings begin and end, so that their raw newlines (invalid
 * JSON, and a line break on the screen) are escaped and the ones between
 * values are not. */
static void esc_track_json(struct esc *e, unsigned char c)
{
	if (!e->in_string)
		e->in_string = c == '"';
	else if (e->backslash)
		e->backslash = false;
	else if (c == '\\')
		e->backslash = true;
	else if (c == '"')
		e->in_string = false;
}

/* One character: n bytes at s, or 0 for a byte that is not UTF-8. */
static void esc_char(struct esc *e, const unsigned char *s, size_t n)
{
	unsigned cp = code_point(s, n);
	bool json = e->mode == UTF8_ESC_JSON;

	if (n == 0)
		esc_control(e, cp, true);
	else if (cp == '\t' && e->mode == UTF8_ESC_SOURCE)
		esc_tab(e);
	else if (is_control(cp) && !(json && cp == '\n' && !e->in_string))
		esc_control(e, cp, false);
	else {
		memcpy(e->out + e->o, s, n);
		e->o += n;
		e->col++;
		if (json)
			esc_track_json(e, s[0]);
	}
}

char *utf8_escape(const char *in, size_t len, enum utf8_esc mode, size_t *out_len)
{
	struct esc e = { .mode = mode };

	if (len > (SIZE_MAX - 1) / ESC_GROWTH) {
		errno = ENOMEM;
		return NULL;
	}
	e.out = malloc(len * ESC_GROWTH + 1);
	if (!e.out)
		return NULL;
	for (size_t i = 0; i < len;) {
		const unsigned char *s = (const unsigned char *)in + i;
		size_t n = utf8_seq_len(s, len - i);
		esc_char(&e, s, n);
		i += n ? n : 1;
	}
	e.out[e.o] = '\0';
	*out_len = e.o;
	return e.out;
}
