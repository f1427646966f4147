/*
 * safe_open.h - opening files a user names, in the worker.
 *
 * Every path a report opens comes from the user: the maps text, DWARF's
 * file names, .gnu_debuglink and .gnu_debugaltlink, build-ids.  Opening
 * a FIFO for reading blocks until a writer comes, a device may block or
 * never end: so a regular file is opened without blocking and checked
 * before it is used, and anything else is refused.
 */
#ifndef BB_SAFE_OPEN_H
#define BB_SAFE_OPEN_H

#include <sys/stat.h>

/* open(path, O_RDONLY) of a regular file only, close-on-exec; st (may be
 * NULL) gets its fstat.  -1 with errno (ENXIO: not a regular file). */
int safe_open_file(const char *path, struct stat *st);

/* The same for a descriptor's file (an O_PATH descriptor from the root
 * part): opened anew through /proc/self/fd, so the kernel checks this
 * process's right to read it. */
int safe_reopen(int pathfd, struct stat *st);

#endif
