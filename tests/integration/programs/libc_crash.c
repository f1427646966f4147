/* A crash inside libc called from the program's own code: strlen(NULL), or
 * memcpy to a bad pointer ("memcpy" as argv[1]).  The libc calls are not in
 * tail position, so the calling app frame stays on the stack at -O2 too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static size_t name_length(const char *name)
{
	size_t n = strlen(name);

	return n + 1;
}

__attribute__((noinline)) static size_t copy_name(char *dst, const char *src)
{
	size_t n = strlen(src) + 1;

	memcpy(dst, src, n);
	return n + (size_t)dst[0];
}

int main(int argc, char **argv)
{
	/* from the environment, so no optimizer can prove the pointer bad */
	const char *bad = (const char *)strtoul(getenv("BAD_PTR") ? getenv("BAD_PTR") : "0",
						NULL, 0);

	if (argc > 1 && strcmp(argv[1], "memcpy") == 0)
		printf("%zu\n", copy_name((char *)bad + 16, argv[0]));
	else
		printf("%zu\n", name_length(bad));
	return 0;
}
