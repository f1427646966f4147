/*
 * addrsort.h - sorting addresses in time linear in their number.
 *
 * The indexes a report may build on first use (a module's symbols, its
 * units' address ranges) hold up to hundreds of thousands of addresses;
 * glibc's qsort took 4.6 ms for 14,000 of them on the development machine
 * (a merge sort copying each element through memcpy and a comparison
 * through a function pointer), a radix sort on the bytes where the
 * addresses differ a fraction of it.
 */
#ifndef BB_ADDRSORT_H
#define BB_ADDRSORT_H

#include <stddef.h>
#include <stdint.h>

struct addr_key {
	uint64_t addr;
	uint64_t item;		/* what the caller sorts: an index of its own */
};

/* keys sorted by address, those with equal addresses in their order
 * before (stable); tmp: scratch room for n keys. */
void addr_sort(struct addr_key *keys, struct addr_key *tmp, size_t n);

/* The number of keys at or below addr in sorted keys: the last such key
 * is keys[result - 1]. */
size_t addr_upper(const struct addr_key *keys, size_t n, uint64_t addr);

#endif
