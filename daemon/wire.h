/*
 * wire.h - the messages between boobood (root) and its workers.
 *
 * Privilege separation, OpenBSD style: the root part only accepts, pins
 * and holds crashing processes; everything that parses what a user
 * controls (ELF, DWARF, source files, debug links, debuginfod answers)
 * runs in a boobood-worker process with that user's rights.  The two talk
 * over a SOCK_SEQPACKET socketpair in the typed, fixed-layout messages
 * below; each has one exact length and a fixed number of descriptors, and
 * the root part checks both before it believes anything else in it (a
 * worker is only as trustworthy as the user whose crashes it reads).
 */
#ifndef BB_WIRE_H
#define BB_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "record.h"

#define WIRE_MAGIC 0x57424242u	/* "BBBW" */
#define WIRE_EXE_MAX 4096
#define WIRE_MAX_RANGES 64	/* map_files asked for at once */
#define WIRE_FRAMES 64		/* frames as addresses, for a degraded report */
#define WIRE_MODULES 32
#define WIRE_PATH_MAX 256
#define WIRE_ERROR_MAX 160
#define WIRE_EVENT_MAX (16u << 20)	/* an event larger than this is a lying worker */
#define WIRE_DROP_NAME_MAX 128	/* a drop's file name, in the root part */

enum wire_type {
	WIRE_JOB = 1,		/* root -> worker: capture this; fds: mem, maps, /proc/PID dir */
	WIRE_FILES,		/* root -> worker: O_PATH map_files descriptors asked for */
	WIRE_NEED_FILES,	/* worker -> root: mapped files whose path names another file now */
	WIRE_CAPTURED,		/* worker -> root: the process may go; what a degraded report needs */
	WIRE_EVENT,		/* worker -> root: the finished event; fd: a memfd holding its JSON */
	WIRE_DROP,		/* root -> worker: report this drop; fd: the drop file */
};

struct wire_hdr {
	uint32_t magic;
	uint32_t type;		/* enum wire_type */
	uint64_t job;		/* the root's job id */
};

struct wire_job {
	struct wire_hdr h;
	struct bb_record rec;
	int32_t pid;		/* the kernel's word: SO_PEERCRED, pinned by a pidfd */
	uint32_t uid, gid;
	uint64_t deadline_ms;	/* CLOCK_MONOTONIC: the hold ends here */
	uint64_t exe_dev, exe_ino;	/* /proc/PID/exe as the root part found it */
	char exe[WIRE_EXE_MAX];
};

/* A drop file (common/drop.h), opened by the root part without following
 * links: a regular file owned by uid with one link.  The worker reads it
 * as untrusted input. */
struct wire_drop {
	struct wire_hdr h;
	uint32_t uid, gid;	/* the file's owner: the user who crashed */
	uint64_t written_at;	/* the file's mtime, seconds since the epoch */
	uint64_t deadline_ms;	/* CLOCK_MONOTONIC: the capture ends here */
};

struct wire_range {
	uint64_t lo, hi;
};

struct wire_need_files {
	struct wire_hdr h;
	uint32_t n;
	uint32_t reserved;
	struct wire_range r[WIRE_MAX_RANGES];
};

struct wire_files {
	struct wire_hdr h;
	uint32_t n;		/* as asked */
	uint8_t ok[WIRE_MAX_RANGES];	/* 1: a descriptor for r[i] follows, in order */
};

enum wire_capture_status {
	WIRE_CAPTURE_OK = 0,
	WIRE_CAPTURE_FAILED,	/* nothing usable (error says why): degrade */
	WIRE_CAPTURE_EXECED,	/* the process runs another program than the memory it sent */
};

struct wire_module {
	uint64_t lo, hi;
	char path[WIRE_PATH_MAX];
};

struct wire_captured {
	struct wire_hdr h;
	int32_t status;		/* enum wire_capture_status */
	uint32_t n_frames;
	uint32_t n_modules;
	uint32_t n_threads;
	char error[WIRE_ERROR_MAX];
	uint64_t pc[WIRE_FRAMES];	/* crash site first */
	uint8_t activation[WIRE_FRAMES];
	struct wire_module modules[WIRE_MODULES];	/* those the frames are in */
};

struct wire_event {
	struct wire_hdr h;
	uint64_t len;		/* bytes of JSON in the memfd */
};

/* The number of descriptors each message carries. */
size_t wire_fds_for(enum wire_type type, const void *msg);
/* The exact length of a message of this type. */
size_t wire_size_of(enum wire_type type);

/* Send one message with nfd descriptors.  0, or -1 with errno. */
int wire_send(int sock, const void *msg, size_t len, const int *fds, size_t nfd);

/* Receive one message into buf (at least sizeof the largest message).
 * Returns its length (0 at end of file) or -1 with errno; EPROTO when it
 * is not one well-formed message of a known type with exactly its
 * descriptors (those are then closed).  *nfd receives the count. */
ssize_t wire_recv(int sock, void *buf, size_t cap, int *fds, size_t *nfd, bool nonblock);

/* One datagram of any protocol on this kind of socket, with at most
 * max_fds descriptors (more, or a cut message: EPROTO, none kept); its
 * length, 0 at end of file, or -1 with errno.  The caller checks it. */
ssize_t wire_recv_raw(int sock, void *buf, size_t cap, int *fds, size_t max_fds, size_t *nfd,
		bool nonblock);
/* Close the *nfd descriptors of fds; *nfd becomes 0. */
void wire_close_fds(int *fds, size_t *nfd);

/* Largest message: receive buffers are this big. */
#define WIRE_MSG_MAX (sizeof(struct wire_captured) > sizeof(struct wire_job) ? \
		sizeof(struct wire_captured) : sizeof(struct wire_job))

void wire_init_hdr(struct wire_hdr *h, enum wire_type type, uint64_t job);

#endif
