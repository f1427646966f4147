/*
 * shim.c - the crash handler preloaded into the program (libbooboo-shim.so).
 *
 * At load: read the environment once, prepare the daemon's address, install
 * handlers for the fatal signals on an alternate stack.  The environment is
 * read with secure_getenv: a setuid or setgid program (AT_SECURE) ignores
 * BOOBOO_*, so its caller cannot choose where its crash record goes.  In the handler:
 * only async-signal-safe system calls, no malloc, stdio, locks or dlsym.  It
 * fills one static record, sends it with the process's own /proc/self/mem
 * and /proc/self/maps descriptors, waits a bounded time for the daemon's
 * ack (with none, writes the crash to the drop directory: drop.c), then
 * lets the process die exactly as it would have without us.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "record.h"
#include "shim.h"

#define DEFAULT_SOCKET "/run/booboo/booboo.sock"
#define DEFAULT_HOLD_MS 5000
#define MAX_HOLD_MS 60000

static const int fatal_signals[] = {
	SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS,
};
#define N_FATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))

_Static_assert(N_FATAL == SHIM_N_FATAL, "shim.h's SHIM_N_FATAL");

struct shim_load shim_load = { .hold_ms = DEFAULT_HOLD_MS };
_Static_assert(sizeof(struct shim_load) <= 2048, "shim_load fits beside the GOT");

/* The last C++ exception this thread threw (see __cxa_throw below).
 * initial-exec: reading it in the handler must not allocate. */
static __thread __attribute__((tls_model("initial-exec"))) struct {
	void *object;
	void *tinfo;
} last_throw;

/* Filled only by the thread that won `crashing`, so no lock is needed. */
static struct bb_record record;
static atomic_int crashing;

/* ---- load time ------------------------------------------------------ */

static void copy_env(char *dst, size_t cap, const char *name)
{
	const char *v = secure_getenv(name);

	if (!v)
		return;
	size_t n = strlen(v);
	if (n >= cap)
		n = cap - 1;	/* bounded by the record; the daemon sees the cut value */
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static int parse_ms(const char *s, int fallback)
{
	char *end;
	long v;

	if (!s || !*s)
		return fallback;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > MAX_HOLD_MS)
		return fallback;
	return (int)v;
}

static int prepare_address(void)
{
	const char *path = secure_getenv("BOOBOO_SOCKET");
	size_t n;

	if (!path || !*path)
		path = DEFAULT_SOCKET;
	n = strlen(path);
	if (n >= sizeof(shim_load.daemon_addr.sun_path))
		return -1;
	shim_load.daemon_addr.sun_family = AF_UNIX;
	memcpy(shim_load.daemon_addr.sun_path, path, n + 1);
	shim_load.daemon_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

static void crash_handler(int signo, siginfo_t *info, void *uctx);

static void restore_previous(int signo)
{
	for (size_t i = 0; i < N_FATAL; i++)
		if (fatal_signals[i] == signo) {
			sigaction(signo, &shim_load.previous[i], NULL);
			return;
		}
	signal(signo, SIG_DFL);	/* not one of ours: cannot happen */
}

static void install_handlers(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = crash_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	/* A fault inside the handler, with its signal blocked, makes the
	 * kernel kill the process: it can never loop. */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < N_FATAL; i++)
		sigaddset(&sa.sa_mask, fatal_signals[i]);
	for (i = 0; i < N_FATAL; i++)
		sigaction(fatal_signals[i], &sa, &shim_load.previous[i]);
}

bool shim_disabled(void)
{
	int state = atomic_load_explicit(&shim_load.disabled, memory_order_relaxed);

	if (!state) {
		state = secure_getenv("BOOBOO_DISABLE") ? 2 : 1;
		atomic_store_explicit(&shim_load.disabled, state, memory_order_relaxed);
	}
	return state == 2;
}

__attribute__((constructor))
static void shim_init(void)
{
	if (shim_disabled())
		return;
	if (prepare_address() != 0)
		return;
	shim_api_init();
	shim_load.hold_ms = parse_ms(secure_getenv("BOOBOO_HOLD_TIMEOUT_MS"), DEFAULT_HOLD_MS);
	shim_drop_init(secure_getenv("BOOBOO_DROP_DIR"));
	copy_env(shim_load.environment, sizeof(shim_load.environment), "BOOBOO_ENVIRONMENT");
	copy_env(shim_load.release, sizeof(shim_load.release), "BOOBOO_RELEASE");
	copy_env(shim_load.tags, sizeof(shim_load.tags), "BOOBOO_TAGS");
	shim_altstack_setup();
	install_handlers();
	shim_load.enabled = 1;
}

void shim_record_start(struct bb_record *rec, enum bb_record_kind kind)
{
	bb_record_init(rec, kind);
	memcpy(rec->environment, shim_load.environment, sizeof(rec->environment));
	memcpy(rec->release, shim_load.release, sizeof(rec->release));
	memcpy(rec->tags, shim_load.tags, sizeof(rec->tags));
}

/* ---- the signal path: async-signal-safe only ------------------------ */

static void fill_record(int signo, const siginfo_t *info, const ucontext_t *uc)
{
	shim_record_start(&record, BB_REC_CRASH);
	shim_fill_identity(&record);
	record.signo = signo;
	record.si_code = info ? info->si_code : 0;
	record.si_errno = info ? info->si_errno : 0;
	record.fault_addr = info ? (uint64_t)(uintptr_t)info->si_addr : 0;
	if (uc)
		shim_fill_registers(&record, uc);
	record.exc_object = (uint64_t)(uintptr_t)last_throw.object;
	record.exc_tinfo = (uint64_t)(uintptr_t)last_throw.tinfo;
	/* panic = "abort": the hook has just said what and where */
	struct panic_words w;
	if (signo == SIGABRT && shim_panic_text_take(&w) == 0)
		shim_panic_fill_words(&record, &w);
}

static void wait_for_other_crash(void)
{
	/* Another thread is reporting; the process dies when it is done.  Wait
	 * past its bound, then die on our own rather than hang. */
	long deadline = shim_now_ms() + shim_load.hold_ms + 2000;
	struct timespec ten_ms = { 0, 10 * 1000 * 1000 };

	while (shim_now_ms() < deadline)
		nanosleep(&ten_ms, NULL);
}

static int must_reraise(int signo, const siginfo_t *info)
{
	/* Returning re-executes a faulting instruction, which faults again
	 * under the restored disposition.  A sent signal, abort(), a trap and
	 * a system call refused by seccomp (SIGSYS: the call is skipped, not
	 * retried) would not repeat, so send them again. */
	return signo == SIGABRT || signo == SIGTRAP || signo == SIGSYS || !info ||
	       info->si_code <= 0;
}

/* Send the signal again to this thread with the kernel's siginfo, so a
 * handler the program installed before us sees what it would have seen
 * (a seccomp SIGSYS handler reads si_syscall).  A process may queue any
 * si_code to itself; tgkill is the fallback. */
static void reraise(int signo, siginfo_t *info)
{
	long pid = syscall(SYS_getpid), tid = syscall(SYS_gettid);

	if (!info || syscall(SYS_rt_tgsigqueueinfo, pid, tid, signo, info) != 0)
		syscall(SYS_tgkill, pid, tid, signo);
}

static void crash_handler(int signo, siginfo_t *info, void *uctx)
{
	int saved_errno = errno;
	int expected = 0;

	if (atomic_compare_exchange_strong(&crashing, &expected, 1)) {
		fill_record(signo, info, (const ucontext_t *)uctx);
		/* No daemon, one we do not trust, or no ack in time: to disk,
		 * for the daemon to report when it is back (it tells a drop
		 * of a crash it did take from a new one). */
		if (shim_transport_send(&record, true) != 0)
			shim_drop_write(&record);
	} else {
		wait_for_other_crash();
	}
	restore_previous(signo);
	if (must_reraise(signo, info))
		reraise(signo, info);
	errno = saved_errno;
}

/* ---- C++ exceptions ---------------------------------------------------- */

typedef void (*cxa_throw_fn)(void *, void *, void (*)(void *));

static _Atomic(void *) next_cxa_throw;

/* Interposed so an uncaught exception's type and message can be read by
 * the daemon: std::terminate runs inside __cxa_throw, so the stack at the
 * abort still holds the throw site; only the object needs remembering. */
__attribute__((visibility("default"), noreturn))
void __cxa_throw(void *object, void *tinfo, void (*destructor)(void *))
{
	cxa_throw_fn real = (cxa_throw_fn)shim_next(&next_cxa_throw, "__cxa_throw");

	if (!shim_disabled()) {
		last_throw.object = object;
		last_throw.tinfo = tinfo;
	}
	if (!real)
		abort();	/* no C++ runtime: cannot happen for a real throw */
	real(object, tinfo, destructor);
	__builtin_unreachable();
}
