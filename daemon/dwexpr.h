/*
 * dwexpr.h - the DWARF expression evaluator: where a variable lives (a
 * memory address, a register's value, computed bytes), from its
 * DW_AT_location expression.  The frame (registers, memory, frame base,
 * entry values) comes in through callbacks, so the machine itself knows
 * nothing of captures and can be tested on hand-made expressions.
 */
#ifndef BB_DWEXPR_H
#define BB_DWEXPR_H

#include <elfutils/libdw.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DWEXPR_BYTES 64		/* largest value pieced or given in place */
#define DWEXPR_STACK 64		/* stack entries */
#define DWEXPR_STEPS 1000	/* ops one expression may execute (DW_OP_bra loops) */
#define DWEXPR_DEPTH 3		/* nested evaluations: frame base, entry values */

enum dwexpr_kind { DWEXPR_NONE, DWEXPR_MEMORY, DWEXPR_VALUE };

struct dwexpr_loc {
	enum dwexpr_kind kind;
	uint64_t addr;			/* DWEXPR_MEMORY */
	unsigned char bytes[DWEXPR_BYTES];	/* DWEXPR_VALUE */
	size_t len;
};

/* Why an expression gave no location.  gdb prints <optimized out> for
 * what is not known at this pc and <error: ...> for an expression it
 * cannot carry out; the caller does the same with dwexpr_status_text. */
enum dwexpr_status {
	DWEXPR_OK,
	DWEXPR_UNAVAILABLE,	/* a register or frame base not known, an op not handled */
	DWEXPR_DIV_ZERO,
	DWEXPR_DIV_OVERFLOW,	/* INT64_MIN / -1 */
	DWEXPR_BAD_SHIFT,	/* count >= 64 (or negative) */
	DWEXPR_UNDERFLOW,	/* popped or picked beyond the stack */
	DWEXPR_OVERFLOW,	/* more than DWEXPR_STACK entries */
	DWEXPR_BAD_BRANCH,	/* skip/bra to no op's start */
	DWEXPR_TOO_LONG,	/* step limit or work budget spent: a loop */
	DWEXPR_BAD_SIZE,	/* deref_size 0 or > 8, pieces beyond DWEXPR_BYTES */
	DWEXPR_TOO_DEEP,	/* nested evaluations beyond DWEXPR_DEPTH */
};

/* The frame an expression runs in.  Every callback returns false when it
 * does not know (the expression then is DWEXPR_UNAVAILABLE).  Nested
 * evaluations the callbacks start (the frame base, an entry value in the
 * caller's frame) pass depth + 1 and share *ops_left. */
struct dwexpr_env {
	bool (*reg)(void *arg, unsigned regno, uint64_t *value);
	bool (*read)(void *arg, uint64_t addr, void *buf, size_t len);
	bool (*frame_base)(void *arg, int depth, uint64_t *value);	/* for DW_OP_fbreg */
	bool (*cfa)(void *arg, uint64_t *value);			/* DW_OP_call_frame_cfa */
	bool (*entry_value)(void *arg, unsigned regno, int depth, uint64_t *value);
	void *arg;
	uint64_t bias;		/* added to DW_OP_addr: where the module is loaded */
	unsigned long *ops_left;	/* work budget across nested evaluations; NULL: none */
};

/* Evaluate ops[0..nops) (from `attr`, needed for DW_OP_implicit_value and
 * DW_OP_entry_value; may be NULL) at nesting `depth` (0 for a variable). */
enum dwexpr_status dwexpr_eval(const struct dwexpr_env *env, Dwarf_Attribute *attr,
		const Dwarf_Op *ops, size_t nops, int depth, struct dwexpr_loc *out);

/* The location's value as a 64-bit word: a value's first 8 bytes, or the
 * address of a memory location (a value expression's result). */
bool dwexpr_word(const struct dwexpr_loc *loc, uint64_t *out);

/* What to show for a variable whose location failed with `st`:
 * "<optimized out>" or "<error: ...>". */
const char *dwexpr_status_text(enum dwexpr_status st);

#endif
