/* The program installs its own SIGSEGV handler in main (after the shim
 * loaded): it must run, exactly as without the shim. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_segv(int sig)
{
	(void)sig;
	write(1, "handled\n", 8);
	_exit(42);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	volatile int *p = (volatile int *)strtoul(argc > 1 ? argv[1] : "0", NULL, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sigaction(SIGSEGV, &sa, NULL);
	*p = 1;
	return 0;
}
