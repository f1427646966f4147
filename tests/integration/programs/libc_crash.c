/* A crash inside libc (strlen of NULL) called from the program's code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static size_t name_length(const char *name)
{
	return strlen(name);
}

int main(int argc, char **argv)
{
	const char *name = (const char *)strtoul(argc > 1 ? argv[1] : "0", NULL, 0);

	printf("%zu\n", name_length(name));
	return 0;
}
