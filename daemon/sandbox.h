/*
 * sandbox.h - the rights a worker runs with: exactly the crashing user's.
 *
 * The root part forks, and the child takes the user's uid, gid and
 * supplementary groups, loses every capability (also when the user is
 * root: uid 0 without capabilities reads what root's files allow, not
 * everything; it keeps CAP_SYS_PTRACE alone, without which the kernel lets
 * no one stop the threads of a process that has capabilities), sets
 * no_new_privs and resource limits, and only then
 * executes boobood-worker.  The worker then installs a seccomp filter of
 * its own.  Everything in the child path is a raw system call: the parent
 * has threads, so nothing that may take a lock runs between fork and exec.
 */
#ifndef BB_SANDBOX_H
#define BB_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SANDBOX_MAX_GROUPS 256

struct sandbox_creds {
	uid_t uid;
	gid_t gid;
	gid_t groups[SANDBOX_MAX_GROUPS];
	size_t n_groups;
};

/* Groups sorted, once each, without the primary gid (the kernel checks
 * that one anyway): the same rights have the same creds, however they
 * were learnt (SO_PEERGROUPS, the user database). */
void sandbox_creds_normalize(struct sandbox_creds *c);

struct sandbox_limits {
	unsigned long memory_bytes;	/* RLIMIT_AS; 0: none (sanitizer builds) */
	unsigned long cpu_seconds;	/* RLIMIT_CPU: a backstop, the watchdog acts first */
	unsigned long open_files;	/* RLIMIT_NOFILE */
};

/* In the forked child, before exec: become `c` with no capabilities and
 * the limits `l`, and die with the parent.  Async-signal-safe.  Returns 0,
 * or the errno of the step that failed (the child must then _exit). */
int sandbox_drop(const struct sandbox_creds *c, const struct sandbox_limits *l, pid_t parent);

/* In the worker: the seccomp filter (no exec, none of the kernel
 * interfaces a worker never needs).  0, or -1 with errno. */
int sandbox_seccomp(void);

/* Is this build instrumented by AddressSanitizer (which reserves terabytes
 * of address space, so RLIMIT_AS cannot apply)? */
bool sandbox_asan(void);

#endif
