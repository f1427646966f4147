/* symcache: bounded by the bytes of the files it holds, and never dropping
 * a module a report still uses (its frames point into it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "symcache.h"

static const char *const files[] = {
	"/usr/lib/x86_64-linux-gnu/libz.so.1",
	"/usr/lib/x86_64-linux-gnu/libm.so.6",
	"/usr/lib/x86_64-linux-gnu/libdw.so.1",
};
#define N_FILES (sizeof(files) / sizeof(files[0]))

static size_t size_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (size_t)st.st_size;
}

static Dwfl_Module *load(const char *path)
{
	Dwarf_Addr bias;
	Dwfl_Module *mod = symcache_module(path, -1, &bias);

	assert_non_null(mod);
	return mod;
}

/* Within a report, every module stays, whatever the budget says. */
static void a_report_keeps_its_modules(void **state)
{
	Dwfl_Module *mods[N_FILES];

	(void)state;
	symcache_clear();
	symcache_set_budget(1);	/* smaller than any file */
	symcache_job_begin();
	for (size_t i = 0; i < N_FILES; i++)
		mods[i] = load(files[i]);
	for (size_t i = 0; i < N_FILES; i++)
		assert_ptr_equal(load(files[i]), mods[i]);	/* the same, not reloaded */
	assert_true(symcache_bytes() >= size_of(files[0]) + size_of(files[1]));
	symcache_job_end();
	assert_int_equal(symcache_bytes(), 0);	/* all over budget: gone after */
	symcache_set_budget(SYMCACHE_BUDGET);
	symcache_clear();
}

/* Between reports, the least recently used go first. */
static void the_budget_keeps_the_newest(void **state)
{
	(void)state;
	symcache_clear();
	symcache_set_budget(SYMCACHE_BUDGET);
	for (size_t i = 0; i < N_FILES; i++) {
		symcache_job_begin();
		load(files[i]);
		symcache_job_end();
	}
	size_t all = symcache_bytes(), newest = 0;
	assert_true(all >= size_of(files[0]) + size_of(files[1]) + size_of(files[2]));
	symcache_job_begin();
	newest = symcache_bytes();
	load(files[N_FILES - 1]);	/* used again: the most recent */
	symcache_job_end();
	assert_int_equal(symcache_bytes(), newest);
	/* a budget for about the last file only: the first two go */
	symcache_set_budget(all - size_of(files[0]) - size_of(files[1]) + 1);
	assert_true(symcache_bytes() < all - size_of(files[0]));
	symcache_job_begin();
	size_t before = symcache_bytes();
	load(files[N_FILES - 1]);	/* still there: no load, same bytes */
	assert_int_equal(symcache_bytes(), before);
	symcache_job_end();
	symcache_set_budget(SYMCACHE_BUDGET);
	symcache_clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_report_keeps_its_modules),
		cmocka_unit_test(the_budget_keeps_the_newest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
