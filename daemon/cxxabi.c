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
#include "describe.h"
#include "names.h"

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
	char *d = names_demangle_type(mangled[0] == '*' ? mangled + 1 : mangled);
	free(mangled);
	return d;
}

/* Where, within the object, the std::nested_exception part is: what
 * std::throw_with_nested wraps around the exception it was handling. */
static void note_base(struct cxx_exception *ex, const char *name, int64_t offset, bool known)
{
	if (known && !ex->has_nested && strcmp(name, "std::nested_exception") == 0) {
		ex->has_nested = true;
		ex->nested_offset = offset;
	}
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

struct base_ref {
	uint64_t tinfo;
	int64_t offset;		/* of this base within the whole object */
	bool known;		/* false below a virtual base: no fixed offset */
};

static void visit_base(struct cxx_exception *ex, int memfd, struct base_ref *queue,
		size_t *tail, size_t cap, struct base_ref ref)
{
	char *n = type_name(memfd, ref.tinfo);

	if (n) {
		note_base(ex, n, ref.offset, ref.known);
		add_base(ex, n);
	}
	if (*tail < cap)
		queue[(*tail)++] = ref;
}

/* Breadth-first over the base classes, bounded by CXX_MAX_BASES.  A
 * __vmi_class_type_info lists {base, offset << 8 | flags}; bit 0 of the
 * flags marks a virtual base, whose offset is not fixed. */
static void collect_bases(struct cxx_exception *ex, Dwfl *dwfl, int memfd, uint64_t tinfo)
{
	struct base_ref queue[CXX_MAX_BASES * 2];
	size_t head = 0, tail = 0, cap = sizeof(queue) / sizeof(queue[0]);

	queue[tail++] = (struct base_ref){ .tinfo = tinfo, .known = true };
	while (head < tail && ex->n_bases < CXX_MAX_BASES) {
		struct base_ref t = queue[head++];
		uint64_t base, flags;
		uint32_t count;
		switch (kind_of(dwfl, memfd, t.tinfo)) {
		case TI_SI:
			if (read_u64(memfd, t.tinfo + 16, &base))
				visit_base(ex, memfd, queue, &tail, cap, (struct base_ref){
					base, t.offset, t.known });
			break;
		case TI_VMI:
			if (pread(memfd, &count, 4, (off_t)(t.tinfo + 20)) != 4)
				break;
			for (uint32_t i = 0; i < count && i < CXX_MAX_BASES; i++) {
				if (!read_u64(memfd, t.tinfo + 24 + 16 * i, &base) ||
				    !read_u64(memfd, t.tinfo + 32 + 16 * i, &flags))
					break;
				bool virt = flags & 1;
				visit_base(ex, memfd, queue, &tail, cap, (struct base_ref){
					base, t.offset + ((int64_t)flags >> 8), t.known && !virt });
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

static int read_one(struct cxx_exception *ex, Dwfl *dwfl, int memfd, uint64_t object,
		uint64_t tinfo)
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
	describe_unwrap_nested(ex->type);
	return 0;
}

/* libstdc++ (x86-64) puts the __cxa_exception header right before every
 * thrown object; its first field is the std::type_info *. */
#define CXA_EXCEPTION_SIZE 112

/* Follow std::nested_exception's exception_ptr (the word after its
 * vtable pointer) from one exception to the one it was thrown from. */
static void read_causes(struct cxx_exception *ex, Dwfl *dwfl, int memfd, uint64_t object)
{
	struct cxx_exception cur = { .has_nested = ex->has_nested,
				     .nested_offset = ex->nested_offset };
	uint64_t obj = object;

	while (ex->n_causes < CXX_MAX_CAUSES && cur.has_nested) {
		uint64_t inner, tinfo;
		if (!read_u64(memfd, obj + (uint64_t)cur.nested_offset + 8, &inner) || !inner ||
		    !read_u64(memfd, inner - CXA_EXCEPTION_SIZE, &tinfo))
			break;
		cxx_exception_free(&cur);
		if (read_one(&cur, dwfl, memfd, inner, tinfo) != 0)
			break;
		struct cxx_cause *c = &ex->causes[ex->n_causes++];
		c->type = cur.type;
		c->what = cur.what;
		cur.type = cur.what = NULL;
		obj = inner;
	}
	cxx_exception_free(&cur);
}

int cxx_exception_read(struct cxx_exception *ex, Dwfl *dwfl, int memfd,
		uint64_t object, uint64_t tinfo, bool with_causes)
{
	if (read_one(ex, dwfl, memfd, object, tinfo) != 0)
		return -1;
	if (object && with_causes)
		read_causes(ex, dwfl, memfd, object);
	return 0;
}

void cxx_exception_free(struct cxx_exception *ex)
{
	free(ex->type);
	free(ex->what);
	for (size_t i = 0; i < ex->n_bases; i++)
		free(ex->bases[i]);
	for (size_t i = 0; i < ex->n_causes; i++) {
		free(ex->causes[i].type);
		free(ex->causes[i].what);
	}
	memset(ex, 0, sizeof(*ex));
}
