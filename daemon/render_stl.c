/*
 * render_stl.c - libstdc++'s node-based containers as gdb's printers show
 * them: map, multimap, set, multiset (a red-black tree walked in order),
 * list and forward_list (their links), the unordered ones (the hashtable's
 * list of nodes, in its order), deque (its map of buffers), and the
 * iterators of map, set, list and deque.  Nodes are read from the crash's
 * memory copy: a link into memory that was not copied ends the walk with
 * gdb's <error: Cannot access memory ...>, and every step spends the
 * value's work, so a crafted cycle ends too.
 */
#include <dwarf.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "render_priv.h"

#define DEQUE_BUFFER 512	/* libstdc++'s deque buffer, bytes */

static void elements(struct out *o, const char *shown, uint64_t n)
{
	out_putf(o, "%s with %" PRIu64 " element%s", shown, n, n == 1 ? "" : "s");
}

/* A word of a node, or the walk's end with gdb's words for it. */
static bool link_at(const struct pp *p, uint64_t at, uint64_t *out)
{
	if (out_spend(p->o, 1) && p->ctx->read(p->ctx->arg, at, out, 8))
		return true;
	if (!p->o->full)
		render_cannot_access(p->o, at);
	return false;
}

/* The size of the type a pointer member points to (a node's base); an
 * iterator's DWARF may only declare it: then libstdc++'s `known` size. */
static size_t pointee_size(const struct pp *p, Dwarf_Die *type, const char *member, size_t known)
{
	Dwarf_Die ptr, target;

	if (!render_member_type(p->o, type, member, &ptr) || dwarf_tag(&ptr) != DW_TAG_pointer_type ||
	    !render_type_of(&ptr, &target))
		return 0;
	size_t size = render_type_size(p->o, &target);
	return size ? size : known;
}

/* A node's value: as a map's key and value, or a set's [i] = value. */
struct node_values {
	Dwarf_Die type;		/* the value's (std::pair<const K, V> for maps) */
	bool is_map;
	size_t key_off, val_off;
	Dwarf_Die key, val;
};

static bool node_values(const struct pp *p, Dwarf_Die *value_type, bool is_map,
		struct node_values *nv)
{
	Dwarf_Die m, mem, *mt;

	nv->type = *value_type;
	nv->is_map = is_map;
	if (!is_map)
		return true;
	if (!render_find_member(p->o, value_type, "first", &nv->key_off, &m) ||
	    !(mt = render_type_of(&m, &mem)))
		return false;
	nv->key = *mt;
	if (!render_find_member(p->o, value_type, "second", &nv->val_off, &m) ||
	    !(mt = render_type_of(&m, &mem)))
		return false;
	nv->val = *mt;
	return true;
}

static void node_kid(struct kids *k, struct node_values *nv, uint64_t at, uint64_t i)
{
	if (nv->is_map) {
		struct render_value kv = render_at(at + nv->key_off), vv = render_at(at + nv->val_off);
		kid_value(k, NULL, &nv->key, &kv);
		if (kids_room(k))
			kid_value(k, NULL, &nv->val, &vv);
	} else {
		char name[32];
		struct render_value ev = render_at(at);
		snprintf(name, sizeof(name), "[%" PRIu64 "]", i);
		kid_value(k, name, &nv->type, &ev);
	}
}

/* ---- red-black trees: map, multimap, set, multiset ---------------------------------------- */

struct rb {
	uint64_t header, count;
	size_t base;			/* sizeof(_Rb_tree_node_base): the value follows */
	size_t parent, left, right;	/* offsets of the links */
};

static bool rb_tree(const struct pp *p, struct rb *rb, Dwarf_Die *value_type)
{
	size_t hoff;
	Dwarf_Die m, ht_mem, *ht, tree;

	if (!p->v->in_memory || !render_find_member(p->o, p->t, "_M_header", &hoff, &m) ||
	    !(ht = render_type_of(&m, &ht_mem)) || !render_member_type(p->o, p->t, "_M_t", &tree) ||
	    !render_template_arg(p->o, &tree, 1, value_type) ||
	    !render_member_u64(p->ctx, p->o, p->t, p->v, "_M_node_count", &rb->count) ||
	    !render_find_member(p->o, ht, "_M_parent", &rb->parent, &m) ||
	    !render_find_member(p->o, ht, "_M_left", &rb->left, &m) ||
	    !render_find_member(p->o, ht, "_M_right", &rb->right, &m) ||
	    !(rb->base = render_type_size(p->o, ht)))
		return false;
	rb->header = p->v->addr + hoff;
	return true;
}

/* The node after x in order (libstdc++'s increment). */
static bool rb_next(const struct pp *p, const struct rb *rb, uint64_t *x)
{
	uint64_t y, r;

	if (!link_at(p, *x + rb->right, &r))
		return false;
	if (r) {
		*x = r;
		for (uint64_t l; link_at(p, *x + rb->left, &l);) {
			if (!l)
				return true;
			*x = l;
		}
		return false;
	}
	if (!link_at(p, *x + rb->parent, &y))
		return false;
	while (link_at(p, y + rb->right, &r) && *x == r) {
		*x = y;
		if (!link_at(p, y + rb->parent, &y))
			return false;
	}
	if (p->o->full)
		return false;
	if (r != y)
		*x = y;
	return true;
}

static bool rb_container(const struct pp *p, bool is_map)
{
	struct rb rb;
	struct node_values nv;
	Dwarf_Die vt;
	uint64_t x;

	if (!rb_tree(p, &rb, &vt) || !node_values(p, &vt, is_map, &nv))
		return false;
	elements(p->o, p->shown, rb.count);
	struct kids k;
	kids_begin(&k, p->ctx, p->o, p->depth + 1, is_map ? KIDS_MAP : KIDS_NAMED, true);
	if (rb.count && link_at(p, rb.header + rb.left, &x)) {
		for (uint64_t i = 0; i < rb.count && kids_room(&k); i++) {
			if (i && !rb_next(p, &rb, &x))
				break;
			node_kid(&k, &nv, x + rb.base, i);
		}
	}
	kids_end(&k);
	return true;
}

bool pp_map(const struct pp *p)
{
	return rb_container(p, true);
}

bool pp_set(const struct pp *p)
{
	return rb_container(p, false);
}

/* An iterator holding its node (_M_node), whose value follows the node's
 * base of `known` bytes (when the DWARF only declares the base). */
static bool node_iterator(const struct pp *p, size_t known, const char *what)
{
	uint64_t node;
	Dwarf_Die elem;
	size_t base = pointee_size(p, p->t, "_M_node", known);

	if (!base || !render_value_type(p->o, p->t, &elem) ||
	    !render_member_u64(p->ctx, p->o, p->t, p->v, "_M_node", &node))
		return false;
	pp_deref(p, node ? node + base : 0, &elem, what);
	return true;
}

bool pp_rb_iterator(const struct pp *p)
{
	return node_iterator(p, 4 * 8, "associative container");
}

/* ---- lists ------------------------------------------------------------------------------ */

/* The nodes from first to the end (end: the header's address, or 0). */
static void list_nodes(const struct pp *p, uint64_t first, uint64_t end, size_t base,
		Dwarf_Die *elem, const char *shown)
{
	struct kids k;
	struct node_values nv;
	uint64_t node = first;

	node_values(p, elem, false, &nv);
	out_put(p->o, first == end ? "empty " : "");
	out_put(p->o, shown);
	kids_begin(&k, p->ctx, p->o, p->depth + 1, KIDS_NAMED, true);
	for (uint64_t i = 0; node != end && kids_room(&k); i++) {
		node_kid(&k, &nv, node + base, i);
		if (!link_at(p, node, &node))	/* _M_next comes first */
			break;
	}
	kids_end(&k);
}

bool pp_list(const struct pp *p)
{
	size_t hoff;
	Dwarf_Die m, elem, ht_mem, *ht;
	uint64_t first;

	if (!p->v->in_memory || !render_value_type(p->o, p->t, &elem) ||
	    !render_find_member(p->o, p->t, "_M_node", &hoff, &m) || !(ht = render_type_of(&m, &ht_mem)))
		return false;
	size_t base = pointee_size(p, ht, "_M_next", 2 * 8);
	if (!base || !render_member_u64(p->ctx, p->o, ht, &(struct render_value){ .in_memory = true,
					.addr = p->v->addr + hoff }, "_M_next", &first))
		return false;
	list_nodes(p, first, p->v->addr + hoff, base, &elem, p->shown);
	return true;
}

bool pp_forward_list(const struct pp *p)
{
	Dwarf_Die elem;
	uint64_t first;
	size_t base = pointee_size(p, p->t, "_M_next", 8);

	if (!base || !render_value_type(p->o, p->t, &elem) ||
	    !render_member_u64(p->ctx, p->o, p->t, p->v, "_M_next", &first))
		return false;
	list_nodes(p, first, 0, base, &elem, p->shown);
	return true;
}

bool pp_list_iterator(const struct pp *p)
{
	return node_iterator(p, 2 * 8, "std::list");
}

/* ---- unordered containers ------------------------------------------------------------------ */

bool pp_unordered(const struct pp *p)
{
	Dwarf_Die table, vt;
	uint64_t count, node;
	struct node_values nv;
	bool is_map = strstr(p->shown, "map") != NULL;
	size_t base = pointee_size(p, p->t, "_M_nxt", 8);

	if (!base || !render_member_type(p->o, p->t, "_M_h", &table) ||
	    !render_template_arg(p->o, &table, 1, &vt) || !node_values(p, &vt, is_map, &nv) ||
	    !render_member_u64(p->ctx, p->o, p->t, p->v, "_M_element_count", &count) ||
	    !render_member_u64(p->ctx, p->o, p->t, p->v, "_M_nxt", &node))
		return false;
	elements(p->o, p->shown, count);
	struct kids k;
	kids_begin(&k, p->ctx, p->o, p->depth + 1, is_map ? KIDS_MAP : KIDS_NAMED, true);
	for (uint64_t i = 0; node && i < count && kids_room(&k); i++) {
		node_kid(&k, &nv, node + base, i);
		if (!link_at(p, node, &node))
			break;
	}
	kids_end(&k);
	return true;
}

/* ---- deque ------------------------------------------------------------------------------------ */

struct deque_it {
	uint64_t cur, first, last, node;
};

static bool deque_it(const struct pp *p, const char *name, struct deque_it *it)
{
	size_t off;
	Dwarf_Die m, mem, *t;

	if (!render_find_member(p->o, p->t, name, &off, &m) || !(t = render_type_of(&m, &mem)))
		return false;
	struct render_value iv = render_sub(p->v, off);
	return render_member_u64(p->ctx, p->o, t, &iv, "_M_cur", &it->cur) &&
	       render_member_u64(p->ctx, p->o, t, &iv, "_M_first", &it->first) &&
	       render_member_u64(p->ctx, p->o, t, &iv, "_M_last", &it->last) &&
	       render_member_u64(p->ctx, p->o, t, &iv, "_M_node", &it->node);
}

bool pp_deque(const struct pp *p)
{
	struct deque_it s, f;
	Dwarf_Die elem;
	size_t esize;

	if (!render_value_type(p->o, p->t, &elem) || !(esize = render_type_size(p->o, &elem)) ||
	    !deque_it(p, "_M_start", &s) || !deque_it(p, "_M_finish", &f))
		return false;
	int64_t per = esize < DEQUE_BUFFER ? DEQUE_BUFFER / (int64_t)esize : 1;
	int64_t n = per * ((int64_t)(f.node - s.node) / 8 - 1) + (int64_t)(f.cur - f.first) / (int64_t)esize +
		    (int64_t)(s.last - s.cur) / (int64_t)esize;
	if (n < 0) {
		render_unreadable(p->o, p->v);
		return true;
	}
	elements(p->o, p->shown, (uint64_t)n);
	struct kids k;
	kids_begin(&k, p->ctx, p->o, p->depth + 1, KIDS_ARRAY, true);
	uint64_t cur = s.cur, end = s.last, node = s.node;
	for (int64_t i = 0; i < n && kids_room(&k); i++) {
		if (cur == end) {
			node += 8;
			if (!link_at(p, node, &cur))
				break;
			end = cur + (uint64_t)per * esize;
		}
		struct render_value ev = render_at(cur);
		kid_value(&k, NULL, &elem, &ev);
		cur += esize;
	}
	kids_end(&k);
	return true;
}

bool pp_deque_iterator(const struct pp *p)
{
	uint64_t cur;
	Dwarf_Die elem;

	if (!render_value_type(p->o, p->t, &elem) ||
	    !render_member_u64(p->ctx, p->o, p->t, p->v, "_M_cur", &cur))
		return false;
	pp_deref(p, cur, &elem, "std::deque");
	return true;
}
