/*
 * cuslice.h - the compilation unit at an address, without reading the
 * units before it.
 *
 * libdw 0.188 reaches a unit only by reading the header of every unit
 * before it, and libdwfl's dwfl_module_addrdie reads them all (it builds
 * its address index with dwarf_getaranges): one page fault a unit, each
 * mapping 64 KiB of the file, so ~25 ms and 150 MiB on the first crash of
 * a program of 2300 units, whatever its frames need.  Here the unit comes
 * from .debug_aranges, and each unit a report needs gets a Dwarf of its
 * own whose .debug_info is that unit alone (a view of the file, nothing
 * copied: cuslice.c says how).  A unit that refers outside itself
 * (DW_FORM_ref_addr, type signatures, dwz's alternate file, split or
 * partial units), a file whose debug sections are compressed or that has
 * no .debug_aranges, is left to libdwfl: the answer is always the one
 * dwfl_module_addrdie gives.
 *
 * What differs in a unit's own Dwarf: DIE offsets (dwarf_dieoffset) count
 * from the unit, not from the start of .debug_info; compare DIEs of one
 * Dwarf only (dwarf_cu_getdwarf).  A location expression that names a DIE
 * by its .debug_info offset (DW_OP_implicit_pointer, DW_OP_call_ref,
 * DW_OP_GNU_variable_value) must subtract cuslice_unit_offset() before
 * dwarf_offdie; nothing reads those today (dwexpr.c: unavailable).
 */
#ifndef BB_CUSLICE_H
#define BB_CUSLICE_H

#include <elfutils/libdw.h>
#include <stddef.h>

#define CUSLICE_UNITS 256	/* units with a Dwarf of their own, per file: the others go to libdwfl */

struct cuslice_file;

enum cuslice_answer {
	CUSLICE_NONE,		/* no unit holds the address (dwfl_module_addrdie: NULL) */
	CUSLICE_FOUND,
	CUSLICE_ASK_LIBDWFL,	/* this unit (or file) is not for slicing */
};

/* The ELF file in fd (size bytes, its DWARF in itself), mapped for
 * slicing; NULL if it cannot be sliced.  fd may be closed after. */
struct cuslice_file *cuslice_open(int fd, size_t size);
void cuslice_close(struct cuslice_file *f);

/* The unit whose code holds the DWARF address addr, as libdwfl would
 * choose it; *cudie lives until cuslice_close. */
enum cuslice_answer cuslice_unit(struct cuslice_file *f, Dwarf_Addr addr, Dwarf_Die **cudie);

/* Where the unit of a DIE from cuslice_unit starts in the file's
 * .debug_info (0 for a DIE of any other Dwarf). */
Dwarf_Off cuslice_unit_offset(const struct cuslice_file *f, Dwarf_Die *die);

#endif
