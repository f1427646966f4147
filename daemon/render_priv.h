/*
 * render_priv.h - what render.c (values by DWARF type) and render_std.c
 * (the library types gdb pretty-prints) share: the text being built, the
 * work budget of the value, and reading the value's bytes.
 */
#ifndef BB_RENDER_PRIV_H
#define BB_RENDER_PRIV_H

#include "render.h"

#define MAX_ELEMENTS 200	/* gdb's print elements */
#define RENDER_DEPTH 3		/* nesting shown, as gdb's max-depth but smaller */
#define RENDER_SIZES 8		/* type sizes remembered per value */

/* One value's walk: the work it may still do, and the sizes of the types
 * it met (dwarf_aggregate_size costs a walk of the type's DIEs, and every
 * element of an array of arrays would ask it again). */
struct walk {
	unsigned long work;
	struct {
		const void *die;	/* its DIE's bytes: unique across units and files */
		size_t size;
	} sizes[RENDER_SIZES];
	size_t n_sizes;
};

/* Text being built, cut at cap; `full` once cut or once the work is spent. */
struct out {
	char *p;
	size_t len, cap;
	bool full;
	struct walk *w;
};

void out_put(struct out *o, const char *s);
void out_putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Spend `units` of the value's work; false (and the output full) when
 * they are not there. */
bool out_spend(struct out *o, unsigned long units);

bool render_bytes(const struct render_ctx *ctx, const struct render_value *v,
		size_t off, void *buf, size_t len);
struct render_value render_sub(const struct render_value *v, size_t off);
void render_unreadable(struct out *o, const struct render_value *v);
Dwarf_Die *render_type_of(Dwarf_Die *die, Dwarf_Die *mem);
bool render_peel(Dwarf_Die *type, Dwarf_Die *out);
uint64_t render_attr_u(Dwarf_Die *die, int name, uint64_t dflt);
size_t render_type_size(struct out *o, Dwarf_Die *type);
void render_chars_into(struct out *o, const unsigned char *s, size_t n, bool more);

/* A value of `type` at nesting depth (0: the variable itself). */
void render_any(const struct render_ctx *ctx, Dwarf_Die *type, const struct render_value *v,
		int depth, struct out *o);
/* {a, b, ...} for count elements of esize bytes from addr. */
void render_elements(const struct render_ctx *ctx, Dwarf_Die *elem, uint64_t addr,
		size_t count, size_t esize, bool more, int depth, struct out *o);

/* render_std.c: std::string, std::vector, Rust's &str and String as gdb's
 * pretty printers show them; false when t is none of those. */
bool render_library_type(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		int depth, struct out *o);
bool render_is_pretty_printed(Dwarf_Die *type);

#endif
