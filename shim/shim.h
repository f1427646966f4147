/*
 * shim.h - internals shared by the shim's files (not installed).
 *
 * Everything declared here that takes a record is async-signal-safe: the
 * crash handler uses the same code as the public API.
 */
#ifndef BB_SHIM_H
#define BB_SHIM_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <ucontext.h>

#include "record.h"

extern struct sockaddr_un shim_daemon_addr;
extern socklen_t shim_daemon_addr_len;
extern int shim_hold_ms;
extern int shim_enabled;
extern struct bb_record shim_base;

/* Give the calling thread its own alternate signal stack, so a stack
 * overflow in it can still be reported.  Returns the mapping (or NULL). */
void *shim_altstack_setup(void);
void shim_altstack_teardown(void *stack);

/* transport.c: send one record and wait (at most shim_hold_ms) for the
 * ack.  With pass_fds the process's /proc/self/mem and maps go along.
 * Returns 0 when the daemon acknowledged, -1 otherwise. */
int shim_transport_send(const struct bb_record *rec, bool pass_fds);
long shim_now_ms(void);

/* api.c: pid, tid, time, thread name, exe, user, tags and the thread's
 * request into rec (async-signal-safe: copies of static state). */
void shim_fill_identity(struct bb_record *rec);
void shim_fill_registers(struct bb_record *rec, const ucontext_t *uc);
void shim_api_init(void);

#endif
