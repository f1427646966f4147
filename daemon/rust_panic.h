/*
 * rust_panic.h - a Rust panic in words: the message its hook printed and
 * where (the shim saw them go to stderr), or what the stack says when the
 * hook said nothing.
 */
#ifndef BB_RUST_PANIC_H
#define BB_RUST_PANIC_H

#include <stdbool.h>
#include <stddef.h>

#include "record.h"
#include "symbolize.h"

/* The exception_type of a panic that unwinds (panic = "unwind"). */
#define RUST_PANIC_TYPE "RustPanic"

/* Is the standard library's panic machinery on the stack? */
bool rust_panic_on_stack(const struct symbolized *sym);

/* A BB_REC_PANIC's message: "MESSAGE (at src/main.rs:14:9)" as the hook
 * printed it; without its words (a panic resumed, or a hook of the
 * program's own), the payload's text when it was read ("MESSAGE (in
 * FUNCTION)"; payload may be NULL), and what the stack says. */
void rust_panic_message(const struct bb_record *rec, const char *payload,
		const struct symbolized *sym, const char *app_function, char *out, size_t len);

/* panic = "abort": "SIGABRT: Rust panic in FUNCTION: MESSAGE (at ...)",
 * or without the hook's words "... (its message went to the program's
 * stderr)". */
void rust_panic_abort_message(const struct bb_record *rec, const char *app_function,
		char *out, size_t len);

#endif
