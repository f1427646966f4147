/* Preloaded before the shim: makes the shim's own open() of /proc/self/mem
 * fault, so the crash handler itself crashes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int faulty(const char *path, int flags, int mode)
{
	if (path && strcmp(path, "/proc/self/mem") == 0)
		*(volatile int *)0 = 1;
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	return faulty(path, flags, mode);
}

/* the shim is built with 64-bit file offsets: its open() is open64() */
int open64(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	return faulty(path, flags, mode);
}
