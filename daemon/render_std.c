/*
 * render_std.c - the table of the library types gdb shows through its
 * pretty printers (libstdc++'s, and rust-gdb's for Rust), one entry per
 * type family, and the printers of libstdc++'s types that hold their
 * value in place: strings and string views, vector (and vector<bool>),
 * unique_ptr, shared_ptr and weak_ptr, atomic, optional, variant, tuple,
 * pair, bitset, the container adaptors (stack, queue, priority_queue, shown
 * through their container's printer) and the iterators of vector.  The
 * node-based containers are in render_stl.c, Rust's in render_rust.c and
 * render_rust_std.c.  Each printer reads the members
 * libstdc++ has; when they are not there (another library, another
 * release) it declines, and the value shows as the struct it is.
 */
#include <dwarf.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "render_priv.h"

/* ---- strings ------------------------------------------------------------------------ */

static bool pp_string(const struct pp *p)
{
	uint64_t ptr, len;
	size_t off;
	Dwarf_Die dp, mem, *dpt;

	if (!render_find_member(p->o, p->t, "_M_dataplus", &off, &dp) ||
	    !(dpt = render_type_of(&dp, &mem)))
		return false;
	struct render_value dpv = render_sub(p->v, off);
	if (!render_member_u64(p->ctx, p->o, dpt, &dpv, "_M_p", &ptr) ||
	    !render_member_u64(p->ctx, p->o, p->t, p->v, "_M_string_length", &len)) {
		render_unreadable(p->o, p->v);
		return true;
	}
	render_text_at(p->ctx, p->o, ptr, len);
	return true;
}

bool pp_text_members(const struct pp *p, const char *ptr_member, const char *len_member)
{
	uint64_t ptr, len;

	if (!render_member_u64(p->ctx, p->o, p->t, p->v, ptr_member, &ptr) ||
	    !render_member_u64(p->ctx, p->o, p->t, p->v, len_member, &len))
		return false;
	render_text_at(p->ctx, p->o, ptr, len);
	return true;
}

static bool pp_string_view(const struct pp *p)
{
	return pp_text_members(p, "_M_str", "_M_len");
}

/* ---- vector ------------------------------------------------------------------------- */

/* A _Bit_iterator's word pointer and bit offset. */
static bool bit_iterator(const struct pp *p, const char *name, uint64_t *word, uint64_t *bit)
{
	size_t off;
	Dwarf_Die m, mem, *it;
	uint32_t b = 0;

	if (!render_find_member(p->o, p->t, name, &off, &m) || !(it = render_type_of(&m, &mem)))
		return false;
	struct render_value iv = render_sub(p->v, off);
	size_t boff;
	Dwarf_Die bm;
	if (!render_member_u64(p->ctx, p->o, it, &iv, "_M_p", word) ||
	    !render_find_member(p->o, it, "_M_offset", &boff, &bm) ||
	    !render_bytes(p->ctx, &iv, boff, &b, 4))
		return false;
	*bit = b;
	return true;
}

static bool bit_at(const struct render_ctx *ctx, uint64_t word, uint64_t i, bool *bit)
{
	uint64_t w;

	if (!ctx->read(ctx->arg, word + i / 64 * 8, &w, 8))
		return false;
	*bit = (w >> (i % 64)) & 1;
	return true;
}

static bool vector_of_bool(const struct pp *p)
{
	uint64_t start, start_bit, finish, finish_bit, end;

	if (!bit_iterator(p, "_M_start", &start, &start_bit) ||
	    !bit_iterator(p, "_M_finish", &finish, &finish_bit) ||
	    !render_member_u64(p->ctx, p->o, p->t, p->v, "_M_end_of_storage", &end))
		return false;
	if (finish < start || end < start) {
		render_unreadable(p->o, p->v);
		return true;
	}
	uint64_t len = (finish - start) * 8 + finish_bit - start_bit, cap = (end - start) * 8;
	out_putf(p->o, "std::vector<bool> of length %" PRIu64 ", capacity %" PRIu64, len, cap);
	struct kids k;
	kids_begin(&k, p->ctx, p->o, p->depth + 1, KIDS_ARRAY, true);
	for (uint64_t i = 0; i < len && kids_room(&k); i++) {
		bool b;
		if (!bit_at(p->ctx, start, start_bit + i, &b)) {
			render_cannot_access(p->o, start + (start_bit + i) / 64 * 8);
			break;
		}
		kid_text(&k, NULL, b ? "true" : "false");
	}
	kids_end(&k);
	return true;
}

static bool is_bool(Dwarf_Die *t)
{
	Dwarf_Die peeled;

	return render_peel(t, &peeled) && dwarf_tag(&peeled) == DW_TAG_base_type &&
	       render_attr_u(&peeled, DW_AT_encoding, 0) == DW_ATE_boolean;
}

static bool pp_vector(const struct pp *p)
{
	uint64_t start, finish, end;
	Dwarf_Die elem;

	if (!render_template_arg(p->o, p->t, 0, &elem))
		return false;
	if (is_bool(&elem))
		return vector_of_bool(p);
	if (!render_member_u64(p->ctx, p->o, p->t, p->v, "_M_start", &start) ||
	    !render_member_u64(p->ctx, p->o, p->t, p->v, "_M_finish", &finish) ||
	    !render_member_u64(p->ctx, p->o, p->t, p->v, "_M_end_of_storage", &end))
		return false;
	size_t esize = render_type_size(p->o, &elem);
	if (esize == 0 || finish < start || end < finish) {
		render_unreadable(p->o, p->v);
		return true;
	}
	uint64_t len = (finish - start) / esize, cap = (end - start) / esize;
	out_putf(p->o, "std::vector of length %" PRIu64 ", capacity %" PRIu64, len, cap);
	struct kids k;
	kids_begin(&k, p->ctx, p->o, p->depth + 1, KIDS_ARRAY, true);
	for (uint64_t i = 0; i < len && kids_room(&k); i++) {
		struct render_value ev = render_at(start + i * esize);
		kid_value(&k, NULL, &elem, &ev);
	}
	kids_end(&k);
	return true;
}

/* ---- smart pointers --------------------------------------------------------------------- */

/* "std::unique_ptr<Point>": the printer's name and its argument as gdb
 * names types (no type printers: std::__cxx11::basic_string<...>). */
static void name_with_arg(const struct pp *p, bool recognized)
{
	Dwarf_Die arg;
	char buf[RENDER_NAME_MAX];

	out_putf(p->o, "%s<%s>", p->shown,
		 render_template_arg(p->o, p->t, 0, &arg)
			 ? render_type_name(p->o, &arg, recognized, buf, sizeof(buf)) : "?");
}

/* {get() = 0x...}: the pointer as a pointer of its own type. */
static void get_child(const struct pp *p, Dwarf_Die *member, size_t off)
{
	Dwarf_Die mem, *pt = render_type_of(member, &mem);
	struct render_value pv = render_sub(p->v, off);
	struct kids k;

	kids_begin(&k, p->ctx, p->o, p->depth + 1, KIDS_NAMED, true);
	if (kids_room(&k))
		kid_value(&k, "get()", pt, &pv);
	kids_end(&k);
}

static bool pp_unique_ptr(const struct pp *p)
{
	size_t off;
	Dwarf_Die m;

	if (!render_find_member(p->o, p->t, "_M_head_impl", &off, &m))
		return false;
	name_with_arg(p, false);
	get_child(p, &m, off);
	return true;
}

/* The use and weak counts of a shared_ptr's control block. */
static bool ref_counts(const struct pp *p, uint64_t *pi, int32_t *use, int32_t *weak)
{
	size_t off, uoff, woff;
	Dwarf_Die rc, rct_mem, *rct, base, m;

	if (!render_find_member(p->o, p->t, "_M_refcount", &off, &rc) ||
	    !(rct = render_type_of(&rc, &rct_mem)))
		return false;
	struct render_value rv = render_sub(p->v, off);
	if (!render_member_u64(p->ctx, p->o, rct, &rv, "_M_pi", pi) ||
	    !render_member_type(p->o, rct, "_M_pi", &base) || dwarf_tag(&base) != DW_TAG_pointer_type ||
	    !render_type_of(&base, &base) ||
	    !render_find_member(p->o, &base, "_M_use_count", &uoff, &m) ||
	    !render_find_member(p->o, &base, "_M_weak_count", &woff, &m))
		return false;
	*use = *weak = 0;
	return *pi == 0 || (p->ctx->read(p->ctx->arg, *pi + uoff, use, 4) &&
			    p->ctx->read(p->ctx->arg, *pi + woff, weak, 4));
}

static bool pp_shared_ptr(const struct pp *p)
{
	uint64_t pi;
	int32_t use, weak;
	size_t off;
	Dwarf_Die m;

	if (!render_find_member(p->o, p->t, "_M_ptr", &off, &m))
		return false;
	if (!ref_counts(p, &pi, &use, &weak)) {
		render_unreadable(p->o, p->v);
		return true;
	}
	name_with_arg(p, false);
	if (pi == 0)
		out_put(p->o, " (empty)");
	else if (use == 0)
		out_putf(p->o, " (expired, weak count %d)", weak);
	else
		out_putf(p->o, " (use count %d, weak count %d)", use, weak - 1);
	get_child(p, &m, off);
	return true;
}

/* ---- atomic, optional, variant -------------------------------------------------------------- */

static bool pp_atomic(const struct pp *p)
{
	static const char *const where[] = { "_M_i", "_M_fp", "_M_p" };
	size_t off;
	Dwarf_Die m, mem, *mt;

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		if (!render_find_member(p->o, p->t, where[i], &off, &m) || !(mt = render_type_of(&m, &mem)))
			continue;
		struct render_value mv = render_sub(p->v, off);
		name_with_arg(p, false);
		out_put(p->o, " = { ");
		render_any(p->ctx, mt, &mv, p->depth + 1, p->o);
		out_put(p->o, " }");
		return true;
	}
	return false;
}

static bool pp_optional(const struct pp *p);
static bool pp_variant(const struct pp *p);
static pp_fn printer_fn(struct out *o, Dwarf_Die *type);

/* gdb's variant shows a contained printer's children as an array when
 * that printer has no display hint of its own: a list's [0], [1] lose
 * their names.  Optional and variant always have one (None or theirs). */
static bool lends_array_hint(const struct pp *p, Dwarf_Die *type, enum kids_hint hint)
{
	pp_fn fn;

	return hint == KIDS_ARRAY && (fn = printer_fn(p->o, type)) && fn != pp_optional &&
	       fn != pp_variant;
}

/* A contained value as optional and variant show it: "containing" and the
 * value when a printer with children shows it (a container), else as the
 * only child. */
static void contained(const struct pp *p, Dwarf_Die *type, const struct render_value *cv,
		enum kids_hint hint, const char *name)
{
	struct kids k;

	if (render_is_pretty_printed(p->o, type) && !render_printed_alone(p->o, type)) {
		out_put(p->o, " containing ");
		if (lends_array_hint(p, type, hint))
			p->o->w->array_kids_at = p->depth + 2;	/* its printer's children */
		render_any(p->ctx, type, cv, p->depth + 1, p->o);
		p->o->w->array_kids_at = 0;
		return;
	}
	kids_begin(&k, p->ctx, p->o, p->depth + 1, hint, true);
	if (kids_room(&k))
		kid_value(&k, name, type, cv);
	kids_end(&k);
}

static bool pp_optional(const struct pp *p)
{
	size_t eoff, voff;
	Dwarf_Die m, vm, arg, mem, *vt;
	unsigned char engaged = 0;	/* any byte the process held: not read into a bool */
	char buf[RENDER_NAME_MAX];

	if (!render_template_arg(p->o, p->t, 0, &arg) ||
	    !render_find_member(p->o, p->t, "_M_engaged", &eoff, &m) ||
	    !render_find_member(p->o, p->t, "_M_value", &voff, &vm) || !(vt = render_type_of(&vm, &mem)))
		return false;
	out_putf(p->o, "std::optional<%s>", render_type_name(p->o, &arg, true, buf, sizeof(buf)));
	if (!render_bytes(p->ctx, p->v, eoff, &engaged, 1)) {
		out_put(p->o, " = ");
		render_unreadable(p->o, p->v);
	} else if (!engaged) {
		out_put(p->o, " [no contained value]");
	} else {
		struct render_value cv = render_sub(p->v, voff);
		contained(p, vt, &cv, KIDS_NAMED, "[contained value]");
	}
	return true;
}

static bool pp_variant(const struct pp *p)
{
	size_t ioff, uoff;
	Dwarf_Die m, alt;
	uint8_t index = 0;
	int n = render_template_count(p->o, p->t);

	if (n <= 0 || !render_find_member(p->o, p->t, "_M_index", &ioff, &m) ||
	    !render_find_member(p->o, p->t, "_M_u", &uoff, &m))
		return false;
	out_put(p->o, "std::variant<");
	for (int i = 0; i < n && render_template_arg(p->o, p->t, i, &alt); i++) {
		char buf[RENDER_NAME_MAX];
		out_putf(p->o, "%s%s", i ? ", " : "", render_type_name(p->o, &alt, true, buf, sizeof(buf)));
	}
	out_put(p->o, ">");
	if (!render_bytes(p->ctx, p->v, ioff, &index, 1)) {
		out_put(p->o, " = ");
		render_unreadable(p->o, p->v);
	} else if (index >= n || !render_template_arg(p->o, p->t, index, &alt)) {
		out_put(p->o, " [no contained value]");
	} else {
		struct render_value cv = render_sub(p->v, uoff);
		out_putf(p->o, " [index %u]", index);
		contained(p, &alt, &cv, KIDS_ARRAY, NULL);
	}
	return true;
}

/* ---- tuple and pair ----------------------------------------------------------------------- */

/* The bases of one _Tuple_impl level: the next level and this element's
 * _Head_base, with their offsets. */
static bool tuple_level(struct out *o, Dwarf_Die *impl, Dwarf_Die *next, size_t *next_off,
		bool *has_next, Dwarf_Die *head, size_t *head_off)
{
	Dwarf_Die child, mem, *bt;
	bool has_head = false;

	*has_next = false;
	if (dwarf_child(impl, &child) != 0)
		return false;
	do {
		const char *name;
		if (!out_spend(o, 1))
			return false;
		if (dwarf_tag(&child) != DW_TAG_inheritance || !(bt = render_type_of(&child, &mem)) ||
		    !(name = dwarf_diename(bt)))
			continue;
		size_t off = (size_t)render_attr_u(&child, DW_AT_data_member_location, 0);
		if (strncmp(name, "_Tuple_impl<", 12) == 0) {
			*has_next = render_peel(bt, next);
			*next_off = off;
		} else if (strncmp(name, "_Head_base<", 11) == 0) {
			has_head = render_peel(bt, head);
			*head_off = off;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return has_head;
}

/* A _Head_base's element: its _M_head_impl, or (an empty class folded
 * into it) its base. */
static bool head_element(struct out *o, Dwarf_Die *head, size_t *off, Dwarf_Die *type)
{
	Dwarf_Die child, mem, *mt;

	if (dwarf_child(head, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);
		const char *name = dwarf_diename(&child);
		if (!out_spend(o, 1))
			return false;
		if ((tag == DW_TAG_member && name && strcmp(name, "_M_head_impl") == 0) ||
		    tag == DW_TAG_inheritance) {
			if (!(mt = render_type_of(&child, &mem)))
				return false;
			*type = *mt;
			*off = (size_t)render_attr_u(&child, DW_AT_data_member_location, 0);
			return true;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

static bool pp_tuple(const struct pp *p)
{
	Dwarf_Die impl = *p->t, next, head, elem;
	size_t base = 0, next_off = 0, head_off = 0, elem_off;
	bool has_next;
	struct kids k;

	/* std::tuple's own bases: its _Tuple_impl<0, ...> */
	tuple_level(p->o, &impl, &next, &next_off, &has_next, &head, &head_off);
	if (!has_next) {
		out_put(p->o, "empty std::tuple");
		return true;
	}
	out_put(p->o, "std::tuple containing");
	kids_begin(&k, p->ctx, p->o, p->depth + 1, KIDS_NAMED, true);
	for (int i = 1; has_next && kids_room(&k); i++) {
		base += next_off;
		impl = next;
		if (!tuple_level(p->o, &impl, &next, &next_off, &has_next, &head, &head_off) ||
		    !head_element(p->o, &head, &elem_off, &elem))
			break;
		char name[16];
		snprintf(name, sizeof(name), "[%d]", i);
		struct render_value ev = render_sub(p->v, base + head_off + elem_off);
		kid_value(&k, name, &elem, &ev);
	}
	kids_end(&k);
	return true;
}

static bool pp_pair(const struct pp *p)
{
	static const char *const names[] = { "first", "second" };
	size_t off[2];
	Dwarf_Die m[2], mem[2], *mt[2];
	struct kids k;

	for (int i = 0; i < 2; i++)
		if (!render_find_member(p->o, p->t, names[i], &off[i], &m[i]) ||
		    !(mt[i] = render_type_of(&m[i], &mem[i])))
			return false;
	kids_begin(&k, p->ctx, p->o, p->depth + 1, KIDS_NAMED, false);
	for (int i = 0; i < 2 && kids_room(&k); i++) {
		struct render_value mv = render_sub(p->v, off[i]);
		if (render_sensitive(p->ctx, names[i])) {
			kid_text(&k, names[i], "");
			render_filtered(p->ctx, mt[i], &mv, k.depth, p->o);
		} else {
			kid_value(&k, names[i], mt[i], &mv);
		}
	}
	kids_end(&k);
	return true;
}

/* ---- container adaptors and bitset ----------------------------------------------------- */

/* stack, queue, priority_queue: "std::stack wrapping: " and their
 * container `c` as its own printer shows it, children included. */
static bool pp_adaptor(const struct pp *p)
{
	size_t off;
	Dwarf_Die m, mem, *ct;

	if (!render_find_member(p->o, p->t, "c", &off, &m) || !(ct = render_type_of(&m, &mem)) ||
	    !render_is_pretty_printed(p->o, ct))
		return false;	/* gdb would show the container's struct: so do we */
	struct render_value cv = render_sub(p->v, off);
	out_putf(p->o, "%s wrapping: ", p->shown);
	render_any(p->ctx, ct, &cv, p->depth, p->o);
	return true;
}

/* The words of a bitset's _M_w: one unsigned long, or an array of them. */
static bool bitset_words(const struct pp *p, size_t *off, size_t *word, uint64_t *n)
{
	Dwarf_Die m, mt, et;

	if (!render_find_member(p->o, p->t, "_M_w", off, &m) || !render_type_of(&m, &mt) ||
	    !render_peel(&mt, &mt))
		return false;
	size_t total = render_type_size(p->o, &mt);
	*word = dwarf_tag(&mt) == DW_TAG_array_type && render_type_of(&mt, &et)
			? render_type_size(p->o, &et) : total;
	if (*word == 0 || *word > 8)
		return false;
	*n = total / *word;
	return true;
}

/* "std::bitset = {[0] = 1, [5] = 1}": the bits that are set, by place. */
static bool pp_bitset(const struct pp *p)
{
	size_t off, word;
	uint64_t n;
	struct kids k;

	out_put(p->o, p->shown);
	if (!bitset_words(p, &off, &word, &n))
		return true;	/* bitset<0> has no words: gdb shows no children */
	kids_begin(&k, p->ctx, p->o, p->depth + 1, KIDS_NAMED, true);
	for (uint64_t i = 0; i < n && !k.stopped && !p->o->full && out_spend(p->o, 1); i++) {
		uint64_t w = 0;
		if (!render_bytes(p->ctx, p->v, off + i * word, &w, word)) {
			p->o->unreadable = true;
			break;
		}
		for (unsigned bit = 0; w; bit++, w >>= 1) {
			char name[32];
			if (!(w & 1))
				continue;
			if (!kids_room(&k))
				break;
			snprintf(name, sizeof(name), "[%" PRIu64 "]", i * word * 8 + bit);
			kid_text(&k, name, "1");
		}
	}
	kids_end(&k);
	return true;
}

/* ---- iterators -------------------------------------------------------------------------- */

/* *it for an iterator holding a pointer to its element: the element, or
 * gdb's words for one that points nowhere. */
void pp_deref(const struct pp *p, uint64_t at, Dwarf_Die *elem, const char *what)
{
	struct render_value ev = render_at(at);

	if (at == 0 || !elem)
		out_putf(p->o, "non-dereferenceable iterator for %s", what);
	else
		render_any(p->ctx, elem, &ev, p->depth, p->o);
}

static bool pp_vector_iterator(const struct pp *p)
{
	uint64_t cur;
	Dwarf_Die ptr, elem;

	if (!render_member_u64(p->ctx, p->o, p->t, p->v, "_M_current", &cur) ||
	    !render_member_type(p->o, p->t, "_M_current", &ptr) || dwarf_tag(&ptr) != DW_TAG_pointer_type)
		return false;
	pp_deref(p, cur, render_type_of(&ptr, &elem), "std::vector");
	return true;
}

static bool pp_bit_iterator(const struct pp *p)
{
	uint64_t word;
	uint32_t bit = 0;
	size_t off;
	Dwarf_Die m;
	bool b;

	if (!render_member_u64(p->ctx, p->o, p->t, p->v, "_M_p", &word) ||
	    !render_find_member(p->o, p->t, "_M_offset", &off, &m) ||
	    !render_bytes(p->ctx, p->v, off, &bit, 4))
		return false;
	if (word == 0)
		out_put(p->o, "non-dereferenceable iterator for std::vector<bool>");
	else if (!bit_at(p->ctx, word, bit, &b))
		render_cannot_access(p->o, word);
	else
		out_put(p->o, b ? "true" : "false");
	return true;
}

/* ---- the table ---------------------------------------------------------------------------- */

enum pp_lang { PP_CXX, PP_RUST };

/* How a printer's output reads inside optional and variant: a container
 * says "containing" and shows itself, a printer without children (a
 * string, an atomic, an iterator) is shown as their child. */
#define PP_ALONE true

static const struct printer {
	enum pp_lang lang;
	const char *name;	/* DW_AT_name up to its '<' */
	const char *shown;	/* as gdb's printer names the type */
	pp_fn fn;
	bool alone;		/* no children */
	const char *scope;	/* if set: the qualified name starts so (as rust-gdb's
				 * patterns ask, lest a program's own Cell match) */
} printers[] = {
	{ PP_CXX, "basic_string", "std::string", pp_string, PP_ALONE, NULL },
	{ PP_CXX, "basic_string_view", "std::string_view", pp_string_view, PP_ALONE, NULL },
	{ PP_CXX, "vector", "std::vector", pp_vector, false, NULL },
	{ PP_CXX, "unique_ptr", "std::unique_ptr", pp_unique_ptr, false, NULL },
	{ PP_CXX, "shared_ptr", "std::shared_ptr", pp_shared_ptr, false, NULL },
	{ PP_CXX, "weak_ptr", "std::weak_ptr", pp_shared_ptr, false, NULL },
	{ PP_CXX, "atomic", "std::atomic", pp_atomic, PP_ALONE, NULL },
	{ PP_CXX, "optional", "std::optional", pp_optional, false, NULL },
	{ PP_CXX, "variant", "std::variant", pp_variant, false, NULL },
	{ PP_CXX, "tuple", "std::tuple", pp_tuple, false, NULL },
	{ PP_CXX, "pair", "std::pair", pp_pair, false, NULL },
	{ PP_CXX, "map", "std::map", pp_map, false, NULL },
	{ PP_CXX, "multimap", "std::multimap", pp_map, false, NULL },
	{ PP_CXX, "set", "std::set", pp_set, false, NULL },
	{ PP_CXX, "multiset", "std::multiset", pp_set, false, NULL },
	{ PP_CXX, "unordered_map", "std::unordered_map", pp_unordered, false, NULL },
	{ PP_CXX, "unordered_multimap", "std::unordered_multimap", pp_unordered, false, NULL },
	{ PP_CXX, "unordered_set", "std::unordered_set", pp_unordered, false, NULL },
	{ PP_CXX, "unordered_multiset", "std::unordered_multiset", pp_unordered, false, NULL },
	{ PP_CXX, "list", "std::__cxx11::list", pp_list, false, NULL },
	{ PP_CXX, "forward_list", "std::forward_list", pp_forward_list, false, NULL },
	{ PP_CXX, "deque", "std::deque", pp_deque, false, NULL },
	{ PP_CXX, "stack", "std::stack", pp_adaptor, false, NULL },
	{ PP_CXX, "queue", "std::queue", pp_adaptor, false, NULL },
	{ PP_CXX, "priority_queue", "std::priority_queue", pp_adaptor, false, NULL },
	{ PP_CXX, "bitset", "std::bitset", pp_bitset, false, NULL },
	{ PP_CXX, "_Rb_tree_iterator", "std::map", pp_rb_iterator, PP_ALONE, NULL },
	{ PP_CXX, "_Rb_tree_const_iterator", "std::map", pp_rb_iterator, PP_ALONE, NULL },
	{ PP_CXX, "_List_iterator", "std::list", pp_list_iterator, PP_ALONE, NULL },
	{ PP_CXX, "_List_const_iterator", "std::list", pp_list_iterator, PP_ALONE, NULL },
	{ PP_CXX, "_Deque_iterator", "std::deque", pp_deque_iterator, PP_ALONE, NULL },
	{ PP_CXX, "__normal_iterator", "std::vector", pp_vector_iterator, PP_ALONE, NULL },
	{ PP_CXX, "_Bit_iterator", "std::vector<bool>", pp_bit_iterator, PP_ALONE, NULL },
	{ PP_CXX, "_Bit_const_iterator", "std::vector<bool>", pp_bit_iterator, PP_ALONE, NULL },
	{ PP_RUST, "String", "String", pp_rust_string, PP_ALONE, NULL },
	{ PP_RUST, "&str", "&str", pp_rust_str, PP_ALONE, NULL },
	{ PP_RUST, "&mut str", "&mut str", pp_rust_str, PP_ALONE, NULL },
	{ PP_RUST, "Vec", "Vec", pp_rust_vec, false, NULL },
	{ PP_RUST, "&[", "&[", pp_rust_slice, false, NULL },
	{ PP_RUST, "&mut [", "&mut [", pp_rust_slice, false, NULL },
	{ PP_RUST, "Rc", "Rc", pp_rust_rc, false, NULL },
	{ PP_RUST, "Arc", "Arc", pp_rust_rc, false, NULL },
	{ PP_RUST, "HashMap", "HashMap", pp_rust_hashmap, false, NULL },
	{ PP_RUST, "HashSet", "HashSet", pp_rust_hashmap, false, NULL },
	{ PP_RUST, "OsString", "OsString", pp_rust_string, PP_ALONE, "std::ffi::" },
	{ PP_RUST, "VecDeque", "VecDeque", pp_rust_vecdeque, false, "alloc::collections::" },
	{ PP_RUST, "BTreeMap", "BTreeMap", pp_rust_btree, false, "alloc::collections::" },
	{ PP_RUST, "BTreeSet", "BTreeSet", pp_rust_btree, false, "alloc::collections::" },
	{ PP_RUST, "Cell", "Cell", pp_rust_cell, false, "core::cell::" },
	{ PP_RUST, "RefCell", "RefCell", pp_rust_refcell, false, "core::cell::" },
	{ PP_RUST, "NonZero", "NonZero", pp_rust_nonzero, PP_ALONE, "core::num::" },
};

/* libstdc++'s types are declared in its headers (".../c++/12/bits/..."),
 * which is cheaper to ask than the type's scopes. */
static bool from_libstdcxx(Dwarf_Die *t)
{
	const char *file = dwarf_decl_file(t);

	return file && strstr(file, "/c++/") && !strstr(file, "/c++/v1/");
}

static bool name_matches(const char *name, const struct printer *pr)
{
	size_t n = strlen(pr->name);

	if (strncmp(name, pr->name, n) != 0)
		return false;
	if (pr->name[n - 1] == '[')	/* Rust's slices: "&[i32]" */
		return true;
	return name[n] == '\0' || name[n] == '<';
}

static const struct printer *printer_of(struct out *o, Dwarf_Die *t)
{
	const char *name = dwarf_diename(t);
	int tag = dwarf_tag(t);
	int lang = -1;

	if (!name || (tag != DW_TAG_structure_type && tag != DW_TAG_class_type &&
		      tag != DW_TAG_union_type))
		return NULL;
	for (size_t i = 0; i < sizeof(printers) / sizeof(printers[0]); i++) {
		if (!name_matches(name, &printers[i]))
			continue;
		if (lang < 0) {
			if (!out_spend(o, 8))
				return NULL;
			lang = render_is_rust(t) ? PP_RUST : from_libstdcxx(t) ? PP_CXX : 99;
		}
		if ((int)printers[i].lang != lang)
			continue;
		if (printers[i].scope && strncmp(render_qualified(o, t), printers[i].scope,
						 strlen(printers[i].scope)) != 0)
			continue;
		return &printers[i];
	}
	return NULL;
}

bool render_is_pretty_printed(struct out *o, Dwarf_Die *type)
{
	Dwarf_Die t;

	return render_peel(type, &t) && printer_of(o, &t) != NULL;
}

static pp_fn printer_fn(struct out *o, Dwarf_Die *type)
{
	Dwarf_Die t;
	const struct printer *pr;

	return render_peel(type, &t) && (pr = printer_of(o, &t)) ? pr->fn : NULL;
}

bool render_printed_alone(struct out *o, Dwarf_Die *type)
{
	Dwarf_Die t;
	const struct printer *pr;

	return render_peel(type, &t) && (pr = printer_of(o, &t)) && pr->alone;
}

bool render_printed(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		int depth, struct out *o)
{
	const struct printer *pr = printer_of(o, t);

	if (!pr)
		return false;
	struct pp p = { .ctx = ctx, .t = t, .v = v, .depth = depth, .o = o, .shown = pr->shown };
	size_t at = o->len;
	bool was = o->unreadable;
	o->unreadable = false;
	bool done = pr->fn(&p);
	if (done && o->unreadable && v->in_memory) {
		/* the value's own words were not copied: gdb's error, not zeros */
		o->len = at;
		o->p[at] = '\0';
		render_unreadable(o, v);
	}
	o->unreadable = was;
	if (done)
		return true;
	o->len = at;	/* declined: whatever it began is taken back */
	o->p[at] = '\0';
	return false;
}
