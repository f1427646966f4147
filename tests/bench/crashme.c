/* A small program that crashes with a NULL write three calls deep. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static void store(int *p, int v)
{
	*(volatile int *)p = v;
}

__attribute__((noinline)) static void work(int *p, int n)
{
	store(p, n * 2);
}

int main(int argc, char **argv)
{
	/* The pointer comes from outside, so no compiler can prove it NULL. */
	int *p = (int *)strtoul(argc > 1 ? argv[1] : "0", NULL, 0);

	work(p, argc);
	return 0;
}
