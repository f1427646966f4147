/*
 * cxxabi.c - reading a C++ exception object out of a held process.
 *
 * type_info objects start with a vtable pointer and the mangled name.
 * The vtable tells the kind: __si_class_type_info has one base at +16,
 * __vmi_class_type_info has a count at +20 and {base, flags} pairs from
 * +24.  std::logic_error and std::runtime_error keep their message as a
 * pointer to the characters right after the vtable pointer, so what() of
 * that whole family (and of user classes derived from it) is readable
 * without calling it.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cxxabi.h"
#include "symbolize.h"

#define NAME_MAX_LEN 512
#define WHAT_MAX_LEN 2048

enum tinfo_kind { TI_OTHER, TI_CLASS, TI_SI, TI_VMI };

static bool read_u64(int memfd, uint64_t addr, uint64_t *out)
{
	return pread(memfd, out, 8, (off_t)addr) == 8;
}

static char *read_cstr(int memfd, uint64_t addr, size_t max)
{
	char *buf = malloc(max + 1);
	size_t got = 0;

	if (!buf)
		return NULL;
	/* Small reads so a string near the end of a mapping still reads. */
	while (got < max) {
		size_t want = max - got < 64 ? max - got : 64;
		ssize_t n = pread(memfd, buf + got, want, (off_t)(addr + got));
		if (n <= 0)
			break;
		void *nul = memchr(buf + got, '\0', (size_t)n);
		got += (size_t)n;
		if (nul)
			return buf;
	}
	buf[got] = '\0';
	if (got == 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static enum tinfo_kind kind_of(Dwfl *dwfl, int memfd, uint64_t tinfo)
{
	uint64_t vptr;
	GElf_Off off;
	GElf_Sym sym;

	if (!read_u64(memfd, tinfo, &vptr))
		return TI_OTHER;
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, vptr);
	const char *name = mod ? dwfl_module_addrinfo(mod, vptr, &off, &sym, NULL, NULL, NULL) : NULL;
	if (!name)
		return TI_OTHER;
	if (strstr(name, "__si_class_type_info"))
		return TI_SI;
	if (strstr(name, "__vmi_class_type_info"))
		return TI_VMI;
	if (strstr(name, "__class_type_info"))
		return TI_CLASS;
	return TI_OTHER;
}

static char *type_name(int memfd, uint64_t tinfo)
{
	uint64_t name_ptr;

	if (!read_u64(memfd, tinfo + 8, &name_ptr))
		return NULL;
	char *mangled = read_cstr(memfd, name_ptr, NAME_MAX_LEN);
	if (!mangled)
		return NULL;
	/* A leading '*' marks a type local to its translation unit. */
	char *d = symbolize_demangle_type(mangled[0] == '*' ? mangled + 1 : mangled);
	free(mangled);
	return d;
}

static void add_base(struct cxx_exception *ex, char *name)
{
	for (size_t i = 0; i < ex->n_bases; i++)
		if (strcmp(ex->bases[i], name) == 0) {
			free(name);
			return;
		}
	if (ex->n_bases < CXX_MAX_BASES)
		ex->bases[ex->n_bases++] = name;
	else
		free(name);
}

/* Breadth-first over the base classes, bounded by CXX_MAX_BASES. */
static void collect_bases(struct cxx_exception *ex, Dwfl *dwfl, int memfd, uint64_t tinfo)
{
	uint64_t queue[CXX_MAX_BASES * 2];
	size_t head = 0, tail = 0;

	queue[tail++] = tinfo;
	while (head < tail && ex->n_bases < CXX_MAX_BASES) {
		uint64_t t = queue[head++], base;
		uint32_t count;
		switch (kind_of(dwfl, memfd, t)) {
		case TI_SI:
			if (read_u64(memfd, t + 16, &base) && tail < sizeof(queue) / 8) {
				char *n = type_name(memfd, base);
				if (n)
					add_base(ex, n);
				queue[tail++] = base;
			}
			break;
		case TI_VMI:
			if (pread(memfd, &count, 4, (off_t)(t + 20)) != 4)
				break;
			for (uint32_t i = 0; i < count && i < CXX_MAX_BASES; i++) {
				if (!read_u64(memfd, t + 24 + 16 * i, &base) || tail >= sizeof(queue) / 8)
					break;
				char *n = type_name(memfd, base);
				if (n)
					add_base(ex, n);
				queue[tail++] = base;
			}
			break;
		default:
			break;
		}
	}
}

static bool has_type(const struct cxx_exception *ex, const char *name)
{
	if (strcmp(ex->type, name) == 0)
		return true;
	for (size_t i = 0; i < ex->n_bases; i++)
		if (strcmp(ex->bases[i], name) == 0)
			return true;
	return false;
}

static void read_what(struct cxx_exception *ex, int memfd, uint64_t object)
{
	static const struct { const char *type, *what; } fixed[] = {
		{ "std::bad_alloc", "std::bad_alloc" },
		{ "std::bad_array_new_length", "std::bad_array_new_length" },
		{ "std::bad_cast", "std::bad_cast" },
		{ "std::bad_typeid", "std::bad_typeid" },
		{ "std::bad_function_call", "bad_function_call" },
		{ "std::bad_exception", "std::bad_exception" },
	};
	uint64_t msg;

	if (has_type(ex, "std::logic_error") || has_type(ex, "std::runtime_error")) {
		if (read_u64(memfd, object + 8, &msg))
			ex->what = read_cstr(memfd, msg, WHAT_MAX_LEN);
		return;
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strcmp(ex->type, fixed[i].type) == 0) {
			ex->what = strdup(fixed[i].what);
			return;
		}
}

int cxx_exception_read(struct cxx_exception *ex, Dwfl *dwfl, int memfd,
		uint64_t object, uint64_t tinfo)
{
	memset(ex, 0, sizeof(*ex));
	if (!tinfo)
		return -1;
	ex->type = type_name(memfd, tinfo);
	if (!ex->type)
		return -1;
	collect_bases(ex, dwfl, memfd, tinfo);
	if (object)
		read_what(ex, memfd, object);
	return 0;
}

void cxx_exception_free(struct cxx_exception *ex)
{
	free(ex->type);
	free(ex->what);
	for (size_t i = 0; i < ex->n_bases; i++)
		free(ex->bases[i]);
	memset(ex, 0, sizeof(*ex));
}
