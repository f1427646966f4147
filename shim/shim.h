/*
 * shim.h - internals shared by the shim's files (not installed).
 */
#ifndef BB_SHIM_H
#define BB_SHIM_H

/* Give the calling thread its own alternate signal stack, so a stack
 * overflow in it can still be reported.  Returns the mapping (or NULL). */
void *shim_altstack_setup(void);
void shim_altstack_teardown(void *stack);

#endif
