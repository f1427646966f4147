/*
 * symcache.h - debug info kept across crashes.
 *
 * Symbolizing needs only a file and an offset, not the process, so every
 * ELF file gets one long-lived Dwfl of its own, with the file at its link
 * address.  The second crash of a program (or any crash through libc)
 * then finds DWARF already read and indexed: "warm" costs lookups, not
 * decompression.  Only the worker's report thread uses it.  It is bounded
 * by the bytes of the files it holds, not by their count alone.
 */
#ifndef BB_SYMCACHE_H
#define BB_SYMCACHE_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>

#define SYMCACHE_FILES 48
#define SYMCACHE_BUDGET ((size_t)1 << 30)	/* bytes of ELF and debug files */

/* The cached module for the ELF file at `path`; *bias is that module's
 * load bias in its own Dwfl.  NULL when the file cannot be read.  When
 * fd >= 0 it is the file the process really mapped (its
 * /proc/PID/map_files entry): that file is read, whatever `path` names
 * today (an upgraded library, a swapped file). */
Dwfl_Module *symcache_module(const char *path, int fd, Dwarf_Addr *bias);
void symcache_clear(void);

/* A report begins or ends: what it looks up meanwhile stays loaded until
 * it ends (its frames point into those modules), even past the budget;
 * at the end the cache is trimmed back to SYMCACHE_BUDGET bytes of files,
 * least recently used first.  A report that would need more than
 * SYMCACHE_FILES modules goes without the rest. */
void symcache_job_begin(void);
void symcache_job_end(void);

/* The bytes of files the cache holds (ELF and separate debug files), and
 * a budget other than SYMCACHE_BUDGET (for tests). */
size_t symcache_bytes(void);
void symcache_set_budget(size_t bytes);

/* The function or static object at caddr in a cached module (an address
 * of the cached copy), at a cost that follows the lookups, not the size
 * of the table (symtab.h); libdwfl's own lookup walks the whole table
 * each time. */
bool symcache_symbol(Dwfl_Module *mod, Dwarf_Addr caddr, const char **name, GElf_Off *off);

/* dwfl_module_addrdie for a module of the cache, without reading every
 * unit of the module first (cuslice.h): the same unit, but from a Dwarf
 * of its own where the unit allows it.  The DIE lives as long as the
 * module stays cached. */
Dwarf_Die *symcache_addrdie(Dwfl_Module *mod, Dwarf_Addr addr, Dwarf_Addr *bias);

/* The address of the defined function called `name` in mod (cached or
 * not): its first entry in the symbol table. */
bool symcache_function(Dwfl_Module *mod, const char *name, GElf_Addr *addr);

/* Read the debug info of the libraries every crash goes through (libc,
 * the dynamic loader) ahead of the first crash: decompressing libc's
 * separate debug info is most of a first report's cost. */
void symcache_preload(void);

/* A number that changes whenever the module of a path is (re)loaded, so
 * what was cached about a Dwfl_Module pointer is never used for another
 * one that happens to reuse its address; 0 if mod is not cached. */
unsigned long symcache_generation(Dwfl_Module *mod);

#endif
