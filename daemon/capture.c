/*
 * capture.c - the held phase: unwind the crashing thread with libdwfl over
 * the process's own /proc/PID/mem descriptor, and copy what the later
 * stages will need.  Nothing here touches the network or reads source, so
 * the process is released after a few milliseconds.
 */
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "capture.h"
#include "drop.h"
#include "log.h"
#include "runtime.h"
#include "rust_payload.h"
#include "safe_open.h"
#include "threads.h"
#include "wire.h"

struct walk {
	struct capture *cap;
	int memfd;
	Dwfl *dwfl;
	bool skip_bad_pc;	/* pc was not in any module: start from [rsp] */
	size_t seen;		/* frames walked, including those not kept */
	struct capture_frame tail[CAPTURE_TAIL_FRAMES];	/* ring of the newest outer frames */
	uint64_t start_regs[BB_NREGS];
};

static bool hold_over(struct capture *cap);

/* ---- process files --------------------------------------------------- */

static char *read_fd_all(int fd, size_t max, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf = malloc(cap + 1);

	if (!buf)
		return NULL;
	for (;;) {
		if (n == cap) {
			if (cap >= max)
				break;	/* bounded: a huge maps is cut, not fatal */
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		ssize_t r = pread(fd, buf + n, cap - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* argv, through the /proc/PID directory the root part pinned (the number
 * alone could name another process by now), or as the drop has it. */
static void read_cmdline(struct capture *cap, const struct capture_input *in)
{
	int fd = in->procfd >= 0 ? openat(in->procfd, "cmdline", O_RDONLY | O_CLOEXEC) : -1;

	if (fd >= 0) {
		cap->cmdline = read_fd_all(fd, 64 * 1024, &cap->cmdline_len);
		close(fd);
	} else if (in->drop && (cap->cmdline = malloc(in->drop->cmdline_len + 1))) {
		memcpy(cap->cmdline, in->drop->cmdline, in->drop->cmdline_len + 1);
		cap->cmdline_len = in->drop->cmdline_len;
	}
}

/* The maps text: the process's, or the drop's. */
static char *read_maps(const struct capture_input *in, size_t *len)
{
	if (!in->drop)
		return read_fd_all(in->mapsfd, CAPTURE_MAPS_MAX, len);
	*len = in->drop->maps_len;
	return strndup(in->drop->maps, in->drop->maps_len);
}

/* ---- libdwfl callbacks ------------------------------------------------ */

static int no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
		Dwarf_Addr base, const char *file_name, const char *debuglink_file,
		GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	(void)mod, (void)userdata, (void)modname, (void)base, (void)file_name;
	(void)debuglink_file, (void)debuglink_crc, (void)debuginfo_file_name;
	return -1;
}

/* The held phase's modules come from the files opened as the user while
 * the process was held (capture_files), never from a path opened anew:
 * that path may name a FIFO by now.  [vdso] and other pseudo-files are
 * read from memory as libdwfl does. */
static __thread const struct capture *held_files;	/* of this thread's Dwfl */

static int held_find_elf(Dwfl_Module *mod, void **userdata, const char *modname,
		Dwarf_Addr base, char **file_name, Elf **elfp)
{
	if (modname && modname[0] == '[')
		return dwfl_linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp);
	int fd = held_files ? capture_file_fd(held_files, modname) : -1;
	return fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
}

static const Dwfl_Callbacks held_callbacks = {
	.find_elf = held_find_elf,
	.find_debuginfo = no_debuginfo,
};

Dwfl *capture_dwfl_from_maps(const struct capture *cap)
{
	Dwfl *dwfl = dwfl_begin(&held_callbacks);
	const char *maps = cap->maps;
	size_t len = cap->maps_len;
	FILE *f;

	if (!dwfl)
		return NULL;
	held_files = cap;
	f = fmemopen((void *)maps, len ? len : 1, "r");
	if (!f) {
		dwfl_end(dwfl);
		return NULL;
	}
	dwfl_report_begin(dwfl);
	int rc = dwfl_linux_proc_maps_report(dwfl, f);
	fclose(f);
	if (rc != 0 || dwfl_report_end(dwfl, NULL, NULL) != 0) {
		bb_log(BB_LOG_WARN, "reporting modules from maps: %s",
		       rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
		/* Keep what was reported: a partial picture beats none. */
	}
	return dwfl;
}

static pid_t walk_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct walk *w = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = w;
	return w->cap->rec.tid;
}

static bool walk_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct walk *w = arg;

	(void)dwfl;
	/* the stack was copied first: most of what the unwinder reads is
	 * there, without a system call per word */
	return snapshot_read(&w->cap->mem, addr, result, sizeof(*result)) ||
	       pread(w->memfd, result, sizeof(*result), (off_t)addr) == sizeof(*result);
}

static bool walk_set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct walk *w = arg;

	return dwfl_thread_state_registers(thread, 0, BB_NREGS,
			(const Dwarf_Word *)w->start_regs);
}

static const Dwfl_Thread_Callbacks walk_callbacks = {
	.next_thread = walk_next_thread,
	.memory_read = walk_memory_read,
	.set_initial_registers = walk_set_initial_registers,
};

static struct capture_frame *walk_slot(struct walk *w)
{
	struct capture *cap = w->cap;

	if (cap->n_frames < CAPTURE_HEAD_FRAMES)
		return &cap->frames[cap->n_frames++];
	return &w->tail[(w->seen - CAPTURE_HEAD_FRAMES) % CAPTURE_TAIL_FRAMES];
}

static int walk_frame(Dwfl_Frame *state, void *arg)
{
	struct walk *w = arg;
	struct capture *cap = w->cap;
	struct capture_frame *f;
	Dwarf_Addr pc;
	bool activation;

	if (w->seen == CAPTURE_WALK_LIMIT || hold_over(cap)) {
		cap->frames_truncated = true;
		return DWARF_CB_ABORT;
	}
	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	f = walk_slot(w);
	w->seen++;
	memset(f, 0, sizeof(*f));
	f->pc = pc;
	f->activation = activation;
	/* The first frame after a skipped bad pc is a return address. */
	if (w->skip_bad_pc && w->seen == 2)
		f->activation = false;
	for (unsigned i = 0; i < BB_NREGS; i++) {
		Dwarf_Word v;
		if (dwfl_frame_reg(state, i, &v) == 0) {
			f->regs[i] = v;
			f->regs_known |= 1u << i;
		}
	}
	if (w->seen == CAPTURE_HEAD_FRAMES + 1 && (f->regs_known & (1u << BB_REG_RSP)))
		cap->omitted_sp = f->regs[BB_REG_RSP];	/* in case the middle is left out */
	return DWARF_CB_OK;
}

/* Append the ring's frames, oldest walked first, after the head. */
static void walk_finish(struct walk *w)
{
	struct capture *cap = w->cap;

	if (w->seen <= CAPTURE_HEAD_FRAMES)
		return;
	size_t in_tail = w->seen - CAPTURE_HEAD_FRAMES;
	size_t keep = in_tail < CAPTURE_TAIL_FRAMES ? in_tail : CAPTURE_TAIL_FRAMES;
	size_t first = in_tail - keep;	/* index in tail order of the first kept */

	for (size_t i = 0; i < keep; i++)
		cap->frames[cap->n_frames++] = w->tail[(first + i) % CAPTURE_TAIL_FRAMES];
	cap->frames_omitted = in_tail - keep;
}

/* A call through a NULL or garbage pointer leaves pc outside every module;
 * libdwfl would then lose the caller.  Record that pc as its own frame and
 * unwind from the return address the call pushed at [rsp]. */
static void prepare_start(struct walk *w)
{
	struct capture *cap = w->cap;
	uint64_t pc = cap->rec.regs[BB_REG_RIP], rsp = cap->rec.regs[BB_REG_RSP], ret;

	memcpy(w->start_regs, cap->rec.regs, sizeof(w->start_regs));
	if (dwfl_addrmodule(w->dwfl, pc) != NULL)
		return;
	if (pread(w->memfd, &ret, sizeof(ret), (off_t)rsp) != sizeof(ret) ||
	    dwfl_addrmodule(w->dwfl, ret) == NULL)
		return;
	struct capture_frame *f = &cap->frames[cap->n_frames++];
	w->seen++;
	f->pc = pc;
	f->activation = true;
	memcpy(f->regs, cap->rec.regs, sizeof(f->regs));
	f->regs_known = (1u << BB_NREGS) - 1;
	w->start_regs[BB_REG_RIP] = ret;
	w->start_regs[BB_REG_RSP] = rsp + 8;
	w->skip_bad_pc = true;
}

static void unwind(struct walk *w)
{
	struct capture *cap = w->cap;

	prepare_start(w);
	if (!dwfl_attach_state(w->dwfl, NULL, cap->pid, &walk_callbacks, w)) {
		snprintf(cap->unwind_error, sizeof(cap->unwind_error),
			 "attach: %s", dwfl_errmsg(-1));
		return;
	}
	size_t before = cap->n_frames;
	int rc = dwfl_getthread_frames(w->dwfl, cap->rec.tid, walk_frame, w);
	walk_finish(w);
	if (rc != 0 && !cap->frames_truncated && cap->n_frames == before)
		snprintf(cap->unwind_error, sizeof(cap->unwind_error),
			 "%s", dwfl_errmsg(-1));
}

/* ---- the mapped files --------------------------------------------------------- */

/* The file mappings of the maps text, parsed once: every later step
 * (files, the program check, the summary for the root part) walks this. */
static bool parse_mapping(const char *line, size_t len, struct capture_mapping *m)
{
	unsigned long long lo, hi;
	int at = 0;

	if (sscanf(line, "%llx-%llx %*s %*s %x:%x %llu %n", &lo, &hi, &m->maj, &m->min,
		   &m->ino, &at) != 5 || at <= 0 || (size_t)at >= len || line[at] != '/')
		return false;
	m->lo = lo;
	m->hi = hi;
	m->path = line + at;
	m->path_len = len - (size_t)at;
	return true;
}

static void parse_mappings(struct capture *cap)
{
	size_t lines = 1;

	for (const char *p = cap->maps; (p = strchr(p, '\n')); p++)
		lines++;
	cap->mappings = calloc(lines, sizeof(*cap->mappings));
	for (const char *p = cap->maps; cap->mappings && p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (parse_mapping(p, len, &cap->mappings[cap->n_mappings]))
			cap->n_mappings++;
		p = eol ? eol + 1 : NULL;
	}
}

/* The path still names the file that was mapped, and the user may read it. */
static int open_if_same(const struct capture_mapping *m, const char *path)
{
	struct stat st;
	int fd = safe_open_file(path, &st);

	if (fd >= 0 && (st.st_ino != m->ino || major(st.st_dev) != m->maj ||
			minor(st.st_dev) != m->min)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

struct pending_files {
	struct wire_range r[WIRE_MAX_RANGES];
	size_t slot[WIRE_MAX_RANGES];	/* index in cap->files */
	size_t n;
};

/* Files whose path names another file now (an upgrade, a swap, a deleted
 * file): the root part opens /proc/PID/map_files/LO-HI as O_PATH and the
 * worker opens that anew, so the kernel checks the user's right to read. */
static void open_through_root(struct capture *cap, const struct capture_input *in,
		struct pending_files *p)
{
	int fds[WIRE_MAX_RANGES];

	if (!p->n || !in->need_files || in->need_files(in->need_files_arg, p->r, p->n, fds) != 0)
		return;
	for (size_t i = 0; i < p->n; i++) {
		if (fds[i] < 0)
			continue;
		cap->files[p->slot[i]].fd = safe_reopen(fds[i], NULL);
		close(fds[i]);
	}
}

static void open_mapped_files(struct capture *cap, const struct capture_input *in)
{
	struct pending_files pend = { .n = 0 };

	cap->files = calloc(CAPTURE_MAX_FILES, sizeof(*cap->files));
	if (!cap->files)
		return;
	for (size_t i = 0; i < cap->n_mappings && cap->n_files < CAPTURE_MAX_FILES; i++) {
		const struct capture_mapping *m = &cap->mappings[i];
		char *path = strndup(m->path, m->path_len);
		if (path && capture_file_fd(cap, path) == -1) {
			struct capture_file *f = &cap->files[cap->n_files];
			f->path = path;
			f->fd = open_if_same(m, path);
			if (f->fd < 0 && pend.n < WIRE_MAX_RANGES) {
				pend.r[pend.n] = (struct wire_range){ m->lo, m->hi };
				pend.slot[pend.n++] = cap->n_files;
			}
			cap->n_files++;
			path = NULL;
		}
		free(path);
	}
	open_through_root(cap, in, &pend);
}

/* The program the kernel says the process runs must be one the memory we
 * were sent has mapped: else the sender exec'd another program (a setuid
 * one, say) after it sent its record, and the process held now is not
 * the one whose memory this is. */
static bool runs_mapped_program(const struct capture *cap, const struct capture_input *in)
{
	for (size_t i = 0; i < cap->n_mappings; i++) {
		const struct capture_mapping *m = &cap->mappings[i];
		if ((m->ino == in->exe_ino && makedev(m->maj, m->min) == in->exe_dev) ||
		    (m->path_len == strlen(in->exe) && memcmp(m->path, in->exe, m->path_len) == 0))
			return true;
	}
	return false;
}

int capture_file_fd(const struct capture *cap, const char *path)
{
	for (size_t i = 0; path && i < cap->n_files; i++)
		if (strcmp(cap->files[i].path, path) == 0)
			return cap->files[i].fd >= 0 ? cap->files[i].fd : -2;
	return -1;
}

/* ---- memory copy -------------------------------------------------------- */

/* elfutils 0.188's x86-64 default "same value" rule names rax where rbx is
 * meant: rbx goes missing in callers and rax looks known.  Callers only
 * ever hold values that survive a call in callee-saved registers, so keep
 * those, carrying rbx down from the inner frame when the CFI lost it. */
static void fix_caller_registers(struct capture *cap)
{
	for (size_t i = 1; i < cap->n_frames; i++) {
		struct capture_frame *f = &cap->frames[i], *inner = &cap->frames[i - 1];
		if (!(f->regs_known & (1u << 3)) && (inner->regs_known & (1u << 3))) {
			f->regs[3] = inner->regs[3];
			f->regs_known |= 1u << 3;
		}
		f->regs_known &= CAPTURE_CALLEE_SAVED;
	}
}

/* The crashing thread's stack, before anything else reads it. */
static void copy_stack(struct capture *cap, const struct capture_input *in)
{
	uint64_t sp = cap->rec.regs[BB_REG_RSP];
	uint64_t lo = sp > 128 ? sp - 128 : 0;	/* the x86-64 red zone */

	if (snapshot_init(&cap->mem, cap->maps) != 0) {
		cap->mem_failed = true;
		return;
	}
	if (in->drop)
		snapshot_add(&cap->mem, in->drop->stack_addr, in->drop->stack, in->drop->stack_len);
	else if (cap->rec.has_regs)
		snapshot_copy(&cap->mem, in->memfd, lo, CAPTURE_STACK_MAX);
}

/* What the stack and the registers point to (two levels). */
static void copy_memory(struct capture *cap, int memfd)
{
	if (cap->mem_failed)
		return;
	size_t n_words = 0;
	uint64_t *words = snapshot_words(&cap->mem, &n_words);
	size_t n_seeds = n_words + BB_NREGS * (cap->n_frames + 1);
	uint64_t *seeds = malloc(n_seeds * sizeof(*seeds));
	if (seeds) {
		size_t k = 0;
		for (size_t i = 0; i < n_words; i++)
			seeds[k++] = words[i];
		for (int r = 0; r < BB_NREGS; r++)
			seeds[k++] = cap->rec.regs[r];
		for (size_t i = 0; i < cap->n_frames; i++)
			for (int r = 0; r < BB_NREGS; r++)
				if (cap->frames[i].regs_known & (1u << r))
					seeds[k++] = cap->frames[i].regs[r];
		snapshot_follow(&cap->mem, memfd, seeds, k, cap->deadline_ms);
	}
	free(seeds);
	free(words);
}

bool capture_read(const struct capture *cap, uint64_t addr, void *buf, size_t len)
{
	return snapshot_read(&cap->mem, addr, buf, len);
}

/* ---- why abort() was called --------------------------------------------- */

static int find_symbol_in_module(Dwfl_Module *mod, void **ud, const char *name,
		Dwarf_Addr start, void *arg)
{
	struct find { const char *soname, *symbol; uint64_t addr; } *f = arg;

	(void)ud, (void)start;
	if (!name || !strstr(name, f->soname))
		return DWARF_CB_OK;
	int n = dwfl_module_getsymtab(mod);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		const char *s = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
		if (s && strncmp(s, f->symbol, strlen(f->symbol)) == 0 &&
		    (s[strlen(f->symbol)] == '\0' || s[strlen(f->symbol)] == '@')) {
			f->addr = addr;
			return DWARF_CB_ABORT;
		}
	}
	return DWARF_CB_ABORT;
}

/* Address of a data symbol in the module whose path contains `soname`. */
static uint64_t find_symbol(Dwfl *dwfl, const char *soname, const char *symbol)
{
	struct find { const char *soname, *symbol; uint64_t addr; } f = { soname, symbol, 0 };

	dwfl_getmodules(dwfl, find_symbol_in_module, &f, 0);
	return f.addr;
}

/* glibc keeps the text of a failed assert() or of its own fatal errors
 * ("malloc(): corrupted top size") in __abort_msg before it aborts:
 * struct { unsigned int size; char msg[]; } *. */
static void read_abort_msg(struct capture *cap, Dwfl *dwfl, int memfd)
{
	uint64_t sym = find_symbol(dwfl, "libc.so", "__abort_msg"), ptr;
	char buf[BB_MESSAGE_MAX];

	if (!sym || pread(memfd, &ptr, 8, (off_t)sym) != 8 || ptr == 0)
		return;
	ssize_t n = pread(memfd, buf, sizeof(buf) - 1, (off_t)(ptr + 4));
	if (n <= 0)
		return;
	buf[n] = '\0';
	size_t len = strlen(buf);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	if (len)
		cap->abort_msg = strdup(buf);
}

/* The C++ exception the record names: the last one this thread threw
 * (an abort may be std::terminate's), or the one a catch block handed to
 * booboo_capture_exception. */
static void read_exception(struct capture *cap, Dwfl *dwfl, int memfd)
{
	if (cap->rec.exc_tinfo &&
	    cxx_exception_read(&cap->exception, dwfl, memfd, cap->rec.exc_object,
			       cap->rec.exc_tinfo, cap->rec.kind != BB_REC_ERROR) == 0)
		cap->has_exception = true;
}

/* ---- entry -------------------------------------------------------------- */

static bool hold_over(struct capture *cap)
{
	if (!cap->hold_expired && bb_now_ms() >= cap->deadline_ms)
		cap->hold_expired = true;
	return cap->hold_expired;
}

/* Still the program the root part pinned?  A process held in the shim's
 * handler cannot exec: one that did (or that this user may no longer
 * look at, a setuid program) sent memory that is not what it now runs. */
static bool still_runs(const struct capture_input *in)
{
	char now[PATH_MAX];
	ssize_t n = readlinkat(in->procfd, "exe", now, sizeof(now) - 1);

	if (n < 0)
		return errno != EACCES && errno != EPERM;	/* gone: its memory may be read */
	now[n] = '\0';
	return strcmp(now, in->exe) == 0;
}

static void set_identity(struct capture *cap, const struct bb_record *rec, pid_t pid,
		uid_t uid, gid_t gid, const char *exe)
{
	cap->rec = *rec;
	cap->pid = pid;
	cap->uid = uid;
	cap->gid = gid;
	cap->exe = strdup(exe ? exe : "");
	const char *slash = cap->exe ? strrchr(cap->exe, '/') : NULL;
	cap->name = slash ? slash + 1 : cap->exe ? cap->exe : "";
}

void capture_from_record(struct capture *cap, const struct bb_record *rec, pid_t pid,
		uid_t uid, gid_t gid, const char *exe)
{
	memset(cap, 0, sizeof(*cap));
	set_identity(cap, rec, pid, uid, gid, exe);
}

static void unwind_and_read(struct capture *cap, struct walk *w, int memfd)
{
	const struct bb_record *rec = &cap->rec;

	unwind(w);
	if (rec->signo == SIGABRT)
		read_abort_msg(cap, w->dwfl, memfd);
	if (rec->signo == SIGABRT || rec->kind == BB_REC_ERROR)
		read_exception(cap, w->dwfl, memfd);
	if (rec->kind == BB_REC_PANIC && !rec->message[0] && w->memfd >= 0)
		cap->panic_payload = rust_payload_read(memfd, rec->exc_object);
	/* an interpreter's own frames (a live process's: a drop has none of
	 * its heap): this thread's now, the others' while threads_capture
	 * has each stopped */
	if (w->memfd >= 0)
		runtime_capture_begin(cap, w->dwfl, memfd);
	dwfl_end(w->dwfl);
	fix_caller_registers(cap);
	if (rec->kind == BB_REC_CRASH && w->memfd >= 0)
		threads_capture(cap);	/* a live process: its other threads */
	runtime_capture_end(cap);
}

enum capture_err capture_crash(struct capture *cap, const struct capture_input *in)
{
	static struct walk w;	/* big (the tail ring): not on the stack */

	memset(&w, 0, sizeof(w));
	w.cap = cap;
	w.memfd = in->memfd;
	memset(cap, 0, sizeof(*cap));
	cap->deadline_ms = in->deadline_ms;
	set_identity(cap, in->rec, in->pid, in->uid, in->gid, in->exe);
	if (!cap->exe)
		return CAPTURE_ENOMEM;
	cap->maps = read_maps(in, &cap->maps_len);
	if (!cap->maps || cap->maps_len == 0)
		return CAPTURE_EMAPS;
	parse_mappings(cap);
	if (!in->drop && (!runs_mapped_program(cap, in) || !still_runs(in)))
		return CAPTURE_EEXEC;
	read_cmdline(cap, in);
	open_mapped_files(cap, in);
	cap->frames = calloc(CAPTURE_MAX_FRAMES, sizeof(*cap->frames));
	if (!cap->frames)
		return CAPTURE_ENOMEM;
	copy_stack(cap, in);
	if (in->rec->has_regs) {
		w.dwfl = capture_dwfl_from_maps(cap);
		if (!w.dwfl)
			return CAPTURE_EDWFL;
		unwind_and_read(cap, &w, in->memfd);
	}
	if (!in->drop)
		copy_memory(cap, in->memfd);
	return CAPTURE_OK;
}

void capture_free(struct capture *cap)
{
	free(cap->maps);
	free(cap->mappings);
	free(cap->cmdline);
	free(cap->exe);
	free(cap->frames);
	snapshot_free(&cap->mem);
	free(cap->abort_msg);
	free(cap->panic_payload);
	free(cap->threads);
	for (size_t i = 0; i < cap->n_files; i++) {
		if (cap->files[i].fd >= 0)
			close(cap->files[i].fd);
		free(cap->files[i].path);
	}
	free(cap->files);
	cxx_exception_free(&cap->exception);
	runtime_free(cap->runtime);
	memset(cap, 0, sizeof(*cap));
}

const char *capture_strerror(enum capture_err err)
{
	switch (err) {
	case CAPTURE_OK: return "ok";
	case CAPTURE_EMAPS: return "cannot read the process's memory map";
	case CAPTURE_EDWFL: return "cannot set up libdwfl";
	case CAPTURE_ENOMEM: return "out of memory";
	case CAPTURE_EEXEC: return "the process runs another program than the memory it sent "
				   "(it exec'd after sending its record)";
	}
	return "unknown capture error";
}
