/*
 * render_rust.c - Rust values as rust-gdb shows them: its pretty printers
 * for String, &str, Vec, slices, Rc, Arc, HashMap and HashSet, and gdb's
 * Rust forms for the rest: "path::Struct {field: value}", tuple structs
 * "Name(a, b)", enums "path::Enum::Variant(a)" (the variant chosen by
 * DW_TAG_variant_part's discriminant, niches included), tuples "(a, b)",
 * arrays "[a, b]" and char "120 'x'".  Members are found by name at any
 * depth, so the layouts of several releases (Debian's 1.63, rustup's
 * current one) read alike.
 */
#include <dwarf.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "render_priv.h"

/* ---- the printers ---------------------------------------------------------------------- */

bool pp_rust_string(const struct pp *p)
{
	return pp_text_members(p, "pointer", "len");
}

bool pp_rust_str(const struct pp *p)
{
	return pp_text_members(p, "data_ptr", "length");
}

/* count elements of type elem from addr, as an array's children. */
static void array_kids(const struct pp *p, Dwarf_Die *elem, uint64_t addr, uint64_t count)
{
	size_t esize = render_type_size(p->o, elem);
	struct kids k;

	kids_begin(&k, p->ctx, p->o, p->depth + 1, KIDS_ARRAY, true);
	for (uint64_t i = 0; i < count && kids_room(&k); i++) {
		struct render_value ev = render_at(addr + i * esize);
		kid_value(&k, NULL, elem, &ev);
	}
	kids_end(&k);
}

bool pp_rust_vec(const struct pp *p)
{
	uint64_t ptr, len;
	Dwarf_Die elem;

	if (!render_template_arg(p->o, p->t, 0, &elem) ||
	    !render_member_u64(p->ctx, p->o, p->t, p->v, "pointer", &ptr) ||
	    !render_member_u64(p->ctx, p->o, p->t, p->v, "len", &len))
		return false;
	out_putf(p->o, "Vec(size=%" PRIu64 ")", len);
	array_kids(p, &elem, ptr, len);
	return true;
}

bool pp_rust_slice(const struct pp *p)
{
	uint64_t ptr, len;
	Dwarf_Die pt, elem;

	if (!render_member_u64(p->ctx, p->o, p->t, p->v, "data_ptr", &ptr) ||
	    !render_member_u64(p->ctx, p->o, p->t, p->v, "length", &len) ||
	    !render_member_type(p->o, p->t, "data_ptr", &pt) || !render_type_of(&pt, &elem))
		return false;
	out_putf(p->o, "%s(size=%" PRIu64 ")", dwarf_diename(p->t), len);
	array_kids(p, &elem, ptr, len);
	return true;
}

/* Rc's and Arc's box: its address and type (RcBox, RcInner, ArcInner). */
static bool rc_box(const struct pp *p, uint64_t *box, Dwarf_Die *type)
{
	Dwarf_Die nn, ptr;

	return render_member_u64(p->ctx, p->o, p->t, p->v, "ptr", box) &&
	       render_member_type(p->o, p->t, "ptr", &nn) &&
	       render_member_type(p->o, &nn, "pointer", &ptr) && dwarf_tag(&ptr) == DW_TAG_pointer_type &&
	       render_type_of(&ptr, type) && render_peel(type, type);
}

bool pp_rust_rc(const struct pp *p)
{
	uint64_t box, strong = 0, weak = 0;
	size_t soff, woff, voff;
	Dwarf_Die bt, m, vm, mem, *vt;
	bool arc = strcmp(p->shown, "Arc") == 0;

	if (!rc_box(p, &box, &bt) || !render_find_member(p->o, &bt, "strong", &soff, &m) ||
	    !render_find_member(p->o, &bt, "weak", &woff, &m) ||
	    !render_find_member(p->o, &bt, arc ? "data" : "value", &voff, &vm) ||
	    !(vt = render_type_of(&vm, &mem)))
		return false;
	if (!p->ctx->read(p->ctx->arg, box + soff, &strong, 8) ||
	    !p->ctx->read(p->ctx->arg, box + woff, &weak, 8)) {
		render_cannot_access(p->o, box);
		return true;
	}
	char num[32];
	out_putf(p->o, "%s(strong=%" PRIu64 ", weak=%" PRId64 ")", p->shown, strong, (int64_t)weak - 1);
	struct kids k;
	struct render_value val = render_at(box + voff);
	kids_begin(&k, p->ctx, p->o, p->depth + 1, KIDS_NAMED, true);
	if (kids_room(&k))
		kid_value(&k, "value", vt, &val);
	snprintf(num, sizeof(num), "%" PRIu64, strong);
	if (kids_room(&k))
		kid_text(&k, "strong", num);
	snprintf(num, sizeof(num), "%" PRId64, (int64_t)weak - 1);
	if (kids_room(&k))
		kid_text(&k, "weak", num);
	kids_end(&k);
	return true;
}

/* hashbrown's table: items, bucket_mask, the control bytes; the (K, V)
 * buckets lie before the control bytes, the i-th at ctrl - (i + 1) * size. */
struct table {
	uint64_t items, mask, ctrl;
	Dwarf_Die pair;
	size_t size;
};

static bool hash_table(const struct pp *p, struct table *t)
{
	Dwarf_Die raw;

	return render_member_type(p->o, p->t, "table", &raw) &&
	       render_template_arg(p->o, &raw, 0, &t->pair) && render_peel(&t->pair, &t->pair) &&
	       (t->size = render_type_size(p->o, &t->pair)) != 0 &&
	       render_member_u64(p->ctx, p->o, p->t, p->v, "items", &t->items) &&
	       render_member_u64(p->ctx, p->o, p->t, p->v, "bucket_mask", &t->mask) &&
	       render_member_u64(p->ctx, p->o, p->t, p->v, "pointer", &t->ctrl);
}

static void bucket(const struct pp *p, struct kids *k, struct table *t, uint64_t at,
		bool is_map)
{
	size_t off[2];
	Dwarf_Die m[2], mem[2], *mt[2];
	static const char *const fields[] = { "__0", "__1" };

	for (int i = 0; i < (is_map ? 2 : 1); i++) {
		if (!render_find_member(p->o, &t->pair, fields[i], &off[i], &m[i]) ||
		    !(mt[i] = render_type_of(&m[i], &mem[i])))
			return;
		struct render_value fv = render_at(at + off[i]);
		if (i == 0 || kids_room(k))
			kid_value(k, NULL, mt[i], &fv);
	}
}

bool pp_rust_hashmap(const struct pp *p)
{
	struct table t;
	bool is_map = strcmp(p->shown, "HashMap") == 0;

	if (!hash_table(p, &t))
		return false;
	out_putf(p->o, "%s(size=%" PRIu64 ")", p->shown, t.items);
	struct kids k;
	uint64_t shown = 0;
	kids_begin(&k, p->ctx, p->o, p->depth + 1, is_map ? KIDS_MAP : KIDS_ARRAY, true);
	for (uint64_t i = 0; i <= t.mask && shown < t.items && out_spend(p->o, 1); i++) {
		uint8_t c;
		if (!p->ctx->read(p->ctx->arg, t.ctrl + i, &c, 1)) {
			render_cannot_access(p->o, t.ctrl + i);
			break;
		}
		if (c & 0x80)	/* empty or deleted */
			continue;
		if (!kids_room(&k))
			break;
		bucket(p, &k, &t, t.ctrl - (i + 1) * t.size, is_map);
		shown++;
	}
	kids_end(&k);
	return true;
}

/* ---- gdb's Rust forms -------------------------------------------------------------------- */

/* Has the type any data member (a unit struct or variant has none, but
 * may have template parameters)? */
static bool has_members(Dwarf_Die *t)
{
	Dwarf_Die child;

	if (dwarf_child(t, &child) != 0)
		return false;
	do {
		if (dwarf_tag(&child) == DW_TAG_member)
			return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/* Are the members tuple fields (__0, __1, ...)? */
static bool tuple_fields(Dwarf_Die *t)
{
	Dwarf_Die child;
	bool any = false;

	if (dwarf_child(t, &child) != 0)
		return false;
	do {
		const char *name = dwarf_diename(&child);
		if (dwarf_tag(&child) != DW_TAG_member)
			continue;
		if (!name || strncmp(name, "__", 2) != 0 || name[2] < '0' || name[2] > '9')
			return false;
		any = true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return any;
}

/* The fields: "(a, b)" for a tuple, "{f: a, g: b}" for a struct. */
static void fields(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		int depth, struct out *o, bool tuple)
{
	Dwarf_Die child, mem, *ft;
	bool first = true;

	if (depth > RENDER_DEPTH) {
		out_put(o, tuple ? "(...)" : "{...}");
		return;
	}
	out_put(o, tuple ? "(" : "{");
	if (dwarf_child(t, &child) == 0) {
		do {
			const char *name = dwarf_diename(&child);
			Dwarf_Attribute a;
			if (!out_spend(o, 1))
				return;
			if (dwarf_tag(&child) != DW_TAG_member || dwarf_attr(&child, DW_AT_external, &a) ||
			    !(ft = render_type_of(&child, &mem)))
				continue;
			out_put(o, first ? "" : ", ");
			first = false;
			if (!tuple)
				out_putf(o, "%s: ", name ?: "?");
			struct render_value fv = render_sub(v, (size_t)render_attr_u(&child,
						DW_AT_data_member_location, 0));
			if (!tuple && render_sensitive(ctx, name))
				render_filtered(ctx, ft, &fv, depth + 1, o);
			else
				render_any(ctx, ft, &fv, depth + 1, o);
		} while (!o->full && dwarf_siblingof(&child, &child) == 0);
	}
	out_put(o, tuple ? ")" : "}");
}

/* The variant that the discriminant picks, and its member (of the
 * variant's own struct type). */
static bool active_variant(const struct render_ctx *ctx, struct out *o, Dwarf_Die *part,
		const struct render_value *v, Dwarf_Die *member)
{
	Dwarf_Attribute a;
	Dwarf_Die discr, child, fallback;
	uint64_t value = 0;
	bool has_fallback = false;

	if (!dwarf_formref_die(dwarf_attr(part, DW_AT_discr, &a), &discr))
		return false;
	Dwarf_Die mem, *dt = render_type_of(&discr, &mem);
	size_t size = dt ? render_type_size(o, dt) : 0;
	if (size == 0 || size > 8 ||
	    !render_bytes(ctx, v, (size_t)render_attr_u(&discr, DW_AT_data_member_location, 0), &value, size))
		return false;
	if (dwarf_child(part, &child) != 0)
		return false;
	do {
		if (!out_spend(o, 1))
			return false;
		if (dwarf_tag(&child) != DW_TAG_variant || dwarf_child(&child, member) != 0)
			continue;
		while (dwarf_tag(member) != DW_TAG_member && dwarf_siblingof(member, member) == 0)
			;
		if (!dwarf_attr(&child, DW_AT_discr_value, &a)) {
			fallback = *member;	/* the niche's other variant */
			has_fallback = true;
		} else if (render_attr_u(&child, DW_AT_discr_value, ~0ULL) == value) {
			return true;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	*member = fallback;
	return has_fallback;
}

static bool variant_part(Dwarf_Die *t, Dwarf_Die *part)
{
	if (dwarf_child(t, part) != 0)
		return false;
	do {
		if (dwarf_tag(part) == DW_TAG_variant_part)
			return true;
	} while (dwarf_siblingof(part, part) == 0);
	return false;
}

static void rust_enum(const struct render_ctx *ctx, Dwarf_Die *t, Dwarf_Die *part,
		const struct render_value *v, int depth, struct out *o)
{
	Dwarf_Die member, mem, *vt;

	out_put(o, render_qualified(o, t));
	if (!active_variant(ctx, o, part, v, &member) || !(vt = render_type_of(&member, &mem))) {
		render_unreadable(o, v);
		return;
	}
	struct render_value vv = render_sub(v, (size_t)render_attr_u(&member, DW_AT_data_member_location, 0));
	out_putf(o, "::%s", dwarf_diename(&member) ?: "?");
	if (!has_members(vt))
		return;		/* a unit variant */
	fields(ctx, vt, &vv, depth, o, tuple_fields(vt));
}

static void rust_struct(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		int depth, struct out *o)
{
	Dwarf_Die part;
	const char *name = dwarf_diename(t);

	if (variant_part(t, &part)) {
		rust_enum(ctx, t, &part, v, depth, o);
		return;
	}
	if (name && name[0] == '(') {		/* a tuple */
		fields(ctx, t, v, depth, o, true);
		return;
	}
	out_put(o, render_qualified(o, t));
	if (!has_members(t))
		return;		/* a unit struct */
	out_put(o, " ");	/* gdb: "Name {f: 1}", "Name (1, 2)"; a variant has none */
	fields(ctx, t, v, depth, o, tuple_fields(t));
}

/* char: its number and the character, as gdb's Rust escapes it. */
static void rust_char(const struct render_ctx *ctx, const struct render_value *v, struct out *o)
{
	uint32_t c;

	if (!render_bytes(ctx, v, 0, &c, 4)) {
		render_unreadable(o, v);
		return;
	}
	out_putf(o, "%u '", c);
	if (c == '\'' || c == '\\')
		out_putf(o, "\\%c", (char)c);
	else if (c == '\n' || c == '\t' || c == '\r')
		out_put(o, c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r");
	else if (c >= 0x20 && c < 0x7f)
		out_putf(o, "%c", (char)c);
	else if (c <= 0xff)
		out_putf(o, "\\x%02x", c);
	else
		out_putf(o, "\\u{%x}", c);
	out_put(o, "'");
}

bool render_rust_value(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		int depth, struct out *o)
{
	int tag = dwarf_tag(t);

	if (tag != DW_TAG_structure_type && tag != DW_TAG_array_type && tag != DW_TAG_base_type)
		return false;
	if (tag == DW_TAG_base_type && (render_attr_u(t, DW_AT_encoding, 0) != DW_ATE_UTF ||
					render_attr_u(t, DW_AT_byte_size, 0) != 4))
		return false;
	if (!render_is_rust(t))
		return false;
	if (tag == DW_TAG_base_type)
		rust_char(ctx, v, o);
	else if (tag == DW_TAG_array_type)
		render_array_in(ctx, t, v, depth, o, "[]");
	else
		rust_struct(ctx, t, v, depth, o);
	return true;
}
