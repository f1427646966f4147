/*
 * render_rust_std.c - more of Rust's std types as rust-gdb's printers
 * show them: VecDeque, Cell, RefCell, BTreeMap and BTreeSet, NonZero.
 * Their layouts differ between releases (VecDeque's tail and head became
 * head and len; a BTreeMap's key sits one wrapper deeper), so every field
 * is found by name through the DWARF, and only the printers whose output
 * is the same shape at each release are here (Ref and RefMut are not:
 * rust-gdb's own printer fails on them).
 */
#include <dwarf.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "render_priv.h"

#define BTREE_HEIGHT_MAX 24	/* a B-tree of height 24 would hold more than memory */

/* A member's offset in type and its (unpeeled) type. */
static bool member(struct out *o, Dwarf_Die *type, const char *name, size_t *off, Dwarf_Die *mtype)
{
	Dwarf_Die m;

	return render_find_member(o, type, name, off, &m) && render_type_of(&m, mtype) != NULL;
}

/* Cell<T> and UnsafeCell<T>: T is the `value` of the `value`; at *off. */
static bool cell_value(struct out *o, Dwarf_Die *cell, size_t *off, Dwarf_Die *type)
{
	size_t a, b;
	Dwarf_Die unsafe_cell;

	if (!member(o, cell, "value", &a, &unsafe_cell) || !render_peel(&unsafe_cell, &unsafe_cell) ||
	    !member(o, &unsafe_cell, "value", &b, type))
		return false;
	*off = a + b;
	return true;
}

/* ---- VecDeque ---------------------------------------------------------------------------- */

/* The ring's first slot and length: head and len since 1.67, before them
 * tail (the first) and head (one past the last). */
static bool ring(const struct pp *p, uint64_t cap, uint64_t *first, uint64_t *len)
{
	uint64_t head, tail;

	if (!render_member_u64(p->ctx, p->o, p->t, p->v, "head", &head))
		return false;
	if (render_member_u64(p->ctx, p->o, p->t, p->v, "tail", &tail)) {
		*first = tail;
		*len = head >= tail ? head - tail : cap + head - tail;
		return true;
	}
	*first = head;
	return render_member_u64(p->ctx, p->o, p->t, p->v, "len", len);
}

bool pp_rust_vecdeque(const struct pp *p)
{
	uint64_t ptr, cap, first, len;
	Dwarf_Die elem;

	if (!render_template_arg(p->o, p->t, 0, &elem) ||
	    !render_member_u64(p->ctx, p->o, p->t, p->v, "pointer", &ptr) ||
	    !render_member_u64(p->ctx, p->o, p->t, p->v, "cap", &cap) || !ring(p, cap, &first, &len))
		return false;
	out_putf(p->o, "VecDeque(size=%" PRIu64 ")", len);
	if (!cap)
		return true;	/* a ring of no slots holds nothing, whatever len says */
	size_t esize = render_type_size(p->o, &elem);
	struct kids k;
	kids_begin(&k, p->ctx, p->o, p->depth + 1, KIDS_ARRAY, true);
	uint64_t slot = first % cap;
	for (uint64_t i = 0; i < len && kids_room(&k); i++) {
		struct render_value ev = render_at(ptr + slot * esize);
		kid_value(&k, NULL, &elem, &ev);
		if (++slot == cap)
			slot = 0;
	}
	kids_end(&k);
	return true;
}

/* ---- Cell and RefCell ----------------------------------------------------------------------- */

bool pp_rust_cell(const struct pp *p)
{
	size_t off;
	Dwarf_Die vt;
	struct kids k;

	if (!cell_value(p->o, p->t, &off, &vt))
		return false;
	struct render_value vv = render_sub(p->v, off);
	out_put(p->o, "Cell");
	kids_begin(&k, p->ctx, p->o, p->depth + 1, KIDS_NAMED, true);
	if (kids_room(&k))
		kid_value(&k, "value", &vt, &vv);
	kids_end(&k);
	return true;
}

/* "RefCell(borrow=1) = {value = ..., borrow = 1}"; a mutable borrow is a
 * negative count: "RefCell(borrow_mut=1) = {..., borrow = -1}". */
bool pp_rust_refcell(const struct pp *p)
{
	size_t boff, coff, voff, uoff;
	Dwarf_Die bt, ct, vt, ut;
	int64_t borrow = 0;
	struct kids k;
	char num[32];

	if (!member(p->o, p->t, "borrow", &boff, &bt) || !render_peel(&bt, &bt) ||
	    !cell_value(p->o, &bt, &coff, &ct) || render_type_size(p->o, &ct) != 8 ||
	    !member(p->o, p->t, "value", &uoff, &ut) || !render_peel(&ut, &ut) ||
	    !member(p->o, &ut, "value", &voff, &vt))
		return false;
	if (!render_bytes(p->ctx, p->v, boff + coff, &borrow, 8)) {
		render_unreadable(p->o, p->v);
		return true;
	}
	/* -borrow of the most negative isize: printed as Python would, unsigned */
	if (borrow >= 0)
		out_putf(p->o, "RefCell(borrow=%" PRId64 ")", borrow);
	else
		out_putf(p->o, "RefCell(borrow_mut=%" PRIu64 ")", -(uint64_t)borrow);
	struct render_value vv = render_sub(p->v, uoff + voff);
	kids_begin(&k, p->ctx, p->o, p->depth + 1, KIDS_NAMED, true);
	if (kids_room(&k))
		kid_value(&k, "value", &vt, &vv);
	snprintf(num, sizeof(num), "%" PRId64, borrow);
	if (kids_room(&k))
		kid_text(&k, "borrow", num);
	kids_end(&k);
	return true;
}

/* ---- NonZero -------------------------------------------------------------------------------- */

/* The first data member of a struct (NonZero<T> and its inner type have
 * one each). */
static bool first_member(struct out *o, Dwarf_Die *t, size_t *off, Dwarf_Die *type)
{
	Dwarf_Die child;

	if (dwarf_child(t, &child) != 0)
		return false;
	do {
		if (!out_spend(o, 1))
			return false;
		if (dwarf_tag(&child) == DW_TAG_member) {
			*off = (size_t)render_attr_u(&child, DW_AT_data_member_location, 0);
			return render_type_of(&child, type) != NULL;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/* NonZero<u32> (1.79 on) shows as its number: the field of its field.
 * Before, NonZeroU32 has no printer and shows as the struct it is. */
bool pp_rust_nonzero(const struct pp *p)
{
	size_t a, b;
	Dwarf_Die inner, vt;

	if (!first_member(p->o, p->t, &a, &inner) || !render_peel(&inner, &inner) ||
	    dwarf_tag(&inner) != DW_TAG_structure_type || !first_member(p->o, &inner, &b, &vt))
		return false;
	struct render_value vv = render_sub(p->v, a + b);
	render_any(p->ctx, &vt, &vv, p->depth, p->o);
	return true;
}

/* ---- BTreeMap and BTreeSet ------------------------------------------------------------------ */

/* Option<T>'s Some payload: its offset in the Option and its type. */
static bool option_some(struct out *o, Dwarf_Die *opt, size_t *off, Dwarf_Die *type)
{
	Dwarf_Die part, var, m, st;
	size_t inner;

	if (dwarf_child(opt, &part) != 0)
		return false;
	while (dwarf_tag(&part) != DW_TAG_variant_part)
		if (!out_spend(o, 1) || dwarf_siblingof(&part, &part) != 0)
			return false;
	if (dwarf_child(&part, &var) != 0)
		return false;
	do {
		const char *name;
		if (!out_spend(o, 1))
			return false;
		if (dwarf_tag(&var) != DW_TAG_variant || dwarf_child(&var, &m) != 0)
			continue;
		while (dwarf_tag(&m) != DW_TAG_member && dwarf_siblingof(&m, &m) == 0)
			;
		if (dwarf_tag(&m) != DW_TAG_member || !(name = dwarf_diename(&m)) || strcmp(name, "Some") != 0 ||
		    !render_type_of(&m, &st) || !render_peel(&st, &st) || !member(o, &st, "__0", &inner, type))
			continue;
		*off = (size_t)render_attr_u(&m, DW_AT_data_member_location, 0) + inner;
		return true;
	} while (dwarf_siblingof(&var, &var) == 0);
	return false;
}

/* NonNull<T>'s T. */
static bool non_null_target(struct out *o, Dwarf_Die *nn, Dwarf_Die *target)
{
	Dwarf_Die ptr;

	return render_peel(nn, nn) && render_member_type(o, nn, "pointer", &ptr) &&
	       dwarf_tag(&ptr) == DW_TAG_pointer_type && render_type_of(&ptr, target) &&
	       render_peel(target, target);
}

/* An array member of a node: its offset, the stride of its elements, and
 * how many it has (from the DWARF, never from memory). */
struct slots {
	size_t off, stride;
	uint64_t count;
};

static bool slots(struct out *o, Dwarf_Die *node, const char *name, struct slots *s)
{
	Dwarf_Die at, et, sub;

	if (!member(o, node, name, &s->off, &at) || !render_peel(&at, &at) ||
	    dwarf_tag(&at) != DW_TAG_array_type || !render_type_of(&at, &et) ||
	    dwarf_child(&at, &sub) != 0)
		return false;
	s->stride = render_type_size(o, &et);
	Dwarf_Attribute a;
	s->count = dwarf_attr(&sub, DW_AT_count, &a) ? render_attr_u(&sub, DW_AT_count, 0)
		   : render_attr_u(&sub, DW_AT_upper_bound, 0) + 1;
	return s->count > 0 && s->count <= 64;
}

/* What walking a B-tree needs: the key and value types, where a leaf
 * keeps len, keys and vals, and where an internal node keeps its edges. */
struct btree {
	Dwarf_Die key, val;
	bool is_map;
	size_t len_off;
	struct slots keys, vals, edges;
	struct kids k;
};

static bool btree_layout(const struct pp *p, Dwarf_Die *map, Dwarf_Die *leaf, struct btree *bt)
{
	Dwarf_Die lt, parent, nn, internal;
	size_t off;

	if (!render_template_arg(p->o, map, 0, &bt->key) || !render_template_arg(p->o, map, 1, &bt->val) ||
	    !member(p->o, leaf, "len", &bt->len_off, &lt) || render_type_size(p->o, &lt) != 2 ||
	    !slots(p->o, leaf, "keys", &bt->keys) || !slots(p->o, leaf, "vals", &bt->vals) ||
	    !member(p->o, leaf, "parent", &off, &parent) || !render_peel(&parent, &parent) ||
	    !option_some(p->o, &parent, &off, &nn) || !non_null_target(p->o, &nn, &internal) ||
	    !slots(p->o, &internal, "edges", &bt->edges) || bt->edges.stride < 8 ||
	    bt->edges.count < bt->keys.count + 1 || bt->vals.count < bt->keys.count)
		return false;
	return true;
}

/* A node's words, spending the value's work; false ends the walk with
 * gdb's words for memory it cannot read. */
static bool node_read(const struct pp *p, uint64_t at, void *buf, size_t len)
{
	if (out_spend(p->o, 1) && p->ctx->read(p->ctx->arg, at, buf, len))
		return true;
	if (!p->o->full)
		render_cannot_access(p->o, at);
	return false;
}

static bool btree_pair(struct btree *bt, uint64_t node, uint64_t i)
{
	struct render_value kv = render_at(node + bt->keys.off + i * bt->keys.stride);
	struct render_value vv = render_at(node + bt->vals.off + i * bt->vals.stride);

	if (!kids_room(&bt->k))
		return false;
	kid_value(&bt->k, NULL, &bt->key, &kv);
	if (!bt->is_map)
		return true;
	if (!kids_room(&bt->k))
		return false;
	kid_value(&bt->k, NULL, &bt->val, &vv);
	return true;
}

/* In order: edge 0, key 0, edge 1, ... key len-1, edge len.  The height
 * (at most BTREE_HEIGHT_MAX) bounds the recursion; every node spends the
 * value's work. */
static bool btree_walk(const struct pp *p, struct btree *bt, uint64_t node, uint64_t height)
{
	uint16_t len;

	if (!node_read(p, node + bt->len_off, &len, 2))
		return false;
	if (len > bt->keys.count) {
		render_cannot_access(p->o, node);
		return false;
	}
	for (uint64_t i = 0; i <= len; i++) {
		uint64_t child;
		if (height > 0 && (!node_read(p, node + bt->edges.off + i * bt->edges.stride, &child, 8) ||
				   !btree_walk(p, bt, child, height - 1)))
			return false;
		if (i < len && !btree_pair(bt, node, i))
			return false;
	}
	return true;
}

/* BTreeMap(size=2) = {[k] = v, ...}; BTreeSet(size=2) = {k, ...}: a set
 * is the map in its `map`. */
bool pp_rust_btree(const struct pp *p)
{
	struct btree bt = { .is_map = strcmp(p->shown, "BTreeMap") == 0 };
	Dwarf_Die map = *p->t, opt, root, nn, leaf, ht;
	size_t moff = 0, roff, soff, hoff, noff;
	uint64_t length, height = 0, node = 0;

	if (!bt.is_map && (!member(p->o, p->t, "map", &moff, &map) || !render_peel(&map, &map)))
		return false;
	struct render_value mv = render_sub(p->v, moff);
	if (!render_member_u64(p->ctx, p->o, &map, &mv, "length", &length) ||
	    !member(p->o, &map, "root", &roff, &opt) || !render_peel(&opt, &opt) ||
	    !option_some(p->o, &opt, &soff, &root) || !render_peel(&root, &root) ||
	    !member(p->o, &root, "height", &hoff, &ht) || render_type_size(p->o, &ht) != 8 ||
	    !member(p->o, &root, "node", &noff, &nn) || !non_null_target(p->o, &nn, &leaf) ||
	    !btree_layout(p, &map, &leaf, &bt))
		return false;
	out_putf(p->o, "%s(size=%" PRIu64 ")", p->shown, length);
	kids_begin(&bt.k, p->ctx, p->o, p->depth + 1, bt.is_map ? KIDS_MAP : KIDS_ARRAY, true);
	if (length) {	/* rust-gdb reads the root only then */
		if (!render_bytes(p->ctx, &mv, roff + soff + hoff, &height, 8) ||
		    !render_bytes(p->ctx, &mv, roff + soff + noff, &node, 8))
			p->o->unreadable = true;
		else if (height > BTREE_HEIGHT_MAX)
			render_unreadable(p->o, p->v);
		else
			btree_walk(p, &bt, node, height);
	}
	kids_end(&bt.k);
	return true;
}
