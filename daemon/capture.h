/*
 * capture.h - stage 2: everything the daemon needs from the dying process,
 * taken while the process is held.
 *
 * Like eu-stack, the walk only records plain data (pc, activation flag,
 * registers); describing it (symbols, lines, source) happens after the
 * process is released, from these structs alone.
 */
#ifndef BB_CAPTURE_H
#define BB_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cxxabi.h"
#include "record.h"
#include "snapshot.h"

/* A deep recursion keeps both ends: the outermost calls say how the
 * program got there, the innermost where it died. */
#define CAPTURE_HEAD_FRAMES 192
#define CAPTURE_TAIL_FRAMES 64
#define CAPTURE_MAX_FRAMES (CAPTURE_HEAD_FRAMES + CAPTURE_TAIL_FRAMES)
#define CAPTURE_WALK_LIMIT 200000
#define CAPTURE_STACK_MAX (512 * 1024)
#define CAPTURE_MAPS_MAX (4 * 1024 * 1024)

struct capture_frame {
	uint64_t pc;
	bool activation;	/* pc is the faulting instruction, not a return address */
	uint64_t regs[BB_NREGS];	/* as far as the unwinder knows them */
	uint32_t regs_known;	/* bit i: regs[i] is valid */
};

/* Another thread of the process, stopped with ptrace during the hold so
 * the picture of all threads is consistent. */
#define CAPTURE_MAX_THREADS 64
#define CAPTURE_THREAD_FRAMES 48
struct capture_thread {
	pid_t tid;
	char name[17];
	char state;	/* from /proc: 'D' threads are not stopped, so no frames */
	uint64_t pc[CAPTURE_THREAD_FRAMES];
	uint64_t sp[CAPTURE_THREAD_FRAMES];	/* 0: unknown */
	bool activation[CAPTURE_THREAD_FRAMES];
	size_t n_frames;
};

/* A file the process had mapped, opened while it was held, with the
 * user's rights: by its path when that still names the very file that
 * was mapped (same device and inode as the maps line says), otherwise
 * through the root part's /proc/PID/map_files descriptor, re-opened by
 * the worker so the kernel checks the user's permission.  Later stages
 * read exactly that file, even if its path now names another. */
#define CAPTURE_MAX_FILES 256
struct capture_file {
	char *path;
	int fd;		/* -1: the user cannot read it, or it is not a regular file */
};

/* Asks the root part for /proc/PID/map_files descriptors (O_PATH) of
 * these ranges; fills fds[i] or -1.  Returns 0 or -1. */
struct wire_range;
typedef int capture_need_files_fn(void *arg, const struct wire_range *r, size_t n, int *fds);

/* What the root part pinned and handed over with the record, or a drop:
 * then memfd, mapsfd and procfd are -1, memory is the drop's stack copy
 * alone, and the files are those its maps name that the user can read
 * and that are still the same (device and inode) as when it crashed. */
struct bb_drop;
struct capture_input {
	const struct bb_record *rec;
	pid_t pid;		/* SO_PEERCRED, pinned with a pidfd */
	uid_t uid;
	gid_t gid;
	int memfd;		/* the sender's /proc/PID/mem and maps (checked by the root part) */
	int mapsfd;
	int procfd;		/* /proc/PID, opened while the pidfd said the process lived */
	const char *exe;	/* /proc/PID/exe: the kernel's word on the program */
	uint64_t exe_dev, exe_ino;
	uint64_t deadline_ms;	/* CLOCK_MONOTONIC: the hold ends here */
	capture_need_files_fn *need_files;
	void *need_files_arg;
	const struct bb_drop *drop;	/* NULL: a live process */
};

enum capture_err {
	CAPTURE_OK = 0,
	CAPTURE_EMAPS,		/* could not read the process's maps */
	CAPTURE_EDWFL,		/* libdwfl could not set up (message logged) */
	CAPTURE_ENOMEM,
	CAPTURE_EEXEC,		/* the process runs another program than the memory it sent */
};

/* One file mapping of a maps text ("lo-hi perms offset maj:min inode
 * path"); path points into the text and is not NUL-terminated. */
struct capture_mapping {
	uint64_t lo, hi;
	unsigned maj, min;
	unsigned long long ino;
	const char *path;
	size_t path_len;
};

struct capture {
	struct bb_record rec;
	pid_t pid;		/* from SO_PEERCRED */
	uid_t uid;
	gid_t gid;
	char *maps;		/* text of /proc/PID/maps */
	size_t maps_len;
	char *cmdline;		/* NUL-separated argv, may be NULL */
	size_t cmdline_len;
	struct capture_mapping *mappings;	/* the file mappings of maps, in order */
	size_t n_mappings;
	char *exe;		/* the kernel's word, never the record's (a drop's: its record's) */
	uint64_t written_at;	/* a drop: when it was written (the file's mtime); 0: live */
	const char *name;	/* the program's name: exe's base name */
	struct capture_frame *frames;	/* crash site first */
	size_t n_frames;
	bool frames_truncated;	/* the walk hit its limit or the hold's end */
	size_t frames_omitted;	/* middle frames dropped after frames[CAPTURE_HEAD_FRAMES - 1] */
	uint64_t omitted_sp;	/* the first one's stack pointer (0: unknown): where frame
				 * CAPTURE_HEAD_FRAMES - 1's stack ends */
	char unwind_error[128];	/* why the walk stopped early, if it did */
	struct snapshot mem;	/* stack + what registers and stack point to */
	bool mem_failed;	/* out of memory for the snapshot's ranges */
	struct capture_file *files;	/* the mapped files, opened during the hold */
	size_t n_files;
	struct capture_thread *threads;	/* the other threads, NULL if none */
	size_t n_threads;
	size_t threads_total;	/* threads in the process, including the crashed one */
	char threads_error[128];	/* why other threads are missing, if they are */
	char *abort_msg;	/* glibc's __abort_msg: assert text, heap corruption... */
	char *panic_payload;	/* a Rust panic's message from its payload, when the
				 * hook's words are missing (rust_payload.h) */
	bool has_exception;	/* the last C++ exception thrown by the thread */
	struct cxx_exception exception;
	struct runtime_capture *runtime;	/* an interpreter's frames (runtime.h), or NULL */
	uint64_t deadline_ms;	/* CLOCK_MONOTONIC: the hold ends here, whatever is left */
	bool hold_expired;
};


/* The held phase: reads maps, unwinds the crashing thread from the
 * record's registers over memfd, copies its stack.  Bounded in time by
 * the size limits above; never blocks on the network. */
enum capture_err capture_crash(struct capture *cap, const struct capture_input *in);

/* A capture that holds only what the root part knows (record, identity):
 * the base of a degraded report.  exe is copied. */
void capture_from_record(struct capture *cap, const struct bb_record *rec, pid_t pid,
		uid_t uid, gid_t gid, const char *exe);
void capture_free(struct capture *cap);
const char *capture_strerror(enum capture_err err);


/* The descriptor of the mapped file at path: -1 when path was not
 * mapped, -2 when it was but could not be opened as the user. */
int capture_file_fd(const struct capture *cap, const char *path);

/* Read from the copied memory (after the process is gone). */
bool capture_read(const struct capture *cap, uint64_t addr, void *buf, size_t len);

/* x86-64 DWARF register numbers that survive a call (callee-saved). */
#define CAPTURE_CALLEE_SAVED ((1u << 3) | (1u << 6) | (1u << 7) | (1u << 12) | \
		(1u << 13) | (1u << 14) | (1u << 15) | (1u << 16))

/* The capture's modules (from its maps text) in a fresh Dwfl that never
 * looks for separate debug info (unwinding needs only .eh_frame, and no
 * download may happen while the process is held) and whose ELF files are
 * the capture's own descriptors.  Use it in the calling thread only. */
struct Dwfl *capture_dwfl_from_maps(const struct capture *cap);

#endif
