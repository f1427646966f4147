/*
 * render_std.c - the library types gdb shows through its pretty printers:
 * std::string as its text, std::vector as "std::vector of length N,
 * capacity M = {...}", Rust's &str and String as their text.  They are
 * recognised by name and read through their members, which are looked up
 * breadth first, each type once: a type that contains itself (crafted
 * DWARF can say anything) costs one look, not one per path to it.
 */
#include <dwarf.h>
#include <inttypes.h>
#include <string.h>

#include "render_priv.h"

#define MEMBER_HOPS 5		/* bases and members looked through */
#define MEMBER_TYPES 32		/* distinct types looked into, per lookup */

struct member_search {
	struct {
		Dwarf_Die type;		/* peeled */
		size_t off;		/* of this type in the value */
		int hops;
	} q[MEMBER_TYPES];
	size_t head, tail;
};

/* Queue a type to look into, unless it was queued before: the first time
 * was as near as any other, and its members hold nothing new. */
static void enqueue(struct member_search *s, Dwarf_Die *type, size_t off, int hops)
{
	Dwarf_Die t;

	if (hops > MEMBER_HOPS || s->tail == MEMBER_TYPES || !render_peel(type, &t))
		return;
	for (size_t i = 0; i < s->tail; i++)
		if (s->q[i].type.addr == t.addr)
			return;
	s->q[s->tail].type = t;
	s->q[s->tail].off = off;
	s->q[s->tail].hops = hops;
	s->tail++;
}

/* Offset of a member named `name`, searching bases and members too
 * (std::vector keeps _M_start in _M_impl's base), the nearest first. */
static bool find_member(struct out *o, Dwarf_Die *type, const char *name, size_t *off,
		Dwarf_Die *member)
{
	struct member_search s = { .head = 0, .tail = 0 };

	enqueue(&s, type, 0, 0);
	for (; s.head < s.tail; s.head++) {
		size_t base_off = s.q[s.head].off;
		int hops = s.q[s.head].hops;
		Dwarf_Die child;
		if (dwarf_child(&s.q[s.head].type, &child) != 0)
			continue;
		do {
			int tag = dwarf_tag(&child);
			const char *cname = dwarf_diename(&child);
			size_t here = base_off + (size_t)render_attr_u(&child, DW_AT_data_member_location, 0);
			Dwarf_Die inner_mem, *inner;
			if (!out_spend(o, 1))
				return false;
			if (tag == DW_TAG_member && cname && strcmp(cname, name) == 0) {
				*off = here;
				*member = child;
				return true;
			}
			if ((tag == DW_TAG_inheritance || tag == DW_TAG_member) &&
			    (inner = render_type_of(&child, &inner_mem)))
				enqueue(&s, inner, here, hops + 1);
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	return false;
}

static bool read_member_u64(const struct render_ctx *ctx, struct out *o, Dwarf_Die *type,
		const struct render_value *v, const char *name, uint64_t *out)
{
	size_t off;
	Dwarf_Die m;

	*out = 0;
	return find_member(o, type, name, &off, &m) && render_bytes(ctx, v, off, out, 8);
}

/* len bytes of text at p, quoted (std::string, Rust's &str and String). */
static void text_at(const struct render_ctx *ctx, uint64_t p, uint64_t len, struct out *o)
{
	unsigned char buf[RENDER_STRING_MAX];
	size_t n = len > RENDER_STRING_MAX ? RENDER_STRING_MAX : (size_t)len;

	if (n && !ctx->read(ctx->arg, p, buf, n)) {
		out_putf(o, "<unreadable 0x%" PRIx64 ">", p);
		return;
	}
	render_chars_into(o, buf, n, len > RENDER_STRING_MAX);
}

static bool render_std_string(const struct render_ctx *ctx, Dwarf_Die *t,
		const struct render_value *v, struct out *o)
{
	uint64_t p, len;
	size_t off;
	Dwarf_Die dp;

	if (!find_member(o, t, "_M_dataplus", &off, &dp))
		return false;
	struct render_value dpv = render_sub(v, off);
	if (!read_member_u64(ctx, o, render_type_of(&dp, &dp), &dpv, "_M_p", &p) ||
	    !read_member_u64(ctx, o, t, v, "_M_string_length", &len)) {
		render_unreadable(o, v);
		return true;
	}
	text_at(ctx, p, len, o);
	return true;
}

static bool is_rust(Dwarf_Die *t)
{
	Dwarf_Die cu;

	return dwarf_diecu(t, &cu, NULL, NULL) && dwarf_srclang(&cu) == DW_LANG_Rust;
}

/* Rust's &str {data_ptr, length} and String {vec: {buf: {.. pointer ..},
 * len}}: their text, quoted, as gdb shows them.  The member names are
 * found at any depth, so the layout of String across releases does not
 * matter. */
static bool render_rust_string(const struct render_ctx *ctx, Dwarf_Die *t,
		const struct render_value *v, struct out *o)
{
	const char *name = dwarf_diename(t);
	bool str = strcmp(name, "&str") == 0;
	uint64_t p, len;

	if ((!str && strcmp(name, "String") != 0) || !is_rust(t))
		return false;
	if (!read_member_u64(ctx, o, t, v, str ? "data_ptr" : "pointer", &p) ||
	    !read_member_u64(ctx, o, t, v, str ? "length" : "len", &len)) {
		render_unreadable(o, v);
		return true;
	}
	text_at(ctx, p, len, o);
	return true;
}

static bool template_type(struct out *o, Dwarf_Die *t, Dwarf_Die *out)
{
	Dwarf_Die child;

	if (dwarf_child(t, &child) != 0)
		return false;
	do {
		if (!out_spend(o, 1))
			return false;
		if (dwarf_tag(&child) == DW_TAG_template_type_parameter)
			return render_type_of(&child, out) != NULL;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

static bool render_std_vector(const struct render_ctx *ctx, Dwarf_Die *t,
		const struct render_value *v, int depth, struct out *o)
{
	uint64_t start, finish, end;
	Dwarf_Die elem;

	if (!template_type(o, t, &elem) ||
	    !read_member_u64(ctx, o, t, v, "_M_start", &start) ||
	    !read_member_u64(ctx, o, t, v, "_M_finish", &finish) ||
	    !read_member_u64(ctx, o, t, v, "_M_end_of_storage", &end))
		return false;
	size_t esize = render_type_size(o, &elem);
	if (esize == 0 || finish < start || end < finish) {
		render_unreadable(o, v);
		return true;
	}
	size_t len = (size_t)((finish - start) / esize), cap = (size_t)((end - start) / esize);
	out_putf(o, "std::vector of length %zu, capacity %zu", len, cap);
	if (len) {
		out_put(o, " = ");
		render_elements(ctx, &elem, start, len > MAX_ELEMENTS ? MAX_ELEMENTS : len, esize,
				len > MAX_ELEMENTS, depth + 1, o);
	}
	return true;
}

bool render_is_pretty_printed(Dwarf_Die *type)
{
	Dwarf_Die t;
	const char *name;

	if (!render_peel(type, &t) || !(name = dwarf_diename(&t)))
		return false;
	return strncmp(name, "basic_string<char", 17) == 0 || strncmp(name, "vector<", 7) == 0;
}

bool render_library_type(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		int depth, struct out *o)
{
	const char *name = dwarf_diename(t);

	if (!name)
		return false;
	if (strncmp(name, "basic_string<char", 17) == 0 && render_std_string(ctx, t, v, o))
		return true;
	if (strncmp(name, "vector<", 7) == 0 && render_std_vector(ctx, t, v, depth, o))
		return true;
	return render_rust_string(ctx, t, v, o);
}
