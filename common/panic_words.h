/*
 * panic_words.h - what Rust's default panic hook wrote to stderr, taken
 * apart: the thread's name, where it panicked and the message.
 *
 * The hook writes one of these before the panic unwinds (or aborts):
 *
 *   thread 'NAME' panicked at 'MESSAGE', FILE:LINE:COL\n           rustc < 1.73
 *   thread 'NAME' panicked at FILE:LINE:COL:\nMESSAGE\n            rustc 1.73 ...
 *   \nthread 'NAME' (TID) panicked at FILE:LINE:COL:\nMESSAGE\n    rustc 1.8x ... 1.95
 *
 * then, for the process's first panic, a "note: run with
 * `RUST_BACKTRACE=1`" line, or with RUST_BACKTRACE a "stack backtrace:".
 * A message may span lines (assert_eq!'s left and right).
 *
 * Pure: no allocation, no libc state, bounded by the text's length; the
 * shim uses it where a panic starts unwinding and in its crash handler.
 */
#ifndef BB_PANIC_WORDS_H
#define BB_PANIC_WORDS_H

#include <stddef.h>

struct panic_words {
	const char *thread;	/* NAME, inside the text */
	size_t thread_len;
	const char *where;	/* FILE:LINE:COL ("" when the text was cut before it) */
	size_t where_len;
	const char *message;
	size_t message_len;
};

/* 0 when text (len bytes, not terminated) starts with a hook's header:
 * *w then points into it.  -1 otherwise. */
int bb_panic_words(const char *text, size_t len, struct panic_words *w);

/* Does a write starting with these bytes start a hook's header?  (The
 * old hook's first write is exactly "thread '".) */
int bb_panic_header_start(const char *buf, size_t len);

#endif
