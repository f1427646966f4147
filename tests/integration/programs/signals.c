/* Each fatal signal the shim catches, raised the way programs meet it. */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((noinline)) static void illegal(void)
{
	__builtin_trap();	/* ud2: SIGILL */
}

__attribute__((noinline)) static void bus_error(void)
{
	FILE *f = tmpfile();
	char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fileno(f), 0);	/* empty file */

	printf("%d\n", p[0]);	/* beyond the end of the file: SIGBUS */
}

__attribute__((noinline)) static void breakpoint(void)
{
	__asm__ volatile("int3");	/* SIGTRAP */
}

__attribute__((noinline)) static void bad_syscall(void)
{
	raise(SIGSYS);
}

/* A real seccomp refusal: SECCOMP_RET_TRAP on getppid.  The kernel skips
 * the call and sends SIGSYS (si_code SYS_SECCOMP); returning from a
 * handler would carry on after the call as if nothing happened. */
__attribute__((noinline)) static void seccomp_refusal(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		perror("seccomp");
		exit(3);
	}
	syscall(SYS_getppid);
	printf("survived a refused system call\n");
}

__attribute__((noinline)) static void wait_to_be_killed(void)
{
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "ill";

	if (!strcmp(what, "ill"))
		illegal();
	if (!strcmp(what, "bus"))
		bus_error();
	if (!strcmp(what, "trap"))
		breakpoint();
	if (!strcmp(what, "sys"))
		bad_syscall();
	if (!strcmp(what, "seccomp"))
		seccomp_refusal();
	if (!strcmp(what, "wait"))
		wait_to_be_killed();
	return 0;
}
