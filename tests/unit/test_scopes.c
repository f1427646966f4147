/* Unit test for daemon/scopes.c: on boobood-worker's DWARF (gcc -O2,
 * inlined calls and all; BB_WORKER names it), scopes_at finds the scope dwarf_getscopes finds
 * and the same innermost function or inlined call, for addresses all
 * over every unit; the unit alone is no scope. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dwarf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "scopes.h"

#define PCS_PER_UNIT 400

static Dwarf_Off innermost_function(Dwarf_Die *s, int n)
{
	for (int i = 0; i < n; i++)
		if (dwarf_tag(&s[i]) == DW_TAG_subprogram || dwarf_tag(&s[i]) == DW_TAG_inlined_subroutine)
			return dwarf_dieoffset(&s[i]);
	return 0;
}

static void compare_at(Dwarf_Die *cu, Dwarf_Addr pc, unsigned *inlined)
{
	Dwarf_Die *want = NULL, *got = NULL;
	int nw = dwarf_getscopes(cu, pc, &want), ng = scopes_at(cu, pc, &got);

	if (nw <= 0) {
		assert_int_equal(ng, 0);
	} else {
		assert_true(ng > 0);
		assert_int_equal(dwarf_dieoffset(&got[0]), dwarf_dieoffset(&want[0]));
		assert_int_equal(dwarf_dieoffset(&got[ng - 1]), dwarf_dieoffset(cu));
		assert_int_equal(innermost_function(got, ng), innermost_function(want, nw));
		*inlined += dwarf_tag(&got[0]) == DW_TAG_inlined_subroutine;
	}
	free(want);
	free(got);
}

static void same_as_dwarf_getscopes(void **state)
{
	const char *path = getenv("BB_WORKER");
	int fd = open(path ? path : "/proc/self/exe", O_RDONLY);
	Dwarf *dw = dwarf_begin(fd, DWARF_C_READ);
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, *none;
	Dwarf_Half version;
	uint8_t type;
	unsigned units = 0, inlined = 0;

	(void)state;
	assert_non_null(dw);
	while (dwarf_get_units(dw, cu, &cu, &version, &type, &cudie, NULL) == 0) {
		Dwarf_Addr base, lo, hi;
		for (ptrdiff_t off = 0; (off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0;)
			for (Dwarf_Addr step = (hi - lo) / PCS_PER_UNIT + 1, pc = lo; pc < hi; pc += step)
				compare_at(&cudie, pc, &inlined);
		units++;
		assert_int_equal(scopes_at(&cudie, 0, &none), 0);
	}
	assert_true(units > 5);
	assert_true(inlined > 0);	/* an inlined call was among them */
	dwarf_end(dw);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_as_dwarf_getscopes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
