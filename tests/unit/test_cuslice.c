/* cuslice: for every function of a program, the unit a view gives is the
 * one dwfl_module_addrdie gives, with the same DIEs at the same places
 * (offsets shifted by the unit's), the same scopes at the address and the
 * same line; and an address no unit holds is no unit's.  The program is
 * the worker beside this test (a unit per source file), or each file
 * named in BOOBOO_CUSLICE_FILES (colon-separated: test_unit_views.py;
 * units that refer outside themselves are left to libdwfl, which is
 * counted, not failed, and scopes are compared at every 16th address). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cuslice.h"

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

struct program {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	struct cuslice_file *units;
	size_t found, asked;	/* answers from a view, and left to libdwfl */
	size_t scope_every;	/* scopes compared at every nth answer (they walk the unit) */
};

static void open_program(const char *path, size_t scope_every, struct program *p)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	GElf_Addr bias;

	assert_true(fd >= 0 && fstat(fd, &st) == 0);
	p->dwfl = dwfl_begin(&callbacks);
	dwfl_report_begin(p->dwfl);
	p->mod = dwfl_report_elf(p->dwfl, "m", path, dup(fd), 0, false);
	dwfl_report_end(p->dwfl, NULL, NULL);
	assert_non_null(p->mod);
	assert_non_null(dwfl_module_getelf(p->mod, &bias));
	p->units = cuslice_open(fd, (size_t)st.st_size);
	close(fd);
	p->found = p->asked = 0;
	p->scope_every = scope_every;
}

static void close_program(struct program *p)
{
	cuslice_close(p->units);
	dwfl_end(p->dwfl);
}

/* The same scopes, DIE by DIE: tag, name, and offset but for the unit's. */
static void same_scopes(struct program *p, Dwarf_Die *full, Dwarf_Die *view, Dwarf_Addr pc)
{
	Dwarf_Die *a = NULL, *b = NULL;
	int na = dwarf_getscopes(full, pc, &a), nb = dwarf_getscopes(view, pc, &b);
	Dwarf_Off unit = cuslice_unit_offset(p->units, view);

	assert_int_equal(na, nb);
	for (int i = 0; i < na; i++) {
		assert_int_equal(dwarf_tag(&a[i]), dwarf_tag(&b[i]));
		const char *x = dwarf_diename(&a[i]), *y = dwarf_diename(&b[i]);
		assert_true((!x && !y) || (x && y && strcmp(x, y) == 0));
		/* scopes may lead into an abstract origin: the same unit */
		assert_int_equal(dwarf_dieoffset(&a[i]), dwarf_dieoffset(&b[i]) + unit);
	}
	free(a);
	free(b);
	Dwarf_Line *la = dwarf_getsrc_die(full, pc), *lb = dwarf_getsrc_die(view, pc);
	int lna = 0, lnb = 0;
	assert_true((la == NULL) == (lb == NULL));
	if (la) {
		dwarf_lineno(la, &lna);
		dwarf_lineno(lb, &lnb);
		assert_int_equal(lna, lnb);
		assert_string_equal(dwarf_linesrc(la, NULL, NULL), dwarf_linesrc(lb, NULL, NULL));
	}
}

static void check_address(struct program *p, Dwarf_Addr addr)
{
	Dwarf_Addr bias;
	Dwarf_Die *full = dwfl_module_addrdie(p->mod, addr, &bias), *view = NULL;

	switch (cuslice_unit(p->units, addr - bias, &view)) {
	case CUSLICE_NONE:
		assert_null(full);
		return;
	case CUSLICE_ASK_LIBDWFL:
		p->asked++;
		return;
	case CUSLICE_FOUND:
		break;
	}
	assert_non_null(full);
	p->found++;
	assert_string_equal(dwarf_diename(full), dwarf_diename(view));
	assert_int_equal(dwarf_dieoffset(full),
			 dwarf_dieoffset(view) + cuslice_unit_offset(p->units, view));
	if (p->found % p->scope_every == 0)
		same_scopes(p, full, view, addr - bias);
}

/* Every function's first, middle and last byte, and what lies past it. */
static void check_program(const char *path, bool all_found, size_t scope_every)
{
	struct program p;

	open_program(path, scope_every, &p);
	assert_non_null(p.units);
	int n = dwfl_module_getsymtab(p.mod);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr a;
		const char *name = dwfl_module_getsym_info(p.mod, i, &sym, &a, NULL, NULL, NULL);
		if (!name || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF)
			continue;
		check_address(&p, a);
		check_address(&p, a + sym.st_size / 2);
		check_address(&p, a + sym.st_size);
	}
	check_address(&p, 0);
	check_address(&p, ~(Dwarf_Addr)0);
	assert_true(p.found > 0);
	if (getenv("BOOBOO_CUSLICE_VERBOSE"))
		print_message("%s: %zu addresses from a unit's view, %zu left to libdwfl\n", path, p.found, p.asked);
	if (all_found)	/* gcc's units stand alone */
		assert_int_equal(p.asked, 0);
	close_program(&p);
}

static void every_function_is_in_the_same_unit(void **state)
{
	const char *files = getenv("BOOBOO_CUSLICE_FILES");

	(void)state;
	if (!files) {
		char self[PATH_MAX], worker[PATH_MAX + 64];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		assert_true(n > 0);
		self[n] = '\0';
		*strrchr(self, '/') = '\0';	/* build/tests/unit */
		snprintf(worker, sizeof(worker), "%s/../../daemon/boobood-worker", self);
		check_program(worker, true, 1);
		return;
	}
	char *list = strdup(files), *save = NULL;
	for (char *f = strtok_r(list, ":", &save); f; f = strtok_r(NULL, ":", &save))
		check_program(f, false, 16);
	free(list);
}

/* No .debug_aranges, a separate debug file (libc), not ELF: not sliced. */
static void files_it_cannot_slice(void **state)
{
	int fd = open("/usr/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY | O_CLOEXEC);
	struct stat st;

	(void)state;
	assert_true(fd >= 0 && fstat(fd, &st) == 0);
	assert_null(cuslice_open(fd, (size_t)st.st_size));	/* no DWARF of its own */
	close(fd);
	fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0 && fstat(fd, &st) == 0);
	assert_null(cuslice_open(fd, (size_t)st.st_size));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_function_is_in_the_same_unit),
		cmocka_unit_test(files_it_cannot_slice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
