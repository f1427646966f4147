/* Unit tests for daemon/source.c: line cleaning (valid UTF-8, bounded) and
 * source_path_map (whole path components only). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8),
		cmocka_unit_test(long_lines),
		cmocka_unit_test(path_map_matches_whole_components),
		cmocka_unit_test(path_map_first_rule_wins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
