/*
 * runtime_python_text.h - the bounded output of a repr, and the objects
 * whose repr is text of their own: str, bytes, int, float
 * (runtime_python_text.c).
 */
#ifndef BB_RUNTIME_PYTHON_TEXT_H
#define BB_RUNTIME_PYTHON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime_python.h"

/* UTF-8 text counted in characters: it takes one more than RT_VALUE_MAX
 * (to know it was longer), then it is full and takes nothing more. */
struct py_out {
	char *buf;
	size_t cap, len;	/* bytes */
	size_t chars;
	bool full;
	bool cut;		/* incomplete: ends in "..." whatever its length */
};

void py_out_init(struct py_out *o, char *buf, size_t cap);
void py_out_puts(struct py_out *o, const char *utf8);
void py_out_char(struct py_out *o, uint32_t ch);
/* The value stops here (unreadable, out of budget): it ends in "...". */
void py_out_cut(struct py_out *o);
/* At most RT_VALUE_MAX characters, the last three "..." when cut. */
void py_out_finish(struct py_out *o);

void py_render_str(const struct py_ctx *c, struct py_out *o, uint64_t obj);
void py_render_bytes(const struct py_ctx *c, struct py_out *o, uint64_t obj);
void py_render_int(const struct py_ctx *c, struct py_out *o, uint64_t obj);
void py_render_float(const struct py_ctx *c, struct py_out *o, uint64_t obj);

#endif
