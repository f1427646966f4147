/*
 * rust_payload.c - a Rust panic's payload, from memory alone (see
 * rust_payload.h).
 *
 * panic_unwind's exception is { _Unwind_Exception, [canary,] Box<dyn Any +
 * Send> }, the header as Rust declares it: 64 bytes in rustc 1.63 (six
 * private words on x86-64), 32 since; the canary, a pointer, came between
 * them.  So the box (data, vtable) is at 64 in 1.63, at 40 in 1.95, and
 * at 72 or 32 in the releases between, whichever holds a vtable.  A
 * vtable starts [drop, size, align]; which type the box holds is std's
 * type id, code we may not run, so the size says it: 16 is a &str (ptr,
 * len), 24 a String (a pointer, a capacity and a length, the capacity
 * first in later rustc).  Each guess
 * is checked against memory: a vtable whose align is no power of two, a
 * pointer that cannot be read, a length over the capacity, and the guess
 * is dropped.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "record.h"
#include "rust_payload.h"

#define TEXT_MAX (BB_MESSAGE_MAX - 1)
#define STR_LEN_MAX (1u << 30)

static bool read_words(int memfd, uint64_t addr, uint64_t *w, size_t n)
{
	return addr && pread(memfd, w, n * sizeof(*w), (off_t)addr) == (ssize_t)(n * sizeof(*w));
}

/* len bytes at ptr, cut at TEXT_MAX. */
static char *read_str(int memfd, uint64_t ptr, uint64_t len)
{
	size_t n = len < TEXT_MAX ? (size_t)len : TEXT_MAX;
	char *s;

	if (len > STR_LEN_MAX || !ptr || !(s = malloc(n + 1)))
		return NULL;
	if (n && pread(memfd, s, n, (off_t)ptr) != (ssize_t)n) {
		free(s);
		return NULL;
	}
	s[n] = '\0';
	return s;
}

/* A String: the pointer is the word that can be read, the length is no
 * more than the capacity. */
static char *read_string(int memfd, const uint64_t w[3])
{
	char *s = w[2] <= w[1] ? read_str(memfd, w[0], w[2]) : NULL;

	return s ? s : w[2] <= w[0] ? read_str(memfd, w[1], w[2]) : NULL;
}

/* The box at exc + off, if its vtable looks like one: its data and the
 * size of what it holds. */
static bool box_at(int memfd, uint64_t exc, uint64_t off, uint64_t *data, uint64_t *size)
{
	uint64_t fat[2], vt[3];

	if (!read_words(memfd, exc + off, fat, 2) || !read_words(memfd, fat[1], vt, 3))
		return false;
	if (vt[2] == 0 || vt[2] > 16 || (vt[2] & (vt[2] - 1)) || vt[1] > 4096 || vt[1] % vt[2])
		return false;
	*data = fat[0];
	*size = vt[1];
	return true;
}

char *rust_payload_read(int memfd, uint64_t exc)
{
	static const uint64_t offsets[] = { 40, 72, 64, 32 };
	uint64_t data, size, w[3];

	for (size_t i = 0; exc && i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		char *s = NULL;
		if (!box_at(memfd, exc, offsets[i], &data, &size))
			continue;
		if (size == 16 && read_words(memfd, data, w, 2))
			s = read_str(memfd, w[0], w[1]);
		else if (size == 24 && read_words(memfd, data, w, 3))
			s = read_string(memfd, w);
		if (s)
			return s;
	}
	return NULL;
}
