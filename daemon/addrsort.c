/*
 * addrsort.c - a least-significant-byte-first radix sort of addresses
 * (see addrsort.h): one counting pass per byte in which the addresses
 * differ (three or four for the addresses of one module), each stable.
 */
#include <string.h>

#include "addrsort.h"

static void by_byte(const struct addr_key *from, struct addr_key *to, size_t n, unsigned shift)
{
	size_t count[257] = { 0 };

	for (size_t i = 0; i < n; i++)
		count[((from[i].addr >> shift) & 0xff) + 1]++;
	for (size_t b = 1; b < 257; b++)
		count[b] += count[b - 1];
	for (size_t i = 0; i < n; i++)
		to[count[(from[i].addr >> shift) & 0xff]++] = from[i];
}

void addr_sort(struct addr_key *keys, struct addr_key *tmp, size_t n)
{
	uint64_t differ = 0;
	struct addr_key *from = keys, *to = tmp;

	for (size_t i = 1; i < n; i++)
		differ |= keys[i].addr ^ keys[0].addr;
	for (unsigned shift = 0; shift < 64; shift += 8) {
		if (!((differ >> shift) & 0xff))
			continue;	/* every key has the same byte here */
		by_byte(from, to, n, shift);
		struct addr_key *t = from;
		from = to;
		to = t;
	}
	if (from != keys)
		memcpy(keys, from, n * sizeof(*keys));
}

size_t addr_upper(const struct addr_key *keys, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (keys[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
