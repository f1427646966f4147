/*
 * runtime_python_repr.c - Python objects as repr() shows them, read from
 * the held process's memory, never by running anything in it.
 *
 * The kind of an object is the tp_repr of its type (runtime_python.h):
 * int, bool, float, str, bytes, tuple, list, dict, set and frozenset,
 * functions, classes, modules and built-in functions are shown as their
 * repr() would show them (a subclass that keeps its base's __repr__ too);
 * any other object as object.__repr__ does, "<module.Class object at
 * 0x...>", since its own __repr__ would be code to run.  Containers nest
 * (to PY_DEPTH, past what RT_VALUE_MAX characters can show) and repeat
 * themselves as "[...]" like Python; the whole stops at RT_VALUE_MAX
 * characters or when the value's work budget (one unit an object) is
 * spent, ending in "...".
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runtime_python.h"
#include "runtime_python_text.h"

#define PY_DEPTH 100		/* deeper than RT_VALUE_MAX characters can show */
#define PY_CONTAINER_MAX 100000	/* items a container may claim */
#define Py_TPFLAGS_HEAPTYPE (1ul << 9)

/* ---- memory ------------------------------------------------------------------- */

bool py_read(const struct py_ctx *c, uint64_t addr, void *buf, size_t len)
{
	return addr && c->rd->read(c->rd->arg, addr, buf, len);
}

bool py_word(const struct py_ctx *c, uint64_t addr, uint64_t *v)
{
	return py_read(c, addr, v, 8);
}

bool py_type(const struct py_ctx *c, uint64_t obj, uint64_t *type)
{
	return py_word(c, obj + c->L->ob_type, type) && *type;
}

bool py_is(const struct py_ctx *c, uint64_t obj, uint64_t type)
{
	uint64_t t;

	return type && py_type(c, obj, &t) && t == type;
}

/* A C string in the process (tp_name, ml_name), cut at outlen - 1. */
static bool c_string(const struct py_ctx *c, uint64_t addr, char *out, size_t outlen)
{
	size_t n = 0;

	for (; n + 1 < outlen; n++)
		if (!py_read(c, addr + n, &out[n], 1) || out[n] == '\0')
			break;
	out[n] = '\0';
	return n > 0;
}

/* ---- the work budget ---------------------------------------------------------------- */

static bool spend(const struct py_ctx *c)
{
	if (!c->work)
		return true;
	if (*c->work == 0)
		return false;
	(*c->work)--;
	return true;
}

/* ---- dicts ---------------------------------------------------------------------- */

/* PyDictKeysObject.dk_kind: DICT_KEYS_GENERAL entries hold their hash */
#define DICT_KEYS_GENERAL 0

static bool dict_combined(const struct py_ctx *c, uint64_t keys, py_item_fn *fn, void *arg)
{
	const struct py_layout *L = c->L;
	uint8_t log2_index_bytes, kind;
	int64_t n;

	if (!py_read(c, keys + L->dk_log2_index_bytes, &log2_index_bytes, 1) ||
	    !py_read(c, keys + L->dk_kind, &kind, 1) || !py_read(c, keys + L->dk_nentries, &n, 8) ||
	    log2_index_bytes > 40 || n < 0 || n > PY_CONTAINER_MAX)
		return false;
	uint64_t entries = keys + L->dk_indices + (1ull << log2_index_bytes);
	uint32_t size = kind == DICT_KEYS_GENERAL ? L->dke_size : L->dku_size;
	uint32_t koff = kind == DICT_KEYS_GENERAL ? L->dke_key : L->dku_key;
	uint32_t voff = kind == DICT_KEYS_GENERAL ? L->dke_value : L->dku_value;
	for (int64_t i = 0; i < n; i++) {
		uint64_t e = entries + (uint64_t)i * size, k, v;
		if (!py_word(c, e + koff, &k) || !py_word(c, e + voff, &v))
			return false;
		if (v && !fn(arg, k, v))
			break;
	}
	return true;
}

/* A split table (an instance's __dict__ sharing its class's keys): the
 * values array is preceded by the insertion order, one byte an item,
 * values[-3 - i] (3.11, 3.12). */
static bool dict_split(const struct py_ctx *c, uint64_t keys, uint64_t values, int64_t used,
		py_item_fn *fn, void *arg)
{
	const struct py_layout *L = c->L;
	uint8_t log2_index_bytes;

	if (c->minor > 12 || used < 0 || used > 250 ||
	    !py_read(c, keys + L->dk_log2_index_bytes, &log2_index_bytes, 1) || log2_index_bytes > 40)
		return false;
	uint64_t entries = keys + L->dk_indices + (1ull << log2_index_bytes);
	for (int64_t i = 0; i < used; i++) {
		int8_t index;
		uint64_t k, v;
		if (!py_read(c, values - 3 - (uint64_t)i, &index, 1) || index < 0 ||
		    !py_word(c, entries + (uint64_t)index * L->dku_size + L->dku_key, &k) ||
		    !py_word(c, values + (uint64_t)index * 8, &v))
			return false;
		if (v && !fn(arg, k, v))
			break;
	}
	return true;
}

bool py_dict_items(const struct py_ctx *c, uint64_t dict, py_item_fn *fn, void *arg)
{
	uint64_t keys, values;
	int64_t used;

	if (!py_word(c, dict + c->L->di_keys, &keys) || !keys ||
	    !py_word(c, dict + c->L->di_values, &values) ||
	    !py_read(c, dict + c->L->di_used, &used, 8))
		return false;
	return values ? dict_split(c, keys, values, used, fn, arg) : dict_combined(c, keys, fn, arg);
}

struct lookup {
	const struct py_ctx *c;
	const char *name;
	uint64_t found;
};

static bool lookup_item(void *arg, uint64_t key, uint64_t value)
{
	struct lookup *l = arg;
	char name[64];

	if (py_str(l->c, key, name, sizeof(name)) && strcmp(name, l->name) == 0) {
		l->found = value;
		return false;
	}
	return true;
}

/* dict[name] for a str key, 0 when absent. */
static uint64_t dict_get(const struct py_ctx *c, uint64_t dict, const char *name)
{
	struct lookup l = { c, name, 0 };

	if (dict)
		py_dict_items(c, dict, lookup_item, &l);
	return l.found;
}

/* ---- rendering ------------------------------------------------------------------------ */

struct repr {
	const struct py_ctx *c;
	struct py_out *o;
	uint64_t open[PY_DEPTH];	/* containers being shown, for "[...]" */
	int depth;
};

static void render(struct repr *r, uint64_t obj);

/* Each string in turn, up to NULL. */
static void put_all(struct py_out *o, ...)
{
	va_list ap;
	const char *s;

	va_start(ap, o);
	while ((s = va_arg(ap, const char *)))
		py_out_puts(o, s);
	va_end(ap);
}

/* An address as %p writes it in a repr: 0x7f... */
static const char *addr_text(uint64_t addr, char buf[24])
{
	snprintf(buf, 24, "0x%" PRIx64, addr);
	return buf;
}

/* A str object's text, as it is (no quotes): names in reprs. */
static void put_str(struct repr *r, uint64_t obj)
{
	char buf[RT_VALUE_MAX * 4 + 8];

	if (py_str(r->c, obj, buf, sizeof(buf)))
		py_out_puts(r->o, buf);
	else
		py_out_puts(r->o, "?");
}

static bool reentered(struct repr *r, uint64_t obj)
{
	for (int i = 0; i < r->depth; i++)
		if (r->open[i] == obj)
			return true;
	return false;
}

/* Each item of a container, separated by ", ". */
static void render_items(struct repr *r, uint64_t array, int64_t n)
{
	for (int64_t i = 0; i < n && !r->o->full; i++) {
		uint64_t item;
		if (i)
			py_out_puts(r->o, ", ");
		if (!py_word(r->c, array + (uint64_t)i * 8, &item)) {
			py_out_cut(r->o);
			return;
		}
		render(r, item);
	}
}

static void render_sequence(struct repr *r, uint64_t obj, bool tuple)
{
	const struct py_layout *L = r->c->L;
	int64_t n;
	uint64_t items = obj + L->tu_items;

	if (!py_read(r->c, obj + L->ob_size, &n, 8) || n < 0 || n > PY_CONTAINER_MAX ||
	    (!tuple && !py_word(r->c, obj + L->li_items, &items))) {
		py_out_cut(r->o);
		return;
	}
	if (n == 0) {
		py_out_puts(r->o, tuple ? "()" : "[]");
		return;
	}
	if (reentered(r, obj)) {
		py_out_puts(r->o, tuple ? "(...)" : "[...]");
		return;
	}
	r->open[r->depth++] = obj;
	py_out_puts(r->o, tuple ? "(" : "[");
	render_items(r, items, n);
	py_out_puts(r->o, tuple ? (n == 1 ? ",)" : ")") : "]");
	r->depth--;
}

struct dict_render {
	struct repr *r;
	bool first;
};

static bool render_pair(void *arg, uint64_t key, uint64_t value)
{
	struct dict_render *d = arg;

	if (!d->first)
		py_out_puts(d->r->o, ", ");
	d->first = false;
	render(d->r, key);
	py_out_puts(d->r->o, ": ");
	render(d->r, value);
	return !d->r->o->full;
}

static void render_dict(struct repr *r, uint64_t obj)
{
	struct dict_render d = { r, true };
	int64_t used;

	if (!py_read(r->c, obj + r->c->L->di_used, &used, 8)) {
		py_out_cut(r->o);
		return;
	}
	if (used == 0) {
		py_out_puts(r->o, "{}");
		return;
	}
	if (reentered(r, obj)) {
		py_out_puts(r->o, "{...}");
		return;
	}
	r->open[r->depth++] = obj;
	py_out_puts(r->o, "{");
	if (!py_dict_items(r->c, obj, render_pair, &d))
		py_out_cut(r->o);
	py_out_puts(r->o, "}");
	r->depth--;
}

/* The type's name as its repr shows it: tp_name. */
static void put_type_name(struct repr *r, uint64_t type)
{
	char name[256];
	uint64_t p;

	if (py_word(r->c, type + r->c->L->tp_name, &p) && c_string(r->c, p, name, sizeof(name)))
		py_out_puts(r->o, name);
	else
		py_out_puts(r->o, "?");
}

/* The active keys of a set's hash table, in table order (its iteration). */
static void render_set_keys(struct repr *r, uint64_t obj, int64_t used)
{
	const struct py_layout *L = r->c->L;
	int64_t mask, seen = 0;
	uint64_t table;

	if (!py_read(r->c, obj + L->se_mask, &mask, 8) || mask < 0 || mask > PY_CONTAINER_MAX * 8 ||
	    !py_word(r->c, obj + L->se_table, &table)) {
		py_out_cut(r->o);
		return;
	}
	for (int64_t i = 0; i <= mask && seen < used && !r->o->full; i++) {
		uint64_t key;
		if (!py_word(r->c, table + (uint64_t)i * L->se_entry_size + L->se_entry_key, &key)) {
			py_out_cut(r->o);
			return;
		}
		if (!key || key == r->c->t.set_dummy)
			continue;
		if (seen++)
			py_out_puts(r->o, ", ");
		render(r, key);
	}
}

/* {1, 2}; set(), frozenset({1}), and a subclass's name like set_repr. */
static void render_set(struct repr *r, uint64_t obj, uint64_t type)
{
	int64_t used;
	bool exact = type == r->c->t.set;

	if (!py_read(r->c, obj + r->c->L->se_used, &used, 8) || used < 0) {
		py_out_cut(r->o);
		return;
	}
	if (used == 0 || reentered(r, obj)) {
		put_type_name(r, type);
		py_out_puts(r->o, used == 0 ? "()" : "(...)");
		return;
	}
	if (!exact) {
		put_type_name(r, type);
		py_out_puts(r->o, "(");
	}
	r->open[r->depth++] = obj;
	py_out_puts(r->o, "{");
	render_set_keys(r, obj, used);
	py_out_puts(r->o, "}");
	r->depth--;
	if (!exact)
		py_out_puts(r->o, ")");
}

/* A class's module (tp_dict["__module__"] of a heap type, tp_name before
 * its last dot otherwise) and qualified name, as type_module and
 * type_qualname give them: mod is "" for builtins. */
static void type_names(struct repr *r, uint64_t type, char *mod, size_t modlen,
		char *qual, size_t quallen)
{
	const struct py_layout *L = r->c->L;
	uint64_t flags = 0, dict = 0, name = 0, p;
	char tp_name[256] = "?";

	mod[0] = qual[0] = '\0';
	py_word(r->c, type + L->tp_flags, &flags);
	if (py_word(r->c, type + L->tp_name, &p))
		c_string(r->c, p, tp_name, sizeof(tp_name));
	if (flags & Py_TPFLAGS_HEAPTYPE) {
		if (py_word(r->c, type + L->tp_dict, &dict))
			py_str(r->c, dict_get(r->c, dict, "__module__"), mod, modlen);
		if (!py_word(r->c, type + L->ht_qualname, &name) || !py_str(r->c, name, qual, quallen))
			snprintf(qual, quallen, "%s", tp_name);
	} else {
		const char *dot = strrchr(tp_name, '.');
		if (dot)
			snprintf(mod, modlen, "%.*s", (int)(dot - tp_name), tp_name);
		snprintf(qual, quallen, "%s", dot ? dot + 1 : tp_name);
	}
	if (strcmp(mod, "builtins") == 0)
		mod[0] = '\0';
}

/* "mod.Name" as the reprs of classes and objects name a type, or its
 * tp_name for the builtins. */
static void put_type_path(struct repr *r, uint64_t type)
{
	char mod[256], qual[256];

	type_names(r, type, mod, sizeof(mod), qual, sizeof(qual));
	if (!mod[0]) {
		put_type_name(r, type);
		return;
	}
	py_out_puts(r->o, mod);
	py_out_puts(r->o, ".");
	py_out_puts(r->o, qual);
}

/* <class 'mod.Name'>, <class 'int'> */
static void render_class(struct repr *r, uint64_t type)
{
	py_out_puts(r->o, "<class '");
	put_type_path(r, type);
	py_out_puts(r->o, "'>");
}

/* object.__repr__: <mod.Name object at 0x...>, <Name object at 0x...> */
static void render_object(struct repr *r, uint64_t obj, uint64_t type)
{
	char addr[24];

	py_out_puts(r->o, "<");
	put_type_path(r, type);
	put_all(r->o, " object at ", addr_text(obj, addr), ">", NULL);
}

static void render_function(struct repr *r, uint64_t obj)
{
	uint64_t qualname = 0;

	char addr[24];

	py_word(r->c, obj + r->c->L->fn_qualname, &qualname);
	py_out_puts(r->o, "<function ");
	put_str(r, qualname);
	put_all(r->o, " at ", addr_text(obj, addr), ">", NULL);
}

/* <built-in function len>, <built-in method append of list object at 0x...> */
static void render_cfunction(struct repr *r, uint64_t obj)
{
	const struct py_layout *L = r->c->L;
	uint64_t ml = 0, self = 0, name = 0, self_type;
	char text[256] = "?", addr[24];

	if (py_word(r->c, obj + L->cf_ml, &ml) && py_word(r->c, ml + L->ml_name, &name))
		c_string(r->c, name, text, sizeof(text));
	py_word(r->c, obj + L->cf_self, &self);
	if (!self || py_is(r->c, self, r->c->t.module) || !py_type(r->c, self, &self_type)) {
		put_all(r->o, "<built-in function ", text, ">", NULL);
		return;
	}
	put_all(r->o, "<built-in method ", text, " of ", NULL);
	put_type_name(r, self_type);
	put_all(r->o, " object at ", addr_text(self, addr), ">", NULL);
}

/* importlib's _module_repr through the module's loader: built-in and
 * frozen modules say so, others where they were loaded from. */
static void render_module(struct repr *r, uint64_t obj)
{
	uint64_t dict = 0, loader, file;
	char mod[64], qual[64] = "";

	py_word(r->c, obj + r->c->L->mo_dict, &dict);
	loader = dict_get(r->c, dict, "__loader__");
	file = dict_get(r->c, dict, "__file__");
	if (loader && py_is(r->c, loader, r->c->t.type))
		type_names(r, loader, mod, sizeof(mod), qual, sizeof(qual));
	py_out_puts(r->o, "<module ");
	render(r, dict_get(r->c, dict, "__name__"));
	if (strcmp(qual, "BuiltinImporter") == 0) {
		py_out_puts(r->o, " (built-in)");
	} else if (strcmp(qual, "FrozenImporter") == 0) {
		py_out_puts(r->o, " (frozen)");
	} else if (file && py_is(r->c, file, r->c->t.str)) {
		py_out_puts(r->o, " from ");
		render(r, file);
	}
	py_out_puts(r->o, ">");
}

static enum py_repr_kind kind_of(const struct py_ctx *c, uint64_t type)
{
	uint64_t fn;

	if (!py_word(c, type + c->L->tp_repr, &fn))
		return PYR_OBJECT;
	for (int k = 0; k < PYR_KINDS; k++)
		if (c->repr_fn[k] && c->repr_fn[k] == fn)
			return (enum py_repr_kind)k;
	return PYR_OBJECT;
}

static void render_kind(struct repr *r, uint64_t obj, uint64_t type)
{
	const struct py_ctx *c = r->c;

	switch (kind_of(c, type)) {
	case PYR_INT: py_render_int(c, r->o, obj); break;
	case PYR_BOOL: py_out_puts(r->o, obj == c->t.true_ ? "True" : "False"); break;
	case PYR_FLOAT: py_render_float(c, r->o, obj); break;
	case PYR_STR: py_render_str(c, r->o, obj); break;
	case PYR_BYTES: py_render_bytes(c, r->o, obj); break;
	case PYR_TUPLE: render_sequence(r, obj, true); break;
	case PYR_LIST: render_sequence(r, obj, false); break;
	case PYR_DICT: render_dict(r, obj); break;
	case PYR_SET: render_set(r, obj, type); break;
	case PYR_FUNCTION: render_function(r, obj); break;
	case PYR_TYPE: render_class(r, obj); break;
	case PYR_MODULE: render_module(r, obj); break;
	case PYR_CFUNCTION: render_cfunction(r, obj); break;
	default: render_object(r, obj, type); break;
	}
}

static void render(struct repr *r, uint64_t obj)
{
	uint64_t type;

	if (r->o->full)
		return;
	if (!spend(r->c) || r->depth == PY_DEPTH) {
		py_out_cut(r->o);
		return;
	}
	if (obj && obj == r->c->t.none)
		py_out_puts(r->o, "None");
	else if (!obj || !py_type(r->c, obj, &type))
		py_out_cut(r->o);	/* unreadable: the value ends here */
	else
		render_kind(r, obj, type);
}

void py_repr(const struct py_ctx *c, uint64_t obj, char *out, size_t outlen)
{
	struct py_out o;
	struct repr r = { .c = c, .o = &o };

	py_out_init(&o, out, outlen);
	render(&r, obj);
	py_out_finish(&o);
}
