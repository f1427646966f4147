/*
 * shim.c - the crash handler preloaded into the program (libbooboo-shim.so).
 *
 * At load: read the environment once, prepare the daemon's address, install
 * handlers for the fatal signals on an alternate stack.  In the handler:
 * only async-signal-safe system calls, no malloc, stdio, locks or dlsym.  It
 * fills one static record, sends it with the process's own /proc/self/mem
 * and /proc/self/maps descriptors, waits a bounded time for the daemon's
 * ack, then lets the process die exactly as it would have without us.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <asm/prctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
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

static struct sigaction previous[65];
static struct sockaddr_un daemon_addr;
static socklen_t daemon_addr_len;
static int hold_ms = DEFAULT_HOLD_MS;
static int shim_enabled;

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
	const char *v = getenv(name);

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
	const char *path = getenv("BOOBOO_SOCKET");
	size_t n;

	if (!path || !*path)
		path = DEFAULT_SOCKET;
	n = strlen(path);
	if (n >= sizeof(daemon_addr.sun_path))
		return -1;
	daemon_addr.sun_family = AF_UNIX;
	memcpy(daemon_addr.sun_path, path, n + 1);
	daemon_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

static void crash_handler(int signo, siginfo_t *info, void *uctx);

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
		sigaction(fatal_signals[i], &sa, &previous[fatal_signals[i]]);
}

__attribute__((constructor))
static void shim_init(void)
{
	if (getenv("BOOBOO_DISABLE"))
		return;
	if (prepare_address() != 0)
		return;
	hold_ms = parse_ms(getenv("BOOBOO_HOLD_TIMEOUT_MS"), DEFAULT_HOLD_MS);
	record.magic = BB_RECORD_MAGIC;
	record.version = BB_RECORD_VERSION;
	record.kind = BB_REC_CRASH;
	record.size = sizeof(record);
	copy_env(record.environment, sizeof(record.environment), "BOOBOO_ENVIRONMENT");
	copy_env(record.release, sizeof(record.release), "BOOBOO_RELEASE");
	copy_env(record.tags, sizeof(record.tags), "BOOBOO_TAGS");
	shim_altstack_setup();
	install_handlers();
	shim_enabled = 1;
}

/* ---- the signal path: async-signal-safe only ------------------------ */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void fill_registers(const ucontext_t *uc)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	static const int map[BB_NREGS] = {
		REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI, REG_RBP, REG_RSP,
		REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
		REG_RIP,
	};

	for (int i = 0; i < BB_NREGS; i++)
		record.regs[i] = (uint64_t)g[map[i]];
	record.eflags = (uint64_t)g[REG_EFL];
	record.err = (uint64_t)g[REG_ERR];
	record.trapno = (uint64_t)g[REG_TRAPNO];
	record.has_regs = 1;
}

static void fill_record(int signo, const siginfo_t *info, const ucontext_t *uc)
{
	struct timespec ts;
	ssize_t n;

	record.pid = (int32_t)syscall(SYS_getpid);
	record.tid = (int32_t)syscall(SYS_gettid);
	record.signo = signo;
	record.si_code = info ? info->si_code : 0;
	record.si_errno = info ? info->si_errno : 0;
	record.fault_addr = info ? (uint64_t)(uintptr_t)info->si_addr : 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	record.time_sec = (uint64_t)ts.tv_sec;
	record.time_nsec = (uint64_t)ts.tv_nsec;
	if (uc)
		fill_registers(uc);
	prctl(PR_GET_NAME, record.thread_name, 0, 0, 0);
	record.thread_name[sizeof(record.thread_name) - 1] = '\0';
	n = readlink("/proc/self/exe", record.exe, sizeof(record.exe) - 1);
	record.exe[n > 0 ? n : 0] = '\0';
	record.exc_object = (uint64_t)(uintptr_t)last_throw.object;
	record.exc_tinfo = (uint64_t)(uintptr_t)last_throw.tinfo;
#ifdef ARCH_GET_FS
	syscall(SYS_arch_prctl, ARCH_GET_FS, &record.fs_base);
#endif
}

static int send_record(int sock, int memfd, int mapsfd)
{
	int fds[2] = { memfd, mapsfd };
	int nfds = (memfd >= 0) + (mapsfd >= 0);
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &record, .iov_len = sizeof(record) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	/* Both or neither: the daemon checks what each descriptor is. */
	if (nfds == 2) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(c), fds, sizeof(fds));
	}
	/* MSG_NOSIGNAL: a SIGPIPE would stay pending and replace the
	 * program's own signal in its exit status. */
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(record) ? 0 : -1;
}

static void wait_for_ack(int sock)
{
	long deadline = now_ms() + hold_ms;
	struct bb_ack ack;

	for (;;) {
		long left = deadline - now_ms();
		struct pollfd p = { .fd = sock, .events = POLLIN };

		if (left <= 0)
			return;
		int rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return;
		/* Any answer, even a hang-up, means the daemon is done with us. */
		(void)recv(sock, &ack, sizeof(ack), MSG_DONTWAIT);
		return;
	}
}

static void allow_daemon_ptrace(int sock)
{
	struct ucred peer;
	socklen_t len = sizeof(peer);

	/* Under Yama ptrace_scope=1 the daemon may then stop and read the
	 * other threads; it has the kernel's word (SO_PEERCRED) on who it is. */
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &peer, &len) == 0 && peer.pid > 0)
		prctl(PR_SET_PTRACER, (unsigned long)peer.pid, 0, 0, 0);
}

static void report_to_daemon(void)
{
	int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (sock < 0)
		return;
	/* Non-blocking: no daemon (ENOENT, ECONNREFUSED) or a full backlog
	 * (EAGAIN) costs nothing; the program dies at once. */
	if (connect(sock, (const struct sockaddr *)&daemon_addr, daemon_addr_len) != 0) {
		close(sock);
		return;
	}
	allow_daemon_ptrace(sock);
	int memfd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	int mapsfd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (send_record(sock, memfd, mapsfd) == 0)
		wait_for_ack(sock);
	if (memfd >= 0)
		close(memfd);
	if (mapsfd >= 0)
		close(mapsfd);
	close(sock);
}

static void wait_for_other_crash(void)
{
	/* Another thread is reporting; the process dies when it is done.  Wait
	 * past its bound, then die on our own rather than hang. */
	long deadline = now_ms() + hold_ms + 2000;
	struct timespec ten_ms = { 0, 10 * 1000 * 1000 };

	while (now_ms() < deadline)
		nanosleep(&ten_ms, NULL);
}

static int must_reraise(int signo, const siginfo_t *info)
{
	/* Returning re-executes a faulting instruction, which faults again
	 * under the restored disposition.  A sent signal, abort() and a trap
	 * would not repeat, so send them again. */
	return signo == SIGABRT || signo == SIGTRAP || !info || info->si_code <= 0;
}

static void crash_handler(int signo, siginfo_t *info, void *uctx)
{
	int saved_errno = errno;
	int expected = 0;

	if (atomic_compare_exchange_strong(&crashing, &expected, 1)) {
		fill_record(signo, info, (const ucontext_t *)uctx);
		report_to_daemon();
	} else {
		wait_for_other_crash();
	}
	sigaction(signo, &previous[signo], NULL);
	if (must_reraise(signo, info))
		syscall(SYS_tgkill, syscall(SYS_getpid), syscall(SYS_gettid), signo);
	errno = saved_errno;
}

/* ---- C++ exceptions ---------------------------------------------------- */

typedef void (*cxa_throw_fn)(void *, void *, void (*)(void *));

/* Interposed so an uncaught exception's type and message can be read by
 * the daemon: std::terminate runs inside __cxa_throw, so the stack at the
 * abort still holds the throw site; only the object needs remembering. */
__attribute__((visibility("default"), noreturn))
void __cxa_throw(void *object, void *tinfo, void (*destructor)(void *))
{
	static cxa_throw_fn real;

	if (!real)
		real = (cxa_throw_fn)dlsym(RTLD_NEXT, "__cxa_throw");
	last_throw.object = object;
	last_throw.tinfo = tinfo;
	if (!real)
		abort();	/* no C++ runtime: cannot happen for a real throw */
	real(object, tinfo, destructor);
	__builtin_unreachable();
}
