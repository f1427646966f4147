/*
 * drop.h - a crash written to disk by the shim when no daemon answers.
 *
 * The daemon may be restarting, upgraded, stopped or not started yet: the
 * crashing program then writes what a later report needs into the drop
 * directory, with async-signal-safe calls only, and dies as it would
 * have.  The file is: this header, the record (struct bb_record), the
 * command line, the crashing thread's stack from just below its stack
 * pointer (the red zone) up, and the text of /proc/self/maps; every part
 * bounded.  The daemon reads it later as untrusted input, with the
 * dropping user's rights (boobood(8), "DROPS").
 *
 * The drop directory is like /var/crash: sticky, writable by everyone,
 * listable by root only; a drop is created under a temporary name, mode
 * 0600, and renamed to NAME.drop when complete.
 */
#ifndef BB_DROP_H
#define BB_DROP_H

#include <stdint.h>

#define BB_DROP_MAGIC "BBDROP1"	/* 8 bytes with its NUL */
#define BB_DROP_VERSION 1u
#define BB_DROP_DEFAULT_DIR "/var/lib/booboo/drops"
#define BB_DROP_SUFFIX ".drop"
#define BB_DROP_STACK_MAX (160u * 1024)
#define BB_DROP_MAPS_MAX (96u * 1024)
#define BB_DROP_CMDLINE_MAX 4096u
#define BB_DROP_FILE_MAX (sizeof(struct bb_drop_header) + sizeof(struct bb_record) + \
		BB_DROP_CMDLINE_MAX + BB_DROP_STACK_MAX + BB_DROP_MAPS_MAX)

struct bb_drop_header {
	char magic[8];		/* BB_DROP_MAGIC */
	uint32_t version;	/* BB_DROP_VERSION */
	uint32_t header_size;	/* sizeof(struct bb_drop_header) */
	uint32_t record_size;	/* sizeof(struct bb_record) */
	uint32_t cmdline_len;	/* NUL-separated argv */
	uint64_t stack_addr;	/* address of the first stack byte */
	uint64_t stack_len;
	uint64_t maps_len;
	uint64_t reserved[4];	/* 0 */
};

/* ---- reading one (the daemon: untrusted input) ---------------------------- */

#include <stddef.h>
#include <sys/types.h>

#include "record.h"

enum bb_drop_err {
	BB_DROP_OK = 0,
	BB_DROP_EIO,		/* read failed (errno) */
	BB_DROP_ESIZE,		/* larger than BB_DROP_FILE_MAX, or shorter than its parts */
	BB_DROP_EMAGIC,
	BB_DROP_EVERSION,
	BB_DROP_ELAYOUT,	/* a part's length over its bound, or parts not the file */
	BB_DROP_ERECORD,	/* the record is malformed or not a crash (see rec_err) */
	BB_DROP_ENOMEM,
};

struct bb_drop {
	struct bb_record rec;
	char *cmdline;		/* NUL-separated argv */
	size_t cmdline_len;
	unsigned char *stack;
	uint64_t stack_addr;
	size_t stack_len;
	char *maps;		/* NUL-terminated */
	size_t maps_len;
	enum bb_record_err rec_err;
};

/* Read and check a whole drop from fd (a regular file the caller opened
 * without following links).  On BB_DROP_OK, d holds copies. */
enum bb_drop_err bb_drop_read(int fd, struct bb_drop *d);
void bb_drop_free(struct bb_drop *d);
const char *bb_drop_strerror(enum bb_drop_err err);

#endif
