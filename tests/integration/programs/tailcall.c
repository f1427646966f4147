/* Tail calls at -O2: middle() ends in a jump to leaf(), so its frame is
 * gone from the machine stack.  gdb shows it anyway, from the DWARF call
 * site information (DW_AT_call_tail_call); a report should too. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noipa)) static int leaf(const int *p)
{
	return *p + 1;
}

__attribute__((noipa)) static int middle(const int *p)
{
	return leaf(p);
}

int main(int argc, char **argv)
{
	const int *p = (const int *)strtoul(argc > 1 ? argv[1] : "0", NULL, 0);

	printf("%d\n", middle(p));
	return 0;
}
