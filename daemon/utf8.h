/*
 * utf8.h - making text valid UTF-8 (utf8.c).
 */
#ifndef BB_UTF8_H
#define BB_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1..4, not past left bytes),
 * 0 when it is not one: overlong forms and surrogates are invalid too. */
size_t utf8_seq_len(const unsigned char *s, size_t left);

/* in[0..len) with every invalid byte replaced by U+FFFD; malloc'd and
 * NUL-terminated, its length in *out_len; NULL when out of memory. */
char *utf8_valid_copy(const char *in, size_t len, size_t *out_len);

#endif
