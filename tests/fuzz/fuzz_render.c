/*
 * fuzz_render.c - local variables rendered from crafted DWARF, the way a
 * worker renders them (locals_enrich: location expressions, entry values,
 * the value renderer), from a made-up capture.
 *
 * The input is DWARF sections, each as a byte (which section), a 32-bit
 * little-endian length and its bytes; the seeds (tests/fuzz/corpus/
 * fuzz_render, made by make-render-seeds.sh) are those of real programs
 * built by gcc and g++.  They are put in an ELF file made in memory, and
 * every function in the first units (those of the unit's own source file
 * first, then the headers' templates) gets a frame: innermost first, each
 * one the caller of the one before (at a call site when it has one, so
 * entry values are looked up), the last one called from a frame of its
 * own (its CFA), every register known and pointing into memory that
 * holds pointers, text and small numbers.
 */
#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "fuzz.h"
#include "locals.h"
#include "scopes.h"
#include "symbolize.h"

static const char *const section_names[] = {
	".debug_info", ".debug_abbrev", ".debug_str", ".debug_line", ".debug_line_str",
	".debug_loclists", ".debug_rnglists", ".debug_addr", ".debug_str_offsets",
	".debug_loc", ".debug_ranges",
};
#define N_SECTIONS (sizeof(section_names) / sizeof(section_names[0]))

#define MAX_UNITS 8
#define MAX_FUNCTIONS 6		/* physical frames */
#define MAX_FRAMES 32		/* with the inlined calls in them */
#define MAX_WALK 4096		/* DIEs looked at for functions */

/* ---- the ELF file --------------------------------------------------------- */

struct sections {
	const uint8_t *data[N_SECTIONS];
	size_t len[N_SECTIONS];
};

static void split(const uint8_t *data, size_t size, struct sections *s)
{
	memset(s, 0, sizeof(*s));
	while (size >= 5) {
		size_t id = data[0] % N_SECTIONS;
		size_t len = (size_t)data[1] | (size_t)data[2] << 8 | (size_t)data[3] << 16 |
			     (size_t)data[4] << 24;
		data += 5;
		size -= 5;
		if (len > size)
			len = size;
		if (!s->data[id]) {
			s->data[id] = data;
			s->len[id] = len;
		}
		data += len;
		size -= len;
	}
}

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Header, the sections' bytes, .shstrtab, the section headers. */
static unsigned char *make_elf(const struct sections *s, size_t *size)
{
	char shstrtab[256] = "";
	size_t strlen_total = 1, off = sizeof(Elf64_Ehdr), n = 0;
	Elf64_Shdr sh[N_SECTIONS + 2];
	size_t name_at[N_SECTIONS];

	memset(sh, 0, sizeof(sh));
	for (size_t i = 0; i < N_SECTIONS; i++) {
		name_at[i] = strlen_total;
		memcpy(shstrtab + strlen_total, section_names[i], strlen(section_names[i]) + 1);
		strlen_total += strlen(section_names[i]) + 1;
	}
	size_t shstr_name = strlen_total;
	memcpy(shstrtab + strlen_total, ".shstrtab", 10);
	strlen_total += 10;
	for (size_t i = 0; i < N_SECTIONS; i++) {
		if (!s->data[i])
			continue;
		sh[++n] = (Elf64_Shdr){ .sh_name = (Elf64_Word)name_at[i], .sh_type = SHT_PROGBITS,
					.sh_offset = off, .sh_size = s->len[i], .sh_addralign = 1 };
		off = align8(off + s->len[i]);
	}
	sh[++n] = (Elf64_Shdr){ .sh_name = (Elf64_Word)shstr_name, .sh_type = SHT_STRTAB,
				.sh_offset = off, .sh_size = strlen_total, .sh_addralign = 1 };
	off = align8(off + strlen_total);
	*size = off + (n + 1) * sizeof(Elf64_Shdr);
	unsigned char *img = calloc(1, *size);
	if (!img)
		return NULL;
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_shoff = off, .e_ehsize = sizeof(Elf64_Ehdr), .e_shentsize = sizeof(Elf64_Shdr),
		.e_shnum = (Elf64_Half)(n + 1), .e_shstrndx = (Elf64_Half)n,
	};
	memcpy(img, &eh, sizeof(eh));
	for (size_t i = 0, k = 1; i < N_SECTIONS; i++)
		if (s->data[i])
			memcpy(img + sh[k++].sh_offset, s->data[i], s->len[i]);
	memcpy(img + sh[n].sh_offset, shstrtab, strlen_total);
	memcpy(img + off, sh, (n + 1) * sizeof(Elf64_Shdr));
	return img;
}

/* ---- the process's memory --------------------------------------------------- */

#define STACK_BASE 0x7ffc00000000ull
#define STACK_SIZE (64 * 1024)
#define SP_OFFSET (16 * 1024)	/* the innermost frame's stack pointer */
#define FRAME_SIZE 0x200

static const struct { uint64_t base; size_t size; } areas[] = {
	{ 0x1000, 256 * 1024 },		/* a PIE's data at its link address */
	{ 0x400000, 64 * 1024 },	/* a non-PIE's */
	{ STACK_BASE, STACK_SIZE },
};
#define N_AREAS (sizeof(areas) / sizeof(areas[0]))

static struct snapshot_region regions[N_AREAS];

/* Words that are pointers into the areas, text, small and odd numbers. */
static void fill(unsigned char *p, size_t size)
{
	static const char text[] = "booboo fuzz\n\x1b[31m\xc3\xa9\xff";
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i + 8 <= size; i += 8) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t w, r = x >> 33;
		switch (r % 6) {
		case 0: w = areas[r % N_AREAS].base + (r % areas[r % N_AREAS].size); break;
		case 1: w = STACK_BASE + (r % STACK_SIZE & ~7ull); break;
		case 2: memcpy(&w, text + r % (sizeof(text) - 8), 8); break;
		case 3: w = r % 256; break;
		case 4: w = r & 1 ? UINT64_MAX : 0; break;
		default: w = x; break;
		}
		memcpy(p + i, &w, 8);
	}
}

static void make_memory(struct snapshot *mem)
{
	for (size_t i = 0; i < N_AREAS; i++) {
		regions[i] = (struct snapshot_region){ .addr = areas[i].base,
						       .data = malloc(areas[i].size),
						       .len = areas[i].size };
		if (!regions[i].data)
			abort();
		fill(regions[i].data, areas[i].size);
	}
	*mem = (struct snapshot){ .regions = regions, .n_regions = N_AREAS };
}

/* ---- frames ------------------------------------------------------------------ */

struct frames {
	struct symbolized sym;
	struct sym_frame frame[MAX_FRAMES];
	struct capture_frame cf[MAX_FUNCTIONS + 1];	/* + the outermost's caller */
	size_t n_cf;
	unsigned walked;
};

/* Where a function's frame stands: the return address of its first call
 * site (a caller's frame is at one), else the middle of its code. */
static bool pc_in(Dwarf_Die *fn, Dwarf_Addr *pc)
{
	Dwarf_Addr lo, hi;
	Dwarf_Die child;
	Dwarf_Attribute a;

	if (dwarf_lowpc(fn, &lo) != 0)
		return false;
	*pc = dwarf_highpc(fn, &hi) == 0 && hi > lo ? lo + (hi - lo) / 2 : lo;
	if (dwarf_child(fn, &child) == 0)
		do {
			int tag = dwarf_tag(&child);
			Dwarf_Addr ret;
			if ((tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site) &&
			    dwarf_formaddr(dwarf_attr(&child, tag == DW_TAG_call_site ?
						      DW_AT_call_return_pc : DW_AT_low_pc, &a), &ret) == 0 &&
			    ret > 0) {
				*pc = ret - 1;
				break;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
	return true;
}

static void push(struct frames *f, Dwarf_Die *cu, Dwarf_Die *scope, Dwarf_Addr pc, bool inlined)
{
	struct sym_frame *s = &f->frame[f->sym.n_frames++];

	*s = (struct sym_frame){ .pc = pc, .inlined = inlined, .lookup_pc = pc, .has_scope = true,
				 .scope = *scope, .cu = *cu, .capture_index = f->n_cf };
}

/* The capture's frame (the next one out): registers that point into the
 * stack, each frame's stack pointer above the one before. */
static void add_registers(struct frames *f, Dwarf_Addr pc)
{
	uint64_t sp = STACK_BASE + SP_OFFSET + f->n_cf * FRAME_SIZE;
	struct capture_frame *c = &f->cf[f->n_cf++];

	for (unsigned r = 0; r < BB_NREGS; r++)
		c->regs[r] = regions[r % N_AREAS].addr + r * 0x48;
	c->regs[BB_REG_RSP] = sp;
	c->regs[6] = sp + FRAME_SIZE - 16;	/* rbp */
	c->regs[BB_REG_RIP] = pc;
	c->regs_known = (1u << BB_NREGS) - 1;
	c->pc = f->n_cf == 1 ? pc : pc + 1;
	c->activation = f->n_cf == 1;
}

/* The frames at pc, as symbolize.c makes them: the inlined calls that hold
 * it, innermost first, then the function. */
static void add_function(struct frames *f, Dwarf_Die *cu, Dwarf_Addr pc)
{
	Dwarf_Die *scopes = NULL, *chain = NULL;
	int n = scopes_at(cu, pc, &scopes), m = 0;

	for (int i = 0; i < n; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine)
			continue;
		if (tag == DW_TAG_inlined_subroutine)
			m = dwarf_getscopes_die(&scopes[i], &chain);
		Dwarf_Die *list = m > 0 ? chain : &scopes[i];
		for (int k = 0; k < (m > 0 ? m : 1) && f->sym.n_frames < MAX_FRAMES; k++) {
			int t = dwarf_tag(&list[k]);
			if (t != DW_TAG_subprogram && t != DW_TAG_inlined_subroutine)
				continue;
			push(f, cu, &list[k], pc, t == DW_TAG_inlined_subroutine);
			if (t == DW_TAG_subprogram)
				break;
		}
		break;
	}
	free(chain);
	free(scopes);
	add_registers(f, pc);
}

/* Was fn declared in the unit's own source file (a program's function, not
 * a header's template)? */
static bool own_function(Dwarf_Die *fn, Dwarf_Die *cu)
{
	const char *decl = dwarf_decl_file(fn), *name = dwarf_diename(cu);
	const char *a = decl ? strrchr(decl, '/') : NULL, *b = name ? strrchr(name, '/') : NULL;

	return decl && name && strcmp(a ? a + 1 : decl, b ? b + 1 : name) == 0;
}

/* Functions with code, in the unit and its namespaces and classes: those
 * of its own source file (own), or the others. */
static void find_functions(struct frames *f, Dwarf_Die *cu, Dwarf_Die *parent, int depth,
		bool own)
{
	Dwarf_Die child;
	Dwarf_Addr pc;

	if (depth > 3 || dwarf_child(parent, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);
		if (++f->walked > MAX_WALK || f->n_cf == MAX_FUNCTIONS)
			return;
		if (tag == DW_TAG_subprogram && own_function(&child, cu) == own && pc_in(&child, &pc))
			add_function(f, cu, pc);
		else if (tag == DW_TAG_namespace || tag == DW_TAG_class_type ||
			 tag == DW_TAG_structure_type)
			find_functions(f, cu, &child, depth + 1, own);
	} while (dwarf_siblingof(&child, &child) == 0);
}

static void free_vars(struct frames *f)
{
	for (size_t i = 0; i < f->sym.n_frames; i++) {
		for (size_t v = 0; v < f->frame[i].n_vars; v++) {
			free(f->frame[i].vars[v].name);
			free(f->frame[i].vars[v].value);
		}
		free(f->frame[i].vars);
	}
}

static void render_locals(Dwarf *dw)
{
	static struct frames f;
	static struct capture cap;
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;
	uint8_t unit_type;
	Dwarf_Half version;

	if (!cap.mem.regions)
		make_memory(&cap.mem);
	memset(&f, 0, sizeof(f));
	f.sym.frames = f.frame;
	for (int own = 1; own >= 0; own--) {	/* the program's functions first */
		cu = NULL;
		for (int u = 0; u < MAX_UNITS && f.n_cf < MAX_FUNCTIONS &&
		     dwarf_get_units(dw, cu, &cu, &version, &unit_type, &cudie, NULL) == 0; u++)
			find_functions(&f, &cudie, &cudie, 0, own);
	}
	add_registers(&f, 0);	/* the outermost function's caller: its CFA */
	cap.frames = f.cf;
	cap.n_frames = f.n_cf;
	locals_enrich(&f.sym, &cap, fuzz_config());
	free_vars(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sections s;
	size_t len;

	split(data, size, &s);
	if (!s.data[0])
		return 0;
	unsigned char *img = make_elf(&s, &len);
	if (!img)
		return 0;
	elf_version(EV_CURRENT);
	Elf *elf = elf_memory((char *)img, len);
	Dwarf *dw = elf ? dwarf_begin_elf(elf, DWARF_C_READ, NULL) : NULL;
	if (dw) {
		render_locals(dw);
		dwarf_end(dw);
	}
	if (elf)
		elf_end(elf);
	free(img);
	return 0;
}
