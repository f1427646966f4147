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

void *shim_next(_Atomic(void *) *slot, const char *name)
{
	void *fn = atomic_load_explicit(slot, memory_order_acquire);

	if (!fn) {
		fn = dlsym(RTLD_NEXT, name);
		atomic_store_explicit(slot, fn, memory_order_release);
	}
	return fn;
}
