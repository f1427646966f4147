/*
 * utf8.h - making text valid UTF-8 (utf8.c).
 */
#ifndef BB_UTF8_H
#define BB_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1..4, not past left bytes),
 * 0 when it is not one: overlong forms and surrogates are invalid too. */
size_t utf8_seq_len(const unsigned char *s, size_t left);

/* Is all of s[0..len) valid UTF-8, without NUL bytes? */
bool utf8_is_valid(const char *s, size_t len);

/* Copy in[0..len) to out, every invalid byte (and NUL, if asked) as
 * U+FFFD, until out holds out_max bytes or more (out needs out_max + 3):
 * returns the bytes written, and in *consumed the input bytes used. */
size_t utf8_copy_valid(char *out, size_t out_max, const char *in, size_t len,
		bool nul_is_invalid, size_t *consumed);

/* in[0..len) with every invalid byte replaced by U+FFFD; malloc'd and
 * NUL-terminated, its length in *out_len; NULL when out of memory. */
char *utf8_valid_copy(const char *in, size_t len, size_t *out_len);

/* How utf8_escape shows a control character: C0 (U+0000..U+001F, TAB and
 * newline included), DEL and C1 (U+0080..U+009F). */
enum utf8_esc {
	UTF8_ESC_LINE,		/* one line of text: C0 and DEL as \x1b, C1 as
				 * \u009b, a byte that is not UTF-8 as \xff */
	UTF8_ESC_SOURCE,	/* a source line: the same, but a TAB becomes
				 * spaces up to the next multiple of 8 columns */
	UTF8_ESC_JSON,		/* JSON text: the same characters as JSON escapes
				 * (\u001b, \u007f, \u009b), a byte that is not
				 * UTF-8 as \ufffd; outside strings only newlines
				 * stay raw */
};

/* in[0..len) with every control character (and invalid byte) written as
 * escape text, so that it can go to a terminal: malloc'd, NUL-terminated,
 * its length in *out_len; NULL (errno ENOMEM) when out of memory. */
char *utf8_escape(const char *in, size_t len, enum utf8_esc mode, size_t *out_len);

#endif
