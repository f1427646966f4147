/*
 * runtime_python_layout.c - where an interpreter keeps its frames and
 * objects (runtime_python_layout.h): from its own DWARF when it has some,
 * else from the headers of a python3.X-dev compiled in at build time.
 *
 * DWARF: the member offsets of the typedefs named in
 * runtime_python_fields.h, found among the top-level DIEs of the
 * module's units (a typedef whose struct is only declared in one unit is
 * completed from another).  A module's layout is kept by build-id, so an
 * interpreter's DWARF is read once per worker.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "runtime_python_layout.h"

/* ---- tables from headers ----------------------------------------------------- */

const struct py_layout *py_layout_from_headers(unsigned long version, bool *exact)
{
	const struct py_layout *same_minor = NULL;

	for (size_t i = 0; py_header_layouts[i]; i++) {
		const struct py_layout *L = py_header_layouts[i];
		/* the release serial and level (bits 0-7) never move members */
		if ((L->version >> 8) == (version >> 8)) {
			*exact = true;
			return L;
		}
		if ((L->version >> 16) == (version >> 16))
			same_minor = L;
	}
	*exact = false;
	return same_minor;
}

/* ---- what to look for ------------------------------------------------------- */

struct want {
	const char *type, *member;	/* member NULL: the type's size */
	size_t field;			/* offset in struct py_layout */
};

#define WANT_OFF(f, t, m) { #t, #m, offsetof(struct py_layout, f) },
#define WANT_SIZE(f, t) { #t, NULL, offsetof(struct py_layout, f) },

static const struct want want_common[] = { PY_FIELDS_COMMON(WANT_OFF, WANT_SIZE) };
static const struct want want_311[] = { PY_FIELDS_311(WANT_OFF, WANT_SIZE) };
static const struct want want_312[] = { PY_FIELDS_312(WANT_OFF, WANT_SIZE) };
static const struct want want_313[] = { PY_FIELDS_313(WANT_OFF, WANT_SIZE) };

#define MAX_TYPES 48

struct found_type {
	const char *name;	/* the typedef's */
	char tag[64];		/* its struct's, when only declared where found */
	Dwarf_Die die;
	bool done;
};

struct type_search {
	struct found_type t[MAX_TYPES];
	size_t n, left;
};

static void want_type(struct type_search *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->t[i].name, name) == 0)
			return;
	if (s->n < MAX_TYPES) {
		s->t[s->n++].name = name;
		s->left++;
	}
}

static bool is_aggregate(Dwarf_Die *d)
{
	int tag = dwarf_tag(d);

	return tag == DW_TAG_structure_type || tag == DW_TAG_union_type;
}

static bool complete(Dwarf_Die *d)
{
	return is_aggregate(d) && !dwarf_hasattr(d, DW_AT_declaration) && dwarf_haschildren(d);
}

/* A typedef's target, through typedefs and qualifiers. */
static bool typedef_target(Dwarf_Die *td, Dwarf_Die *out)
{
	Dwarf_Attribute a;

	return dwarf_formref_die(dwarf_attr(td, DW_AT_type, &a), out) &&
	       dwarf_peel_type(out, out) == 0;
}

static void found(struct type_search *s, struct found_type *t, Dwarf_Die *d)
{
	t->die = *d;
	t->done = true;
	s->left--;
}

/* One top-level DIE against every type still looked for. */
static void consider(struct type_search *s, Dwarf_Die *d)
{
	int tag = dwarf_tag(d);
	const char *name;
	Dwarf_Die target;

	/* most top-level DIEs are functions and variables: no name looked at */
	if ((tag != DW_TAG_typedef && !is_aggregate(d)) || !(name = dwarf_diename(d)))
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct found_type *t = &s->t[i];
		if (t->done)
			continue;
		if (tag == DW_TAG_typedef && strcmp(name, t->name) == 0 && typedef_target(d, &target)) {
			if (complete(&target))
				found(s, t, &target);
			else if (dwarf_diename(&target))
				snprintf(t->tag, sizeof(t->tag), "%s", dwarf_diename(&target));
		} else if (tag != DW_TAG_typedef && complete(d) &&
			   (strcmp(name, t->name) == 0 || strcmp(name, t->tag) == 0)) {
			found(s, t, d);
		}
	}
}

static void search_unit(struct type_search *s, Dwarf_Die *cu)
{
	Dwarf_Die child;

	if (dwarf_child(cu, &child) == 0)
		do
			consider(s, &child);
		while (s->left && dwarf_siblingof(&child, &child) == 0);
}

/* The units that define the objects at `hints` first (dictobject.c for
 * PyDict_Type, ceval.c for the eval loop: where the types they use are
 * complete), then every unit until nothing is missing. */
static void search_types(Dwfl_Module *mod, Dwarf *dw, const uint64_t *hints, size_t n_hints,
		struct type_search *s)
{
	Dwarf_Off off = 0, next, seen[32];
	size_t hsize, n_seen = 0;

	for (size_t i = 0; i < n_hints && s->left; i++) {
		Dwarf_Addr bias;
		Dwarf_Die *cu = hints[i] ? dwfl_module_addrdie(mod, hints[i], &bias) : NULL;
		bool again = false;
		for (size_t k = 0; cu && k < n_seen; k++)
			again |= seen[k] == dwarf_dieoffset(cu);
		if (!cu || again || n_seen == 32)
			continue;
		seen[n_seen++] = dwarf_dieoffset(cu);
		search_unit(s, cu);
	}
	while (s->left && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;
		if (dwarf_offdie(dw, off + hsize, &cu))
			search_unit(s, &cu);
		off = next;
	}
}

/* ---- members --------------------------------------------------------------- */

static bool member_offset(Dwarf_Die *m, Dwarf_Word *off)
{
	Dwarf_Attribute a;

	*off = 0;	/* union members have none */
	return !dwarf_hasattr(m, DW_AT_data_member_location) ||
	       dwarf_formudata(dwarf_attr(m, DW_AT_data_member_location, &a), off) == 0;
}

/* Member `name` of aggregate agg (anonymous members searched through, as
 * offsetof sees them), its offset and its type. */
static bool find_member(Dwarf_Die *agg, const char *name, size_t len, int depth,
		Dwarf_Word *off, Dwarf_Die *type)
{
	Dwarf_Die m, mt;
	Dwarf_Attribute a;

	if (depth > 4 || dwarf_child(agg, &m) != 0)
		return false;
	do {
		const char *mn = dwarf_diename(&m);
		Dwarf_Word here;
		if (dwarf_tag(&m) != DW_TAG_member || !member_offset(&m, &here) ||
		    !dwarf_formref_die(dwarf_attr(&m, DW_AT_type, &a), &mt) ||
		    dwarf_peel_type(&mt, &mt) != 0)
			continue;
		if (mn && strlen(mn) == len && strncmp(mn, name, len) == 0) {
			*off = here;
			*type = mt;
			return true;
		}
		if (!mn && is_aggregate(&mt) && find_member(&mt, name, len, depth + 1, off, type)) {
			*off += here;
			return true;
		}
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
}

/* "interpreters.head" in agg */
static bool path_offset(Dwarf_Die *agg, const char *path, uint32_t *out)
{
	Dwarf_Die cur = *agg, type;
	Dwarf_Word total = 0, off;

	while (*path) {
		size_t len = strcspn(path, ".");
		if (!find_member(&cur, path, len, 0, &off, &type))
			return false;
		total += off;
		cur = type;
		path += len + (path[len] == '.');
	}
	*out = (uint32_t)total;
	return total < (1u << 20);
}

static bool fill(struct type_search *s, const struct want *w, size_t n, struct py_layout *out)
{
	for (size_t i = 0; i < n; i++) {
		struct found_type *t = NULL;
		for (size_t k = 0; k < s->n && !t; k++)
			if (strcmp(s->t[k].name, w[i].type) == 0 && s->t[k].done)
				t = &s->t[k];
		uint32_t *field = (uint32_t *)((char *)out + w[i].field);
		Dwarf_Word size;
		if (!t)
			return false;
		if (w[i].member ? !path_offset(&t->die, w[i].member, field) :
		    dwarf_aggregate_size(&t->die, &size) != 0 || (*field = (uint32_t)size) == 0)
			return false;
	}
	return true;
}

/* ---- the cache ----------------------------------------------------------------------- */

/* By build-id and version; the held phase looks (the worker's main
 * thread), the report thread may fill it (runtime_python.c). */
#define CACHE_SLOTS 8

static struct {
	unsigned char id[64];
	int id_len;
	unsigned long version;
	bool ok;
	struct py_layout layout;
} cache[CACHE_SLOTS];
static unsigned cache_next;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* 1: cached and read, 0: cached as having none, -1: not cached */
static int cache_get(const unsigned char *id, int id_len, unsigned long version,
		struct py_layout *out)
{
	int found = -1;

	pthread_mutex_lock(&cache_lock);
	for (unsigned i = 0; i < CACHE_SLOTS && found < 0; i++)
		if (cache[i].id_len == id_len && memcmp(cache[i].id, id, (size_t)id_len) == 0 &&
		    cache[i].version == version) {
			*out = cache[i].layout;
			found = cache[i].ok;
		}
	pthread_mutex_unlock(&cache_lock);
	return found;
}

static void cache_put(const unsigned char *id, int id_len, unsigned long version, bool ok,
		const struct py_layout *layout)
{
	pthread_mutex_lock(&cache_lock);
	unsigned slot = cache_next++ % CACHE_SLOTS;
	memcpy(cache[slot].id, id, (size_t)id_len);
	cache[slot].id_len = id_len;
	cache[slot].version = version;
	cache[slot].ok = ok;
	cache[slot].layout = *layout;
	pthread_mutex_unlock(&cache_lock);
}

static bool from_dwarf(Dwfl_Module *mod, Dwarf *dw, const uint64_t *hints, size_t n_hints,
		unsigned long version, struct py_layout *out)
{
	const struct want *extra = version >= 0x030D0000 ? want_313 :
				   version >= 0x030C0000 ? want_312 : want_311;
	size_t n_extra = version >= 0x030D0000 ? sizeof(want_313) / sizeof(want_313[0]) :
			 version >= 0x030C0000 ? sizeof(want_312) / sizeof(want_312[0]) :
			 sizeof(want_311) / sizeof(want_311[0]);
	struct type_search s = { .n = 0 };

	for (size_t i = 0; i < sizeof(want_common) / sizeof(want_common[0]); i++)
		want_type(&s, want_common[i].type);
	for (size_t i = 0; i < n_extra; i++)
		want_type(&s, extra[i].type);
	search_types(mod, dw, hints, n_hints, &s);
	memset(out, 0, sizeof(*out));
	out->version = version;
	out->source = "DWARF";
	return !s.left && fill(&s, want_common, sizeof(want_common) / sizeof(want_common[0]), out) &&
	       fill(&s, extra, n_extra, out);
}

int py_layout_from_dwarf(Dwfl_Module *mod, const uint64_t *hints, size_t n_hints,
		unsigned long version, bool cached_only, struct py_layout *out)
{
	const unsigned char *id;
	GElf_Addr vaddr;
	Dwarf_Addr bias;
	int id_len = dwfl_module_build_id(mod, &id, &vaddr);
	bool keep = id_len > 0 && id_len <= 64;
	int got = keep ? cache_get(id, id_len, version, out) : -1;

	if (version < 0x030B0000 || version >= 0x030E0000)
		return 0;
	if (got >= 0 || cached_only)
		return got;
	Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
	bool ok = dw && from_dwarf(mod, dw, hints, n_hints, version, out);
	if (keep)
		cache_put(id, id_len, version, ok, out);
	return ok;
}

bool py_layout_same(const struct py_layout *a, const struct py_layout *b)
{
	/* every member after the version and where it came from */
	size_t from = offsetof(struct py_layout, ob_type);

	return memcmp((const char *)a + from, (const char *)b + from, sizeof(*a) - from) == 0;
}
