/*
 * render.h - a typed value as gdb's `bt full` prints it, from copied
 * memory, bounded in length and in the memory it may read.
 */
#ifndef BB_RENDER_H
#define BB_RENDER_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RENDER_MAX 200		/* characters of one value */
#define RENDER_STRING_MAX 200	/* gdb's "print elements" */
#define RENDER_REPEATS 10	/* gdb's "print repeats" threshold */

/* Where the value's bytes are: in the process's memory at addr, or
 * already known (a register, DW_OP_stack_value, DW_OP_implicit_value). */
struct render_value {
	bool in_memory;
	uint64_t addr;
	const unsigned char *bytes;
	size_t len;
};

/* Reads process memory; false when it is not in the copy. */
typedef bool (*render_read_fn)(void *arg, uint64_t addr, void *buf, size_t len);

/* Names a code or static data address ("counter", "handler+4") the way
 * gdb annotates pointers; false for heap and stack addresses. */
typedef bool (*render_symbol_fn)(void *arg, uint64_t addr, char *out, size_t outlen);

struct render_ctx {
	render_read_fn read;
	render_symbol_fn symbol;	/* may be NULL */
	void *arg;
};

/* Render value v of DWARF type `type` into out (NUL-terminated, cut at
 * RENDER_MAX with "..."). */
void render_value(const struct render_ctx *ctx, Dwarf_Die *type, const struct render_value *v,
		char *out, size_t outlen);

/* gdb's quoting of a run of chars: "text", 'c' <repeats N times>, ... */
void render_chars(const unsigned char *s, size_t n, bool more, char *out, size_t outlen);

#endif
