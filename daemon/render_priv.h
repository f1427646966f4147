/*
 * render_priv.h - what the renderers share: render.c (values by DWARF
 * type), render_kids.c (members, template arguments, type names and gdb's
 * way of printing a pretty printer's children), render_std.c and
 * render_stl.c (libstdc++'s types), render_rust.c and render_rust_std.c
 * (Rust's).
 */
#ifndef BB_RENDER_PRIV_H
#define BB_RENDER_PRIV_H

#include "render.h"

#define MAX_ELEMENTS 200	/* gdb's print elements */
#define RENDER_DEPTH 20		/* gdb's max-depth: {...} below it */
#define RENDER_SIZES 8		/* type sizes remembered per value */
#define RENDER_NAMES 8		/* qualified type names remembered per value */
#define RENDER_NAME_MAX 256	/* a type name as shown */
#define RENDER_NEST_MAX 64	/* render_any within render_any, whatever the depth */
#define SCOPE_WORK 256		/* naming a type's scopes walks its CU: a flat price */

/* One value's walk: the work it may still do, and what it learnt about
 * types (dwarf_aggregate_size walks a type's DIEs, naming a type's scopes
 * walks its CU, and every element of a container would ask again). */
struct walk {
	unsigned long work;
	int nest;
	/* gdb's variant lends its "array" hint to a contained printer that has
	 * no hint of its own: the depth of the children it applies to, or 0 */
	int array_kids_at;
	struct {
		const void *die;	/* its DIE's bytes: unique across units and files */
		size_t size;
	} sizes[RENDER_SIZES];
	size_t n_sizes;
	struct {
		const void *die;
		char name[RENDER_NAME_MAX];
	} names[RENDER_NAMES];
	size_t n_names;
};

/* Text being built, cut at cap; `full` once cut or once the work is spent. */
struct out {
	char *p;
	size_t len, cap;
	bool full;
	bool unreadable;	/* a member read failed (render_member_u64) */
	struct walk *w;
};

void out_put(struct out *o, const char *s);
void out_putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Spend `units` of the value's work; false (and the output full) when
 * they are not there. */
bool out_spend(struct out *o, unsigned long units);
/* A scratch text for a part of a value that may be taken back, sharing
 * o's work budget. */
struct out out_scratch(struct out *o, char *buf, size_t cap);

/* ---- render.c ---- */
bool render_bytes(const struct render_ctx *ctx, const struct render_value *v,
		size_t off, void *buf, size_t len);
struct render_value render_sub(const struct render_value *v, size_t off);
struct render_value render_at(uint64_t addr);
/* What gdb says of memory it cannot read (and of a value it lost). */
void render_unreadable(struct out *o, const struct render_value *v);
void render_cannot_access(struct out *o, uint64_t addr);
Dwarf_Die *render_type_of(Dwarf_Die *die, Dwarf_Die *mem);
bool render_peel(Dwarf_Die *type, Dwarf_Die *out);
uint64_t render_attr_u(Dwarf_Die *die, int name, uint64_t dflt);
size_t render_type_size(struct out *o, Dwarf_Die *type);
bool render_is_rust(Dwarf_Die *t);
/* A string's raw bytes as gdb quotes them, after the scrub_value rules;
 * more: the string goes on past s[n). */
void render_text(const struct render_ctx *ctx, struct out *o, const unsigned char *s, size_t n,
		bool more);
/* len bytes of text at addr (std::string, string_view, Rust's str). */
void render_text_at(const struct render_ctx *ctx, struct out *o, uint64_t addr, uint64_t len);
/* A value of `type` at nesting depth (0: the variable itself). */
void render_any(const struct render_ctx *ctx, Dwarf_Die *type, const struct render_value *v,
		int depth, struct out *o);
/* An array's elements between brackets ("{}", Rust's "[]"), gdb's repeats
 * and 200 elements. */
void render_array_in(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		int depth, struct out *o, const char *brackets);
/* [filtered] in place of a value, whose strings go to ctx->secret. */
void render_filtered(const struct render_ctx *ctx, Dwarf_Die *type, const struct render_value *v,
		int depth, struct out *o);
/* Is `name` a sensitive member, field or key? */
bool render_sensitive(const struct render_ctx *ctx, const char *name);

/* ---- render_kids.c: looking into library types ---- */
/* The member `name` of type, in it or its bases and members, the nearest
 * first; its offset in the value and its DIE. */
bool render_find_member(struct out *o, Dwarf_Die *type, const char *name, size_t *off,
		Dwarf_Die *member);
/* ... and its 8 bytes: false when there is no such member; memory not
 * copied reads as 0 and sets o->unreadable (render_printed then shows
 * gdb's error for the value). */
bool render_member_u64(const struct render_ctx *ctx, struct out *o, Dwarf_Die *type,
		const struct render_value *v, const char *name, uint64_t *out);
/* The type of a member named `name` found as above, peeled. */
bool render_member_type(struct out *o, Dwarf_Die *type, const char *name, Dwarf_Die *out);
/* The n-th template type argument of t (0 first). */
bool render_template_arg(struct out *o, Dwarf_Die *t, int n, Dwarf_Die *out);
/* Its element type: template argument 0, or its value_type typedef. */
bool render_value_type(struct out *o, Dwarf_Die *t, Dwarf_Die *out);
/* How many template type arguments t has (std::tuple's, std::variant's). */
int render_template_count(struct out *o, Dwarf_Die *t);
/* A type's name as gdb prints it ("std::__cxx11::basic_string<char, ...>",
 * "int *"); recognized: with libstdc++'s type printers applied, as its
 * printers show template arguments ("std::string", "std::vector<int>"). */
const char *render_type_name(struct out *o, Dwarf_Die *type, bool recognized, char *buf,
		size_t size);
/* A type's scopes and name ("core::option::Option<i32>"), remembered per value. */
const char *render_qualified(struct out *o, Dwarf_Die *type);

/* gdb's way with a pretty printer's children: after its text (if any),
 * " = {" the children "}", each "name = value" (named), "value" (array)
 * or "[key] = value" (map; a sensitive string key's value is filtered),
 * 200 of them at most, then "...". */
enum kids_hint { KIDS_NAMED, KIDS_ARRAY, KIDS_MAP };
struct kids {
	const struct render_ctx *ctx;
	struct out *o;
	int depth;		/* of the children */
	enum kids_hint hint;
	bool has_text;		/* the printer's own text came first */
	bool opened, stopped, filter_value;
	size_t n;
};
void kids_begin(struct kids *k, const struct render_ctx *ctx, struct out *o, int depth,
		enum kids_hint hint, bool has_text);
/* Room for one more child?  Past 200, "..." and no. */
bool kids_room(struct kids *k);
void kid_value(struct kids *k, const char *name, Dwarf_Die *type, const struct render_value *v);
void kid_text(struct kids *k, const char *name, const char *text);
void kids_end(struct kids *k);

/* ---- the printers (render_std.c's table) ---- */
/* Render v through the pretty printer gdb has for t, if any: false (and
 * nothing written) when none applies. */
bool render_printed(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		int depth, struct out *o);
/* Does a printer show values of this type (so gdb shows no "@0x...:"
 * for a reference to one)? */
bool render_is_pretty_printed(struct out *o, Dwarf_Die *type);

/* ...and does it show them without children (a string, an atomic)? */
bool render_printed_alone(struct out *o, Dwarf_Die *type);

/* What one printer gets: the value, its peeled type, and where to write. */
struct pp {
	const struct render_ctx *ctx;
	Dwarf_Die *t;
	const struct render_value *v;
	int depth;
	struct out *o;
	const char *shown;	/* the type name gdb's printer shows */
};
typedef bool (*pp_fn)(const struct pp *p);

/* Text held as a pointer member and a length member (string_view, Rust's
 * String and str): false when the type has not both. */
bool pp_text_members(const struct pp *p, const char *ptr_member, const char *len_member);

/* *it for an iterator that holds its element's address: the element, or
 * "non-dereferenceable iterator for <what>" when it is 0. */
void pp_deref(const struct pp *p, uint64_t at, Dwarf_Die *elem, const char *what);

/* render_stl.c */
bool pp_map(const struct pp *p);
bool pp_set(const struct pp *p);
bool pp_rb_iterator(const struct pp *p);
bool pp_list(const struct pp *p);
bool pp_list_iterator(const struct pp *p);
bool pp_forward_list(const struct pp *p);
bool pp_unordered(const struct pp *p);
bool pp_deque(const struct pp *p);
bool pp_deque_iterator(const struct pp *p);
/* render_rust.c */
bool pp_rust_string(const struct pp *p);
bool pp_rust_str(const struct pp *p);
bool pp_rust_vec(const struct pp *p);
bool pp_rust_slice(const struct pp *p);
bool pp_rust_rc(const struct pp *p);
bool pp_rust_hashmap(const struct pp *p);
/* render_rust_std.c */
bool pp_rust_vecdeque(const struct pp *p);
bool pp_rust_cell(const struct pp *p);
bool pp_rust_refcell(const struct pp *p);
bool pp_rust_nonzero(const struct pp *p);
bool pp_rust_btree(const struct pp *p);
/* Rust's own forms (gdb's Rust language): structs, enums, tuples, arrays, char */
bool render_rust_value(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		int depth, struct out *o);

#endif
