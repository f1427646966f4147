/*
 * describe.h - what happened, in words: the signal, its si_code, the
 * fault address and the kind of access, as a person needs them first.
 */
#ifndef BB_DESCRIBE_H
#define BB_DESCRIBE_H

#include <stddef.h>

#include "record.h"

/* Meaning of si_code for this signal ("address not mapped"), or NULL. */
const char *describe_code_meaning(int signo, int code);
/* Symbolic si_code ("SEGV_MAPERR", "SI_TKILL"), or NULL. */
const char *describe_code_name(int signo, int code);
/* "read", "write", "instruction fetch" for an x86-64 page fault, or NULL. */
const char *describe_access(const struct bb_record *rec);
/* Did this SIGSEGV hit just beyond the stack pointer? */
int describe_is_stack_overflow(const struct bb_record *rec);

/* The event message: "SIGSEGV: invalid read at 0x0 (address not mapped)"
 * then where: " in FUNCTION", and " called from APP_FUNCTION" when the
 * crash is in a library called by the program's own code. */
void describe_message(const struct bb_record *rec, const char *function,
		const char *app_function, char *out, size_t outlen);

/* "std::_Nested_exception<shop::Declined>", what std::throw_with_nested
 * throws for a shop::Declined, becomes "shop::Declined": the program's
 * own type.  In place; other names are left alone. */
void describe_unwrap_nested(char *name);

#endif
