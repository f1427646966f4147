/*
 * scopes.c - see scopes.h.  The walk is dwarf_getscopes's: down from the
 * unit, into the first child whose ranges hold pc, through the partial
 * units that DW_TAG_imported_unit brings in (dwz), bounded in depth and
 * in DIEs looked at whatever the DWARF says.
 */
#include <dwarf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "scopes.h"

#define MAX_DEPTH 64		/* scopes; gcc nests a few dozen at most */
#define MAX_IMPORTS 8		/* imported units inside imported units */
#define MAX_DIES (1u << 20)	/* looked at for one address */

/* The DIEs dwarf_getscopes goes into when they hold pc. */
static bool may_hold_scopes(Dwarf_Die *die)
{
	switch (dwarf_tag(die)) {
	case DW_TAG_compile_unit: case DW_TAG_partial_unit: case DW_TAG_module:
	case DW_TAG_lexical_block: case DW_TAG_with_stmt: case DW_TAG_catch_block:
	case DW_TAG_try_block: case DW_TAG_entry_point: case DW_TAG_inlined_subroutine:
	case DW_TAG_subprogram:
		return true;
	}
	return false;
}

/* The first child of parent (or of the partial units it imports) whose
 * ranges hold pc. */
static bool child_holding(Dwarf_Die *parent, Dwarf_Addr pc, int imports, unsigned *budget,
		Dwarf_Die *out)
{
	Dwarf_Die child, unit;
	Dwarf_Attribute a;

	if (dwarf_child(parent, &child) != 0)
		return false;
	do {
		if (*budget == 0 || --*budget == 0)
			return false;
		if (dwarf_tag(&child) == DW_TAG_imported_unit) {
			if (imports < MAX_IMPORTS &&
			    dwarf_formref_die(dwarf_attr(&child, DW_AT_import, &a), &unit) &&
			    dwarf_tag(&unit) == DW_TAG_partial_unit &&
			    child_holding(&unit, pc, imports + 1, budget, out))
				return true;
		} else if (dwarf_haspc(&child, pc) == 1) {
			*out = child;
			return true;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

int scopes_at(Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Die **out)
{
	Dwarf_Die chain[MAX_DEPTH];
	unsigned budget = MAX_DIES;
	int n = 0;

	*out = NULL;
	chain[n++] = *cudie;
	while (n < MAX_DEPTH && may_hold_scopes(&chain[n - 1]) &&
	       child_holding(&chain[n - 1], pc, 0, &budget, &chain[n]))
		n++;
	if (n == 1)
		return 0;	/* as dwarf_getscopes: the unit alone is no scope */
	if (!(*out = malloc((size_t)n * sizeof(**out))))
		return -1;
	for (int i = 0; i < n; i++)
		(*out)[i] = chain[n - 1 - i];
	return n;
}
