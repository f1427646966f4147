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

/* Copy in[0..len) to out, every invalid byte (and NUL, if asked) as
 * U+FFFD, until out holds out_max bytes or more (out needs out_max + 3):
 * returns the bytes written, and in *consumed the input bytes used. */
size_t utf8_copy_valid(char *out, size_t out_max, const char *in, size_t len,
		bool nul_is_invalid, size_t *consumed);

/* in[0..len) with every invalid byte replaced by U+FFFD; malloc'd and
 * NUL-terminated, its length in *out_len; NULL when out of memory. */
char *utf8_valid_copy(const char *in, size_t len, size_t *out_len);

#endif
