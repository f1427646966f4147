/*
 * elf_next.c - the next definition of a function the shim interposes, found
 * by reading the loaded objects' dynamic symbol tables: the first after the
 * shim in load order, as dlsym(RTLD_NEXT) searches (or, when none comes
 * after it, one before).
 *
 * For the unwinder's functions (panic.c), looked up at the first panic:
 * - not at load, where a miss costs every program that has no libgcc_s
 *   (most C programs) ~13 us of dlsym's error path at each start;
 * - not with dlsym(RTLD_NEXT) at the panic, which may run inside an
 *   allocator: dlsym may malloc.  dl_iterate_phdr allocates nothing; it
 *   takes the loader's write lock, a recursive one held only while objects
 *   are added or removed (a panic under it, in a dl_iterate_phdr callback,
 *   takes it again on the same thread);
 * - and it finds libgcc_s where RTLD_NEXT cannot: loaded later with
 *   RTLD_LOCAL by a dlopen'd Rust library (a Python extension), whose
 *   calls still come to the shim, first in the global scope.
 * An object's GNU hash table is read, or its SysV one when it has none.
 */
#include <elf.h>
#include <link.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "shim.h"

struct want {
	const char *name;
	uint32_t hash;		/* GNU */
	uint32_t sysv_hash;
	uintptr_t self;		/* an address inside the shim */
	bool past_self;		/* the objects after the shim, as RTLD_NEXT searches */
	void *found, *found_before;	/* ... and, failing them, one before it */
};

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

static uint32_t sysv_hash(const char *s)
{
	uint32_t h = 0;

	for (; *s; s++) {
		h = (h << 4) + (unsigned char)*s;
		h ^= (h >> 24) & 0xf0;
	}
	return h & 0x0fffffff;
}

static bool contains(const struct dl_phdr_info *info, uintptr_t addr)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && addr >= start && addr - start < ph->p_memsz)
			return true;
	}
	return false;
}

struct tables {
	const uint32_t *gnu_hash;
	const uint32_t *sysv_hash;
	const ElfW(Sym) *symtab;
	const char *strtab;
};

/* The loader relocates most objects' dynamic entries in place; the vDSO's
 * stay offsets. */
static uintptr_t dyn_addr(const struct dl_phdr_info *info, ElfW(Addr) v)
{
	return v < info->dlpi_addr ? info->dlpi_addr + v : v;
}

static bool tables_of(const struct dl_phdr_info *info, struct tables *t)
{
	const ElfW(Dyn) *dyn = NULL;

	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	memset(t, 0, sizeof(*t));
	for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_GNU_HASH)
			t->gnu_hash = (const uint32_t *)dyn_addr(info, dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_HASH)
			t->sysv_hash = (const uint32_t *)dyn_addr(info, dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_SYMTAB)
			t->symtab = (const ElfW(Sym) *)dyn_addr(info, dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_STRTAB)
			t->strtab = (const char *)dyn_addr(info, dyn->d_un.d_ptr);
	}
	return (t->gnu_hash || t->sysv_hash) && t->symtab && t->strtab;
}

static bool defines(const struct tables *t, const ElfW(Sym) *s, const char *name)
{
	int type = ELF64_ST_TYPE(s->st_info), bind = ELF64_ST_BIND(s->st_info);

	return s->st_shndx != SHN_UNDEF && s->st_value != 0 && type == STT_FUNC &&
	       (bind == STB_GLOBAL || bind == STB_WEAK) && strcmp(t->strtab + s->st_name, name) == 0;
}

/* The GNU hash lookup: bloom filter, bucket, chain. */
static const ElfW(Sym) *gnu_lookup(const struct tables *t, const char *name, uint32_t h)
{
	const uint32_t *ht = t->gnu_hash;
	uint32_t nbuckets = ht[0], symoffset = ht[1], bloom_size = ht[2], shift = ht[3];
	const ElfW(Addr) *bloom = (const ElfW(Addr) *)(ht + 4);
	const uint32_t *buckets = (const uint32_t *)(bloom + bloom_size);
	const uint32_t *chain = buckets + nbuckets;
	const unsigned bits = 8 * sizeof(ElfW(Addr));

	if (nbuckets == 0 || bloom_size == 0)
		return NULL;
	ElfW(Addr) word = bloom[(h / bits) % bloom_size];
	ElfW(Addr) mask = ((ElfW(Addr))1 << (h % bits)) | ((ElfW(Addr))1 << ((h >> shift) % bits));
	if ((word & mask) != mask)
		return NULL;
	for (uint32_t i = buckets[h % nbuckets]; i >= symoffset; i++) {
		uint32_t h2 = chain[i - symoffset];
		if ((h | 1) == (h2 | 1) && defines(t, &t->symtab[i], name))
			return &t->symtab[i];
		if (h2 & 1)
			break;
	}
	return NULL;
}

/* The SysV one: bucket, chain. */
static const ElfW(Sym) *sysv_lookup(const struct tables *t, const char *name, uint32_t h)
{
	uint32_t nbucket = t->sysv_hash[0], nchain = t->sysv_hash[1];
	const uint32_t *bucket = t->sysv_hash + 2, *chain = bucket + nbucket;

	if (nbucket == 0)
		return NULL;
	for (uint32_t i = bucket[h % nbucket], n = 0; i != STN_UNDEF && i < nchain && n < nchain;
	     i = chain[i], n++)
		if (defines(t, &t->symtab[i], name))
			return &t->symtab[i];
	return NULL;
}

static int each_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct want *w = arg;
	struct tables t;

	(void)size;
	if (contains(info, w->self)) {
		w->past_self = true;
		return 0;
	}
	if ((!w->past_self && w->found_before) || !tables_of(info, &t))
		return 0;
	const ElfW(Sym) *s = t.gnu_hash ? gnu_lookup(&t, w->name, w->hash)
				       : sysv_lookup(&t, w->name, w->sysv_hash);
	if (!s)
		return 0;
	*(w->past_self ? &w->found : &w->found_before) = (void *)(info->dlpi_addr + s->st_value);
	return w->past_self;
}

void *shim_elf_next(const char *name)
{
	struct want w = { name, gnu_hash(name), sysv_hash(name), (uintptr_t)&shim_elf_next, false,
			  NULL, NULL };

	dl_iterate_phdr(each_object, &w);
	return w.found ? w.found : w.found_before;
}

void *shim_elf_next_cached(_Atomic(void *) *slot, const char *name)
{
	return shim_lookup_once(slot, name, shim_elf_next);
}
