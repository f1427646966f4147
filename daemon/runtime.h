/*
 * runtime.h - the runtime stage: when the crashed process runs an
 * interpreter (CPython 3.11 to 3.13), the frames of the code it was
 * interpreting, read from its memory while it is held, then put in place
 * of the interpreter's own C frames in every thread's stack.
 *
 * Held phase (capture.c, threads.c): runtime_capture_begin recognises the
 * interpreter and reads the crashed thread's frames; every other thread's
 * are read while threads.c has it stopped (runtime_capture_thread);
 * runtime_capture_end reads what is left and drops what only the hold
 * needed.  Nothing is executed in the process: its memory is read, each
 * read bounded, each structure checked against its type.
 *
 * After the release (pipeline.c): runtime_merge.
 */
#ifndef BB_RUNTIME_H
#define BB_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

struct capture;
struct symbolized;
struct Dwfl;

/* Frames of a thread kept: the innermost RT_HEAD, the outermost RT_TAIL. */
#define RT_HEAD_FRAMES 256
#define RT_TAIL_FRAMES 64
#define RT_VARS_MAX 50		/* the Python SDK's limit per frame */
#define RT_VALUE_MAX 200	/* characters of one value, "..." included */

struct rt_var {
	char *name;
	char *value;		/* as repr() shows it, at most RT_VALUE_MAX characters */
};

/* One frame of interpreted code, innermost first in its thread. */
struct rt_frame {
	char *filename;		/* as the code object has it */
	char *function;
	int lineno;		/* 0: none */
	struct rt_var *vars;
	size_t n_vars;
	bool vars_truncated;
	uint64_t anchor;	/* an address on the C stack of the native frame that
				 * ran it (0: unknown): where it goes in the stack */
};

struct rt_thread {
	pid_t tid;
	struct rt_frame *frames;	/* innermost first */
	size_t n_frames;
	size_t omitted;		/* left out after frames[RT_HEAD_FRAMES - 1] */
	size_t unreadable;	/* frames whose code could not be read: left out */
	bool truncated;		/* the chain was not read to its end */
	bool loops;		/* the chain came back to a frame: none kept */
};

struct rt_hold;

struct runtime_capture {
	const char *name;	/* "CPython" */
	char version[24];	/* "3.11.2" */
	char error[192];	/* why frames are missing, if they are */
	char layout[96];	/* where the struct offsets came from */
	char *module;		/* the interpreter's file: its C frames are not the program's */
	struct rt_thread *threads;
	size_t n_threads;
	/* After the release, before the merge: false when what the frames were
	 * read with proves wrong (a layout checked against the interpreter's
	 * DWARF); they are dropped then.  NULL: nothing to check. */
	bool (*verify)(const struct runtime_capture *rt, struct symbolized *sym,
		       const struct capture *cap);
	const void *verify_arg;
	unsigned long verify_version;
	struct rt_hold *hold;	/* the held phase only */
};

/* Held phase.  dwfl: the capture's (module layout, symbol tables). */
void runtime_capture_begin(struct capture *cap, struct Dwfl *dwfl, int memfd);
/* Thread tid is stopped now (threads.c): read its frames. */
void runtime_capture_thread(struct capture *cap, pid_t tid);
void runtime_capture_end(struct capture *cap);

void runtime_free(struct runtime_capture *rt);
void runtime_free_frame(struct rt_frame *f);

/* After the release: each thread's interpreter frames put in place of
 * the C frames that ran them, the interpreter's own call machinery left
 * out, in_app by the language's rule, sensitive names scrubbed. */
void runtime_merge(struct symbolized *sym, struct capture *cap, const struct bb_config *cfg);


/* ---- for the runtimes' own files ------------------------------------------ */

/* Reads the held process's memory; false when addr..addr+len is not
 * readable or the stage's budget is spent. */
struct rt_reader {
	bool (*read)(void *arg, uint64_t addr, void *buf, size_t len);
	void *arg;
};

#endif
