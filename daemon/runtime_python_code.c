/*
 * runtime_python_code.c - a Python frame from its code object: file,
 * function, the line being run (from the code's line table, as
 * faulthandler and tracebacks compute it) and the locals as the Python
 * SDK sends them (frame.f_locals: the fast locals of a function, the
 * namespace dict of module and class code, dunder names left out).
 *
 * Code objects repeat (recursion, loops over the same function): each is
 * decoded once per capture.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime_python.h"

#define CODE_CACHE_SLOTS 512
#define NAME_MAX_BYTES 1024
#define LINETABLE_MAX (1u << 20)
#define LOCALS_MAX 4096		/* co_nlocalsplus read at most */

/* PyCodeObject.co_flags and co_localspluskinds, the same from 3.11 to 3.13 */
#define CO_OPTIMIZED 0x1
#define CO_FAST_HIDDEN 0x10		/* 3.12 on: an inlined comprehension's */
#define CO_FAST_LOCAL 0x20
#define CO_FAST_CELL 0x40
#define CO_FAST_FREE 0x80

/* ---- the line table (Objects/locations.md in CPython) ------------------------ */

struct lt_cursor {
	const uint8_t *p, *end;
};

static unsigned lt_varint(struct lt_cursor *c)
{
	unsigned val = 0, shift = 0;
	uint8_t b;

	do {
		if (c->p >= c->end || shift > 24)
			return val;
		b = *c->p++;
		val |= (unsigned)(b & 63) << shift;
		shift += 6;
	} while (b & 64);
	return val;
}

static int lt_svarint(struct lt_cursor *c)
{
	unsigned u = lt_varint(c);

	return (u & 1) ? -(int)(u >> 1) : (int)(u >> 1);
}

/* The line delta an entry starting at c->p - 1 (first byte `first`) carries. */
static int lt_delta(struct lt_cursor *c, uint8_t first)
{
	int code = (first >> 3) & 15;

	switch (code) {
	case 15:		/* no location */
		return 0;
	case 13:		/* no column */
	case 14:		/* long form */
		return lt_svarint(c);
	case 10: case 11: case 12:	/* one line, short columns */
		return code - 10;
	default:		/* same line, short form */
		return 0;
	}
}

int py_line_of(const uint8_t *table, size_t len, int firstlineno, int offset)
{
	struct lt_cursor c = { table, table + len };
	long line = firstlineno, addr = 0;

	if (offset < 0)
		return firstlineno;	/* a frame that has not run yet */
	while (c.p < c.end) {
		uint8_t first = *c.p++;
		if (!(first & 128))
			continue;	/* not an entry's first byte: a bad table */
		long units = (first & 7) + 1;
		line += lt_delta(&c, first);
		if (offset < addr + units * 2)
			return ((first >> 3) & 15) == 15 ? -1 : (int)line;
		addr += units * 2;
		while (c.p < c.end && !(*c.p & 128))
			c.p++;
	}
	return -1;
}

/* ---- code objects ------------------------------------------------------------ */

struct py_code {
	uint64_t addr;
	bool ok;
	char *filename, *function;
	uint8_t *linetable;
	size_t linetable_len;
	int firstlineno, flags, nlocalsplus;
	uint64_t names;		/* tuple of str */
	uint8_t *kinds;
};

struct py_code_cache {
	struct py_code slot[CODE_CACHE_SLOTS];
};

struct py_code_cache *py_code_cache_new(void)
{
	return calloc(1, sizeof(struct py_code_cache));
}

static void code_clear(struct py_code *k)
{
	free(k->filename);
	free(k->function);
	free(k->linetable);
	free(k->kinds);
	memset(k, 0, sizeof(*k));
}

void py_code_cache_free(struct py_code_cache *cc)
{
	if (!cc)
		return;
	for (size_t i = 0; i < CODE_CACHE_SLOTS; i++)
		code_clear(&cc->slot[i]);
	free(cc);
}

static char *str_dup(const struct py_ctx *c, uint64_t obj)
{
	char buf[NAME_MAX_BYTES];

	return py_str(c, obj, buf, sizeof(buf)) ? strdup(buf) : NULL;
}

/* The bytes of a bytes object, at most max of them. */
static uint8_t *bytes_dup(const struct py_ctx *c, uint64_t obj, size_t max, size_t *len)
{
	int64_t size;
	uint8_t *buf;

	if (!py_is(c, obj, c->t.bytes) || !py_read(c, obj + c->L->ob_size, &size, 8) ||
	    size < 0 || (uint64_t)size > max)
		return NULL;
	buf = malloc((size_t)size + 1);
	if (buf && !py_read(c, obj + c->L->by_sval, buf, (size_t)size)) {
		free(buf);
		return NULL;
	}
	*len = (size_t)size;
	return buf;
}

static int32_t int_at(const unsigned char *hdr, uint32_t off)
{
	int32_t v;

	memcpy(&v, hdr + off, 4);
	return v;
}

static uint64_t ptr_at(const unsigned char *hdr, uint32_t off)
{
	uint64_t v;

	memcpy(&v, hdr + off, 8);
	return v;
}

static bool code_decode(const struct py_ctx *c, uint64_t addr, struct py_code *k)
{
	const struct py_layout *L = c->L;
	unsigned char hdr[1024];
	size_t kinds_len = 0;

	k->addr = addr;
	if (L->co_code > sizeof(hdr) || !py_is(c, addr, c->t.code) ||
	    !py_read(c, addr, hdr, L->co_code))
		return false;
	k->firstlineno = int_at(hdr, L->co_firstlineno);
	k->flags = int_at(hdr, L->co_flags);
	k->nlocalsplus = int_at(hdr, L->co_nlocalsplus);
	k->names = ptr_at(hdr, L->co_localsplusnames);
	k->filename = str_dup(c, ptr_at(hdr, L->co_filename));
	k->function = str_dup(c, ptr_at(hdr, L->co_name));
	k->linetable = bytes_dup(c, ptr_at(hdr, L->co_linetable), LINETABLE_MAX, &k->linetable_len);
	k->kinds = bytes_dup(c, ptr_at(hdr, L->co_localspluskinds), LOCALS_MAX, &kinds_len);
	if (k->nlocalsplus < 0 || k->nlocalsplus > LOCALS_MAX || !k->filename || !k->function ||
	    !k->linetable || !k->kinds || kinds_len < (size_t)k->nlocalsplus)
		return false;
	k->ok = true;
	return true;
}

/* The decoded code object at addr; NULL when it is none. */
static struct py_code *code_get(const struct py_ctx *c, struct py_code_cache *cc, uint64_t addr)
{
	struct py_code *k = &cc->slot[(addr >> 4) % CODE_CACHE_SLOTS];

	if (k->addr != addr) {
		code_clear(k);
		code_decode(c, addr, k);
	}
	return k->ok ? k : NULL;
}

/* ---- locals ------------------------------------------------------------------------ */

static bool dunder(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strncmp(name, "__", 2) == 0 && strcmp(name + n - 2, "__") == 0;
}

static void push_var(struct rt_frame *f, const char *name, const char *value)
{
	if (f->n_vars == RT_VARS_MAX) {
		f->vars_truncated = true;
		return;
	}
	struct rt_var *v = realloc(f->vars, (f->n_vars + 1) * sizeof(*v));
	if (!v)
		return;
	f->vars = v;
	v[f->n_vars].name = strdup(name);
	v[f->n_vars].value = strdup(value);
	if (v[f->n_vars].name && v[f->n_vars].value) {
		f->n_vars++;
	} else {
		free(v[f->n_vars].name);
		free(v[f->n_vars].value);
	}
}

static void add_var(const struct py_ctx *c, struct rt_frame *f, const char *name, uint64_t value)
{
	char repr[RT_VALUE_MAX * 4 + 8];

	if (dunder(name))
		return;
	if (f->n_vars == RT_VARS_MAX) {
		f->vars_truncated = true;
		return;
	}
	py_repr(c, value, repr, sizeof(repr));
	push_var(f, name, repr);
}

/* What a fast local holds as f_locals shows it: free variables and
 * cells (once MAKE_CELL ran) through their cell; 0 when unbound. */
static uint64_t fast_value(const struct py_ctx *c, uint8_t kind, uint64_t v)
{
	uint64_t inner;

	if (v && (kind & (CO_FAST_FREE | CO_FAST_CELL)) && py_is(c, v, c->t.cell))
		return py_word(c, v + c->L->ce_ref, &inner) ? inner : 0;
	return kind & CO_FAST_FREE ? 0 : v;
}

/* A frame's fast locals: their values and names, n 0 when there are
 * none yet. */
struct fast {
	uint64_t values[LOCALS_MAX], names[LOCALS_MAX];
	size_t n;
};

static void read_fast(const struct py_ctx *c, const struct py_code *k, uint64_t frame,
		struct fast *fl)
{
	size_t n = (size_t)k->nlocalsplus;
	int32_t stacktop;

	fl->n = 0;
	/* stacktop is 0 until the frame's locals are set up, -1 while it runs
	 * (saved when it calls Python code, not when it calls C) */
	if (n && py_read(c, frame + c->L->fr_stacktop, &stacktop, 4) && stacktop != 0 &&
	    py_read(c, frame + c->L->fr_localsplus, fl->values, n * 8) &&
	    py_is(c, k->names, c->t.tuple) && py_read(c, k->names + c->L->tu_items, fl->names, n * 8))
		fl->n = n;
}

static bool shown(const struct rt_frame *f, const char *name)
{
	for (size_t i = 0; i < f->n_vars; i++)
		if (strcmp(f->vars[i].name, name) == 0)
			return true;
	return false;
}

/* Bound fast locals in order.  In module and class code (namespace) they
 * add to the namespace what it lacks, never free variables. */
static void fast_locals(const struct py_ctx *c, const struct py_code *k, const struct fast *fl,
		bool namespace, struct rt_frame *f)
{
	for (size_t i = 0; i < fl->n && !f->vars_truncated; i++) {
		char name[256];
		if (namespace && (k->kinds[i] & CO_FAST_FREE))
			continue;
		uint64_t v = fast_value(c, k->kinds[i], fl->values[i]);
		if (v && py_str(c, fl->names[i], name, sizeof(name)) && !(namespace && shown(f, name)))
			add_var(c, f, name, v);
	}
}

/* 3.12 on: a comprehension inlined in the code is running (its variables
 * are bound, hidden among the fast locals). */
static bool hidden_bound(const struct py_ctx *c, const struct py_code *k, const struct fast *fl)
{
	for (size_t i = 0; c->minor >= 12 && i < fl->n; i++)
		if ((k->kinds[i] & CO_FAST_HIDDEN) && fl->values[i])
			return true;
	return false;
}

struct ns_walk {
	const struct py_ctx *c;
	struct rt_frame *f;
};

static bool ns_item(void *arg, uint64_t key, uint64_t value)
{
	struct ns_walk *w = arg;
	char name[256];

	if (py_str(w->c, key, name, sizeof(name)))
		add_var(w->c, w->f, name, value);
	return !w->f->vars_truncated;
}

/* Module and class code: f_locals is their namespace (a module's globals). */
static void namespace_locals(const struct py_ctx *c, uint64_t frame, struct rt_frame *f)
{
	uint64_t ns;
	struct ns_walk w = { c, f };

	if (py_word(c, frame + c->L->fr_locals, &ns) && ns)
		py_dict_items(c, ns, ns_item, &w);
}

/* ---- a frame ---------------------------------------------------------------------- */

/* Each value of a frame may cost this much work, the frame's together
 * FRAME_WORK (objects visited, see runtime_python_repr.c). */
#define FRAME_WORK 20000

bool py_frame_fill(const struct py_ctx *c, struct py_code_cache *cc, uint64_t frame,
		uint64_t code, uint64_t instr, struct rt_frame *f)
{
	const struct py_code *k = code_get(c, cc, code);
	unsigned long work = FRAME_WORK;
	struct py_ctx vc = *c;

	if (!k || !(f->filename = strdup(k->filename)) || !(f->function = strdup(k->function)))
		return false;
	/* the code unit before the next one to run: -2 bytes (one unit
	 * before the code) until the frame starts, its first line then */
	int64_t offset = (int64_t)(instr - (code + c->L->co_code));
	int line = offset >= -2 && offset <= INT32_MAX ?
		py_line_of(k->linetable, k->linetable_len, k->firstlineno, (int)offset) : -1;
	f->lineno = line > 0 ? line : 0;
	vc.work = &work;
	struct fast *fl = malloc(sizeof(*fl));
	if (!fl)
		return true;
	read_fast(&vc, k, frame, fl);
	/* as frame.f_locals: a function's fast locals; module and class code's
	 * namespace, with what only fast locals hold added, or (3.13, while an
	 * inlined comprehension runs) those alone */
	bool optimized = k->flags & CO_OPTIMIZED;
	if (!optimized && !(c->minor >= 13 && hidden_bound(c, k, fl)))
		namespace_locals(&vc, frame, f);
	fast_locals(&vc, k, fl, !optimized, f);
	free(fl);
	return true;
}
