/* A small program that crashes with a NULL write three calls deep. */
#include <stdio.h>
__attribute__((noinline)) static void store(int *p, int v) { *p = v; }
__attribute__((noinline)) static void work(int *p, int n) { store(p, n * 2); }
int main(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		work(NULL, argc);
	return 0;
}
