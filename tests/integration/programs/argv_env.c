/* A crash in a program started with arguments and an environment: what
 * the event may carry of them (argv, scrubbed) and may not (environment). */
#include <stdio.h>
#include <string.h>

__attribute__((noinline)) static int count_args(int argc, char **argv, int nenv)
{
	int total = 0;

	for (int i = 1; i < argc; i++)
		total += (int)strlen(argv[i]);
	if (nenv > 0)
		*(volatile int *)(long)(total - total) = total;	/* SIGSEGV at 0 */
	return total;
}

int main(int argc, char **argv, char **envp)
{
	int nenv = 0;

	for (char **e = envp; *e; e++)
		nenv++;
	printf("%d\n", count_args(argc, argv, nenv));
	return 0;
}
