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
#define RENDER_FILTERED "[filtered]"
#define RENDER_REPEATS 10	/* gdb's "print repeats" threshold */

/* Work budget: a unit is one value rendered or one DIE looked at.  The
 * DWARF may describe types that never end (a struct of itself, arrays of
 * 2^64 arrays): a value takes at most RENDER_WORK_PER_VALUE units (an
 * int[200][200] takes ~40,000), a frame's values RENDER_WORK_PER_FRAME
 * together; past it the value ends in "...". */
#define RENDER_WORK_PER_VALUE 50000
#define RENDER_WORK_PER_FRAME 200000

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

/* Is a member, field or string key of this name sensitive (its value
 * then shows as [filtered])? */
typedef bool (*render_sensitive_fn)(void *arg, const char *name);

/* The scrub_value rules applied to one string's raw text: malloc'd, NULL
 * when there are no rules or no memory (the text then stays). */
typedef char *(*render_scrub_fn)(void *arg, const char *text);

/* A string that a filtered member, field or key held (as quoted, without
 * its quotes): the report then hides it wherever else it shows. */
typedef void (*render_secret_fn)(void *arg, const char *text, size_t len);

struct render_ctx {
	render_read_fn read;
	render_symbol_fn symbol;	/* may be NULL */
	render_sensitive_fn sensitive;	/* may be NULL: nothing is */
	render_scrub_fn scrub;		/* may be NULL: no rules */
	render_secret_fn secret;	/* may be NULL */
	void *arg;
	unsigned long *work;	/* the frame's budget left, spent by render_value; NULL: none */
};

/* Render value v of DWARF type `type` into out (NUL-terminated, cut at
 * RENDER_MAX with "..."). */
void render_value(const struct render_ctx *ctx, Dwarf_Die *type, const struct render_value *v,
		char *out, size_t outlen);

/* Bits [shift, shift + bits) of the little-endian bytes buf[0..len): a
 * bit-field's value.  False unless bits is 1..64 and shift 0..7, or when
 * the bits go beyond len. */
bool render_bitfield(const unsigned char *buf, size_t len, unsigned shift, unsigned bits,
		uint64_t *out);

/* Call ctx->secret for every quoted string in text (a rendered value). */
void render_report_secrets(const struct render_ctx *ctx, const char *text);

/* gdb's quoting of a run of chars: "text", 'c' <repeats N times>, ... */
void render_chars(const unsigned char *s, size_t n, bool more, char *out, size_t outlen);

#endif
