/* symtab: every way of answering (a scan of the raw section, a scan
 * through libdwfl, the sorted index, a remembered answer) gives what a
 * sorted index of libdwfl's own entries gives, at every kind of address:
 * the start, the inside and the end of each symbol, the gaps, aliases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symtab.h"

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

/* libc's table is in its separate debug file (another bias), libz's in
 * its own .dynsym, the test's own in its .symtab. */
static const char *const files[] = {
	"/usr/lib/x86_64-linux-gnu/libc.so.6",
	"/usr/lib/x86_64-linux-gnu/libz.so.1",
	"/proc/self/exe",
};

struct oracle {
	size_t n;
	struct { GElf_Addr addr; GElf_Xword size; int index; const char *name; } *s;
};

static int cmp(const void *a, const void *b)
{
	const __typeof__(((struct oracle *)0)->s[0]) *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/* What the old index of symcache.c did: libdwfl's entries, sorted. */
static void oracle_build(Dwfl_Module *mod, struct oracle *o)
{
	int n = dwfl_module_getsymtab(mod);

	assert_true(n > 1);
	o->s = calloc((size_t)n, sizeof(*o->s));
	o->n = 0;
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info);
		if (name && *name && (type == STT_FUNC || type == STT_OBJECT) &&
		    sym.st_shndx != SHN_UNDEF) {
			o->s[o->n].addr = addr;
			o->s[o->n].size = sym.st_size;
			o->s[o->n].index = i;
			o->s[o->n++].name = name;
		}
	}
	qsort(o->s, o->n, sizeof(*o->s), cmp);
}

static bool oracle_lookup(const struct oracle *o, GElf_Addr addr, const char **name, GElf_Off *off)
{
	size_t lo = 0, hi = o->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (o->s[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr - o->s[lo - 1].addr >= (o->s[lo - 1].size ? o->s[lo - 1].size : 1))
		return false;
	*name = o->s[lo - 1].name;
	*off = addr - o->s[lo - 1].addr;
	return true;
}

static Dwfl *open_module(const char *path, Dwfl_Module **mod)
{
	Dwfl *dwfl = dwfl_begin(&callbacks);
	GElf_Addr bias;

	assert_non_null(dwfl);
	dwfl_report_begin(dwfl);
	*mod = dwfl_report_elf(dwfl, "m", path, open(path, O_RDONLY | O_CLOEXEC), 0, false);
	dwfl_report_end(dwfl, NULL, NULL);
	assert_non_null(*mod);
	assert_non_null(dwfl_module_getelf(*mod, &bias));
	return dwfl;
}

enum way { SCAN_RAW, SCAN_LIBDWFL, SORTED };

static void start(struct symtab *t, Dwfl_Module *mod, enum way way)
{
	const char *name;
	GElf_Off off;

	symtab_init(t, mod);
	if (way == SCAN_LIBDWFL) {
		t->opened = true;	/* as if the raw section could not be read */
		t->n = dwfl_module_getsymtab(mod);
	}
	for (int i = 0; way == SORTED && i <= SYMTAB_SCANS; i++)
		symtab_lookup(t, (GElf_Addr)i, &name, &off);	/* enough scans to sort */
}

static void check(const struct oracle *o, struct symtab *t, GElf_Addr addr)
{
	const char *want = NULL, *got = NULL;
	GElf_Off want_off = 0, got_off = 0;
	bool w = oracle_lookup(o, addr, &want, &want_off);

	for (int again = 0; again < 2; again++) {	/* the second from the memo */
		bool g = symtab_lookup(t, addr, &got, &got_off);
		assert_int_equal(g, w);
		if (w) {
			assert_string_equal(got, want);
			assert_int_equal(got_off, want_off);
		}
	}
}

/* Addresses around every symbol of the table, checked one way. */
static void check_all(const struct oracle *o, Dwfl_Module *mod, enum way way, size_t step)
{
	struct symtab t;

	start(&t, mod, way);
	for (size_t i = 0; i < o->n; i += step) {
		GElf_Addr a = o->s[i].addr;
		GElf_Addr probes[] = { a - 1, a, a + o->s[i].size / 2, a + o->s[i].size,
				       a + o->s[i].size + 1 };
		for (size_t k = 0; k < sizeof(probes) / sizeof(probes[0]); k++) {
			if (way != SORTED) {	/* every probe a scan of its own */
				symtab_free(&t);
				start(&t, mod, way);
			}
			check(o, &t, probes[k]);
			if (way == SCAN_RAW)
				assert_non_null(t.raw);	/* these files are read raw */
		}
	}
	if (way == SORTED)
		assert_non_null(t.sorted);
	symtab_free(&t);
}

static void every_way_answers_as_the_index(void **state)
{
	(void)state;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		Dwfl_Module *mod;
		Dwfl *dwfl = open_module(files[f], &mod);
		struct oracle o;
		oracle_build(mod, &o);
		/* scans are whole passes: every 7th symbol is enough of them */
		check_all(&o, mod, SCAN_RAW, 7);
		check_all(&o, mod, SCAN_LIBDWFL, 53);
		check_all(&o, mod, SORTED, 1);
		free(o.s);
		dwfl_end(dwfl);
	}
}

/* A function by name: the first defined entry of that name. */
static void functions_are_found_by_name(void **state)
{
	Dwfl_Module *mod;
	Dwfl *dwfl = open_module("/usr/lib/x86_64-linux-gnu/libc.so.6", &mod);
	struct symtab t;
	GElf_Addr addr, want = 0;
	int n = dwfl_module_getsymtab(mod);

	(void)state;
	for (int i = 1; i < n && !want; i++) {
		GElf_Sym sym;
		GElf_Addr a;
		const char *s = dwfl_module_getsym_info(mod, i, &sym, &a, NULL, NULL, NULL);
		if (s && GELF_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_shndx != SHN_UNDEF &&
		    strcmp(s, "__pthread_kill") == 0)
			want = a;
	}
	assert_true(want != 0);
	symtab_init(&t, mod);
	assert_true(symtab_function(&t, "__pthread_kill", &addr));
	assert_int_equal(addr, want);
	assert_false(symtab_function(&t, "no_such_function_anywhere", &addr));
	symtab_free(&t);
	dwfl_end(dwfl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_way_answers_as_the_index),
		cmocka_unit_test(functions_are_found_by_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
