/*
 * shim.h - internals shared by the shim's files (not installed).
 *
 * Everything declared here that takes a record is async-signal-safe: the
 * crash handler uses the same code as the public API.
 */
#ifndef BB_SHIM_H
#define BB_SHIM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <ucontext.h>

#include "panic_words.h"
#include "record.h"

#include <pthread.h>
#include <signal.h>

#define SHIM_N_FATAL 7

/* Everything the shim learns or sets up at load, in one small struct: the
 * constructor writes nothing else.  Every page a program start touches
 * costs it a page fault (~10 us on a VM); initialized, this lands in .data
 * right after the GOT, on a page the dynamic linker writes anyway. */
struct shim_load {
	struct sockaddr_un daemon_addr;
	socklen_t daemon_addr_len;
	int hold_ms;			/* BOOBOO_HOLD_TIMEOUT_MS */
	int enabled;
	atomic_int disabled;		/* BOOBOO_DISABLE: 0 not read yet, 1 no, 2 yes */
	int has_request_key;		/* api.c: request_key was made */
	pthread_key_t request_key;	/* api.c: the thread's request */
	char environment[BB_ENV_MAX];	/* BOOBOO_ENVIRONMENT at load */
	char release[BB_RELEASE_MAX];	/* BOOBOO_RELEASE at load */
	char tags[BB_TAGS_MAX];		/* BOOBOO_TAGS at load */
	struct sigaction previous[SHIM_N_FATAL];	/* what our handlers replaced */
};
extern struct shim_load shim_load;

/* BOOBOO_DISABLE was set: the shim does nothing at all, also in the
 * functions it interposes.  Read once, by whichever comes first: the
 * constructor or an interposed call made before it. */
bool shim_disabled(void);

/* next.c: the next definition of an interposed function (dlsym
 * RTLD_NEXT), looked up at the first call and kept in *slot. */
void *shim_next(_Atomic(void *) *slot, const char *name);
/* find(name), looked up once and kept in *slot (0: not yet). */
void *shim_lookup_once(_Atomic(void *) *slot, const char *name, void *(*find)(const char *));

/* Start a record: zeroed, header, kind and the load-time values. */
void shim_record_start(struct bb_record *rec, enum bb_record_kind kind);

/* Give the calling thread its own alternate signal stack, so a stack
 * overflow in it can still be reported.  Returns the mapping (or NULL). */
void *shim_altstack_setup(void);
void shim_altstack_teardown(void *stack);

/* drop.c: where drops go (BOOBOO_DROP_DIR, read at load), and the crash
 * written there when no daemon took it (async-signal-safe). */
void shim_drop_init(const char *dir);
int shim_drop_write(const struct bb_record *rec);

/* transport.c: send one record and wait (at most shim_load.hold_ms) for the
 * ack.  With pass_fds the process's /proc/self/mem and maps go along.  Only
 * to a listener running as root or as our effective uid: to any other,
 * nothing is sent.  Returns 0 when the daemon acknowledged, -1 otherwise. */
int shim_transport_send(const struct bb_record *rec, bool pass_fds);
/* A message: sent, and not waited for (0 when the daemon took it into
 * its socket). */
int shim_transport_post(const struct bb_record *rec);
long shim_now_ms(void);

/* api.c: pid, tid, time, thread name, exe, user, tags and the thread's
 * request into rec (async-signal-safe: copies of static state). */
void shim_fill_identity(struct bb_record *rec);
void shim_fill_registers(struct bb_record *rec, const ucontext_t *uc);
void shim_api_init(void);

/* panic_text.c: the words of Rust's panic hook, seen on their way to
 * stderr (write(2) is interposed), taken by the panic (0 and *w pointing
 * into the thread's copy, or -1: none came since the last), freed when
 * the thread ends. */
int shim_panic_text_take(struct panic_words *w);
void shim_panic_text_free(void);

/* panic.c: the words into rec (message, where, thread); w may be NULL.
 * Async-signal-safe: the crash handler fills a panic = "abort" crash. */
void shim_panic_fill_words(struct bb_record *rec, const struct panic_words *w);
/* At exit: the panic counts not sent yet. */
void shim_panic_flush(void);

/* elf_next.c: a function's definition in another loaded object than the
 * shim, from their symbol tables (no dlsym, no malloc); cached in *slot. */
void *shim_elf_next(const char *name);
void *shim_elf_next_cached(_Atomic(void *) *slot, const char *name);

#endif
