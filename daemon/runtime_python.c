/*
 * runtime_python.c - CPython's threads and frames, read from a held
 * process (runtime.h, runtime_python.h).
 *
 * The interpreter is the module (python3.X or libpython3.X.so) that
 * exports _PyRuntime; its version is Py_Version (3.11 on), its layout
 * from DWARF or headers (runtime_python_layout.c).  From _PyRuntime: the
 * interpreters, their thread states (each with its kernel thread id), and
 * from each thread state the chain of frames, innermost first.
 *
 * Where each frame goes in the native stack: every entry into the eval
 * loop leaves a mark on the C stack of the _PyEval_EvalFrameDefault call
 * that runs it.  3.11: the _PyCFrame that call declares, one per run of
 * frames, the last frame of a run marked is_entry.  3.12 and 3.13: a shim
 * frame (owner FRAME_OWNED_BY_CSTACK) that call pushes below the frames
 * it runs.  The mark's address, on the thread's stack, is the run's
 * anchor: it lies inside the native frame that ran it.
 */
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_python.h"
#include "symbolize.h"

#define MAX_INTERPRETERS 16
#define MAX_TSTATES 1024
#define WALK_MAX 50000		/* frames of one thread walked at most */
#define GROUPS_MAX 4096		/* entries into the eval loop on one thread */

/* _PyInterpreterFrame.owner */
#define FRAME_OWNED_BY_CSTACK 3

struct py_tstate {
	uint64_t addr;
	uint64_t tid;
};

struct py_proc {
	struct py_ctx c;
	struct py_layout layout;
	uint64_t runtime;
	struct py_tstate *tstates;
	size_t n_tstates;
	struct py_code_cache *codes;
};

/* ---- the interpreter's symbols ---------------------------------------------------- */

enum sym {
	S_RUNTIME, S_VERSION, S_CODE, S_STR, S_BYTES, S_INT, S_BOOL, S_FLOAT, S_TUPLE, S_LIST,
	S_DICT, S_SET, S_FROZENSET, S_CELL, S_FUNCTION, S_MODULE, S_TYPE, S_CFUNCTION, S_OBJECT,
	S_NONE, S_TRUE, S_FALSE, S_SET_DUMMY, S_EVAL, S_COUNT
};

static const char *const sym_names[S_COUNT] = {
	"_PyRuntime", "Py_Version", "PyCode_Type", "PyUnicode_Type", "PyBytes_Type",
	"PyLong_Type", "PyBool_Type", "PyFloat_Type", "PyTuple_Type", "PyList_Type",
	"PyDict_Type", "PySet_Type", "PyFrozenSet_Type", "PyCell_Type", "PyFunction_Type",
	"PyModule_Type", "PyType_Type", "PyCFunction_Type", "PyBaseObject_Type",
	"_Py_NoneStruct", "_Py_TrueStruct", "_Py_FalseStruct", "_PySet_Dummy",
	"_PyEval_EvalFrameDefault",
};

/* The addresses of sym_names in mod; true when _PyRuntime is one. */
static bool module_symbols(Dwfl_Module *mod, uint64_t *addr)
{
	int n = dwfl_module_getsymtab(mod);

	memset(addr, 0, S_COUNT * sizeof(*addr));
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr a;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &a, NULL, NULL, NULL);
		/* every name wanted starts with "_Py" or "Py" */
		if (!name || (name[0] != 'P' && name[0] != '_') || sym.st_shndx == SHN_UNDEF)
			continue;
		for (int k = 0; k < S_COUNT; k++)
			if (!addr[k] && strcmp(name, sym_names[k]) == 0)
				addr[k] = a;
	}
	return addr[S_RUNTIME] != 0;
}

/* python3.11, python3.12d, libpython3.11.so.1.0: the file names an
 * interpreter comes in. */
static bool python_file(const char *path)
{
	const char *base = path ? strrchr(path, '/') : NULL;

	base = base ? base + 1 : path;
	if (!base)
		return false;
	if (strncmp(base, "lib", 3) == 0)
		base += 3;
	return strncmp(base, "python", 6) == 0;
}

/* A module's symbol table is read once per worker: by build-id, the
 * symbols' offsets from where the module starts. */
#define SYM_CACHE_SLOTS 8

static struct {
	unsigned char id[64];
	int id_len;
	bool has_runtime;
	uint64_t off[S_COUNT];
} sym_cache[SYM_CACHE_SLOTS];
static unsigned sym_cache_next;

static bool cached_symbols(Dwfl_Module *mod, Dwarf_Addr start, uint64_t *addr)
{
	const unsigned char *id;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &id, &vaddr);

	if (len <= 0 || len > 64)
		return module_symbols(mod, addr);
	for (unsigned i = 0; i < SYM_CACHE_SLOTS; i++)
		if (sym_cache[i].id_len == len && memcmp(sym_cache[i].id, id, (size_t)len) == 0) {
			for (int k = 0; k < S_COUNT; k++)
				addr[k] = sym_cache[i].off[k] ? start + sym_cache[i].off[k] : 0;
			return sym_cache[i].has_runtime;
		}
	bool found = module_symbols(mod, addr);
	unsigned slot = sym_cache_next++ % SYM_CACHE_SLOTS;
	memcpy(sym_cache[slot].id, id, (size_t)len);
	sym_cache[slot].id_len = len;
	sym_cache[slot].has_runtime = found;
	for (int k = 0; k < S_COUNT; k++)
		sym_cache[slot].off[k] = addr[k] ? addr[k] - start : 0;
	return found;
}

struct find_interp {
	Dwfl_Module *mod;
	uint64_t addr[S_COUNT];
};

static int find_interp_module(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start,
		void *arg)
{
	struct find_interp *f = arg;

	(void)ud;
	if (!python_file(name) || !cached_symbols(mod, start, f->addr))
		return DWARF_CB_OK;
	f->mod = mod;
	return DWARF_CB_ABORT;
}

/* ---- version and layout ------------------------------------------------------------ */

static void version_text(unsigned long hex, char *out, size_t outlen)
{
	static const char *const level[] = { [0xA] = "a", [0xB] = "b", [0xC] = "rc" };
	unsigned lv = (hex >> 4) & 0xf;

	snprintf(out, outlen, "%lu.%lu.%lu%s", hex >> 24, (hex >> 16) & 0xff, (hex >> 8) & 0xff,
		 lv >= 0xA && lv <= 0xC ? level[lv] : "");
	if (lv >= 0xA && lv <= 0xC)
		snprintf(out + strlen(out), outlen - strlen(out), "%lu", hex & 0xf);
}

/* The minor version in a file name (python3.10, libpython3.9.so): for an
 * interpreter too old to say its version in Py_Version. */
static void version_from_name(const char *path, char *out, size_t outlen)
{
	const char *p = strstr(path, "python3.");
	unsigned minor;

	if (p && sscanf(p + 8, "%u", &minor) == 1)
		snprintf(out, outlen, "3.%u", minor);
}

/* After the release (runtime_merge): a layout taken from the headers of
 * another release of the same minor version must put every member where
 * the interpreter's own DWARF says, when it has DWARF. */
static int module_named(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	struct { const char *path; Dwfl_Module *found; } *m = arg;

	(void)ud, (void)start;
	if (name && strcmp(name, m->path) == 0) {
		m->found = mod;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

static bool verify_layout(const struct runtime_capture *rt, struct symbolized *sym,
		const struct capture *cap)
{
	struct { const char *path; Dwfl_Module *found; } m = { rt->module, NULL };
	struct py_layout dwarf;
	Dwarf_Addr shift;

	if (sym->dwfl && rt->module)
		dwfl_getmodules(sym->dwfl, module_named, &m, 0);
	Dwfl_Module *cached = m.found ? symbolize_cached_module(cap, m.found, &shift) : NULL;
	if (!cached || py_layout_from_dwarf(cached, NULL, 0, rt->verify_version, false, &dwarf) != 1)
		return true;	/* no DWARF to say otherwise */
	return py_layout_same(&dwarf, rt->verify_arg);
}

/* The headers of this very version; else the interpreter's DWARF, read
 * in the hold only when nothing else fits (and once per build); else the
 * headers of the same minor version, checked against DWARF afterwards. */
static bool choose_layout(struct py_proc *p, Dwfl_Module *mod, const uint64_t *addr,
		unsigned long version, struct runtime_capture *rt)
{
	bool exact = false;
	const struct py_layout *L = py_layout_from_headers(version, &exact);
	int dwarf = -1;

	if (!L || !exact)
		dwarf = py_layout_from_dwarf(mod, addr, S_COUNT, version, L != NULL, &p->layout);
	if (dwarf > 0) {
		p->c.L = &p->layout;
		snprintf(rt->layout, sizeof(rt->layout), "the interpreter's DWARF");
		return true;
	}
	if (!L) {
		snprintf(rt->error, sizeof(rt->error), "CPython %s: no layout of its structures "
			 "(no DWARF in the interpreter, no python%u.%u-dev headers at build time): "
			 "native frames only", rt->version, (unsigned)(version >> 24), py_minor(version));
		return false;
	}
	p->c.L = L;
	snprintf(rt->layout, sizeof(rt->layout), "%s%s", L->source, exact ? "" : " (same minor version)");
	if (dwarf < 0 && !exact) {
		rt->verify = verify_layout;
		rt->verify_arg = L;
		rt->verify_version = version;
	}
	return true;
}

/* ---- types and threads --------------------------------------------------------------- */

static bool read_types(struct py_proc *p, const uint64_t *addr)
{
	static const struct { enum py_repr_kind kind; enum sym type; } shows[] = {
		{ PYR_INT, S_INT }, { PYR_BOOL, S_BOOL }, { PYR_FLOAT, S_FLOAT }, { PYR_STR, S_STR },
		{ PYR_BYTES, S_BYTES }, { PYR_TUPLE, S_TUPLE }, { PYR_LIST, S_LIST },
		{ PYR_DICT, S_DICT }, { PYR_SET, S_SET }, { PYR_FUNCTION, S_FUNCTION },
		{ PYR_TYPE, S_TYPE }, { PYR_MODULE, S_MODULE }, { PYR_CFUNCTION, S_CFUNCTION },
		{ PYR_OBJECT, S_OBJECT },
	};
	struct py_types *t = &p->c.t;

	*t = (struct py_types){
		.code = addr[S_CODE], .str = addr[S_STR], .bytes = addr[S_BYTES], .int_ = addr[S_INT],
		.bool_ = addr[S_BOOL], .float_ = addr[S_FLOAT], .tuple = addr[S_TUPLE],
		.list = addr[S_LIST], .dict = addr[S_DICT], .set = addr[S_SET],
		.frozenset = addr[S_FROZENSET], .cell = addr[S_CELL], .function = addr[S_FUNCTION],
		.module = addr[S_MODULE], .type = addr[S_TYPE], .cfunction = addr[S_CFUNCTION],
		.object = addr[S_OBJECT], .none = addr[S_NONE], .true_ = addr[S_TRUE],
		.false_ = addr[S_FALSE],
	};
	py_word(&p->c, addr[S_SET_DUMMY], &t->set_dummy);
	for (size_t i = 0; i < sizeof(shows) / sizeof(shows[0]); i++)
		if (!py_word(&p->c, addr[shows[i].type] + p->c.L->tp_repr, &p->c.repr_fn[shows[i].kind]))
			p->c.repr_fn[shows[i].kind] = 0;
	/* what the frames need is there, and the type of types is a type */
	return t->code && t->str && t->bytes && t->tuple && t->type && py_is(&p->c, t->type, t->type);
}

static void read_tstates(struct py_proc *p)
{
	const struct py_layout *L = p->c.L;
	uint64_t interp = 0, ts;

	p->tstates = calloc(MAX_TSTATES, sizeof(*p->tstates));
	if (!p->tstates || !py_word(&p->c, p->runtime + L->rt_interp_head, &interp))
		return;
	for (int i = 0; interp && i < MAX_INTERPRETERS; i++) {
		for (bool ok = py_word(&p->c, interp + L->is_threads_head, &ts);
		     ok && ts && p->n_tstates < MAX_TSTATES;
		     ok = py_word(&p->c, ts + L->ts_next, &ts)) {
			struct py_tstate *t = &p->tstates[p->n_tstates];
			if (!py_word(&p->c, ts + L->ts_native_tid, &t->tid))
				break;
			t->addr = ts;
			p->n_tstates++;
		}
		if (!py_word(&p->c, interp + L->is_next, &interp))
			break;
	}
}

struct py_proc *py_detect(Dwfl *dwfl, const struct rt_reader *rd, struct runtime_capture *rt)
{
	struct find_interp f = { .mod = NULL };
	uint64_t version = 0;

	dwfl_getmodules(dwfl, find_interp_module, &f, 0);
	if (!f.mod)
		return NULL;
	struct py_proc *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	const char *path = dwfl_module_info(f.mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	rt->name = "CPython";
	rt->module = path ? strdup(path) : NULL;
	p->c.rd = rd;
	p->runtime = f.addr[S_RUNTIME];
	if (!f.addr[S_VERSION] || !rd->read(rd->arg, f.addr[S_VERSION], &version, 8)) {
		version_from_name(path ? path : "", rt->version, sizeof(rt->version));
		snprintf(rt->error, sizeof(rt->error), "CPython %s: Python frames are read from "
			 "CPython 3.11 to 3.13 only: native frames only", rt->version[0] ? rt->version : "< 3.11");
		goto fail;
	}
	version_text(version, rt->version, sizeof(rt->version));
	p->c.minor = py_minor(version);
	if (version < 0x030B0000 || version >= 0x030E0000) {
		snprintf(rt->error, sizeof(rt->error), "CPython %s: Python frames are read from "
			 "CPython 3.11 to 3.13 only: native frames only", rt->version);
		goto fail;
	}
	if (!choose_layout(p, f.mod, f.addr, version, rt))
		goto fail;
	if (!read_types(p, f.addr)) {
		snprintf(rt->error, sizeof(rt->error), "CPython %s: its type objects do not look like "
			 "types with the layout of %s: native frames only", rt->version, rt->layout);
		goto fail;
	}
	read_tstates(p);
	p->codes = py_code_cache_new();
	if (p->codes)
		return p;
fail:
	py_proc_free(p);
	return NULL;
}

void py_proc_free(struct py_proc *p)
{
	if (!p)
		return;
	py_code_cache_free(p->codes);
	free(p->tstates);
	free(p);
}

/* ---- one thread's frames ---------------------------------------------------------------- */

struct walk_frame {
	uint64_t addr, code, instr;
	size_t group;
};

struct walk {
	struct walk_frame *f;
	size_t n;
	uint64_t anchors[GROUPS_MAX];	/* per group */
	size_t n_groups;
	bool truncated;
	bool loops;		/* the chain comes back to a frame: corrupt */
};

/* Brent's cycle detection on the chain of frames: a frame seen again is
 * found within twice the chain's length up to the loop, in no memory. */
static bool seen_before(const struct walk *w, uint64_t frame)
{
	size_t n = w->n, power = 1;

	if (n == 0)
		return false;
	while (power * 2 <= n)
		power *= 2;
	/* the frame at the last power of two walked, compared with each since */
	return w->f[power - 1].addr == frame;
}

/* The frames that follow run in another native frame, anchored there
 * (0: not known yet); false when there are too many. */
static bool new_group(struct walk *w, uint64_t anchor)
{
	if (w->n_groups + 1 == GROUPS_MAX)
		return false;
	w->anchors[++w->n_groups] = anchor;
	return true;
}

/* 3.11: the group of frames one _PyCFrame runs ends at is_entry; the
 * next group is the previous _PyCFrame's, whose current frame must be
 * the frame that follows. */
static bool mark_311(const struct py_ctx *c, struct walk *w, uint64_t frame, uint64_t *cframe)
{
	const struct py_layout *L = c->L;
	uint8_t is_entry = 0;
	uint64_t next = 0, current = 0;

	if (!py_read(c, frame + L->fr_is_entry, &is_entry, 1) || !is_entry)
		return true;
	if (!*cframe || !py_word(c, *cframe + L->cf_previous, cframe) ||
	    !py_word(c, frame + L->fr_previous, &next) ||
	    (next && (!py_word(c, *cframe + L->cf_current_frame, &current) || current != next)))
		*cframe = 0;	/* the chains disagree: the rest cannot be placed */
	return new_group(w, *cframe);
}

/* The first frame and, for 3.11, its _PyCFrame. */
static bool top_frame(const struct py_ctx *c, uint64_t ts, uint64_t *frame, uint64_t *cframe)
{
	const struct py_layout *L = c->L;

	*cframe = 0;
	if (c->minor >= 13)
		return py_word(c, ts + L->ts_current_frame, frame) && *frame;
	return py_word(c, ts + L->ts_cframe, cframe) && *cframe &&
	       py_word(c, *cframe + L->cf_current_frame, frame) && *frame;
}

static void walk_frames(const struct py_ctx *c, uint64_t ts, struct walk *w)
{
	const struct py_layout *L = c->L;
	uint64_t frame, cframe;

	if (!top_frame(c, ts, &frame, &cframe))
		return;
	w->anchors[0] = c->minor == 11 ? cframe : 0;
	for (; frame; ) {
		struct walk_frame *f = &w->f[w->n];
		char owner = 0;
		if (seen_before(w, frame)) {
			w->loops = true;
			return;
		}
		if (w->n == WALK_MAX || !py_read(c, frame + L->fr_owner, &owner, 1) ||
		    !py_word(c, frame + L->fr_code, &f->code) ||
		    !py_word(c, frame + L->fr_instr, &f->instr)) {
			w->truncated = true;
			return;
		}
		bool more = true;
		if (c->minor >= 12 && owner == FRAME_OWNED_BY_CSTACK) {
			/* the shim closes its group, on the C stack */
			w->anchors[w->n_groups] = frame;
			more = new_group(w, 0);
		} else {
			f->addr = frame;
			f->group = w->n_groups;
			w->n++;
			if (c->minor == 11)
				more = mark_311(c, w, frame, &cframe);
		}
		if (!more || !py_word(c, frame + L->fr_previous, &frame)) {
			w->truncated = true;
			return;
		}
	}
}

static bool keep_frame(const struct py_ctx *c, struct py_code_cache *cc, const struct walk *w,
		size_t i, struct rt_frame *out)
{
	const struct walk_frame *f = &w->f[i];

	memset(out, 0, sizeof(*out));
	out->anchor = w->anchors[f->group];
	return py_frame_fill(c, cc, f->addr, f->code, f->instr, out);
}

/* The innermost RT_HEAD_FRAMES and the outermost RT_TAIL_FRAMES. */
static void keep_frames(struct py_proc *p, const struct walk *w, struct rt_thread *t)
{
	size_t n = w->n, head = n < RT_HEAD_FRAMES ? n : RT_HEAD_FRAMES;
	size_t tail_from = n - head > RT_TAIL_FRAMES ? n - RT_TAIL_FRAMES : head;

	t->frames = calloc(head + (n - tail_from), sizeof(*t->frames));
	if (!t->frames)
		return;
	for (size_t i = 0; i < n; i++) {
		if (i == head)
			i = tail_from;
		if (i < n && keep_frame(&p->c, p->codes, w, i, &t->frames[t->n_frames]))
			t->n_frames++;
		else if (i < n)
			t->unreadable++;
	}
	t->omitted = tail_from - head;
	t->truncated = w->truncated;
}

bool py_read_thread(struct py_proc *p, pid_t tid, struct rt_thread *t)
{
	struct walk *w;
	uint64_t ts = 0;

	for (size_t i = 0; i < p->n_tstates && !ts; i++)
		if (p->tstates[i].tid == (uint64_t)tid)
			ts = p->tstates[i].addr;
	if (!ts || !(w = calloc(1, sizeof(*w))))
		return false;
	w->f = malloc(WALK_MAX * sizeof(*w->f));
	if (w->f) {
		walk_frames(&p->c, ts, w);
		t->tid = tid;
		t->loops = w->loops;
		if (w->n && !w->loops)	/* a chain that loops is no stack */
			keep_frames(p, w, t);
	}
	bool any = w->f && w->n;
	free(w->f);
	free(w);
	return any;
}
