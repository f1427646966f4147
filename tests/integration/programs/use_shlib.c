/* Calls into libcrashy.so, which crashes. */
#include <stdio.h>
#include <stdlib.h>

int crashy_parse(const int *input);

int main(int argc, char **argv)
{
	const int *in = (const int *)strtoul(argc > 1 ? argv[1] : "0", NULL, 0);

	printf("%d\n", crashy_parse(in));
	return 0;
}
