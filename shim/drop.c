/*
 * drop.c - when no daemon answers, the crash goes to disk (common/drop.h).
 *
 * Runs in the crash handler: system calls only, static buffers, no libc
 * formatting.  The stack is copied with process_vm_readv one page at a
 * time, so a page that cannot be read (the guard page of an overflowed
 * stack) ends the copy instead of faulting in the handler.  Everything is
 * bounded; a drop that cannot be written is simply not there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>	/* rename(2), a system call */
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "drop.h"
#include "shim.h"

#define PAGE 4096u
#define PATH_CAP 256u

static char custom_dir[PATH_CAP];	/* BOOBOO_DROP_DIR, when set */
static const char *drop_dir = BB_DROP_DEFAULT_DIR;
static unsigned char page[PAGE];	/* only the crashing thread comes here */

void shim_drop_init(const char *dir)
{
	size_t n = dir ? strlen(dir) : 0;

	if (n == 0 || n + 64 >= PATH_CAP || dir[0] != '/')
		return;
	memcpy(custom_dir, dir, n + 1);
	drop_dir = custom_dir;
}

/* ---- async-signal-safe text -------------------------------------------- */

static size_t put_str(char *out, size_t at, const char *s)
{
	while (*s && at + 1 < PATH_CAP)
		out[at++] = *s++;
	out[at] = '\0';
	return at;
}

static size_t put_num(char *out, size_t at, uint64_t v, unsigned base)
{
	char digits[24];
	size_t n = 0;

	do
		digits[n++] = "0123456789abcdef"[v % base];
	while ((v /= base) && n < sizeof(digits));
	while (n && at + 1 < PATH_CAP)
		out[at++] = digits[--n];
	out[at] = '\0';
	return at;
}

/* DIR/.PID-TID-SECONDS-RANDOM.tmp and DIR/PID-TID-SECONDS-RANDOM.drop: the
 * random part so that no one can take the name ahead of us. */
static void drop_paths(const struct bb_record *rec, char *tmp, char *final)
{
	uint64_t rnd = 0;
	size_t a, b;

	if (syscall(SYS_getrandom, &rnd, sizeof(rnd), 0x0001 /* GRND_NONBLOCK */) != sizeof(rnd))
		rnd = rec->time_nsec ^ ((uint64_t)rec->tid << 32);
	a = put_str(tmp, put_str(tmp, 0, drop_dir), "/.");
	b = put_str(final, put_str(final, 0, drop_dir), "/");
	for (int i = 0; i < 2; i++) {
		char *out = i ? final : tmp;
		size_t at = i ? b : a;
		at = put_num(out, at, (uint64_t)rec->pid, 10);
		at = put_str(out, at, "-");
		at = put_num(out, at, (uint64_t)rec->tid, 10);
		at = put_str(out, at, "-");
		at = put_num(out, at, rec->time_sec, 10);
		at = put_str(out, at, "-");
		at = put_num(out, at, rnd, 16);
		put_str(out, at, i ? BB_DROP_SUFFIX : ".tmp");
	}
}

/* ---- the parts ----------------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Up to max bytes of a /proc/self file into the drop; returns how many. */
static uint64_t copy_proc_file(int out, const char *path, uint64_t max)
{
	int in = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t done = 0;

	if (in < 0)
		return 0;
	while (done < max) {
		size_t want = max - done < PAGE ? (size_t)(max - done) : PAGE;
		ssize_t n = read(in, page, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || write_all(out, page, (size_t)n) != 0)
			break;
		done += (uint64_t)n;
	}
	close(in);
	return done;
}

/* From the red zone below the stack pointer up, page by page. */
static uint64_t copy_stack(int out, uint64_t from)
{
	pid_t self = (pid_t)syscall(SYS_getpid);
	uint64_t done = 0, addr = from;

	while (done < BB_DROP_STACK_MAX) {
		size_t want = PAGE - (size_t)(addr % PAGE);
		if (want > BB_DROP_STACK_MAX - done)
			want = (size_t)(BB_DROP_STACK_MAX - done);
		struct iovec local = { .iov_base = page, .iov_len = want };
		struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = want };
		if (syscall(SYS_process_vm_readv, self, &local, 1, &remote, 1, 0) != (long)want ||
		    write_all(out, page, want) != 0)
			break;
		done += want;
		addr += want;
	}
	return done;
}

int shim_drop_write(const struct bb_record *rec)
{
	char tmp[PATH_CAP], final[PATH_CAP];
	struct bb_drop_header h;
	int fd, rc = -1;

	drop_paths(rec, tmp, final);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, BB_DROP_MAGIC, sizeof(h.magic));
	h.version = BB_DROP_VERSION;
	h.header_size = sizeof(h);
	h.record_size = sizeof(*rec);
	h.stack_addr = rec->regs[BB_REG_RSP] > 128 ? rec->regs[BB_REG_RSP] - 128 : 0;
	if (write_all(fd, &h, sizeof(h)) == 0 && write_all(fd, rec, sizeof(*rec)) == 0) {
		h.cmdline_len = (uint32_t)copy_proc_file(fd, "/proc/self/cmdline", BB_DROP_CMDLINE_MAX);
		h.stack_len = rec->has_regs ? copy_stack(fd, h.stack_addr) : 0;
		h.maps_len = copy_proc_file(fd, "/proc/self/maps", BB_DROP_MAPS_MAX);
		/* the lengths last: a drop cut short by a second fault is
		 * refused whole by the daemon, never misread */
		if (pwrite(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) && fsync(fd) == 0)
			rc = 0;
	}
	close(fd);
	if (rc == 0 && rename(tmp, final) != 0)
		rc = -1;
	if (rc != 0)
		unlink(tmp);
	return rc;
}
