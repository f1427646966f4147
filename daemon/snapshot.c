/*
 * snapshot.c - bounded copies of a held process's memory.
 *
 * Reads go through the process's own /proc/PID/mem descriptor, one per
 * range: the kernel stops at an unmapped or guard page and returns what
 * came before it, so such a page costs a short read, never a fault.
 * Pointer-following is conservative: any aligned word that lands in a
 * readable mapping is a candidate, which over-copies a little and never
 * misses a string a local points to.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "snapshot.h"

int snapshot_init(struct snapshot *s, const char *maps)
{
	size_t cap = 0;

	memset(s, 0, sizeof(*s));
	for (const char *p = maps; p && *p;) {
		unsigned long long lo, hi;
		char perms[8];
		const char *eol = strchr(p, '\n');
		size_t linelen = eol ? (size_t)(eol - p) : strlen(p);
		/* [vvar] is not readable through /proc/PID/mem */
		bool vvar = memmem(p, linelen, "[vvar]", 6) != NULL;
		if (sscanf(p, "%llx-%llx %7s", &lo, &hi, perms) == 3 && perms[0] == 'r' &&
		    !vvar && hi > lo) {
			if (s->n_ranges == cap) {
				cap = cap ? cap * 2 : 64;
				struct snapshot_range *r = realloc(s->ranges, cap * sizeof(*r));
				if (!r)
					return -1;
				s->ranges = r;
			}
			s->ranges[s->n_ranges++] = (struct snapshot_range){ lo, hi };
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;	/* maps are in address order already */
}

void snapshot_free(struct snapshot *s)
{
	for (size_t i = 0; i < s->n_regions; i++)
		free(s->regions[i].data);
	free(s->regions);
	free(s->ranges);
	memset(s, 0, sizeof(*s));
}

static const struct snapshot_range *range_of(const struct snapshot *s, uint64_t addr)
{
	size_t lo = 0, hi = s->n_ranges;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (addr < s->ranges[mid].lo)
			hi = mid;
		else if (addr >= s->ranges[mid].hi)
			lo = mid + 1;
		else
			return &s->ranges[mid];
	}
	return NULL;
}

bool snapshot_mapped(const struct snapshot *s, uint64_t addr)
{
	return range_of(s, addr) != NULL;
}

/* Index of the first region whose end is above addr. */
static size_t region_after(const struct snapshot *s, uint64_t addr)
{
	size_t lo = 0, hi = s->n_regions;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->regions[mid].addr + s->regions[mid].len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool snapshot_read(const struct snapshot *s, uint64_t addr, void *buf, size_t len)
{
	size_t i = region_after(s, addr);

	if (i == s->n_regions)
		return false;
	const struct snapshot_region *r = &s->regions[i];
	if (addr < r->addr || len > r->len || addr - r->addr > r->len - len)
		return false;
	memcpy(buf, r->data + (addr - r->addr), len);
	return true;
}

static int insert_region(struct snapshot *s, size_t at, uint64_t addr,
		unsigned char *data, size_t len)
{
	struct snapshot_region *r = realloc(s->regions, (s->n_regions + 1) * sizeof(*r));

	if (!r)
		return -1;
	s->regions = r;
	memmove(&r[at + 1], &r[at], (s->n_regions - at) * sizeof(*r));
	r[at] = (struct snapshot_region){ addr, data, len };
	s->n_regions++;
	s->bytes += len;
	return 0;
}

/* How much of [addr, addr + len) may be copied: clipped to its mapping,
 * the budget and the next region (regions never overlap); 0 for none.
 * *at gets where the region goes. */
static size_t clip(const struct snapshot *s, uint64_t addr, size_t len, size_t *at)
{
	const struct snapshot_range *m = range_of(s, addr);

	if (!m || s->bytes >= SNAPSHOT_MAX_BYTES)
		return 0;
	uint64_t end = addr + len;
	if (end > m->hi || end < addr)
		end = m->hi;
	if (end - addr > SNAPSHOT_MAX_BYTES - s->bytes)
		end = addr + (SNAPSHOT_MAX_BYTES - s->bytes);
	*at = region_after(s, addr);
	if (*at < s->n_regions) {
		if (s->regions[*at].addr <= addr)
			return 0;	/* already copied */
		if (s->regions[*at].addr < end)
			end = s->regions[*at].addr;
	}
	return (size_t)(end - addr);
}

void snapshot_copy(struct snapshot *s, int memfd, uint64_t addr, size_t len)
{
	size_t at, n = clip(s, addr, len, &at);
	unsigned char *data = n ? malloc(n) : NULL;

	if (!data)
		return;
	/* One read: the kernel stops at the first page it cannot read and
	 * returns what came before it. */
	ssize_t got = pread(memfd, data, n, (off_t)addr);
	if (got <= 0 || insert_region(s, at, addr, data, (size_t)got) != 0)
		free(data);
}

void snapshot_add(struct snapshot *s, uint64_t addr, const void *bytes, size_t len)
{
	size_t at, n = clip(s, addr, len, &at);
	unsigned char *data = n ? malloc(n) : NULL;

	if (!data)
		return;
	memcpy(data, bytes, n);
	if (insert_region(s, at, addr, data, n) != 0)
		free(data);
}

uint64_t *snapshot_words(const struct snapshot *s, size_t *n)
{
	size_t total = 0, k = 0;

	for (size_t i = 0; i < s->n_regions; i++)
		total += s->regions[i].len / 8;
	uint64_t *w = malloc((total ? total : 1) * sizeof(*w));
	if (!w) {
		*n = 0;
		return NULL;
	}
	for (size_t i = 0; i < s->n_regions; i++) {
		const struct snapshot_region *r = &s->regions[i];
		/* Aligned words only: that is how pointers are stored. */
		size_t skew = (8 - (r->addr & 7)) & 7;
		for (size_t off = skew; off + 8 <= r->len; off += 8)
			memcpy(&w[k++], r->data + off, 8);
	}
	*n = k;
	return w;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void follow_once(struct snapshot *s, int memfd, uint64_t *cand, size_t n,
		uint64_t deadline_ms)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		if (cand[i] >= 4096 && range_of(s, cand[i]))
			cand[kept++] = cand[i];
	qsort(cand, kept, sizeof(*cand), cmp_u64);
	size_t targets = 0;
	for (size_t i = 0; i < kept && targets < SNAPSHOT_MAX_TARGETS; i++) {
		uint64_t start = cand[i], end = start + SNAPSHOT_CHUNK;
		/* Neighbouring targets become one read, small gaps included:
		 * a system call costs more than copying a few hundred bytes. */
		while (i + 1 < kept && cand[i + 1] <= end + SNAPSHOT_GAP) {
			end = cand[i + 1] + SNAPSHOT_CHUNK;
			i++;
		}
		if ((targets++ & 63) == 0 && bb_now_ms() >= deadline_ms)
			return;
		if (s->bytes >= SNAPSHOT_MAX_BYTES)
			return;
		snapshot_copy(s, memfd, start, end - start);
	}
}

void snapshot_follow(struct snapshot *s, int memfd, const uint64_t *seeds,
		size_t n_seeds, uint64_t deadline_ms)
{
	uint64_t *cand = malloc((n_seeds ? n_seeds : 1) * sizeof(*cand));
	size_t before = s->n_regions;

	if (!cand)
		return;
	memcpy(cand, seeds, n_seeds * sizeof(*cand));
	follow_once(s, memfd, cand, n_seeds, deadline_ms);
	free(cand);
	/* Second level: pointers inside what the first level copied. */
	size_t n = 0;
	uint64_t *words = NULL;
	if (s->n_regions > before)
		words = snapshot_words(s, &n);
	if (words)
		follow_once(s, memfd, words, n, deadline_ms);
	free(words);
}
