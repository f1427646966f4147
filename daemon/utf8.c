/*
 * utf8.c - making text valid UTF-8.  What a report carries comes from
 * places nobody checked: source files, strings in debug info (a corrupt
 * .debug_str gives bytes, not names), program arguments.  The ingest and a
 * before_send program read JSON, which must be UTF-8, so whatever is not
 * becomes U+FFFD, never a refused or dropped event.
 */
#include <stdbool.h>
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
