/* A crash in a program with no debug info of its own anywhere (its
 * build-id is random): the worker then asks debuginfod, which in these
 * tests never answers, so the report is still being made when the test
 * kills or times out the worker. */
#include <stdio.h>
__attribute__((noinline)) static void crash_here(volatile int *p) { *p = 1; }
__attribute__((noinline)) static void caller(volatile int *p) { crash_here(p); puts(""); }
int main(void)
{
	caller(0);
	return 0;
}
