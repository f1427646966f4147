/*
 * symbolize.c - functions, files and lines for captured frames, with libdw.
 *
 * Runs after the process is released, from the capture alone: a fresh
 * Dwfl built from the copied maps, allowed to load separate debug info
 * (and to ask debuginfod).  Inline chains follow the field notes: the
 * innermost function-like scope, then dwarf_getscopes_die on it.
 */
#include <dwarf.h>
#include <fcntl.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callsite.h"
#include "inapp.h"
#include "log.h"
#include "names.h"
#include "scopes.h"
#include "symbolize.h"
#include "symcache.h"

static void set_names(struct sym_frame *f, char *demangled)
{
	f->symbol = demangled;
	f->function = demangled ? names_short(demangled) : NULL;
}

static char *join_path(const char *dir, const char *name)
{
	char *out;

	if (!name)
		return NULL;
	if (name[0] == '/' || !dir || !*dir)
		return strdup(name);
	if (asprintf(&out, "%s/%s", dir, name) < 0)
		return NULL;
	return out;
}

/* ---- modules ------------------------------------------------------------ */

/* The GNU build-id of an ELF file through libelf reading only the headers
 * and the note (a few small reads), where opening the module with libdwfl
 * costs ~100 us; elfutils checks every size in the note. */
static void read_build_id(int fd, char *hex, size_t hexlen)
{
	Elf *elf = elf_version(EV_CURRENT) != EV_NONE ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	const unsigned char *bits;
	ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, (const void **)&bits) : -1;

	for (ssize_t k = 0; k < n && (size_t)(2 * k + 2) < hexlen; k++)
		snprintf(hex + 2 * k, 3, "%02x", bits[k]);
	elf_end(elf);
}

struct collect {
	struct symbolized *s;
	const struct capture *cap;
};

static int collect_module(Dwfl_Module *mod, void **ud, const char *name,
		Dwarf_Addr start, void *arg)
{
	struct collect *c = arg;
	struct symbolized *s = c->s;
	Dwarf_Addr end;

	(void)ud;
	struct sym_module *m = realloc(s->modules, (s->n_modules + 1) * sizeof(*m));
	if (!m)
		return DWARF_CB_ABORT;
	s->modules = m;
	m = &s->modules[s->n_modules++];
	memset(m, 0, sizeof(*m));
	m->path = strdup(name ? name : "");
	m->base = start;
	dwfl_module_info(mod, NULL, NULL, &end, NULL, NULL, NULL, NULL);
	m->end = end;
	/* the file that was mapped, opened as the user during the hold */
	int fd = name ? capture_file_fd(c->cap, name) : -1;
	if (fd >= 0)
		read_build_id(fd, m->build_id, sizeof(m->build_id));
	return DWARF_CB_OK;
}

/* ---- one frame ------------------------------------------------------------ */

static struct sym_frame *push_frame(struct symbolized *s, size_t *cap)
{
	if (s->n_frames == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct sym_frame *f = realloc(s->frames, ncap * sizeof(*f));
		if (!f)
			return NULL;
		s->frames = f;
		*cap = ncap;
	}
	struct sym_frame *f = &s->frames[s->n_frames++];
	memset(f, 0, sizeof(*f));
	return f;
}

static char *symtab_name(Dwfl_Module *mod, Dwarf_Addr addr)
{
	GElf_Off off;
	GElf_Sym sym;
	const char *name = NULL;
	char *copy, *at;

	/* the cache's sorted index where it has one, libdwfl's walk of the
	 * symbol table otherwise */
	if (!symcache_symbol(mod, addr, &name, &off))
		name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (!name)
		return NULL;
	copy = strdup(name);
	if (copy && (at = strchr(copy, '@')) != NULL)
		*at = '\0';	/* memcpy@GLIBC_2.14 -> memcpy */
	char *d = names_demangle(copy);
	free(copy);
	return d;
}

static const char *call_file(Dwarf_Die *cudie, Dwarf_Die *inlined)
{
	Dwarf_Attribute attr;
	Dwarf_Word idx;
	Dwarf_Files *files;
	size_t nfiles;

	if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attr), &idx) != 0)
		return NULL;
	if (dwarf_getsrcfiles(cudie, &files, &nfiles) != 0 || idx >= nfiles)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

/* scopes_at (as dwarf_getscopes) does not enter a function that does not hold the pc, so
 * it misses functions defined inside one (a C++ lambda's operator() sits
 * in a class inside main).  Look everywhere, bounded by depth. */
static bool find_function_deep(Dwarf_Die *parent, Dwarf_Addr pc, int depth, Dwarf_Die *out)
{
	Dwarf_Die child;

	if (depth > 24 || dwarf_child(parent, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);
		bool fnlike = tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine;
		if (fnlike && dwarf_haspc(&child, pc) == 1) {
			*out = child;
			/* an inlined call inside it is more precise */
			find_function_deep(&child, pc, depth + 1, out);
			return true;
		}
		if ((tag == DW_TAG_lexical_block && dwarf_haspc(&child, pc) == 1) ||
		    tag == DW_TAG_subprogram || tag == DW_TAG_class_type ||
		    tag == DW_TAG_structure_type || tag == DW_TAG_namespace ||
		    tag == DW_TAG_union_type)
			if (find_function_deep(&child, pc, depth + 1, out))
				return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

static Dwarf_Addr line_addr(Dwarf_Lines *lines, size_t i)
{
	Dwarf_Addr a = 0;

	dwarf_lineaddr(dwarf_onesrcline(lines, i), &a);
	return a;
}

static bool line_flag(int (*get)(Dwarf_Line *, bool *), Dwarf_Line *l)
{
	bool v = false;

	return get(l, &v) == 0 && v;
}

/* The source line of a DWARF address as gdb picks it.  Compilers emit
 * several rows at one address (one per inlined call starting there);
 * libdw's lookup takes the last of them, gdb the last that begins a
 * statement, which is where the line of the innermost call is. */
static bool line_at(Dwarf_Die *cu, Dwarf_Addr addr, const char **file, int *line, int *col)
{
	Dwarf_Lines *lines;
	size_t n, lo = 0, hi;

	if (dwarf_getsrclines(cu, &lines, &n) != 0 || n == 0)
		return false;
	for (hi = n; lo < hi;) {	/* the first row past addr */
		size_t mid = lo + (hi - lo) / 2;
		if (line_addr(lines, mid) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	Dwarf_Line *best = dwarf_onesrcline(lines, lo - 1);
	if (line_flag(dwarf_lineendsequence, best))
		return false;	/* in a gap between sequences */
	Dwarf_Addr at = line_addr(lines, lo - 1);
	for (size_t i = lo; i-- > 0 && line_addr(lines, i) == at;) {
		Dwarf_Line *l = dwarf_onesrcline(lines, i);
		if (!line_flag(dwarf_lineendsequence, l) &&
		    line_flag(dwarf_linebeginstatement, l)) {
			best = l;
			break;
		}
	}
	*file = dwarf_linesrc(best, NULL, NULL);
	dwarf_lineno(best, line);
	dwarf_linecol(best, col);
	return true;
}

/* Assembly functions with several names (glibc's memcpy and memmove
 * variants) are sibling subprograms with the same code: take the last of
 * them, the one gdb names. */
static void last_alias(Dwarf_Die *fn)
{
	Dwarf_Die next = *fn;
	Dwarf_Addr pc, next_pc;

	if (dwarf_lowpc(fn, &pc) != 0)
		return;
	for (int i = 0; i < 8 && dwarf_siblingof(&next, &next) == 0; i++) {
		if (dwarf_tag(&next) != DW_TAG_subprogram || dwarf_lowpc(&next, &next_pc) != 0 ||
		    next_pc != pc)
			return;
		*fn = next;
	}
}

/* Fill the frames of one pc: the inline chain innermost first, then the
 * real function.  Returns the number of frames added. */
/* mod is the cached module of the frame's file, where addresses are
 * `shift` below the crashed process's: look up at addr - shift, and
 * record the process's own DWARF bias so that lookup_pc - bias is the
 * DWARF address whatever Dwfl it came from. */
/* ---- what a pc means, kept across crashes ---------------------------------
 * Finding a pc's scopes walks its CU; the same program crashing again hits
 * the same pcs, so the result is kept, keyed by the cached module's
 * generation and the pc there. */

#define PC_CACHE_SLOTS 4096
#define PC_CACHE_CHAIN 8

struct pc_frame {
	char *symbol, *filename;
	int lineno, colno;
	bool inlined;
	Dwarf_Die scope, cu;
	Dwarf_Addr dwarf_bias;	/* DWARF address = cached address - dwarf_bias */
};

static struct pc_entry {
	unsigned long generation;
	Dwarf_Addr caddr;
	struct pc_frame frames[PC_CACHE_CHAIN];
	size_t n;
} pc_cache[PC_CACHE_SLOTS];

static struct pc_entry *pc_slot(unsigned long gen, Dwarf_Addr caddr)
{
	uint64_t h = (caddr * 0x9e3779b97f4a7c15ull) ^ gen;

	return &pc_cache[(h >> 20) % PC_CACHE_SLOTS];
}

static void pc_entry_clear(struct pc_entry *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->frames[i].symbol);
		free(e->frames[i].filename);
	}
	memset(e, 0, sizeof(*e));
}

static void set_names(struct sym_frame *f, char *demangled);

/* Replay a cached chain; returns the number of frames added. */
static size_t pc_cache_replay(struct symbolized *s, size_t *cap, unsigned long gen,
		Dwarf_Addr caddr, Dwarf_Addr addr, Dwarf_Addr shift, Dwfl_Module *mod,
		const struct sym_frame *base)
{
	struct pc_entry *e = pc_slot(gen, caddr);
	size_t added = 0;

	if (!gen || e->generation != gen || e->caddr != caddr || e->n == 0)
		return 0;
	for (size_t i = 0; i < e->n; i++) {
		const struct pc_frame *c = &e->frames[i];
		struct sym_frame *f = push_frame(s, cap);
		if (!f)
			break;
		*f = *base;
		f->module = base->module ? strdup(base->module) : NULL;
		set_names(f, c->symbol ? strdup(c->symbol) : NULL);
		f->filename = c->filename ? strdup(c->filename) : NULL;
		if (f->filename && inapp_system_source(f->filename))
			f->in_app = false;
		f->lineno = c->lineno;
		f->colno = c->colno;
		f->inlined = c->inlined;
		f->mod = mod;
		f->bias = c->dwarf_bias + shift;
		f->shift = shift;
		f->lookup_pc = addr;
		f->has_scope = true;
		f->scope = c->scope;
		f->cu = c->cu;
		added++;
	}
	return added;
}

static void pc_cache_store(unsigned long gen, Dwarf_Addr caddr, const struct sym_frame *frames,
		size_t n, Dwarf_Addr shift)
{
	struct pc_entry *e = pc_slot(gen, caddr);

	if (!gen || n == 0 || n > PC_CACHE_CHAIN)
		return;
	pc_entry_clear(e);
	e->generation = gen;
	e->caddr = caddr;
	for (size_t i = 0; i < n; i++) {
		struct pc_frame *c = &e->frames[i];
		c->symbol = frames[i].symbol ? strdup(frames[i].symbol) : NULL;
		c->filename = frames[i].filename ? strdup(frames[i].filename) : NULL;
		c->lineno = frames[i].lineno;
		c->colno = frames[i].colno;
		c->inlined = frames[i].inlined;
		c->scope = frames[i].scope;
		c->cu = frames[i].cu;
		c->dwarf_bias = frames[i].bias - shift;
	}
	e->n = n;
}

static size_t describe_dwarf_uncached(struct symbolized *s, size_t *cap, Dwfl_Module *mod,
		Dwarf_Addr addr, Dwarf_Addr shift, const struct sym_frame *base);

static size_t describe_dwarf(struct symbolized *s, size_t *cap, Dwfl_Module *mod,
		Dwarf_Addr addr, Dwarf_Addr shift, const struct sym_frame *base)
{
	unsigned long gen = symcache_generation(mod);
	Dwarf_Addr caddr = addr - shift;
	size_t added = pc_cache_replay(s, cap, gen, caddr, addr, shift, mod, base);

	if (added)
		return added;
	size_t first = s->n_frames;
	added = describe_dwarf_uncached(s, cap, mod, addr, shift, base);
	pc_cache_store(gen, caddr, s->frames + first, added, shift);
	return added;
}

static size_t describe_dwarf_uncached(struct symbolized *s, size_t *cap, Dwfl_Module *mod,
		Dwarf_Addr addr, Dwarf_Addr shift, const struct sym_frame *base)
{
	Dwarf_Addr bias;
	Dwarf_Addr caddr = addr - shift;
	Dwarf_Die *cudie = symcache_addrdie(mod, caddr, &bias);
	Dwarf_Die *scopes = NULL, *chain = NULL;
	int nscopes, nchain = 0;
	size_t added = 0;

	if (!cudie)
		return 0;
	nscopes = scopes_at(cudie, caddr - bias, &scopes);
	int fn = -1;
	for (int i = 0; i < nscopes; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
			fn = i;
			break;
		}
	}
	Dwarf_Die found;
	Dwarf_Die *innermost = fn >= 0 ? &scopes[fn] : NULL;
	if (!innermost && find_function_deep(cudie, caddr - bias, 0, &found))
		innermost = &found;
	if (!innermost) {
		free(scopes);
		return 0;
	}
	if (dwarf_tag(innermost) == DW_TAG_subprogram)
		last_alias(innermost);
	/* Only an inline chain needs the DIE's ancestors (a walk of the CU):
	 * a plain function is its own, only frame. */
	nchain = dwarf_tag(innermost) == DW_TAG_inlined_subroutine ?
		dwarf_getscopes_die(innermost, &chain) : 0;
	if (nchain <= 0) {
		chain = NULL;
		nchain = 0;
	}
	const char *comp_dir = NULL;
	Dwarf_Attribute attr;
	comp_dir = dwarf_formstring(dwarf_attr(cudie, DW_AT_comp_dir, &attr));

	const char *file = NULL;
	int lineno = 0, col = 0;
	line_at(cudie, caddr - bias, &file, &lineno, &col);

	Dwarf_Die *list = nchain ? chain : innermost;
	int n = nchain ? nchain : 1;
	for (int i = 0; i < n; i++) {
		int tag = dwarf_tag(&list[i]);
		if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine)
			continue;
		struct sym_frame *f = push_frame(s, cap);
		if (!f)
			break;
		*f = *base;
		f->module = base->module ? strdup(base->module) : NULL;
		set_names(f, names_of_function(&list[i]));
		f->filename = join_path(comp_dir, file);
		/* Library code inlined into the program (C++ headers) is not the
		 * program's own, whatever module it was compiled into. */
		if (f->filename && inapp_system_source(f->filename))
			f->in_app = false;
		f->lineno = lineno;
		f->colno = col;
		f->inlined = tag == DW_TAG_inlined_subroutine;
		f->mod = mod;
		f->bias = bias + shift;
		f->shift = shift;
		f->lookup_pc = addr;
		f->has_scope = true;
		f->scope = list[i];
		f->cu = *cudie;
		added++;
		if (tag == DW_TAG_subprogram)
			break;
		/* The caller's line is where this inlined call sits. */
		Dwarf_Word cl = 0, cc = 0;
		dwarf_formudata(dwarf_attr(&list[i], DW_AT_call_line, &attr), &cl);
		dwarf_formudata(dwarf_attr(&list[i], DW_AT_call_column, &attr), &cc);
		file = call_file(cudie, &list[i]);
		lineno = (int)cl;
		col = (int)cc;
	}
	free(chain);
	free(scopes);
	return added;
}

Dwfl_Module *symbolize_cached_module(const struct capture *cap, Dwfl_Module *rt,
		Dwarf_Addr *shift)
{
	Dwarf_Addr rt_start, c_start, c_bias;
	const char *path = dwfl_module_info(rt, NULL, &rt_start, NULL, NULL, NULL, NULL, NULL);
	int fd = capture_file_fd(cap, path);
	/* -2: mapped, but the user may not read it (or it is no file now) */
	Dwfl_Module *cmod = fd == -2 ? NULL : symcache_module(path, fd, &c_bias);

	if (!cmod)
		return NULL;
	/* Placed by where its first page was mapped: the process's module is
	 * never opened (that would cost a file open per module and crash,
	 * and could read a file replaced since). */
	dwfl_module_info(cmod, NULL, &c_start, NULL, NULL, NULL, NULL, NULL);
	*shift = rt_start - c_start;
	return cmod;
}

static void describe_frame(struct symbolized *s, size_t *cap, Dwfl *dwfl,
		uint64_t pc, bool activation, const struct capture *cap_in, size_t index)
{
	const char *exe = cap_in->exe;
	Dwarf_Addr addr = activation || pc == 0 ? pc : pc - 1;
	Dwfl_Module *mod = dwfl_addrmodule(dwfl, addr);
	struct sym_frame base = { .pc = pc, .capture_index = index };
	const char *modname = NULL;
	Dwarf_Addr start = 0;

	if (mod) {
		modname = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
		if (inapp_shim_module(modname))
			return;	/* our own frames are not the program's stack */
		base.module = (char *)modname;
		base.module_offset = pc - start;
		base.in_app = inapp_module(modname, exe);
	}
	Dwarf_Addr shift = 0, rt_bias = 0;
	Dwfl_Module *cmod = mod ? symbolize_cached_module(cap_in, mod, &shift) : NULL;
	if (cmod)
		dwfl_module_getelf(cmod, &rt_bias), rt_bias += shift;
	if (cmod && describe_dwarf(s, cap, cmod, addr, shift, &base) > 0)
		return;
	struct sym_frame *f = push_frame(s, cap);
	if (!f)
		return;
	*f = base;
	f->module = modname ? strdup(modname) : NULL;
	f->mod = cmod;
	f->bias = rt_bias;
	f->shift = shift;
	f->lookup_pc = addr;
	if (cmod || mod) {
		set_names(f, cmod ? symtab_name(cmod, addr - shift) : symtab_name(mod, addr));
		f->from_symtab = f->function != NULL;
		if (inapp_rust_runtime_function(f->function))
			f->in_app = false;
	}
}


/* Put back the frames tail calls took off the stack between the frames
 * described before s->frames[first] (the callee) and those from first on
 * (its caller, the last frame being the caller's own function). */
static void add_tail_calls(struct symbolized *s, size_t *cap, size_t first)
{
	Dwarf_Addr rets[CALLSITE_MAX_TAIL];
	Dwarf_Die site, target;

	if (first == 0 || first >= s->n_frames)
		return;
	struct sym_frame callee = s->frames[first - 1], caller = s->frames[s->n_frames - 1];
	if (!callee.has_scope || !caller.has_scope || callee.mod != caller.mod ||
	    caller.lookup_pc == caller.pc ||	/* not a return address */
	    dwarf_tag(&callee.scope) != DW_TAG_subprogram ||
	    dwarf_tag(&caller.scope) != DW_TAG_subprogram ||
	    !callsite_find(&caller.scope, caller.lookup_pc + 1 - caller.bias, &site) ||
	    !callsite_target(&site, &target))
		return;
	size_t n = callsite_tail_path(caller.mod, &target, &callee.scope, rets, CALLSITE_MAX_TAIL);
	size_t end = s->n_frames;
	for (size_t k = 0; k < n; k++) {
		struct sym_frame base = { .pc = rets[k] + caller.bias, .module = caller.module,
					  .in_app = caller.in_app,
					  .capture_index = caller.capture_index };
		base.module_offset = caller.module_offset + (base.pc - caller.pc);
		size_t before = s->n_frames;
		describe_dwarf(s, cap, caller.mod, base.pc - 1, caller.shift, &base);
		/* One frame per tail call, named after the innermost function
		 * at the site, as gdb shows it (it does not split a tail call's
		 * frame into inlined calls). */
		while (s->n_frames > before + 1)
			symbolize_free_frame(&s->frames[--s->n_frames]);
	}
	size_t added = s->n_frames - end;
	struct sym_frame *moved = added ? malloc(added * sizeof(*moved)) : NULL;
	if (!moved) {
		while (s->n_frames > end)
			symbolize_free_frame(&s->frames[--s->n_frames]);
		return;
	}
	memcpy(moved, s->frames + end, added * sizeof(*moved));
	memmove(s->frames + first + added, s->frames + first, (end - first) * sizeof(*moved));
	memcpy(s->frames + first, moved, added * sizeof(*moved));
	for (size_t k = first; k < first + added; k++)
		s->frames[k].tail_call = true;
	free(moved);
}

static void symbolize_threads(struct symbolized *out, const struct capture *cap)
{
	if (!cap->n_threads)
		return;
	out->threads = calloc(cap->n_threads, sizeof(*out->threads));
	if (!out->threads)
		return;
	for (size_t t = 0; t < cap->n_threads; t++) {
		const struct capture_thread *ct = &cap->threads[t];
		struct symbolized tmp = { .dwfl = out->dwfl };
		size_t tcap = 0;
		for (size_t i = 0; i < ct->n_frames; i++) {
			size_t first = tmp.n_frames;
			describe_frame(&tmp, &tcap, out->dwfl, ct->pc[i], ct->activation[i],
				       cap, i);
			add_tail_calls(&tmp, &tcap, first);
		}
		struct sym_thread *st = &out->threads[out->n_threads++];
		st->tid = ct->tid;
		st->state = ct->state;
		memcpy(st->name, ct->name, sizeof(st->name));
		st->frames = tmp.frames;
		st->n_frames = tmp.n_frames;
	}
}

void symbolize_free_frame(struct sym_frame *f)
{
	free(f->function);
	free(f->symbol);
	free(f->filename);
	free(f->module);
	free(f->context_line);
	for (size_t k = 0; k < f->n_vars; k++) {
		free(f->vars[k].name);
		free(f->vars[k].value);
	}
	free(f->vars);
	for (size_t k = 0; k < f->n_pre; k++)
		free(f->pre_context[k]);
	for (size_t k = 0; k < f->n_post; k++)
		free(f->post_context[k]);
}

static void free_frames(struct sym_frame *frames, size_t n)
{
	for (size_t i = 0; i < n; i++)
		symbolize_free_frame(&frames[i]);
	free(frames);
}

int symbolize_capture(const struct capture *cap, struct symbolized *out)
{
	size_t fcap = 0;

	memset(out, 0, sizeof(*out));
	/* Module layout only: debug info comes from the cache (symcache.c). */
	out->dwfl = capture_dwfl_from_maps(cap);
	if (!out->dwfl)
		return -1;
	struct collect c = { .s = out, .cap = cap };
	dwfl_getmodules(out->dwfl, collect_module, &c, 0);
	for (size_t i = 0; i < cap->n_frames; i++) {
		size_t first = out->n_frames;
		describe_frame(out, &fcap, out->dwfl, cap->frames[i].pc,
			       cap->frames[i].activation, cap, i);
		/* not across the middle of a stack overflow's recursion */
		if (!(cap->frames_omitted && i == CAPTURE_HEAD_FRAMES))
			add_tail_calls(out, &fcap, first);
	}
	symbolize_threads(out, cap);
	return 0;
}

void symbolize_free(struct symbolized *s)
{
	free_frames(s->frames, s->n_frames);
	for (size_t t = 0; t < s->n_threads; t++)
		free_frames(s->threads[t].frames, s->threads[t].n_frames);
	free(s->threads);
	for (size_t i = 0; i < s->n_modules; i++)
		free(s->modules[i].path);
	free(s->modules);
	if (s->dwfl)
		dwfl_end(s->dwfl);
	memset(s, 0, sizeof(*s));
}
