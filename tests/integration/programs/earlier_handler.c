/* A library whose constructor installs a SIGSEGV handler before the shim
 * installs its own (preloaded after the shim, its constructor runs first). */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void on_segv(int sig)
{
	(void)sig;
	write(1, "earlier handler\n", 16);
	_exit(43);
}

__attribute__((constructor)) static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sigaction(SIGSEGV, &sa, NULL);
}
