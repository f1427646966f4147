/*
 * symcache.c - one Dwfl per ELF file, least recently used out first.  A
 * file is known by device, inode, size and mtime, so an upgraded library
 * is read again, never mixed up with the old one.
 */
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "safe_open.h"
#include "cuslice.h"
#include "symcache.h"
#include "symtab.h"

struct entry {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Dwarf_Addr bias;
	unsigned long used;
	unsigned long generation;
	struct symtab symtab;	/* names by address, read as reports need them */
	struct cuslice_file *units;	/* its units one by one, where they allow it */
	bool has_dwarf;		/* debug info was found when loaded */
	long loaded_at;		/* CLOCK_MONOTONIC seconds */
	size_t bytes;		/* the ELF file and its debug file: what it may hold */
	unsigned long job;	/* the last report that used it */
};

static struct entry cache[SYMCACHE_FILES];
static unsigned long clock_hand;
static unsigned long generations;
static size_t cache_bytes;
static size_t cache_budget = SYMCACHE_BUDGET;
/* Entries a report has used are pinned until it ends: its frames hold
 * pointers into their Dwfls.  0: between reports, nothing pinned. */
static unsigned long job, last_job;
static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

static void drop(struct entry *e)
{
	cache_bytes -= e->bytes;
	symtab_free(&e->symtab);
	cuslice_close(e->units);
	if (e->dwfl)
		dwfl_end(e->dwfl);
	free(e->path);
	memset(e, 0, sizeof(*e));
}

static bool same_file(const struct entry *e, const char *path, const struct stat *st)
{
	return e->dwfl && e->dev == st->st_dev && e->ino == st->st_ino &&
	       e->size == st->st_size && e->mtime.tv_sec == st->st_mtim.tv_sec &&
	       e->mtime.tv_nsec == st->st_mtim.tv_nsec && strcmp(e->path, path) == 0;
}

static bool has_dwarf(struct entry *e)
{
	Dwarf_Addr b;

	return dwfl_module_getdwarf(e->mod, &b) != NULL;
}

static size_t debug_file_size(Dwfl_Module *mod, const char *path)
{
	const char *debugfile = NULL;
	struct stat st;

	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, &debugfile);
	if (!debugfile || strcmp(debugfile, path) == 0 || stat(debugfile, &st) != 0)
		return 0;
	return (size_t)st.st_size;
}

/* The views of units map the file a second time (libelf has its own
 * mapping): address space, which the worker has a limit of.  A file over
 * an eighth of it is read through libdwfl alone. */
static bool room_for_views(size_t size)
{
	struct rlimit rl;

	return getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	       size <= rl.rlim_cur / 8;
}

/* Units are read one by one only where the DWARF is in the file itself
 * (a separate debug file is another file, opened by libdwfl). */
static struct cuslice_file *units_of(struct entry *e, const char *path, int fd, size_t size)
{
	const char *debugfile = NULL;

	dwfl_module_info(e->mod, NULL, NULL, NULL, NULL, NULL, NULL, &debugfile);
	if (!e->has_dwarf || fd < 0 || (debugfile && strcmp(debugfile, path) != 0) ||
	    !room_for_views(size))
		return NULL;
	return cuslice_open(fd, size);
}

static bool load(struct entry *e, const char *path, int fd, const struct stat *st)
{
	const char *base = strrchr(path, '/');
	int own = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;	/* libdwfl closes its fd */

	e->dwfl = dwfl_begin(&callbacks);
	if (!e->dwfl) {
		if (own >= 0)
			close(own);
		return false;
	}
	dwfl_report_begin(e->dwfl);
	e->mod = dwfl_report_elf(e->dwfl, base ? base + 1 : path, path, own, 0, false);
	dwfl_report_end(e->dwfl, NULL, NULL);
	if (!e->mod || !dwfl_module_getelf(e->mod, &e->bias)) {
		dwfl_end(e->dwfl);
		e->dwfl = NULL;
		return false;
	}
	e->has_dwarf = has_dwarf(e);
	symtab_init(&e->symtab, e->mod);
	e->units = units_of(e, path, fd, (size_t)st->st_size);
	e->bytes = (size_t)st->st_size + debug_file_size(e->mod, path);
	cache_bytes += e->bytes;
	e->loaded_at = (long)(bb_now_ms() / 1000);
	e->path = strdup(path);
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime = st->st_mtim;
	return e->path != NULL;
}

/* A file loaded without debug info: has its debug package been installed
 * since?  Its build-id file under /usr/lib/debug says so at once (what
 * -dbgsym packages install); other places (debuglink, debuginfod) are
 * looked at again after RECHECK_S, not on every crash of a crash loop. */
#define RECHECK_S 60
static bool debug_info_may_have_come(const struct entry *e)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	char path[PATH_MAX];
	int n = dwfl_module_build_id(e->mod, &bits, &vaddr);

	if ((long)(bb_now_ms() / 1000) - e->loaded_at >= RECHECK_S)
		return true;
	if (n < 2 || n > 64)
		return false;
	size_t len = (size_t)snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%02x/", bits[0]);
	for (int i = 1; i < n && len + 3 < sizeof(path); i++)
		len += (size_t)snprintf(path + len, sizeof(path) - len, "%02x", bits[i]);
	snprintf(path + len, sizeof(path) - len, ".debug");
	return access(path, F_OK) == 0;
}

static Dwfl_Module *lookup(const char *path, int fd, Dwarf_Addr *bias);

Dwfl_Module *symcache_module(const char *path, int fd, Dwarf_Addr *bias)
{
	if (!path || path[0] != '/')
		return NULL;
	if (fd >= 0)
		return lookup(path, fd, bias);
	/* opened here as the worker's user, a regular file or nothing */
	int own = safe_open_file(path, NULL);
	Dwfl_Module *mod = own >= 0 ? lookup(path, own, bias) : NULL;
	if (own >= 0)
		close(own);
	return mod;
}

static bool pinned(const struct entry *e)
{
	return job && e->job == job;
}

/* Past the budget, the least recently used entries no report holds go. */
static void trim(void)
{
	while (cache_bytes > cache_budget) {
		struct entry *victim = NULL;
		for (size_t i = 0; i < SYMCACHE_FILES; i++)
			if (cache[i].dwfl && !pinned(&cache[i]) &&
			    (!victim || cache[i].used < victim->used))
				victim = &cache[i];
		if (!victim)
			return;
		drop(victim);
	}
}

static struct entry *hit(struct entry *e, Dwarf_Addr *bias)
{
	e->used = ++clock_hand;
	e->job = job;
	*bias = e->bias;
	return e;
}

static Dwfl_Module *lookup(const char *path, int fd, Dwarf_Addr *bias)
{
	struct stat st;
	struct entry *victim = NULL;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	for (size_t i = 0; i < SYMCACHE_FILES; i++) {
		struct entry *e = &cache[i];
		if (same_file(e, path, &st)) {
			/* Debug info installed since it was loaded: load again,
			 * so the symbols, the names and the pc cache (a new
			 * generation) come from it; not while a report holds it. */
			if (e->has_dwarf || pinned(e) || !debug_info_may_have_come(e))
				return hit(e, bias)->mod;
			victim = e;
			break;
		}
		if (!pinned(e) && (!victim || e->used < victim->used))
			victim = e;
	}
	if (!victim)
		return NULL;	/* every entry is this report's: it goes without */
	drop(victim);
	if (!load(victim, path, fd, &st)) {
		drop(victim);
		return NULL;
	}
	victim->generation = ++generations;
	Dwfl_Module *mod = hit(victim, bias)->mod;
	trim();
	return mod;
}

void symcache_job_begin(void)
{
	job = ++last_job;
}

void symcache_job_end(void)
{
	job = 0;
	trim();
}

size_t symcache_bytes(void)
{
	return cache_bytes;
}

void symcache_set_budget(size_t bytes)
{
	cache_budget = bytes;
	trim();
}

static int preload_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	static const char *const wanted[] = { "/libc.so.6", "/ld-linux-x86-64.so.2" };
	const char *name = info->dlpi_name;
	Dwarf_Addr bias, dwbias;

	(void)size, (void)arg;
	if (!name || name[0] != '/')
		return 0;
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		size_t n = strlen(name), w = strlen(wanted[i]);
		if (n < w || strcmp(name + n - w, wanted[i]) != 0)
			continue;
		char real[PATH_MAX];
		Dwfl_Module *mod = symcache_module(realpath(name, real) ? real : name, -1, &bias);
		Dwarf *dw = mod ? dwfl_module_getdwarf(mod, &dwbias) : NULL;
		Dwarf_Aranges *ar;
		size_t nar;
		if (dw)
			dwarf_getaranges(dw, &ar, &nar);	/* the pc -> CU index, built once */
	}
	return 0;
}

void symcache_preload(void)
{
	dl_iterate_phdr(preload_one, NULL);
}

static struct entry *entry_of(Dwfl_Module *mod)
{
	for (size_t i = 0; i < SYMCACHE_FILES; i++)
		if (cache[i].dwfl && cache[i].mod == mod)
			return &cache[i];
	return NULL;
}

bool symcache_symbol(Dwfl_Module *mod, Dwarf_Addr caddr, const char **name, GElf_Off *off)
{
	struct entry *e = entry_of(mod);

	return e && symtab_lookup(&e->symtab, caddr, name, off);
}

bool symcache_function(Dwfl_Module *mod, const char *name, GElf_Addr *addr)
{
	struct entry *e = entry_of(mod);
	struct symtab once;

	if (e)
		return symtab_function(&e->symtab, name, addr);
	symtab_init(&once, mod);	/* not a cached module: read, not kept */
	bool found = symtab_function(&once, name, addr);
	symtab_free(&once);
	return found;
}

Dwarf_Die *symcache_addrdie(Dwfl_Module *mod, Dwarf_Addr addr, Dwarf_Addr *bias)
{
	struct entry *e = entry_of(mod);
	Dwarf_Die *cudie;

	if (e && e->units && dwfl_module_getdwarf(mod, bias))
		switch (cuslice_unit(e->units, addr - *bias, &cudie)) {
		case CUSLICE_FOUND:
			return cudie;
		case CUSLICE_NONE:
			return NULL;
		case CUSLICE_ASK_LIBDWFL:
			break;
		}
	return dwfl_module_addrdie(mod, addr, bias);
}

unsigned long symcache_generation(Dwfl_Module *mod)
{
	struct entry *e = entry_of(mod);

	return e ? e->generation : 0;
}

void symcache_clear(void)
{
	for (size_t i = 0; i < SYMCACHE_FILES; i++)
		drop(&cache[i]);
}
