/* One process, one kind of fault, chosen by argv[1]:
 *   write ADDR   store 0x1badc0de at ADDR
 *   read ADDR    load from ADDR
 *   call ADDR    call a function pointer holding ADDR (e.g. 0x1000)
 *   nx           call into a readable, writable, not executable page
 *   rowrite      store into a read-only page
 *   setenv       change BOOBOO_ENVIRONMENT/RELEASE/TAGS, then a NULL write
 * Addresses come from argv so no optimizer can see the fault coming. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef void (*handler_fn)(void);

__attribute__((noinline)) static void store_total(long *p, long v)
{
	*(volatile long *)p = v;
}

__attribute__((noinline)) static long load_total(const long *p)
{
	return *(const volatile long *)p;
}

__attribute__((noinline)) static void call_handler(handler_fn fn)
{
	fn();
	__asm__ volatile("" ::: "memory");	/* no tail call: this frame stays */
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "write";
	unsigned long addr = strtoul(argc > 2 ? argv[2] : "0", NULL, 0);

	if (strcmp(mode, "write") == 0) {
		store_total((long *)addr, 0x1badc0de);
	} else if (strcmp(mode, "read") == 0) {
		printf("%ld\n", load_total((const long *)addr));
	} else if (strcmp(mode, "call") == 0) {
		call_handler((handler_fn)addr);
	} else if (strcmp(mode, "nx") == 0) {
		unsigned char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED)
			return 2;
		page[0] = 0xc3;		/* ret: harmless if it ever ran */
		fprintf(stderr, "page=%p\n", (void *)page);
		call_handler((handler_fn)(void *)page);
	} else if (strcmp(mode, "rowrite") == 0) {
		long *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED)
			return 2;
		fprintf(stderr, "page=%p\n", (void *)page);
		store_total(page + 3, 0x1badc0de);
	} else if (strcmp(mode, "setenv") == 0) {
		setenv("BOOBOO_ENVIRONMENT", "changed-later", 1);
		setenv("BOOBOO_RELEASE", "changed@9.9", 1);
		setenv("BOOBOO_TAGS", "late=yes", 1);
		fprintf(stderr, "env now %s %s %s\n", getenv("BOOBOO_ENVIRONMENT"),
			getenv("BOOBOO_RELEASE"), getenv("BOOBOO_TAGS"));
		store_total((long *)addr, 1);
	}
	return 0;
}
