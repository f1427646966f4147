/*
 * next.c - the functions the shim interposes, found the first time they
 * are called.
 *
 * Not in the constructor: another library's constructor may create a
 * thread or throw before ours runs.  Any thread may be the first caller,
 * and several at once: the pointer is atomic, so each finds it written
 * whole or not at all (and then looks it up too, to the same value).
 */
#include <dlfcn.h>

#include "shim.h"

void *shim_lookup_once(_Atomic(void *) *slot, const char *name, void *(*find)(const char *))
{
	void *fn = atomic_load_explicit(slot, memory_order_acquire);

	if (!fn) {
		fn = find(name);
		atomic_store_explicit(slot, fn, memory_order_release);
	}
	return fn;
}

/* dlsym's RTLD_NEXT is relative to the object that calls it: this one */
static void *dlsym_next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

void *shim_next(_Atomic(void *) *slot, const char *name)
{
	return shim_lookup_once(slot, name, dlsym_next);
}
