/*
 * rust_payload.h - a Rust panic's payload, read from the held process
 * when the hook's words are missing (a panic hook of the program's own, a
 * panic resumed by std::panic::resume_unwind): the message panic!(),
 * expect() or an index out of bounds made, a &str or a String.
 */
#ifndef BB_RUST_PAYLOAD_H
#define BB_RUST_PAYLOAD_H

#include <stdint.h>

/* The payload's text (malloc'd, at most BB_MESSAGE_MAX - 1 bytes), from
 * the exception object the shim sent (exc): NULL when it is no &str or
 * String (std::panic::panic_any's) or memory says otherwise.  Reads
 * through memfd only: no code of the process runs. */
char *rust_payload_read(int memfd, uint64_t exc);

#endif
