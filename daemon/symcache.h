/*
 * symcache.h - debug info kept across crashes.
 *
 * Symbolizing needs only a file and an offset, not the process, so every
 * ELF file gets one long-lived Dwfl of its own, with the file at its link
 * address.  The second crash of a program (or any crash through libc)
 * then finds DWARF already read and indexed: "warm" costs lookups, not
 * decompression.  Only the symbolize worker thread uses it.
 */
#ifndef BB_SYMCACHE_H
#define BB_SYMCACHE_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>

#define SYMCACHE_FILES 48

/* The cached module for the ELF file at `path`; *bias is that module's
 * load bias in its own Dwfl.  NULL when the file cannot be read.  When
 * fd >= 0 it is the file the process really mapped (its
 * /proc/PID/map_files entry): that file is read, whatever `path` names
 * today (an upgraded library, a swapped file). */
Dwfl_Module *symcache_module(const char *path, int fd, Dwarf_Addr *bias);
void symcache_clear(void);

/* The function or static object at caddr in a cached module (an address
 * of the cached copy): binary search in an index built once per file,
 * where libdwfl's own lookup walks the whole symbol table each time. */
bool symcache_symbol(Dwfl_Module *mod, Dwarf_Addr caddr, const char **name, GElf_Off *off);

/* Read the debug info of the libraries every crash goes through (libc,
 * the dynamic loader) ahead of the first crash: decompressing libc's
 * separate debug info is most of a first report's cost. */
void symcache_preload(void);

/* A number that changes whenever the module of a path is (re)loaded, so
 * what was cached about a Dwfl_Module pointer is never used for another
 * one that happens to reuse its address; 0 if mod is not cached. */
unsigned long symcache_generation(Dwfl_Module *mod);

#endif
