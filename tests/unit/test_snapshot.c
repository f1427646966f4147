/* Unit tests for daemon/snapshot.c: a copy of a process's memory through
 * its /proc/PID/mem descriptor (here our own), pointer by pointer, within
 * its limits: a wide object graph costs at most SNAPSHOT_MAX_READS reads,
 * and what the limit leaves out is the deepest, never the first level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "snapshot.h"

#define SPREAD 4096		/* apart enough that no two targets share a read */

static char *read_maps(void)
{
	static char buf[1 << 20];
	int fd = open("/proc/self/maps", O_RDONLY);
	ssize_t n, got = 0;

	assert_true(fd >= 0);
	while ((n = read(fd, buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return buf;
}

/* Blocks on the heap, each holding a marker and a pointer to one more
 * block (a second level). */
struct leaf {
	uint64_t marker;
	struct leaf *next;
	char pad[SPREAD];
};

static struct leaf **leaves_new(size_t n)
{
	struct leaf **leaf = calloc(n, sizeof(*leaf));

	assert_non_null(leaf);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(leaf[i] = calloc(1, sizeof(struct leaf)));
		leaf[i]->marker = 0x5eed0000 + i;
		assert_non_null(leaf[i]->next = calloc(1, sizeof(struct leaf)));
		leaf[i]->next->marker = 0xdeeb0000 + i;
	}
	return leaf;
}

static void leaves_free(struct leaf **leaf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(leaf[i]->next);
		free(leaf[i]);
	}
	free(leaf);
}

/* Follow n leaves as seeds (a stack's words); counts the leaves and their
 * next blocks that were copied. */
static void follow_leaves(size_t n, struct snapshot *s, size_t *leaves, size_t *deeper)
{
	struct leaf **leaf = leaves_new(n);
	uint64_t *seeds = calloc(n, sizeof(*seeds));
	int memfd = open("/proc/self/mem", O_RDONLY);

	assert_non_null(seeds);
	assert_true(memfd >= 0);
	for (size_t i = 0; i < n; i++)
		seeds[i] = (uintptr_t)leaf[i];
	assert_int_equal(snapshot_init(s, read_maps()), 0);
	snapshot_follow(s, memfd, seeds, n, bb_now_ms() + 60000);
	*leaves = *deeper = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t m;
		if (snapshot_read(s, (uintptr_t)&leaf[i]->marker, &m, sizeof(m))) {
			assert_int_equal(m, 0x5eed0000 + i);
			++*leaves;
		}
		if (snapshot_read(s, (uintptr_t)&leaf[i]->next->marker, &m, sizeof(m))) {
			assert_int_equal(m, 0xdeeb0000 + i);
			++*deeper;
		}
	}
	close(memfd);
	free(seeds);
	leaves_free(leaf, n);
}

static void a_graph_within_the_limit_is_copied_whole(void **state)
{
	(void)state;
	struct snapshot s;
	size_t leaves, deeper, n = SNAPSHOT_MAX_READS / 16;

	/* the copies hold more than the leaves (the allocator's words around
	 * them, ASan's redzones): more reads than 2n, fewer than the limit */
	follow_leaves(n, &s, &leaves, &deeper);
	assert_true(s.reads < SNAPSHOT_MAX_READS);
	assert_int_equal(leaves, n);
	assert_int_equal(deeper, n);
	snapshot_free(&s);
}

/* An interpreter's object graph: the reads stop at the limit, and the
 * first level (what the stack points to) is what they were spent on. */
static void a_wide_graph_costs_bounded_reads(void **state)
{
	(void)state;
	struct snapshot s;
	size_t leaves, deeper, n = 3 * SNAPSHOT_MAX_READS;

	follow_leaves(n, &s, &leaves, &deeper);
	assert_true(s.reads <= SNAPSHOT_MAX_READS);
	assert_true(leaves >= SNAPSHOT_MAX_READS / 2 && leaves <= SNAPSHOT_MAX_READS);
	assert_int_equal(deeper, 0);
	snapshot_free(&s);
}

static void a_small_graph_is_copied_whole(void **state)
{
	(void)state;
	struct leaf *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct snapshot s;
	int memfd = open("/proc/self/mem", O_RDONLY);
	uint64_t m = 0;

	assert_non_null(a);
	assert_non_null(b);
	a->marker = 0xaaaa;
	a->next = b;
	b->marker = 0xbbbb;
	assert_int_equal(snapshot_init(&s, read_maps()), 0);
	uint64_t seed = (uintptr_t)a;
	snapshot_follow(&s, memfd, &seed, 1, bb_now_ms() + 60000);
	assert_true(snapshot_read(&s, (uintptr_t)&a->marker, &m, sizeof(m)));
	assert_int_equal(m, 0xaaaa);
	assert_true(snapshot_read(&s, (uintptr_t)&b->marker, &m, sizeof(m)));
	assert_int_equal(m, 0xbbbb);
	assert_true(s.reads <= 4);
	snapshot_free(&s);
	free(a);
	free(b);
	close(memfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_small_graph_is_copied_whole),
		cmocka_unit_test(a_graph_within_the_limit_is_copied_whole),
		cmocka_unit_test(a_wide_graph_costs_bounded_reads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
