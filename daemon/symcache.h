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

#define SYMCACHE_FILES 48

/* The cached module for the ELF file at `path`; *bias is that module's
 * load bias in its own Dwfl.  NULL when the file cannot be read. */
Dwfl_Module *symcache_module(const char *path, Dwarf_Addr *bias);
void symcache_clear(void);

/* Read the debug info of the libraries every crash goes through (libc,
 * the dynamic loader) ahead of the first crash: decompressing libc's
 * separate debug info is most of a first report's cost. */
void symcache_preload(void);

/* A number that changes whenever the module of a path is (re)loaded, so
 * what was cached about a Dwfl_Module pointer is never used for another
 * one that happens to reuse its address; 0 if mod is not cached. */
unsigned long symcache_generation(Dwfl_Module *mod);

#endif
