/*
 * snapshot.h - a copy of the parts of a dying process's memory that the
 * report will need after the process is gone: the crashing thread's stack,
 * and what the registers and the stack point to, and what that points to,
 * level by level (SNAPSHOT_LEVELS: the nodes of a std::map or a list),
 * within a byte and a time bound.
 * Local variables are then rendered from this copy, so the process is held
 * for a few milliseconds, not for as long as DWARF takes to read.
 */
#ifndef BB_SNAPSHOT_H
#define BB_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNAPSHOT_CHUNK 256		/* bytes copied at each pointer's target */
#define SNAPSHOT_BACK 256		/* and before a heap target: a hashbrown table's
					 * buckets lie below the pointer to its control bytes */
#define SNAPSHOT_LEVELS 12		/* pointers followed from the stack, at most;
					 * past the second, into the heap only */
#define SNAPSHOT_GAP 1024		/* targets closer than this share one read */
#define SNAPSHOT_MAX_BYTES (4u << 20)	/* whole copy */
#define SNAPSHOT_MAX_TARGETS 16384
/* Reads of the process's memory, at most: each costs a system call and
 * the page faults behind it (~8 us here), while the process is held.  A
 * program's containers need tens (the tests' C++ and Rust values: 60);
 * an interpreter's object graph would take thousands (CPython: 4 MiB in
 * 4,000 reads, 34 ms), for locals that only print addresses.  Levels are
 * read in order, so what the limit leaves out is the deepest. */
#define SNAPSHOT_MAX_READS 512

struct snapshot_region {
	uint64_t addr;
	unsigned char *data;
	size_t len;
	unsigned level;		/* 0: copied outright; n: through n pointers */
};

struct snapshot_range {		/* a readable mapping of the process */
	uint64_t lo, hi;
	bool heap;		/* writable and no file's: where containers keep nodes */
};

struct snapshot {
	struct snapshot_region *regions;	/* sorted, non-overlapping */
	size_t n_regions;
	size_t bytes;
	size_t reads;				/* of the process's memory */
	struct snapshot_range *ranges;		/* from maps, sorted */
	size_t n_ranges;
};

/* Parse the readable mappings out of /proc/PID/maps text. */
int snapshot_init(struct snapshot *s, const char *maps);
void snapshot_free(struct snapshot *s);

/* Copy [addr, addr+len) (clipped to its mapping, page by page). */
void snapshot_copy(struct snapshot *s, int memfd, uint64_t addr, size_t len);

/* The same from bytes already copied (a drop's stack). */
void snapshot_add(struct snapshot *s, uint64_t addr, const void *bytes, size_t len);

/* Copy SNAPSHOT_BACK bytes before and SNAPSHOT_CHUNK bytes at every value
 * in seeds[] that points into a readable mapping, then the same for every
 * pointer found in what that copied, SNAPSHOT_LEVELS deep.  Stops at the
 * size and read limits or when deadline_ms (CLOCK_MONOTONIC) passes. */
void snapshot_follow(struct snapshot *s, int memfd, const uint64_t *seeds,
		size_t n_seeds, uint64_t deadline_ms);

/* Every 8-byte word of all regions, as seeds (malloc'd). */
uint64_t *snapshot_words(const struct snapshot *s, size_t *n);

bool snapshot_read(const struct snapshot *s, uint64_t addr, void *buf, size_t len);
/* Is addr inside a readable mapping of the process? */
bool snapshot_mapped(const struct snapshot *s, uint64_t addr);

#endif
