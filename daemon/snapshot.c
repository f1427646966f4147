/*
 * snapshot.c - bounded copies of a held process's memory.
 *
 * Reads go through the process's own /proc/PID/mem descriptor, one per
 * range: the kernel stops at an unmapped or guard page and returns what
 * came before it, so such a page costs a short read, never a fault.
 * Pointer-following is conservative: any aligned word that lands in a
 * readable mapping is a candidate, which over-copies a little and never
 * misses a string a local points to.  Each level follows only the words
 * the level before it copied, so a linked structure (a list, a map's
 * tree) costs a read per level, not a rescan of everything.
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
		int path_at = 0;
		if (sscanf(p, "%llx-%llx %7s %*s %*s %*s %n", &lo, &hi, perms, &path_at) == 3 &&
		    perms[0] == 'r' && !vvar && hi > lo) {
			if (s->n_ranges == cap) {
				cap = cap ? cap * 2 : 64;
				struct snapshot_range *r = realloc(s->ranges, cap * sizeof(*r));
				if (!r)
					return -1;
				s->ranges = r;
			}
			/* anonymous (no path) or [heap], and writable */
			const char *path = path_at > 0 && (size_t)path_at <= linelen ? p + path_at : "";
			bool anon = *path == '\n' || *path == '\0' || strncmp(path, "[heap]", 6) == 0;
			s->ranges[s->n_ranges++] = (struct snapshot_range){ lo, hi, perms[1] == 'w' && anon };
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
		unsigned char *data, size_t len, unsigned level)
{
	struct snapshot_region *r = realloc(s->regions, (s->n_regions + 1) * sizeof(*r));

	if (!r)
		return -1;
	s->regions = r;
	memmove(&r[at + 1], &r[at], (s->n_regions - at) * sizeof(*r));
	r[at] = (struct snapshot_region){ addr, data, len, level };
	s->n_regions++;
	s->bytes += len;
	return 0;
}

/* How far a copy from addr may go towards end: not into the next region
 * (regions never overlap), not past the budget.  *at: where its region
 * goes; *next: where the rest of [addr, end) resumes.  Returns addr when
 * addr is inside a region already. */
static uint64_t gap_end(const struct snapshot *s, uint64_t addr, uint64_t end, size_t *at,
		uint64_t *next)
{
	*at = region_after(s, addr);
	*next = end;
	if (*at < s->n_regions) {
		const struct snapshot_region *r = &s->regions[*at];
		if (r->addr <= addr) {		/* inside one: resume at its end */
			*next = r->addr + r->len;
			return addr;
		}
		if (r->addr < end)
			*next = end = r->addr;
	}
	if (end - addr > SNAPSHOT_MAX_BYTES - s->bytes)
		end = addr + (SNAPSHOT_MAX_BYTES - s->bytes);
	return end;
}

/* Copy the part of [addr, end) up to the next region copied already. */
static void copy_gap(struct snapshot *s, int memfd, uint64_t addr, uint64_t end, unsigned level,
		uint64_t *next)
{
	size_t at;

	end = gap_end(s, addr, end, &at, next);
	unsigned char *data = end > addr ? malloc(end - addr) : NULL;
	if (!data)
		return;
	/* One read: the kernel stops at the first page it cannot read and
	 * returns what came before it. */
	ssize_t n = pread(memfd, data, end - addr, (off_t)addr);
	s->reads++;
	size_t got = n > 0 ? (size_t)n : 0;
	if (got == 0 || insert_region(s, at, addr, data, got, level) != 0)
		free(data);
	if (got < end - addr)
		*next = UINT64_MAX;	/* unreadable from here on */
}

void snapshot_add(struct snapshot *s, uint64_t addr, const void *bytes, size_t len)
{
	const struct snapshot_range *m = range_of(s, addr);
	uint64_t end = addr + len, next;
	size_t at;

	if (!m || s->bytes >= SNAPSHOT_MAX_BYTES)
		return;
	if (end > m->hi || end < addr)
		end = m->hi;
	end = gap_end(s, addr, end, &at, &next);
	unsigned char *data = end > addr ? malloc(end - addr) : NULL;
	if (!data)
		return;
	memcpy(data, bytes, end - addr);
	if (insert_region(s, at, addr, data, end - addr, 0) != 0)
		free(data);
}

static bool snapshot_full(const struct snapshot *s)
{
	return s->bytes >= SNAPSHOT_MAX_BYTES || s->reads >= SNAPSHOT_MAX_READS;
}

static void copy_level(struct snapshot *s, int memfd, uint64_t addr, size_t len, unsigned level)
{
	const struct snapshot_range *m = range_of(s, addr);

	if (!m)
		return;
	/* Clip to the mapping; what was copied before stays as it was. */
	uint64_t end = addr + len;
	if (end > m->hi || end < addr)
		end = m->hi;
	for (int gaps = 0; addr < end && gaps < 8 && !snapshot_full(s); gaps++)
		copy_gap(s, memfd, addr, end, level, &addr);
}

void snapshot_copy(struct snapshot *s, int memfd, uint64_t addr, size_t len)
{
	copy_level(s, memfd, addr, len, 0);
}

/* The aligned words of the regions copied at `level` (all: ~0u). */
static uint64_t *words_of(const struct snapshot *s, unsigned level, size_t *n)
{
	size_t total = 0, k = 0;

	for (size_t i = 0; i < s->n_regions; i++)
		if (level == ~0u || s->regions[i].level == level)
			total += s->regions[i].len / 8;
	uint64_t *w = malloc((total ? total : 1) * sizeof(*w));
	if (!w) {
		*n = 0;
		return NULL;
	}
	for (size_t i = 0; i < s->n_regions; i++) {
		const struct snapshot_region *r = &s->regions[i];
		if (level != ~0u && r->level != level)
			continue;
		/* Aligned words only: that is how pointers are stored. */
		size_t skew = (8 - (r->addr & 7)) & 7;
		for (size_t off = skew; off + 8 <= r->len; off += 8)
			memcpy(&w[k++], r->data + off, 8);
	}
	*n = k;
	return w;
}

uint64_t *snapshot_words(const struct snapshot *s, size_t *n)
{
	return words_of(s, ~0u, n);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Copy around every candidate that points into a readable mapping. */
static void follow_once(struct snapshot *s, int memfd, uint64_t *cand, size_t n,
		uint64_t deadline_ms, unsigned level)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++) {
		const struct snapshot_range *m = cand[i] >= 4096 ? range_of(s, cand[i]) : NULL;
		if (m && (level <= 2 || m->heap))
			cand[kept++] = cand[i];
	}
	qsort(cand, kept, sizeof(*cand), cmp_u64);
	size_t targets = 0;
	for (size_t i = 0; i < kept && targets < SNAPSHOT_MAX_TARGETS; i++) {
		const struct snapshot_range *m = range_of(s, cand[i]);
		uint64_t back = m->heap ? SNAPSHOT_BACK : 0;
		uint64_t start = cand[i] - m->lo > back ? cand[i] - back : m->lo;
		uint64_t end = cand[i] + SNAPSHOT_CHUNK;
		/* Neighbouring targets become one read, small gaps included:
		 * a system call costs more than copying a few hundred bytes. */
		while (i + 1 < kept && cand[i + 1] <= end + SNAPSHOT_GAP) {
			end = cand[i + 1] + SNAPSHOT_CHUNK;
			i++;
		}
		if ((targets++ & 63) == 0 && bb_now_ms() >= deadline_ms)
			return;
		if (snapshot_full(s))
			return;
		copy_level(s, memfd, start, end - start, level);
	}
}

void snapshot_follow(struct snapshot *s, int memfd, const uint64_t *seeds,
		size_t n_seeds, uint64_t deadline_ms)
{
	uint64_t *cand = malloc((n_seeds ? n_seeds : 1) * sizeof(*cand));

	if (!cand)
		return;
	memcpy(cand, seeds, n_seeds * sizeof(*cand));
	follow_once(s, memfd, cand, n_seeds, deadline_ms, 1);
	free(cand);
	/* Deeper: the pointers inside what the level before copied. */
	for (unsigned level = 2; level <= SNAPSHOT_LEVELS && !snapshot_full(s) &&
	     bb_now_ms() < deadline_ms; level++) {
		size_t n = 0;
		uint64_t *words = words_of(s, level - 1, &n);
		if (words && n)
			follow_once(s, memfd, words, n, deadline_ms, level);
		free(words);
		if (!n)
			break;
	}
}
