/*
 * symtab.h - names from a module's ELF symbol table, at a cost that grows
 * with the lookups a report makes, not with the size of the table.
 *
 * A report looks up a handful of addresses (a frame without DWARF such as
 * _start, a pointer rendered as <counter+4>).  Sorting a program's whole
 * table for that (build once, binary search after) costs milliseconds per
 * ten thousand symbols on a cold report; one pass over the raw table
 * costs microseconds.  So the first lookups of a module scan, each answer
 * is remembered, and only a module looked up often enough that sorting
 * would have been cheaper (a radix sort: the cost of a few scans) gets its
 * index.  Every path gives the answer the
 * index would: the last function or object at or below the address (in
 * address order, then table order), if the address is inside it.
 */
#ifndef BB_SYMTAB_H
#define BB_SYMTAB_H

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdbool.h>

#define SYMTAB_MEMO 64		/* answers remembered per module */
#define SYMTAB_SCANS 4		/* scans of a module before it is indexed */

struct symtab_raw;
struct symtab_sorted;

struct symtab {
	Dwfl_Module *mod;
	bool opened;			/* raw and n looked at */
	int n;				/* entries, the null one included */
	struct symtab_raw *raw;		/* the ELF section itself, when libdwfl's is it */
	unsigned scans;
	struct symtab_sorted *sorted;	/* by address, once SYMTAB_SCANS is reached */
	struct symtab_memo {
		GElf_Addr addr;
		const char *name;	/* NULL: nothing there */
		GElf_Off off;
		bool set;
	} memo[SYMTAB_MEMO];
};

/* A fresh table for mod (nothing read yet); symtab_free before the
 * module goes. */
void symtab_init(struct symtab *t, Dwfl_Module *mod);
void symtab_free(struct symtab *t);

/* The function or static object at addr (an address of mod's own Dwfl):
 * its name (libdwfl's, valid while mod is) and addr's offset into it. */
bool symtab_lookup(struct symtab *t, GElf_Addr addr, const char **name, GElf_Off *off);

/* The address of the defined function called `name` (its first entry in
 * the table), for finding a body by name; false if there is none. */
bool symtab_function(struct symtab *t, const char *name, GElf_Addr *addr);

#endif
