/*
 * runtime_python_layout.h - where CPython keeps what the Python stage
 * reads, for one interpreter build: the offsets of the struct members
 * named in runtime_python_fields.h.  They come from the interpreter's
 * DWARF when it has some (pyenv and other builds from source), else from
 * a python3.X-dev's headers compiled into the worker at build time (a
 * distribution's stripped interpreter): never guessed.
 */
#ifndef BB_RUNTIME_PYTHON_LAYOUT_H
#define BB_RUNTIME_PYTHON_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime_python_fields.h"

#define PY_FIELD_DECL(field, type, member) uint32_t field;
#define PY_SIZE_DECL(field, type) uint32_t field;

struct py_layout {
	unsigned long version;	/* PY_VERSION_HEX it was made for */
	const char *source;	/* "python3.11-dev 3.11.2 headers", "DWARF" */
	PY_FIELDS_COMMON(PY_FIELD_DECL, PY_SIZE_DECL)
	/* the members that differ between versions (runtime_python_fields.h) */
	uint32_t ts_cframe, cf_current_frame, cf_previous;	/* 3.11, 3.12 */
	uint32_t ts_current_frame;	/* 3.13 */
	uint32_t fr_code, fr_instr, lo_size, lo_digits;
	uint32_t fr_is_entry;	/* 3.11 */
};

/* Bits of PyASCIIObject.state, the same from 3.11 to 3.13 (gcc puts
 * bit-fields from the low bit up on x86-64): interned:2, kind:3,
 * compact:1, ascii:1. */
#define PY_STATE_KIND_SHIFT 2
#define PY_STATE_COMPACT_BIT 5
#define PY_STATE_ASCII_BIT 6

/* The minor version (11 for 3.11) of a PY_VERSION_HEX. */
static inline unsigned py_minor(unsigned long hex)
{
	return (unsigned)((hex >> 16) & 0xff);
}

/* The tables compiled from the python3.X-dev headers found at build time
 * (runtime_python_headers.c, once per version), NULL-terminated. */
extern const struct py_layout *const py_header_layouts[];

/* A table for this interpreter version: the headers' table of exactly
 * this version, else the one of the same minor version (the members read
 * keep their place within a minor release, and every object read is
 * checked against its type), else NULL. */
const struct py_layout *py_layout_from_headers(unsigned long version, bool *exact);

struct Dwfl_Module;
/* The layout from the module's own DWARF, kept by the file's build-id:
 * 1 read, 0 when it has none or misses a member, -1 (cached_only) when
 * it was not read yet.  hints: addresses of the interpreter's objects
 * (its type objects, the eval loop), whose units are looked at first.
 * Any thread. */
int py_layout_from_dwarf(struct Dwfl_Module *mod, const uint64_t *hints, size_t n_hints,
		unsigned long version, bool cached_only, struct py_layout *out);

/* Do a and b put every member at the same place? */
bool py_layout_same(const struct py_layout *a, const struct py_layout *b);

#endif
