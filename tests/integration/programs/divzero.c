/* Integer division by zero: SIGFPE, FPE_INTDIV. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static int average(int total, int count)
{
	return total / count;
}

int main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 0;

	printf("%d\n", average(100, count));
	return 0;
}
