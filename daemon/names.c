/*
 * names.c - what to call a function or a type in a report: demangled C++
 * and Rust names, the short form gdb shows in a backtrace, the qualified name
 * of a function that has no linkage name, from the scopes in its DWARF.
 * Kept apart from symbolize.c because locals (types), cxxabi (exception
 * types) and the unit tests need the same rules.
 */
#include <dwarf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

#ifdef BB_HAVE_LIBIBERTY
#include <libiberty/demangle.h>
#endif

char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* Rust's legacy mangling is Itanium's with a last component "h" + 16 hex
 * digits (a hash gdb does not show): "_ZN4main6credit17h0123...cdefE". */
static bool is_rust_legacy(const char *name)
{
	size_t n = strlen(name);

	if (n < 24 || strncmp(name, "_ZN", 3) != 0 || name[n - 1] != 'E' ||
	    strncmp(name + n - 20, "17h", 3) != 0)
		return false;
	for (size_t i = n - 17; i < n - 1; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return true;
}

/* "main::credit" for Rust's v0 ("_R...") and legacy manglings. */
static char *demangle_rust(const char *name)
{
#ifdef BB_HAVE_LIBIBERTY
	if ((name[0] == '_' && name[1] == 'R') || is_rust_legacy(name))
		return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_RUST);
#else
	(void)name;
	(void)is_rust_legacy;
#endif
	return NULL;
}

char *names_demangle(const char *name)
{
	int status = -1;
	char *d;

	if (!name)
		return NULL;
	if ((d = demangle_rust(name)) != NULL)
		return d;
	if (name[0] == '_' && name[1] == 'Z') {
		d = __cxa_demangle(name, NULL, NULL, &status);
		if (d && status == 0)
			return d;
		free(d);
	}
	return strdup(name);
}

/* Index of the '(' matching the ')' at end - 1, or -1. */
static long matching_open(const char *s, size_t end)
{
	int depth = 0;

	for (size_t i = end; i-- > 0;) {
		if (s[i] == ')')
			depth++;
		else if (s[i] == '(' && --depth == 0)
			return (long)i;
	}
	return -1;
}

static bool ends_with_word(const char *s, size_t len, const char *w)
{
	size_t n = strlen(w);

	return len >= n && strncmp(s + len - n, w, n) == 0 &&
	       (len == n || s[len - n - 1] == ' ' || s[len - n - 1] == ')');
}

char *names_short(const char *d)
{
	size_t len = strlen(d);

	/* Trailing qualifiers of a member function, then its parameters. */
	for (bool again = true; again;) {
		again = false;
		static const char *const quals[] = { " const", " volatile", " &&", " &", " noexcept" };
		for (size_t q = 0; q < sizeof(quals) / sizeof(quals[0]); q++)
			if (ends_with_word(d, len, quals[q] + 1) && len > strlen(quals[q]) &&
			    d[len - strlen(quals[q])] == ' ') {
				len -= strlen(quals[q]);
				again = true;
			}
	}
	if (len && d[len - 1] == ')') {
		long open = matching_open(d, len);
		/* "operator()" names the function; its parentheses stay */
		if (open > 0 && !((size_t)open >= 8 && strncmp(d + open - 8, "operator", 8) == 0 &&
				  (size_t)open + 2 == len))
			len = (size_t)open;
	}
	/* A return type (templates) ends at the last space outside <> and (). */
	size_t start = 0;
	int angle = 0, paren = 0;
	for (size_t i = 0; i < len; i++) {
		char c = d[i];
		angle += c == '<' ? 1 : c == '>' ? -1 : 0;
		paren += c == '(' ? 1 : c == ')' ? -1 : 0;
		if (c == ' ' && angle == 0 && paren == 0) {
			if (i >= 8 && strncmp(d + i - 8, "operator", 8) == 0)
				break;	/* "operator new", "operator int" */
			start = i + 1;
		}
	}
	return strndup(d + start, len - start);
}

char *names_demangle_type(const char *name)
{
	int status = -1;
	char *d = __cxa_demangle(name, NULL, NULL, &status);

	if (d && status == 0)
		return d;
	free(d);
	return strdup(name);
}

/* The DIE that declares `die` (through DW_AT_specification and
 * DW_AT_abstract_origin): where its scope is. */
static Dwarf_Die *declaration_of(Dwarf_Die *die, Dwarf_Die *mem)
{
	Dwarf_Attribute attr;
	Dwarf_Die *d = die;

	for (int hops = 0; hops < 4; hops++) {
		Dwarf_Attribute *a = dwarf_attr(d, DW_AT_specification, &attr);
		if (!a)
			a = dwarf_attr(d, DW_AT_abstract_origin, &attr);
		if (!a || !dwarf_formref_die(a, mem))
			break;
		d = mem;
	}
	return d;
}

static bool is_c_unit(Dwarf_Die *die)
{
	Dwarf_Die cu;

	if (!dwarf_diecu(die, &cu, NULL, NULL))
		return false;
	switch (dwarf_srclang(&cu)) {
	case DW_LANG_C: case DW_LANG_C89: case DW_LANG_C99: case DW_LANG_C11:
		return true;
	}
	return false;
}

/* "ns::Class::name" from the scopes that hold the declaration, the way
 * gdb names functions that have no linkage name. */
char *names_qualified(Dwarf_Die *die, const char *name)
{
	Dwarf_Die mem, *decl, *scopes = NULL;
	char buf[1024] = "";

	/* C has no scopes to name, and finding them walks the whole CU */
	if (is_c_unit(die))
		return strdup(name);
	decl = declaration_of(die, &mem);
	int n = dwarf_getscopes_die(decl, &scopes);

	for (int i = n - 1; i >= 1; i--) {
		int tag = dwarf_tag(&scopes[i]);
		const char *part = dwarf_diename(&scopes[i]);
		if (tag == DW_TAG_namespace && !part)
			part = "(anonymous namespace)";
		else if (tag != DW_TAG_namespace && tag != DW_TAG_class_type &&
			 tag != DW_TAG_structure_type && tag != DW_TAG_union_type) {
			buf[0] = '\0';	/* inside a function: names restart there */
			continue;
		}
		if (!part) {
			buf[0] = '\0';	/* an unnamed class (a lambda's) */
			continue;
		}
		size_t len = strlen(buf);
		snprintf(buf + len, sizeof(buf) - len, "%s::", part);
	}
	free(scopes);
	size_t len = strlen(buf);
	snprintf(buf + len, sizeof(buf) - len, "%s", name);
	return strdup(buf);
}

/* The demangled linkage name, or the qualified DWARF name. */
char *names_of_function(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name;

	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	if (name)
		return names_demangle(name);
	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
	return name ? names_qualified(die, name) : NULL;
}
