/*
 * safe_open.c - no FIFO, socket or device where a file is expected (see
 * safe_open.h), for our own opens and for elfutils' too.
 *
 * libdw and libdwfl open debug files themselves (debuglink candidates,
 * build-id paths, dwz alt files) with plain open(2).  This file, linked
 * into boobood-worker only, defines open() so those calls come here
 * first (the executable is first in the dynamic linker's search order):
 * a read-only open of anything that is not a regular file or a directory
 * fails with ENXIO instead of blocking.  Opens that create files
 * (debuginfod's cache) and the few devices libraries legitimately read
 * pass through unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "safe_open.h"

static int raw_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

static bool allowed_device(const char *path)
{
	static const char *const ok[] = { "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(path, ok[i]) == 0)
			return true;
	return false;
}

/* Open without blocking, then keep the descriptor only for a regular
 * file (or a directory when dirs_ok), restoring the caller's blocking
 * mode. */
static int open_checked(int dirfd, const char *path, int flags, bool dirs_ok, struct stat *st)
{
	struct stat tmp;
	int fd = raw_openat(dirfd, path, flags | O_NONBLOCK | O_NOCTTY, 0);

	if (fd < 0)
		return -1;
	if (!st)
		st = &tmp;
	if (fstat(fd, st) != 0 ||
	    !(S_ISREG(st->st_mode) || (dirs_ok && S_ISDIR(st->st_mode)))) {
		close(fd);
		errno = ENXIO;
		return -1;
	}
	if (!(flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int safe_open_file(const char *path, struct stat *st)
{
	return open_checked(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, false, st);
}

int safe_reopen(int pathfd, struct stat *st)
{
	char link[32];

	snprintf(link, sizeof(link), "/proc/self/fd/%d", pathfd);
	return open_checked(AT_FDCWD, link, O_RDONLY | O_CLOEXEC, false, st);
}

/* The interposed open(2): see the comment on top. */
static int checked_open(int dirfd, const char *path, int flags, mode_t mode)
{
	bool creates = flags & (O_CREAT | O_TMPFILE);
	bool writes = (flags & O_ACCMODE) != O_RDONLY;

	if (creates || writes || (flags & O_PATH) || allowed_device(path))
		return raw_openat(dirfd, path, flags, mode);
	return open_checked(dirfd, path, flags, true, NULL);
}

/* Defined by their link names: <fcntl.h> may redirect open to open64
 * (_FILE_OFFSET_BITS=64), and libraries call either. */
int interposed_open(const char *path, int flags, ...) __asm__("open");

static mode_t mode_arg(int flags, va_list ap)
{
	return flags & (O_CREAT | O_TMPFILE) ? (mode_t)va_arg(ap, int) : 0;
}

int interposed_open(const char *path, int flags, ...)
{
	va_list ap;

	va_start(ap, flags);
	mode_t mode = mode_arg(flags, ap);
	va_end(ap);
	return checked_open(AT_FDCWD, path, flags, mode);
}

int interposed_open64(const char *path, int flags, ...) __asm__("open64")
	__attribute__((alias("open")));
