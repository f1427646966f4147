/* Tail calls at -O2: middle() ends in a jump to leaf(), so its frame is
 * gone from the machine stack; with "deep", outer() jumps to middle()
 * too, two frames gone.  gdb shows them anyway, from the DWARF call site
 * information (DW_AT_call_tail_call); a report should too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noipa)) static int leaf(const int *p)
{
	return *p + 1;
}

__attribute__((noipa)) static int middle(const int *p)
{
	return leaf(p);
}

__attribute__((noipa)) static int outer(const int *p)
{
	return middle(p);
}

int main(int argc, char **argv)
{
	const int *p = (const int *)strtoul(argc > 2 ? argv[2] : "0", NULL, 0);
	int deep = argc > 1 && strcmp(argv[1], "deep") == 0;

	printf("%d\n", deep ? outer(p) : middle(p));
	return 0;
}
