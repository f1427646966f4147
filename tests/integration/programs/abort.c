/* abort() from the program's own function. */
#include <stdlib.h>

__attribute__((noinline)) static void give_up(int code)
{
	if (code)
		abort();
}

int main(int argc, char **argv)
{
	(void)argv;
	give_up(argc);
	return 0;
}
