/* Unit tests for daemon/source.c: line cleaning (valid UTF-8, bounded),
 * source_path_map (whole path components only), and the file cache
 * (bounded by bytes, least recently used out first). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source.h"

static void check(const char *in, size_t len, const char *want)
{
	char *out = source_clean_line(in, len);

	assert_string_equal(out, want);
	free(out);
}

static void utf8(void **state)
{
	(void)state;
	check("int x = 1;\n", 11, "int x = 1;");
	check("caf\xc3\xa9\r\n", 7, "caf\xc3\xa9");
	check("bad \xff byte", 10, "bad \xef\xbf\xbd byte");
	check("\xc3", 1, "\xef\xbf\xbd");			/* truncated sequence */
	check("\xe0\x80\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");	/* overlong */
	check("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");	/* surrogate */
	check("a\0b", 3, "a\xef\xbf\xbd" "b");
	check("\xf0\x9f\x92\xa5 boom", 9, "\xf0\x9f\x92\xa5 boom");
}

static void long_lines(void **state)
{
	char line[1000];

	(void)state;
	memset(line, 'x', sizeof(line));
	char *out = source_clean_line(line, sizeof(line));
	assert_int_equal(strlen(out), SOURCE_LINE_MAX + 3);
	assert_string_equal(out + SOURCE_LINE_MAX, "...");
	free(out);
}

static void check_map(const struct bb_config *cfg, const char *path, const char *want)
{
	char *out = source_map_path(cfg, path);

	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void path_map_matches_whole_components(void **state)
{
	struct bb_path_map maps[] = {
		{ "/build/shop", "/srv/src/shop" },
		{ "/ci/work/", "/home/dev/" },
		{ "/b/lib/", "/src/lib" },
	};
	struct bb_config cfg = { .path_maps = maps, .n_path_maps = 3 };

	(void)state;
	check_map(&cfg, "/build/shop/cart.c", "/srv/src/shop/cart.c");
	check_map(&cfg, "/build/shop", "/srv/src/shop");
	/* a longer directory name that starts the same is another directory */
	check_map(&cfg, "/build/shopping/x.c", "/build/shopping/x.c");
	check_map(&cfg, "/build/shop.old/x.c", "/build/shop.old/x.c");
	check_map(&cfg, "/build/sho/x.c", "/build/sho/x.c");
	/* FROM or TO ending in '/': one slash in the result */
	check_map(&cfg, "/ci/work/a/b.c", "/home/dev/a/b.c");
	check_map(&cfg, "/ci/workshop/b.c", "/ci/workshop/b.c");
	check_map(&cfg, "/b/lib/x.c", "/src/lib/x.c");
	check_map(&cfg, "/b/library/x.c", "/b/library/x.c");
	check_map(&cfg, "rel/x.c", "rel/x.c");
}

static void path_map_first_rule_wins(void **state)
{
	struct bb_path_map maps[] = {
		{ "/build/shop", "/one" },
		{ "/build", "/two" },
		{ "/", "/three/" },
	};
	struct bb_config cfg = { .path_maps = maps, .n_path_maps = 3 };

	(void)state;
	check_map(&cfg, "/build/shop/a.c", "/one/a.c");
	check_map(&cfg, "/build/shopping/a.c", "/two/shopping/a.c");
	check_map(&cfg, "/usr/include/stdio.h", "/three/usr/include/stdio.h");
}

/* ---- the cache --------------------------------------------------------------- */

#define LINES 1000	/* "a 0001\n" .. : 7 bytes a line */

static char dir[] = "/tmp/bb-test-source-XXXXXX";

/* What a file of n lines of 7 bytes costs the cache: data, NUL, and a
 * 32-bit offset for every line (and one after the last newline). */
static size_t cost(size_t n)
{
	return n * 7 + 1 + (n + 1) * 4;
}

/* dir/name: n lines "T NNNN" (T = tag), its mtime kept when it existed,
 * so that a rewrite of the same size looks unchanged to the cache. */
static void write_lines(const char *name, char tag, size_t n)
{
	char path[128];
	struct stat st;
	bool existed;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	existed = stat(path, &st) == 0;
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 1; i <= n; i++)
		fprintf(f, "%c %04zu\n", tag, i);
	assert_int_equal(fclose(f), 0);
	if (existed) {
		struct timespec times[2] = { st.st_atim, st.st_mtim };
		assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	}
}

/* source_enrich gives `name`:10 as `want`, with the lines before it. */
static void check_line_10(const char *name, const char *want)
{
	struct bb_config cfg = { 0 };
	struct symbolized sym = { .n_frames = 1 };
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	sym.frames = calloc(1, sizeof(*sym.frames));
	assert_non_null(sym.frames);
	sym.frames[0].filename = strdup(path);
	sym.frames[0].lineno = 10;
	source_enrich(&sym, &cfg);
	assert_non_null(sym.frames[0].context_line);
	assert_string_equal(sym.frames[0].context_line, want);
	assert_int_equal(sym.frames[0].n_pre, SOURCE_CONTEXT_LINES);
	symbolize_free(&sym);
}

static int make_files(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	write_lines("a.c", 'a', LINES);
	write_lines("b.c", 'b', LINES);
	write_lines("c.c", 'c', LINES);
	write_lines("big.c", 'g', 4 * LINES);
	return 0;
}

static int remove_files(void **state)
{
	static const char *const names[] = { "a.c", "b.c", "c.c", "big.c" };
	char path[128];

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	source_cache_set_budget(SOURCE_CACHE_BUDGET);
	return rmdir(dir);
}

static void cache_is_bounded_by_bytes(void **state)
{
	(void)state;
	source_cache_set_budget(cost(LINES) * 5 / 2);	/* two files fit, not three */
	assert_int_equal(source_cache_bytes(), 0);
	check_line_10("a.c", "a 0010");
	assert_int_equal(source_cache_bytes(), cost(LINES));
	check_line_10("b.c", "b 0010");
	assert_int_equal(source_cache_bytes(), 2 * cost(LINES));
	check_line_10("a.c", "a 0010");			/* a hit: a is now the newer */
	assert_int_equal(source_cache_bytes(), 2 * cost(LINES));
	check_line_10("c.c", "c 0010");			/* b, the oldest, makes room */
	assert_int_equal(source_cache_bytes(), 2 * cost(LINES));

	/* Which files are kept shows when they change behind the cache's back
	 * (same size, same mtime): a kept file still reads as before. */
	write_lines("a.c", 'A', LINES);
	write_lines("b.c", 'B', LINES);
	check_line_10("a.c", "a 0010");			/* kept */
	check_line_10("b.c", "B 0010");			/* evicted, read again */
	assert_true(source_cache_bytes() <= cost(LINES) * 5 / 2);
	source_cache_clear();
	assert_int_equal(source_cache_bytes(), 0);
	write_lines("a.c", 'a', LINES);
	write_lines("b.c", 'b', LINES);
}

static void file_bigger_than_the_cache_is_not_kept(void **state)
{
	(void)state;
	source_cache_set_budget(cost(LINES) * 5 / 2);
	check_line_10("a.c", "a 0010");
	check_line_10("big.c", "g 0010");		/* context all the same */
	assert_int_equal(source_cache_bytes(), cost(LINES));	/* a stays, big is gone */
	check_line_10("big.c", "g 0010");
	assert_int_equal(source_cache_bytes(), cost(LINES));
	write_lines("a.c", 'A', LINES);
	check_line_10("a.c", "a 0010");			/* never evicted for big.c */
	write_lines("a.c", 'a', LINES);
	source_cache_clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8),
		cmocka_unit_test(long_lines),
		cmocka_unit_test(path_map_matches_whole_components),
		cmocka_unit_test(path_map_first_rule_wins),
		cmocka_unit_test(cache_is_bounded_by_bytes),
		cmocka_unit_test(file_bigger_than_the_cache_is_not_kept),
	};
	return cmocka_run_group_tests(tests, make_files, remove_files);
}
