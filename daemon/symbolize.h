/*
 * symbolize.h - stage 3: from captured pcs to functions, files and lines,
 * every inlined call a frame of its own (as gdb and eu-stack -i show them).
 */
#ifndef BB_SYMBOLIZE_H
#define BB_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "capture.h"

struct sym_var {
	char *name;
	char *value;		/* rendered like gdb's bt full, at most 200 chars */
};

struct sym_frame {
	uint64_t pc;		/* as captured */
	char *function;		/* as gdb names it: "ns::K::method", no return
				 * type or parameters; NULL when nothing names it */
	char *symbol;		/* the full demangled signature, or NULL */
	char *filename;		/* absolute when the debug info allows */
	int lineno;		/* 0: unknown */
	int colno;
	char *module;		/* path of the ELF file, NULL if none */
	uint64_t module_offset;
	bool in_app;
	bool inlined;		/* an inlined call inside the next frame out */
	bool from_symtab;	/* name from the ELF symbol table, no DWARF */
	bool tail_call;		/* gone from the stack by a tail call, rebuilt
				 * from the call sites (callsite.h); pc is where
				 * it would have returned */
	size_t capture_index;	/* which capture_frame this came from */

	/* DWARF handles for the enrich stage; valid while the Dwfl lives */
	/* mod lives in the symbol cache (symcache.h), where the file sits at
	 * its link address: an address A of the process is A - shift there.
	 * DWARF address (for location lists, scopes) = lookup_pc - bias;
	 * DW_OP_addr's value + bias = the process's address. */
	Dwfl_Module *mod;	/* NULL: no module */
	Dwarf_Addr bias;
	Dwarf_Addr shift;
	Dwarf_Addr lookup_pc;	/* pc, or pc - 1 for a return address */
	bool has_scope;
	Dwarf_Die scope;	/* DW_TAG_subprogram or DW_TAG_inlined_subroutine */
	Dwarf_Die cu;

	/* filled by locals_enrich */
	struct sym_var *vars;
	size_t n_vars;
	bool vars_truncated;	/* more than 50: the rest were left out */

	/* filled by source_enrich */
	char *context_line;
	char *pre_context[5];
	size_t n_pre;
	char *post_context[5];
	size_t n_post;
};

struct sym_module {
	char *path;
	char build_id[129];	/* hex, "" if none */
	uint64_t base;
	uint64_t end;
};

struct sym_thread {
	pid_t tid;
	char name[17];
	char state;
	struct sym_frame *frames;	/* innermost first */
	size_t n_frames;
};

struct symbolized {
	struct sym_frame *frames;	/* crash site first */
	size_t n_frames;
	struct sym_module *modules;
	size_t n_modules;
	struct sym_thread *threads;	/* the process's other threads */
	size_t n_threads;
	struct Dwfl *dwfl;	/* kept for the enrich stage */
};

/* Symbolize a capture.  Its exe (the kernel's word) is the main program:
 * its frames are in_app wherever it is installed. */
int symbolize_capture(const struct capture *cap, struct symbolized *out);
void symbolize_free(struct symbolized *s);

/* The symbol cache's module for runtime module rt (of the crashed
 * process), reading the very file that was mapped; *shift is what to
 * subtract from a process address to get the cached module's. */
Dwfl_Module *symbolize_cached_module(const struct capture *cap, Dwfl_Module *rt,
		Dwarf_Addr *shift);


#endif
