/* Each fatal signal the shim catches, raised the way programs meet it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
	if (!strcmp(what, "wait"))
		wait_to_be_killed();
	return 0;
}
