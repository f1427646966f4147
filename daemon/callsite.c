/*
 * callsite.c - reading DW_TAG_call_site entries (DWARF 5, and the GNU
 * extension gcc emits for DWARF 4).
 *
 * At -O2 a function whose last act is a call jumps to the callee instead:
 * its frame is gone from the stack, and an unwinder goes straight from the
 * callee to the caller.  gdb puts such frames back (frame-tailcall.c) from
 * the call sites: the caller's call site names the function it called; if
 * that is not the function found running, the chain of call sites marked
 * as tail calls that leads from one to the other is what happened, provided
 * there is only one.  This file finds that chain, bounded in depth and work
 * so that a recursive or enormous program cannot stall a report.
 */
#include <dwarf.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "callsite.h"
#include "scopes.h"
#include "symcache.h"

#define SCOPE_DEPTH_MAX 16
#define WALK_BUDGET 512		/* functions looked into, per rebuilt gap */
#define SYMTAB_LOOKUPS 8	/* bodies looked up by name, per rebuilt gap */

static bool is_call_site(int tag)
{
	return tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site;
}

/* DW_AT_call_return_pc, or DW_AT_low_pc on GNU call sites (which holds
 * the return address there). */
static bool return_pc(Dwarf_Die *site, Dwarf_Addr *pc)
{
	Dwarf_Attribute a;
	Dwarf_Attribute *ra = dwarf_attr(site, DW_AT_call_return_pc, &a);

	if (!ra)
		ra = dwarf_attr(site, DW_AT_low_pc, &a);
	return ra && dwarf_formaddr(ra, pc) == 0;
}

static bool is_tail_call(Dwarf_Die *site)
{
	return dwarf_hasattr(site, DW_AT_call_tail_call) ||
	       dwarf_hasattr(site, DW_AT_GNU_tail_call);
}

static bool find_in(Dwarf_Die *scope, Dwarf_Addr ret, int depth, Dwarf_Die *out)
{
	Dwarf_Die child;

	if (depth > SCOPE_DEPTH_MAX || dwarf_child(scope, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);
		Dwarf_Addr pc;
		if (is_call_site(tag)) {
			if (return_pc(&child, &pc) && pc == ret) {
				*out = child;
				return true;
			}
		} else if ((tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) &&
			   dwarf_haspc(&child, ret - 1) == 1) {
			if (find_in(&child, ret, depth + 1, out))
				return true;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

bool callsite_find(Dwarf_Die *scope, Dwarf_Addr ret, Dwarf_Die *site)
{
	return find_in(scope, ret, 0, site);
}

bool callsite_target(Dwarf_Die *site, Dwarf_Die *fn)
{
	Dwarf_Attribute a;
	Dwarf_Attribute *origin = dwarf_attr(site, DW_AT_call_origin, &a);

	if (!origin)
		origin = dwarf_attr(site, DW_AT_abstract_origin, &a);	/* GNU call sites */
	return origin && dwarf_formref_die(origin, fn) != NULL;
}

/* The DIE every copy and declaration of a function leads back to. */
static Dwarf_Die root_of(Dwarf_Die *die)
{
	Dwarf_Die cur = *die, next;
	Dwarf_Attribute a;

	for (int hops = 0; hops < 8; hops++) {
		Dwarf_Attribute *up = dwarf_attr(&cur, DW_AT_abstract_origin, &a);
		if (!up)
			up = dwarf_attr(&cur, DW_AT_specification, &a);
		if (!up || !dwarf_formref_die(up, &next))
			break;
		cur = next;
	}
	return cur;
}

/* The name the linker knows a function by. */
static const char *linkage_name(Dwarf_Die *fn)
{
	Dwarf_Attribute a;
	const char *name = dwarf_formstring(dwarf_attr_integrate(fn, DW_AT_linkage_name, &a));

	return name ? name : dwarf_formstring(dwarf_attr_integrate(fn, DW_AT_name, &a));
}

bool callsite_same_function(Dwarf_Die *a, Dwarf_Die *b)
{
	Dwarf_Die ra = root_of(a), rb = root_of(b);

	if (dwarf_dieoffset(&ra) == dwarf_dieoffset(&rb) &&
	    dwarf_cu_getdwarf(ra.cu) == dwarf_cu_getdwarf(rb.cu))
		return true;
	/* A unit that calls a function defined in another has only a
	 * declaration of it: the same external name is the same function. */
	const char *na = linkage_name(&ra), *nb = linkage_name(&rb);
	return na && nb && strcmp(na, nb) == 0 &&
	       dwarf_hasattr_integrate(&ra, DW_AT_external) &&
	       dwarf_hasattr_integrate(&rb, DW_AT_external);
}

static bool has_code(Dwarf_Die *die)
{
	return dwarf_hasattr(die, DW_AT_low_pc) || dwarf_hasattr(die, DW_AT_ranges);
}

struct walk {
	Dwfl_Module *mod;
	int lookups;		/* left of SYMTAB_LOOKUPS */
	Dwarf_Die *to;
	size_t max;
	int budget;
	Dwarf_Addr path[CALLSITE_MAX_TAIL];	/* tail-call sites, outermost first */
	Dwarf_Addr found[CALLSITE_MAX_TAIL];
	size_t found_len;
	int n_found;
};

static void walk_function(struct walk *w, Dwarf_Die *fn, size_t depth);

/* The function (not an inlined copy) whose code holds addr. */
static bool function_at(Dwfl_Module *mod, Dwarf_Addr addr, Dwarf_Die *out)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = symcache_addrdie(mod, addr, &bias), *scopes = NULL;
	int n = cu ? scopes_at(cu, addr - bias, &scopes) : 0;
	bool found = false;

	/* the parents of an inlined copy come from dwarf_getscopes_die */
	Dwarf_Die *chain = NULL;
	int m = n > 0 ? dwarf_getscopes_die(&scopes[0], &chain) : 0;
	for (int i = 0; i < m && !found; i++)
		if (dwarf_tag(&chain[i]) == DW_TAG_subprogram) {
			*out = chain[i];
			found = true;
		}
	free(chain);
	free(scopes);
	return found;
}

/* A body in another unit of the module (raise.c calls __pthread_kill,
 * defined in pthread_kill.c): found by its name in the symbol table. */
static bool body_elsewhere(struct walk *w, Dwarf_Die *fn, Dwarf_Die *body)
{
	const char *name = linkage_name(fn);
	GElf_Addr addr;

	return w->mod && name && w->lookups-- > 0 && symcache_function(w->mod, name, &addr) &&
	       function_at(w->mod, addr, body);
}

/* The out-of-line body of fn, which a call site may name by its
 * declaration or its abstract (inline) instance: among the top-level
 * functions of fn's unit, else anywhere in the module. */
static bool body_of(struct walk *w, Dwarf_Die *fn, Dwarf_Die *body)
{
	Dwarf_Die cu, child;

	if (has_code(fn)) {
		*body = *fn;
		return true;
	}
	if (dwarf_diecu(fn, &cu, NULL, NULL) && dwarf_child(&cu, &child) == 0)
		do {
			if (dwarf_tag(&child) == DW_TAG_subprogram && has_code(&child) &&
			    callsite_same_function(&child, fn)) {
				*body = child;
				return true;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
	return body_elsewhere(w, fn, body);
}

/* Every tail-call site in scope (blocks and inlined calls included). */
static void walk_sites(struct walk *w, Dwarf_Die *scope, size_t depth, int nesting)
{
	Dwarf_Die child, next;
	Dwarf_Addr ret;

	if (nesting > SCOPE_DEPTH_MAX || dwarf_child(scope, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);
		if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) {
			walk_sites(w, &child, depth, nesting + 1);
			continue;
		}
		if (!is_call_site(tag) || !is_tail_call(&child) || !return_pc(&child, &ret) ||
		    !callsite_target(&child, &next))
			continue;
		w->path[depth] = ret;
		if (callsite_same_function(&next, w->to)) {
			if (w->n_found++ == 0) {
				memcpy(w->found, w->path, (depth + 1) * sizeof(w->path[0]));
				w->found_len = depth + 1;
			}
		} else if (depth + 1 < w->max) {
			walk_function(w, &next, depth + 1);
		}
	} while (dwarf_siblingof(&child, &child) == 0 && w->n_found < 2);
}

static void walk_function(struct walk *w, Dwarf_Die *fn, size_t depth)
{
	Dwarf_Die body;

	if (w->budget-- <= 0 || w->n_found > 1 || !body_of(w, fn, &body))
		return;
	walk_sites(w, &body, depth, 0);
}

size_t callsite_tail_path(Dwfl_Module *mod, Dwarf_Die *from, Dwarf_Die *to,
		Dwarf_Addr *rets, size_t max)
{
	struct walk w = { .mod = mod, .lookups = SYMTAB_LOOKUPS, .to = to, .budget = WALK_BUDGET };

	if (max > CALLSITE_MAX_TAIL)
		max = CALLSITE_MAX_TAIL;
	w.max = max;
	if (max == 0 || callsite_same_function(from, to))
		return 0;
	walk_function(&w, from, 0);
	/* two chains fit: the stack does not say which ran, so show neither */
	if (w.n_found != 1 || w.budget < 0)
		return 0;
	for (size_t i = 0; i < w.found_len; i++)
		rets[i] = w.found[w.found_len - 1 - i];
	return w.found_len;
}
