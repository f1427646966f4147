/*
 * sandbox.c - dropping a worker to the crashing user's rights (see
 * sandbox.h), and the seccomp filter the worker then puts on itself.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

bool sandbox_asan(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return true;
#else
	return false;
#endif
}

static int cmp_gid(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

	return (x > y) - (x < y);
}

void sandbox_creds_normalize(struct sandbox_creds *c)
{
	size_t n = 0;

	qsort(c->groups, c->n_groups, sizeof(gid_t), cmp_gid);
	for (size_t i = 0; i < c->n_groups; i++)
		if (c->groups[i] != c->gid && (n == 0 || c->groups[n - 1] != c->groups[i]))
			c->groups[n++] = c->groups[i];
	c->n_groups = n;
}

static int set_limit(int resource, unsigned long value)
{
	struct rlimit rl = { .rlim_cur = value, .rlim_max = value };

	return syscall(SYS_prlimit64, 0, resource, &rl, NULL) == 0 ? 0 : errno;
}

static int set_limits(const struct sandbox_limits *l)
{
	int rc = 0;

	if (!rc && l->memory_bytes)
		rc = set_limit(RLIMIT_AS, l->memory_bytes);
	if (!rc && l->cpu_seconds)
		rc = set_limit(RLIMIT_CPU, l->cpu_seconds);
	if (!rc && l->open_files)
		rc = set_limit(RLIMIT_NOFILE, l->open_files);
	if (!rc)
		rc = set_limit(RLIMIT_CORE, 0);	/* a worker's core would hold user data */
	return rc;
}

/* Root's capabilities, for good: the bounding set, the ambient set, and
 * the securebits that would give them back to uid 0 at exec.  Only a root
 * parent has anything to drop.  `keep` (a capability number, or -1)
 * stays in the bounding set. */
static int drop_capabilities(int keep)
{
	for (int cap = 0; cap <= 63; cap++)
		if (cap != keep && syscall(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 &&
		    errno != EINVAL)
			return errno;
	if (syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
	    errno != EINVAL)
		return errno;
	if (syscall(SYS_prctl, PR_SET_SECUREBITS,
		    SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
		    SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0) != 0)
		return errno;
	return 0;
}

/* All sets empty, or holding only `keep`, which then also survives the
 * exec as an ambient capability. */
static int set_capabilities(int keep)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct sets[2] = { { 0 } };

	if (keep >= 0) {
		uint32_t bit = 1u << (keep % 32);
		sets[keep / 32] = (struct __user_cap_data_struct){ bit, bit, bit };
	}
	if (syscall(SYS_capset, &hdr, sets) != 0)
		return errno;
	if (keep >= 0 && syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, keep, 0, 0) != 0)
		return errno;
	return 0;
}

static int become(const struct sandbox_creds *c)
{
	if (syscall(SYS_setgroups, c->n_groups, c->groups) != 0)
		return errno;
	if (syscall(SYS_setresgid, c->gid, c->gid, c->gid) != 0)
		return errno;
	if (syscall(SYS_setresuid, c->uid, c->uid, c->uid) != 0)
		return errno;
	return 0;
}

int sandbox_drop(const struct sandbox_creds *c, const struct sandbox_limits *l, pid_t parent)
{
	int rc = 0;

	/* A root user's programs have capabilities: a tracer without
	 * CAP_SYS_PTRACE may not stop their threads (the kernel asks a
	 * tracer to hold every capability its tracee holds). */
	int keep = c->uid == 0 ? CAP_SYS_PTRACE : -1;

	if (syscall(SYS_geteuid) == 0) {
		rc = drop_capabilities(keep);
		if (!rc)
			rc = become(c);
		if (!rc)
			rc = set_capabilities(keep);
	}
	if (!rc)
		rc = set_limits(l);
	if (!rc && syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		rc = errno;
	/* After the uid change, which clears it: the worker dies with the
	 * root part, and a root part that died already is not waited for. */
	if (!rc && syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
		rc = errno;
	if (!rc && syscall(SYS_getppid) != parent)
		rc = ESRCH;
	return rc;
}

/* ---- seccomp ---------------------------------------------------------------- */

/* Refused with EPERM: what a report never needs, and what would let a
 * compromised worker become something else (exec) or reach kernel
 * surface beyond reading files and the processes it was given. */
static const int denied[] = {
	SYS_execve, SYS_execveat, SYS_bpf, SYS_perf_event_open, SYS_userfaultfd,
	SYS_keyctl, SYS_add_key, SYS_request_key, SYS_unshare, SYS_setns, SYS_mount,
	SYS_umount2, SYS_pivot_root, SYS_chroot, SYS_init_module, SYS_finit_module,
	SYS_delete_module, SYS_kexec_load, SYS_kexec_file_load, SYS_reboot, SYS_swapon,
	SYS_swapoff, SYS_acct, SYS_quotactl, SYS_open_by_handle_at, SYS_name_to_handle_at,
	SYS_fanotify_init, SYS_io_uring_setup, SYS_process_vm_writev, SYS_personality,
	SYS_iopl, SYS_ioperm, SYS_vhangup, SYS_settimeofday, SYS_clock_settime,
};

#define NS_FLAGS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | \
		CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)
#define N_DENIED (sizeof(denied) / sizeof(denied[0]))
#define RET_ERRNO(e) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (e))

int sandbox_seccomp(void)
{
	struct sock_filter f[8 + 2 * N_DENIED + 8];
	size_t n = 0;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			offsetof(struct seccomp_data, nr));
	/* the x32 system call numbers: another table, none of ours */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1);
	f[n++] = (struct sock_filter)RET_ERRNO(EPERM);
	for (size_t i = 0; i < N_DENIED; i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
				(unsigned)denied[i], 0, 1);
		f[n++] = (struct sock_filter)RET_ERRNO(EPERM);
	}
	/* clone3 hides its flags behind a pointer: ENOSYS makes libc fall
	 * back to clone, whose flags can be read here. */
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1);
	f[n++] = (struct sock_filter)RET_ERRNO(ENOSYS);
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			offsetof(struct seccomp_data, args[0]));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1);
	f[n++] = (struct sock_filter)RET_ERRNO(EPERM);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);

	struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0 ? 0 : -1;
}
