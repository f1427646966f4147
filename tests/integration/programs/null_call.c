/* Calls through a null function pointer: the innermost frame is at pc 0,
 * in no module, with no name, as gdb's "#0 0x0000000000000000 in ?? ()". */
#include <stdlib.h>

typedef void (*handler_fn)(void);

__attribute__((noinline)) static void dispatch(handler_fn handler)
{
	handler();
}

int main(int argc, char **argv)
{
	dispatch((handler_fn)strtoul(argc > 1 ? argv[1] : "0", NULL, 0));
	return 0;
}
