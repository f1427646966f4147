/*
 * symcache.c - one Dwfl per ELF file, least recently used out first.  A
 * file is known by device, inode, size and mtime, so an upgraded library
 * is read again, never mixed up with the old one.
 */
#include <limits.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "symcache.h"

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
};

static struct entry cache[SYMCACHE_FILES];
static unsigned long clock_hand;
static unsigned long generations;
static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

static void drop(struct entry *e)
{
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

static bool load(struct entry *e, const char *path, const struct stat *st)
{
	const char *base = strrchr(path, '/');

	e->dwfl = dwfl_begin(&callbacks);
	if (!e->dwfl)
		return false;
	dwfl_report_begin(e->dwfl);
	e->mod = dwfl_report_elf(e->dwfl, base ? base + 1 : path, path, -1, 0, false);
	dwfl_report_end(e->dwfl, NULL, NULL);
	if (!e->mod || !dwfl_module_getelf(e->mod, &e->bias)) {
		dwfl_end(e->dwfl);
		e->dwfl = NULL;
		return false;
	}
	e->path = strdup(path);
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime = st->st_mtim;
	return e->path != NULL;
}

Dwfl_Module *symcache_module(const char *path, Dwarf_Addr *bias)
{
	struct stat st;
	struct entry *victim = &cache[0];

	if (!path || path[0] != '/' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	for (size_t i = 0; i < SYMCACHE_FILES; i++) {
		if (same_file(&cache[i], path, &st)) {
			cache[i].used = ++clock_hand;
			*bias = cache[i].bias;
			return cache[i].mod;
		}
		if (cache[i].used < victim->used)
			victim = &cache[i];
	}
	drop(victim);
	if (!load(victim, path, &st)) {
		drop(victim);
		return NULL;
	}
	victim->used = ++clock_hand;
	victim->generation = ++generations;
	*bias = victim->bias;
	return victim->mod;
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
		Dwfl_Module *mod = symcache_module(realpath(name, real) ? real : name, &bias);
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

unsigned long symcache_generation(Dwfl_Module *mod)
{
	for (size_t i = 0; i < SYMCACHE_FILES; i++)
		if (cache[i].dwfl && cache[i].mod == mod)
			return cache[i].generation;
	return 0;
}

void symcache_clear(void)
{
	for (size_t i = 0; i < SYMCACHE_FILES; i++)
		drop(&cache[i]);
}
