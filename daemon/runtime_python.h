/*
 * runtime_python.h - CPython for the runtime stage (runtime.h): what the
 * files runtime_python*.c share.  runtime_python.c finds the interpreter
 * and walks its threads and frames, runtime_python_code.c reads code
 * objects (names, line table, locals), runtime_python_repr.c renders
 * objects as repr() would, runtime_python_dwarf.c and the tables of
 * runtime_python_headers.c say where everything is.
 */
#ifndef BB_RUNTIME_PYTHON_H
#define BB_RUNTIME_PYTHON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime.h"
#include "runtime_python_layout.h"

/* The addresses of the interpreter's built-in types and singletons: an
 * object is what its ob_type says only when ob_type is one of these. */
struct py_types {
	uint64_t code, str, bytes, int_, bool_, float_, tuple, list, dict, set, frozenset,
		 cell, function, module, type, cfunction, object, none, true_, false_,
		 set_dummy;	/* the key a deleted set entry keeps */
};

/* What repr() of an object does is its type's tp_repr: a subclass that
 * does not override __repr__ shares its base's, and shows the same. */
enum py_repr_kind {
	PYR_INT, PYR_BOOL, PYR_FLOAT, PYR_STR, PYR_BYTES, PYR_TUPLE, PYR_LIST, PYR_DICT,
	PYR_SET, PYR_FUNCTION, PYR_TYPE, PYR_MODULE, PYR_CFUNCTION, PYR_OBJECT, PYR_KINDS
};

struct py_ctx {
	const struct rt_reader *rd;
	const struct py_layout *L;
	struct py_types t;
	uint64_t repr_fn[PYR_KINDS];	/* tp_repr of the type that shows each kind */
	unsigned minor;			/* 11 for 3.11 */
	unsigned long *work;		/* what a value may still cost; NULL: no bound */
};

/* ---- reading objects (runtime_python_repr.c) ---- */

bool py_read(const struct py_ctx *c, uint64_t addr, void *buf, size_t len);
bool py_word(const struct py_ctx *c, uint64_t addr, uint64_t *v);
/* ob_type of obj, false when it cannot be read. */
bool py_type(const struct py_ctx *c, uint64_t obj, uint64_t *type);
bool py_is(const struct py_ctx *c, uint64_t obj, uint64_t type);
/* A str object as UTF-8 (cut at outlen - 1 bytes); false when obj is no str. */
bool py_str(const struct py_ctx *c, uint64_t obj, char *out, size_t outlen);
/* Python's repr() of obj: at most RT_VALUE_MAX characters, ending in
 * "..." when cut; UTF-8, NUL-terminated.  outlen >= RT_VALUE_MAX * 4 + 1. */
void py_repr(const struct py_ctx *c, uint64_t obj, char *out, size_t outlen);
/* Is U+ch printable as str.isprintable() says (runtime_python_printable.h)? */
bool py_printable(uint32_t ch);
/* The shortest repr of a double that reads back the same, as float.__repr__. */
void py_float_repr(double v, char *out, size_t outlen);

/* Iterate a dict's items in insertion order; fn returns false to stop.
 * False when obj is no dict that can be read. */
typedef bool py_item_fn(void *arg, uint64_t key, uint64_t value);
bool py_dict_items(const struct py_ctx *c, uint64_t dict, py_item_fn *fn, void *arg);

/* ---- code objects (runtime_python_code.c) ---- */

/* The line of the code unit at byte offset `offset` from a 3.11+ line
 * table (PEP 626/657 format), as PyCode_Addr2Line; -1 for none. */
int py_line_of(const uint8_t *table, size_t len, int firstlineno, int offset);

struct py_code;		/* what one code object says, cached per capture */
struct py_code_cache;
struct py_code_cache *py_code_cache_new(void);
void py_code_cache_free(struct py_code_cache *cc);

/* Fill f (filename, function, lineno, vars) for the interpreter frame at
 * `frame` running `code` with last instruction `instr`. */
bool py_frame_fill(const struct py_ctx *c, struct py_code_cache *cc, uint64_t frame,
		uint64_t code, uint64_t instr, struct rt_frame *f);

/* ---- the interpreter (runtime_python.c) ---- */

struct py_proc;
/* Recognise CPython in the capture's modules; fills rt's name, version,
 * module, layout and error.  NULL when the process runs no CPython, or
 * one whose frames cannot be read (rt->error says why). */
struct py_proc *py_detect(struct Dwfl *dwfl, const struct rt_reader *rd,
		struct runtime_capture *rt);
/* Read the frames of thread tid; false when it has no Python frames. */
bool py_read_thread(struct py_proc *p, pid_t tid, struct rt_thread *t);
void py_proc_free(struct py_proc *p);

#endif
