/*
 * callsite.h - what the compiler's call-site entries (DW_TAG_call_site)
 * say about a call: where it returns to, which function it called, and
 * whether it was a tail call.
 *
 * Two stages need them: symbolize rebuilds the frames that tail calls took
 * off the machine stack (gdb shows them; so must we), and locals finds a
 * parameter's value at entry (DW_OP_entry_value) in the caller's call.
 */
#ifndef BB_CALLSITE_H
#define BB_CALLSITE_H

#include <stdbool.h>
#include <stddef.h>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

/* Longest chain of tail calls rebuilt between two real frames. */
#define CALLSITE_MAX_TAIL 8

/* The call site inside `scope` (a function, inlined call or block) whose
 * return address is `ret` (a DWARF address). */
bool callsite_find(Dwarf_Die *scope, Dwarf_Addr ret, Dwarf_Die *site);

/* The function a call site called, when the debug info names it (direct
 * calls); false for calls through a pointer. */
bool callsite_target(Dwarf_Die *site, Dwarf_Die *fn);

/* Do two DIEs stand for the same function (an out-of-line copy, its
 * abstract origin, its declaration)? */
bool callsite_same_function(Dwarf_Die *a, Dwarf_Die *b);

/* The chain of tail calls by which `from` (called by a real frame) came to
 * run `to` (the next real frame in), when the debug info allows exactly one
 * such chain; mod (where both are) finds bodies defined in other units.
 * Fills rets with the return addresses (DWARF addresses) of the tail-call
 * sites, the one that jumped to `to` first, and returns how many; 0 when
 * from is to, or when no single chain explains the stack. */
size_t callsite_tail_path(Dwfl_Module *mod, Dwarf_Die *from, Dwarf_Die *to,
		Dwarf_Addr *rets, size_t max);

#endif
