/*
 * scopes.h - the DIEs whose code holds an address, for a DWARF that the
 * crashing user wrote.
 */
#ifndef BB_SCOPES_H
#define BB_SCOPES_H

#include <elfutils/libdw.h>

/* The DIEs of the unit cudie that hold pc, innermost first, the unit
 * last: what dwarf_getscopes gives up to the first inlined call (the
 * callers see where it was inlined through dwarf_getscopes_die), without
 * following that call's abstract origin.  libdw 0.188's dwarf_getscopes
 * loses its array when the origin cannot be found, which crafted DWARF
 * can make happen for every frame.  Returns how many (*out malloc'd), 0
 * when none does, -1 when out of memory. */
int scopes_at(Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Die **out);

#endif
