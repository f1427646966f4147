/*
 * symtab.c - names from a module's ELF symbol table (see symtab.h): a
 * remembered answer, else the sorted index where a module has one, else
 * one pass over the table.
 *
 * The pass reads the table's ELF section directly when it is the very
 * one libdwfl reads (same entries, same strings, checked when opened) on
 * a machine where libdwfl does nothing more to a symbol's value than add
 * the file's bias; libdwfl's dwfl_module_getsym_info costs 40-300 ns a
 * symbol (it looks up the symbol's section each time), the raw entry
 * a few.  Otherwise, and for the rare symbol with an extended section
 * index, libdwfl answers.
 */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addrsort.h"
#include "symtab.h"

#define SECTIONS_MAX 65536	/* more, and the table is read through libdwfl */

struct symtab_raw {
	const Elf64_Sym *syms;	/* n entries */
	const char *strs;
	size_t strsize;
	GElf_Addr bias;		/* of the file the table is in */
	size_t nsec;
	unsigned char alloc[];	/* per section: SHF_ALLOC */
};

struct symtab_sorted {
	size_t n;
	struct addr_key keys[];	/* item: the entry's index in the table */
};

/* One entry of the table as the lookups see it. */
struct sym {
	GElf_Addr addr;
	GElf_Xword size;
	const char *name;
	int type;
	GElf_Section shndx;
};

void symtab_init(struct symtab *t, Dwfl_Module *mod)
{
	memset(t, 0, sizeof(*t));
	t->mod = mod;
}

void symtab_free(struct symtab *t)
{
	free(t->raw);
	free(t->sorted);
	memset(t, 0, sizeof(*t));
}

/* ---- the raw section ---------------------------------------------------- */

/* Machines where a symbol's address is its value plus the bias: no
 * function descriptors (ppc64), no mode bit in the value (arm). */
static bool plain_values(Elf *elf)
{
	GElf_Ehdr eh;

	return gelf_getehdr(elf, &eh) && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
	       eh.e_type != ET_REL && (eh.e_machine == EM_X86_64 || eh.e_machine == EM_AARCH64);
}

/* The section of elf whose entries 1 and n-1 have the names libdwfl gave
 * them, at the same addresses: the table libdwfl reads, not a merged one
 * (minidebuginfo) or one it found without section headers. */
static Elf_Data *same_table(Elf *elf, int n, const char *first, const char *last,
		Elf_Data **strings)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		Elf_Data *s = elf_getdata(elf_getscn(elf, sh.sh_link), NULL);
		if (!d || !s || !d->d_buf || !s->d_buf || d->d_type != ELF_T_SYM ||
		    d->d_size != (size_t)n * sizeof(Elf64_Sym))
			continue;
		const Elf64_Sym *syms = d->d_buf;
		uintptr_t base = (uintptr_t)s->d_buf;	/* integers: a name may lie anywhere */
		if ((uintptr_t)first - base == syms[1].st_name &&
		    (uintptr_t)last - base == syms[n - 1].st_name) {
			*strings = s;
			return d;
		}
	}
	return NULL;
}

static GElf_Addr raw_addr(const struct symtab_raw *raw, const Elf64_Sym *s);

/* The raw table gives libdwfl's addresses for the entries libdwfl named. */
static bool same_addresses(const struct symtab_raw *raw, int n, GElf_Addr first, GElf_Addr last)
{
	return raw_addr(raw, &raw->syms[1]) == first && raw_addr(raw, &raw->syms[n - 1]) == last;
}

static struct symtab_raw *raw_open(Dwfl_Module *mod, int n)
{
	GElf_Sym sym;
	GElf_Addr addr_first, addr_last;
	Elf *elf, *elf_last;
	Dwarf_Addr bias, bias_last;
	Elf_Data *strings;
	size_t nsec;

	const char *first = n >= 2 ? dwfl_module_getsym_info(mod, 1, &sym, &addr_first, NULL, &elf,
							     &bias) : NULL;
	const char *last = first ? dwfl_module_getsym_info(mod, n - 1, &sym, &addr_last, NULL,
							   &elf_last, &bias_last) : NULL;
	if (!last || elf_last != elf || bias_last != bias || !plain_values(elf) ||
	    elf_getshdrnum(elf, &nsec) != 0 || nsec > SECTIONS_MAX)
		return NULL;
	Elf_Data *table = same_table(elf, n, first, last, &strings);
	struct symtab_raw *raw = table ? calloc(1, sizeof(*raw) + nsec) : NULL;
	if (!raw)
		return NULL;
	*raw = (struct symtab_raw){ .syms = table->d_buf, .strs = strings->d_buf,
				    .strsize = strings->d_size, .bias = bias, .nsec = nsec };
	for (size_t i = 0; i < nsec; i++) {
		GElf_Shdr sh;
		/* as libdwfl: a section it cannot read counts as allocated */
		raw->alloc[i] = !gelf_getshdr(elf_getscn(elf, i), &sh) || (sh.sh_flags & SHF_ALLOC);
	}
	if (same_addresses(raw, n, addr_first, addr_last))
		return raw;
	free(raw);
	return NULL;
}

/* libdwfl's address for a raw entry (dwfl_module_getsym.c). */
static GElf_Addr raw_addr(const struct symtab_raw *raw, const Elf64_Sym *s)
{
	if (s->st_shndx == SHN_ABS || s->st_shndx == SHN_COMMON)
		return s->st_value;
	if (s->st_shndx < SHN_LORESERVE && s->st_shndx < raw->nsec && !raw->alloc[s->st_shndx])
		return s->st_value;
	return s->st_value + raw->bias;
}

static void open_table(struct symtab *t)
{
	if (t->opened)
		return;
	t->opened = true;
	t->n = dwfl_module_getsymtab(t->mod);
	if (t->n > 0)
		t->raw = raw_open(t->mod, t->n);
}

/* ---- one entry ---------------------------------------------------------- */

/* Entry i, its name left out where the raw section is read (the name is
 * only wanted for the few entries that matter: sym_name). */
static bool sym_head(const struct symtab *t, int i, struct sym *out)
{
	const Elf64_Sym *s = t->raw ? &t->raw->syms[i] : NULL;

	if (!s || s->st_shndx == SHN_XINDEX) {
		GElf_Sym gs;
		out->name = dwfl_module_getsym_info(t->mod, i, &gs, &out->addr, NULL, NULL, NULL);
		if (!out->name)
			return false;
		out->size = gs.st_size;
		out->type = GELF_ST_TYPE(gs.st_info);
		out->shndx = gs.st_shndx;
		return true;
	}
	out->type = ELF64_ST_TYPE(s->st_info);
	out->shndx = s->st_shndx;
	out->size = s->st_size;
	out->addr = raw_addr(t->raw, s);
	out->name = NULL;
	return true;
}

/* The entry's name, NULL where libdwfl would give none. */
static const char *sym_name(const struct symtab *t, int i, struct sym *s)
{
	if (!s->name && t->raw && t->raw->syms[i].st_name < t->raw->strsize)
		s->name = t->raw->strs + t->raw->syms[i].st_name;
	return s->name;
}

/* A function or an object the index would hold. */
static bool indexed(const struct sym *s)
{
	return (s->type == STT_FUNC || s->type == STT_OBJECT) && s->shndx != SHN_UNDEF;
}

static bool named(const struct symtab *t, int i, struct sym *s)
{
	const char *name = sym_name(t, i, s);

	return name && *name;
}

/* ---- lookups ------------------------------------------------------------ */

/* The last entry at or below addr in (address, table index) order: one
 * pass over the table. */
static int scan(const struct symtab *t, GElf_Addr addr)
{
	struct sym s;
	GElf_Addr best_addr = 0;
	int best = -1;

	for (int i = 1; i < t->n; i++)
		if (sym_head(t, i, &s) && indexed(&s) && s.addr <= addr &&
		    (best < 0 || s.addr >= best_addr) && named(t, i, &s)) {
			best = i;
			best_addr = s.addr;
		}
	return best;
}

/* The index: every entry a scan could choose, by address, aliases (memcpy
 * and memmove share code) in table order, so that a search lands on the
 * one a scan would choose, the later. */
static void build_sorted(struct symtab *t)
{
	struct symtab_sorted *idx = malloc(sizeof(*idx) + (size_t)t->n * sizeof(idx->keys[0]));
	struct addr_key *tmp = malloc((size_t)t->n * sizeof(*tmp));
	struct sym s;

	if (idx && tmp) {
		idx->n = 0;
		for (int i = 1; i < t->n; i++)
			if (sym_head(t, i, &s) && indexed(&s) && named(t, i, &s))
				idx->keys[idx->n++] = (struct addr_key){ s.addr, (uint64_t)i };
		addr_sort(idx->keys, tmp, idx->n);
		t->sorted = idx;
		idx = NULL;
	}
	free(idx);	/* no memory: scanning goes on */
	free(tmp);
}

static int search_sorted(const struct symtab_sorted *idx, GElf_Addr addr)
{
	size_t at = addr_upper(idx->keys, idx->n, addr);

	return at ? (int)idx->keys[at - 1].item : -1;
}

/* What libdwfl says of the entry a raw pass chose is what the pass read. */
static bool raw_agrees(const struct symtab *t, int i)
{
	struct sym raw;
	GElf_Sym gs;
	GElf_Addr addr;

	sym_head(t, i, &raw);
	return dwfl_module_getsym_info(t->mod, i, &gs, &addr, NULL, NULL, NULL) &&
	       addr == raw.addr && gs.st_size == raw.size;
}

/* The entry a lookup of addr lands on, -1 if none. */
static int find(struct symtab *t, GElf_Addr addr)
{
	if (!t->sorted && t->scans >= SYMTAB_SCANS)
		build_sorted(t);
	if (t->sorted)
		return search_sorted(t->sorted, addr);
	t->scans++;
	int i = scan(t, addr);
	if (i >= 0 && t->raw && !raw_agrees(t, i)) {
		free(t->raw);	/* never again: this module is read through libdwfl */
		t->raw = NULL;
		i = scan(t, addr);
	}
	return i;
}

static struct symtab_memo *memo_slot(struct symtab *t, GElf_Addr addr)
{
	return &t->memo[((uint64_t)addr * 0x9e3779b97f4a7c15ull) >> 58];
}

bool symtab_lookup(struct symtab *t, GElf_Addr addr, const char **name, GElf_Off *off)
{
	struct symtab_memo *m = memo_slot(t, addr);

	if (!m->set || m->addr != addr) {
		open_table(t);
		int i = find(t, addr);
		GElf_Sym gs;
		GElf_Addr at = 0;
		const char *s = i >= 0 ? dwfl_module_getsym_info(t->mod, i, &gs, &at, NULL, NULL, NULL)
				       : NULL;
		/* inside it, a sizeless symbol covering its first byte */
		if (s && addr - at >= (gs.st_size ? gs.st_size : 1))
			s = NULL;
		*m = (struct symtab_memo){ .addr = addr, .name = s, .off = addr - at, .set = true };
	}
	*name = m->name;
	*off = m->off;
	return m->name != NULL;
}

bool symtab_function(struct symtab *t, const char *name, GElf_Addr *addr)
{
	struct sym s;

	open_table(t);
	for (int i = 1; i < t->n; i++)
		if (sym_head(t, i, &s) && s.type == STT_FUNC && s.shndx != SHN_UNDEF &&
		    sym_name(t, i, &s) && strcmp(s.name, name) == 0) {
			GElf_Sym gs;
			return dwfl_module_getsym_info(t->mod, i, &gs, addr, NULL, NULL, NULL) != NULL;
		}
	return false;
}
