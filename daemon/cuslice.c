/*
 * cuslice.c - a Dwarf per compilation unit (see cuslice.h).
 *
 * The file is mapped once, after CUSLICE_UNITS reserved pages.  A unit's
 * view is one of those pages: an ELF header and section headers naming
 * the file's .shstrtab and debug sections where they lie in the mapping
 * (offsets count from the page), but for .debug_info, which is the unit's
 * bytes alone.  elf_memory over [page, end of the file) and
 * dwarf_begin_elf then give a Dwarf whose only unit is that one: libdw
 * reads no other header, and the other sections (abbreviations, strings,
 * lines, location and range lists) are shared, read where they are.  A
 * DIE's memory is the same whichever view reads it.
 *
 * The unit of an address is found as libdwfl finds it (libdwfl/cu.c,
 * addrarange), in the same index built the same way from .debug_aranges,
 * without reading any unit header: a radix sort of one entry a unit or
 * so, a third of a millisecond for 2300 units.
 */
#include <dwarf.h>
#include <elf.h>
#include <gelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "addrsort.h"
#include "cuslice.h"

#define PAGE 4096
#define KEPT_MAX ((PAGE - sizeof(Elf64_Ehdr)) / sizeof(Elf64_Shdr) - 1)
#define ABBREVS_MAX 65536	/* a unit with more is left to libdwfl */
#define ATTRS_MAX 4096		/* attributes of one abbreviation, likewise */

struct slice {
	Dwarf_Off unit;		/* its offset in .debug_info */
	Elf *elf;
	Dwarf *dw;
	Dwarf_Die cudie;
	bool usable;
};

/* .debug_aranges sorted by start, ties in the section's order (libdw's
 * qsort, glibc's merge sort, is stable), then one run of entries per
 * change of unit: libdwfl's own index. */
struct runs {
	size_t n;
	Dwarf_Addr last_end;	/* of the entry with the highest start */
	struct run {
		Dwarf_Addr start;
		Dwarf_Off unit;
	} run[];
};

struct cuslice_file {
	unsigned char *region;	/* CUSLICE_UNITS header pages, then the file */
	size_t region_size;
	const unsigned char *file;
	size_t size;
	Elf64_Shdr kept[KEPT_MAX];	/* .shstrtab first, then the debug sections */
	size_t nkept, info;		/* info: .debug_info's place in kept */
	const unsigned char *aranges, *aranges_end;
	bool malformed;		/* or the runs could not be built: libdwfl answers */
	struct runs *runs;
	struct slice slices[CUSLICE_UNITS];
	size_t nslices;
};

/* ---- the file -------------------------------------------------------------- */

static bool host_is_little(void)
{
	const uint16_t one = 1;

	return *(const unsigned char *)&one == 1;
}

/* Sections a unit's view does without: indexes of the whole .debug_info
 * (whose offsets would be wrong in it). */
static bool indexes_whole_info(const char *name)
{
	static const char *const names[] = { ".debug_aranges", ".debug_pubnames",
		".debug_pubtypes", ".debug_names", ".gdb_index" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* Sections that mean some unit needs more than itself. */
static bool needs_more(const char *name, const GElf_Shdr *sh)
{
	return strncmp(name, ".zdebug", 7) == 0 || strcmp(name, ".gnu_debugaltlink") == 0 ||
	       strcmp(name, ".debug_types") == 0 || strcmp(name, ".debug_cu_index") == 0 ||
	       strcmp(name, ".debug_tu_index") == 0 ||
	       (strncmp(name, ".debug_", 7) == 0 && (sh->sh_flags & SHF_COMPRESSED));
}

static void keep(struct cuslice_file *f, const GElf_Shdr *sh)
{
	Elf64_Shdr *k = &f->kept[f->nkept++];

	*k = (Elf64_Shdr){ .sh_name = sh->sh_name, .sh_type = sh->sh_type,
			   .sh_flags = sh->sh_flags, .sh_offset = sh->sh_offset,
			   .sh_size = sh->sh_size, .sh_addralign = sh->sh_addralign,
			   .sh_entsize = sh->sh_entsize };
}

/* The sections a view keeps, and where .debug_aranges is; false if the
 * file is not for slicing. */
static bool survey(struct cuslice_file *f, Elf *elf)
{
	size_t shstrndx;
	GElf_Shdr sh;
	Elf_Scn *scn = NULL;
	bool info = false;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0 || !gelf_getshdr(elf_getscn(elf, shstrndx), &sh))
		return false;
	keep(f, &sh);
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		const char *name;
		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			return false;
		if (needs_more(name, &sh))
			return false;
		if (strncmp(name, ".debug_", 7) != 0 || sh.sh_type == SHT_NOBITS)
			continue;
		if (sh.sh_offset > f->size || sh.sh_size > f->size - sh.sh_offset)
			return false;
		if (strcmp(name, ".debug_aranges") == 0 && !f->aranges) {	/* libdw's: the first */
			f->aranges = f->file + sh.sh_offset;
			f->aranges_end = f->aranges + sh.sh_size;
		}
		if (indexes_whole_info(name))
			continue;
		if (f->nkept == KEPT_MAX)
			return false;
		if (strcmp(name, ".debug_info") == 0) {
			if (info)
				return false;	/* two: which one would libdw read? */
			f->info = f->nkept;
			info = true;
		}
		keep(f, &sh);
	}
	return info && f->aranges && f->kept[0].sh_offset <= f->size &&
	       f->kept[0].sh_size <= f->size - f->kept[0].sh_offset;
}

static bool plain_elf(Elf *elf)
{
	GElf_Ehdr eh;

	return gelf_getehdr(elf, &eh) && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
	       eh.e_ident[EI_DATA] == (host_is_little() ? ELFDATA2LSB : ELFDATA2MSB) &&
	       (eh.e_type == ET_EXEC || eh.e_type == ET_DYN);
}

struct cuslice_file *cuslice_open(int fd, size_t size)
{
	struct cuslice_file *f = calloc(1, sizeof(*f));
	size_t headers = (size_t)CUSLICE_UNITS * PAGE;

	if (!f || size < sizeof(Elf64_Ehdr) || size > SIZE_MAX - headers)
		goto fail;
	f->region_size = headers + size;
	f->region = mmap(NULL, f->region_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			 -1, 0);
	if (f->region == MAP_FAILED) {
		f->region = NULL;
		goto fail;
	}
	if (mmap(f->region + headers, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED)
		goto fail;
	f->file = f->region + headers;
	f->size = size;
	Elf *elf = elf_version(EV_CURRENT) != EV_NONE ? elf_memory((char *)f->file, size) : NULL;
	bool ok = elf && plain_elf(elf) && survey(f, elf);
	elf_end(elf);
	if (ok)
		return f;
fail:
	cuslice_close(f);
	return NULL;
}

void cuslice_close(struct cuslice_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nslices; i++) {
		dwarf_end(f->slices[i].dw);
		elf_end(f->slices[i].elf);
	}
	if (f->region)
		munmap(f->region, f->region_size);
	free(f->runs);
	free(f);
}

/* ---- .debug_aranges, read as libdw reads it (dwarf_getaranges.c) ----------- */

struct arange {
	Dwarf_Addr start;
	Dwarf_Word length;
	Dwarf_Off unit;
};

struct reader {
	const unsigned char *p, *end;
};

/* An n-byte number (1, 2, 4 or 8) in the file's order, the host's
 * (plain_elf). */
static bool read_uint(struct reader *r, size_t n, uint64_t *out)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	if ((size_t)(r->end - r->p) < n)
		return false;
	switch (n) {
	case 1: memcpy(&u8, r->p, 1); *out = u8; break;
	case 2: memcpy(&u16, r->p, 2); *out = u16; break;
	case 4: memcpy(&u32, r->p, 4); *out = u32; break;
	default: memcpy(out, r->p, 8); break;
	}
	r->p += n;
	return true;
}

/* One set's header: its unit's offset and the address size; r then at
 * its first pair. */
static bool read_set_header(struct reader *r, size_t info_size, Dwarf_Off *unit, size_t *asize)
{
	const unsigned char *start = r->p;
	uint64_t length, version, off, a, seg;
	size_t offsize = 4;

	if (!read_uint(r, 4, &length))
		return false;
	if (length == 0xffffffffu) {
		offsize = 8;
		if (!read_uint(r, 8, &length))
			return false;
	} else if (length >= 0xfffffff0u) {
		return false;
	}
	if (!read_uint(r, 2, &version) || version != 2 || !read_uint(r, offsize, &off) ||
	    off > info_size || info_size - off < 4 || !read_uint(r, 1, &a) ||
	    (a != 4 && a != 8) || !read_uint(r, 1, &seg) || seg != 0)
		return false;
	size_t pad = (2 * a - (size_t)(r->p - start) % (2 * a)) % (2 * a);
	if ((size_t)(r->end - r->p) < pad)
		return false;
	r->p += pad;
	*unit = off;
	*asize = a;
	return true;
}

/* Every entry, in the order of the section; false if libdw would find
 * the section malformed (then dwfl_module_addrdie finds nothing). */
static bool each_arange(const struct cuslice_file *f,
		void (*fn)(void *arg, const struct arange *a), void *arg)
{
	struct reader r = { f->aranges, f->aranges_end };
	size_t info_size = f->kept[f->info].sh_size;

	while (r.p < r.end) {
		struct arange a;
		size_t asize;
		if (!read_set_header(&r, info_size, &a.unit, &asize))
			return false;
		for (;;) {
			if (!read_uint(&r, asize, &a.start) || !read_uint(&r, asize, &a.length))
				return false;
			if (a.start == 0 && a.length == 0)
				break;
			fn(arg, &a);
		}
	}
	return true;
}

struct collect {
	struct arange *a;
	struct addr_key *keys;
	size_t n, cap;
};

static void collect(void *arg, const struct arange *a)
{
	struct collect *c = arg;

	if (c->n < c->cap) {
		c->keys[c->n] = (struct addr_key){ a->start, c->n };
		c->a[c->n++] = *a;
	}
}

static void count(void *arg, const struct arange *a)
{
	(void)a;
	(*(size_t *)arg)++;
}

/* libdwfl's runs (cu.c: addrarange): the entries by start, one run per
 * change of unit. */
static void fill_runs(struct runs *r, const struct collect *c)
{
	r->n = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct arange *a = &c->a[c->keys[i].item];
		if (i == 0 || a->unit != c->a[c->keys[i - 1].item].unit)
			r->run[r->n++] = (struct run){ a->start, a->unit };
		r->last_end = a->start + a->length;
	}
}

static struct runs *build_runs(const struct cuslice_file *f)
{
	struct collect c = { 0 };
	struct addr_key *tmp = NULL;
	struct runs *r = NULL;

	if (each_arange(f, count, &c.cap) && c.cap > 0 &&
	    (c.a = malloc(c.cap * sizeof(*c.a))) && (c.keys = malloc(c.cap * sizeof(*c.keys))) &&
	    (tmp = malloc(c.cap * sizeof(*tmp))) &&
	    (r = malloc(sizeof(*r) + c.cap * sizeof(r->run[0])))) {
		each_arange(f, collect, &c);
		addr_sort(c.keys, tmp, c.n);
		fill_runs(r, &c);
	}
	free(c.a);
	free(c.keys);
	free(tmp);
	return r;
}

/* libdwfl's binary search (cu.c: addrarange) to the letter: where runs
 * start at the same address, which one it lands on depends on its path. */
static int search_runs(const struct runs *r, Dwarf_Addr addr, Dwarf_Off *unit)
{
	size_t l = 0, u = r->n;

	while (l < u) {
		size_t idx = (l + u) / 2;
		if (addr < r->run[idx].start) {
			u = idx;
			continue;
		}
		if (addr > r->run[idx].start) {
			if (idx + 1 < r->n && addr >= r->run[idx + 1].start) {
				l = idx + 1;
				continue;
			}
			if (idx + 1 == r->n && addr > r->last_end)
				return 0;	/* past the end of the last */
		}
		*unit = r->run[idx].unit;
		return 1;
	}
	return 0;
}

/* -1: .debug_aranges is malformed, or no memory (libdwfl answers); 0: no
 * unit holds addr; 1: *unit does.  The runs are built on the first
 * lookup: a pass to count, a pass to collect, a radix sort. */
static int unit_of(struct cuslice_file *f, Dwarf_Addr addr, Dwarf_Off *unit)
{
	if (!f->runs && !f->malformed && !(f->runs = build_runs(f)))
		f->malformed = true;
	return f->runs ? search_runs(f->runs, addr, unit) : -1;
}

/* ---- a unit's view ------------------------------------------------------ */

/* The unit's bytes: its header's length, and the header's own. */
static bool unit_size(const struct cuslice_file *f, Dwarf_Off unit, size_t *size)
{
	const Elf64_Shdr *info = &f->kept[f->info];
	struct reader r = { f->file + info->sh_offset + unit, f->file + info->sh_offset + info->sh_size };
	uint64_t length;
	size_t initial = 4;

	if (!read_uint(&r, 4, &length))
		return false;
	if (length == 0xffffffffu) {
		initial = 12;
		if (!read_uint(&r, 8, &length))
			return false;
	} else if (length >= 0xfffffff0u) {
		return false;
	}
	if (length > (uint64_t)(r.end - r.p))
		return false;
	*size = initial + length;
	return true;
}

/* Header page `page` made the ELF header of the unit's view. */
static void write_view(const struct cuslice_file *f, unsigned char *page, Dwarf_Off unit, size_t size)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)page;
	Elf64_Shdr *sh = (Elf64_Shdr *)(page + sizeof(*eh));

	memcpy(eh, f->file, sizeof(*eh));	/* e_ident, type, machine: the file's */
	eh->e_phoff = 0;
	eh->e_phnum = 0;
	eh->e_shoff = sizeof(*eh);
	eh->e_shentsize = sizeof(*sh);
	eh->e_shnum = (Elf64_Half)(f->nkept + 1);
	eh->e_shstrndx = 1;
	memset(&sh[0], 0, sizeof(sh[0]));
	for (size_t k = 0; k < f->nkept; k++) {
		sh[k + 1] = f->kept[k];
		sh[k + 1].sh_offset = (Elf64_Off)(f->file + f->kept[k].sh_offset - page);
	}
	sh[f->info + 1].sh_offset += unit;
	sh[f->info + 1].sh_size = size;
}

static bool outside_form(unsigned form)
{
	switch (form) {
	case DW_FORM_ref_addr: case DW_FORM_ref_sig8: case DW_FORM_ref_sup4:
	case DW_FORM_ref_sup8: case DW_FORM_strp_sup: case DW_FORM_GNU_ref_alt:
	case DW_FORM_GNU_strp_alt: case DW_FORM_indirect:
		return true;
	}
	return false;
}

/* Every attribute form of an abbreviation stays inside the unit.  Not
 * dwarf_getattrcnt: in 0.188 it miscounts after a DW_FORM_implicit_const
 * (it does not skip the constant); dwarf_getabbrevattr_data reads it. */
static bool abbrev_inside(Dwarf_Abbrev *a)
{
	for (size_t i = 0; i < ATTRS_MAX; i++) {
		unsigned name, form;
		if (dwarf_getabbrevattr_data(a, i, &name, &form, NULL, NULL) != 0)
			return true;	/* past the last */
		if (outside_form(form))
			return false;
	}
	return false;
}

/* No attribute of the unit's abbreviations reaches outside it. */
static bool self_contained(Dwarf_Die *cudie)
{
	Dwarf_Off off = 0;

	for (int n = 0; n < ABBREVS_MAX; n++) {
		size_t len;
		Dwarf_Abbrev *a = dwarf_getabbrev(cudie, off, &len);
		if (a == DWARF_END_ABBREV)
			return true;
		if (!a || !abbrev_inside(a))
			return false;
		off += len;
	}
	return false;
}

/* The view's Dwarf holds exactly one whole compile unit, self-contained. */
static bool one_plain_unit(struct slice *s)
{
	Dwarf_CU *cu, *next;
	uint8_t type;
	Dwarf_Half version;

	return dwarf_get_units(s->dw, NULL, &cu, &version, &type, &s->cudie, NULL) == 0 &&
	       type == DW_UT_compile && dwarf_tag(&s->cudie) == DW_TAG_compile_unit &&
	       dwarf_get_units(s->dw, cu, &next, NULL, NULL, NULL, NULL) == 1 &&
	       self_contained(&s->cudie);
}

static void make_view(struct cuslice_file *f, struct slice *s, unsigned char *page)
{
	size_t size;

	if (!unit_size(f, s->unit, &size) || mprotect(page, PAGE, PROT_READ | PROT_WRITE) != 0)
		return;
	write_view(f, page, s->unit, size);
	if (mprotect(page, PAGE, PROT_READ) != 0)
		return;
	s->elf = elf_memory((char *)page, (size_t)(f->file + f->size - page));
	s->dw = s->elf ? dwarf_begin_elf(s->elf, DWARF_C_READ, NULL) : NULL;
	s->usable = s->dw && one_plain_unit(s);
	if (!s->usable) {	/* its slot stays taken: not tried again */
		dwarf_end(s->dw);
		elf_end(s->elf);
		s->dw = NULL;
		s->elf = NULL;
	}
}

static struct slice *slice_of(struct cuslice_file *f, Dwarf_Off unit)
{
	for (size_t i = 0; i < f->nslices; i++)
		if (f->slices[i].unit == unit)
			return &f->slices[i];
	if (f->nslices == CUSLICE_UNITS)
		return NULL;
	struct slice *s = &f->slices[f->nslices];
	*s = (struct slice){ .unit = unit };
	make_view(f, s, f->region + f->nslices * PAGE);
	f->nslices++;
	return s;
}

enum cuslice_answer cuslice_unit(struct cuslice_file *f, Dwarf_Addr addr, Dwarf_Die **cudie)
{
	Dwarf_Off unit;

	switch (unit_of(f, addr, &unit)) {
	case 0:
		return CUSLICE_NONE;
	case 1: {
		struct slice *s = slice_of(f, unit);
		if (!s || !s->usable)
			return CUSLICE_ASK_LIBDWFL;
		*cudie = &s->cudie;
		return CUSLICE_FOUND;
	}
	}
	return CUSLICE_ASK_LIBDWFL;	/* malformed: libdwfl says what it says */
}

Dwarf_Off cuslice_unit_offset(const struct cuslice_file *f, Dwarf_Die *die)
{
	Dwarf *dw = dwarf_cu_getdwarf(die->cu);

	for (size_t i = 0; i < f->nslices; i++)
		if (f->slices[i].usable && f->slices[i].dw == dw)
			return f->slices[i].unit;
	return 0;
}
