/*
 * worker.c - boobood-worker: the crashes of one user, with that user's
 * rights and no more (sandbox.h).  Everything that parses what the user
 * controls happens here: the capture (maps, the stack, .eh_frame while
 * the process is held), then symbolization, source and locals.  The root
 * part started it already dropped; it asks for no privilege, and what it
 * sends back (wire.h) is checked like any other untrusted input.
 *
 * The main thread takes one job at a time from the root part, captures
 * it and answers WIRE_CAPTURED (the root part then releases the process);
 * the report thread (pipeline.c) describes captured jobs and answers
 * WIRE_EVENT with the finished event in a memfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "clock.h"
#include "capture.h"
#include "config.h"
#include "drop.h"
#include "event.h"
#include "log.h"
#include "pipeline.h"
#include "sandbox.h"
#include "wire.h"

#define CONFIG_MAX (1u << 20)

struct worker {
	struct bb_config cfg;
	int chan;
	struct pipeline *pipeline;
	uint64_t job;		/* being captured */
	uint64_t deadline_ms;
};

/* ---- asking the root part for map_files --------------------------------------- */

static int wait_files(struct worker *w, int *fds, size_t n)
{
	union { struct wire_files f; char buf[WIRE_MSG_MAX]; } m;
	int got[WIRE_MAX_RANGES];
	size_t nfd, k = 0;

	for (;;) {
		uint64_t now = bb_now_ms();
		struct pollfd p = { .fd = w->chan, .events = POLLIN };
		if (now >= w->deadline_ms || poll(&p, 1, (int)(w->deadline_ms - now)) <= 0)
			return -1;
		ssize_t len = wire_recv(w->chan, m.buf, sizeof(m.buf), got, &nfd, true);
		if (len < 0 && errno == EAGAIN)
			continue;
		if (len <= 0 || m.f.h.type != WIRE_FILES || m.f.h.job != w->job || m.f.n != n) {
			for (size_t i = 0; i < nfd; i++)
				close(got[i]);
			bb_log(BB_LOG_ERR, "unexpected answer from boobood while waiting for files");
			return -1;
		}
		for (size_t i = 0; i < n; i++)
			fds[i] = m.f.ok[i] ? got[k++] : -1;
		return 0;
	}
}

static int ask_root_for_files(void *arg, const struct wire_range *r, size_t n, int *fds)
{
	struct worker *w = arg;
	struct wire_need_files m;

	memset(&m, 0, sizeof(m));
	wire_init_hdr(&m.h, WIRE_NEED_FILES, w->job);
	m.n = (uint32_t)n;
	memcpy(m.r, r, n * sizeof(*r));
	if (wire_send(w->chan, &m, sizeof(m), NULL, 0) != 0)
		return -1;
	return wait_files(w, fds, n);
}

/* ---- what a degraded report needs ------------------------------------------------- */

static bool same_path(const struct wire_module *w, const struct capture_mapping *m)
{
	return m->path_len < WIRE_PATH_MAX && strncmp(w->path, m->path, m->path_len) == 0 &&
	       w->path[m->path_len] == '\0';
}

/* The module (file) a frame's pc is in, added to c->modules if new. */
static void add_module_of(struct wire_captured *c, const struct capture *cap, uint64_t pc)
{
	for (size_t k = 0; k < cap->n_mappings; k++) {
		const struct capture_mapping *m = &cap->mappings[k];
		if (pc < m->lo || pc >= m->hi || m->path_len >= WIRE_PATH_MAX)
			continue;
		for (uint32_t i = 0; i < c->n_modules; i++)
			if (same_path(&c->modules[i], m))
				return;
		if (c->n_modules == WIRE_MODULES)
			return;
		struct wire_module *w = &c->modules[c->n_modules++];
		memcpy(w->path, m->path, m->path_len);
		w->lo = UINT64_MAX;
		return;
	}
}

/* Each module's range: the span of all mappings of its file. */
static void module_ranges(struct wire_captured *c, const struct capture *cap)
{
	for (size_t k = 0; k < cap->n_mappings; k++)
		for (uint32_t i = 0; i < c->n_modules; i++) {
			struct wire_module *w = &c->modules[i];
			const struct capture_mapping *m = &cap->mappings[k];
			if (same_path(w, m)) {
				w->lo = m->lo < w->lo ? m->lo : w->lo;
				w->hi = m->hi > w->hi ? m->hi : w->hi;
			}
		}
}

static void summarize(struct wire_captured *c, const struct capture *cap,
		enum capture_err err)
{
	c->status = err == CAPTURE_EEXEC ? WIRE_CAPTURE_EXECED :
		    err == CAPTURE_OK || cap->n_frames ? WIRE_CAPTURE_OK : WIRE_CAPTURE_FAILED;
	if (err != CAPTURE_OK)
		snprintf(c->error, sizeof(c->error), "%s", capture_strerror(err));
	else if (cap->unwind_error[0])
		snprintf(c->error, sizeof(c->error), "unwind stopped: %s", cap->unwind_error);
	c->n_threads = (uint32_t)cap->n_threads;
	for (size_t i = 0; i < cap->n_frames && c->n_frames < WIRE_FRAMES; i++) {
		c->pc[c->n_frames] = cap->frames[i].pc;
		c->activation[c->n_frames++] = cap->frames[i].activation;
		add_module_of(c, cap, cap->frames[i].pc);
	}
	module_ranges(c, cap);
}

/* ---- one job ------------------------------------------------------------------------- */

static void send_captured(struct worker *w, const struct capture *cap, enum capture_err err)
{
	struct wire_captured *c = calloc(1, sizeof(*c));

	if (!c)
		return;	/* the root part releases the process at the hold's end */
	wire_init_hdr(&c->h, WIRE_CAPTURED, w->job);
	summarize(c, cap, err);
	if (wire_send(w->chan, c, sizeof(*c), NULL, 0) != 0)
		bb_log(BB_LOG_ERR, "cannot answer boobood: %s", strerror(errno));
	free(c);
}

static void handle_job(struct worker *w, const struct wire_job *m, const int fds[3])
{
	uint64_t t0 = bb_now_us();
	struct capture cap;
	struct capture_input in = {
		.rec = &m->rec, .pid = m->pid, .uid = m->uid, .gid = m->gid,
		.memfd = fds[0], .mapsfd = fds[1], .procfd = fds[2],
		.exe = m->exe, .exe_dev = m->exe_dev, .exe_ino = m->exe_ino,
		.deadline_ms = m->deadline_ms,
		.need_files = ask_root_for_files, .need_files_arg = w,
	};

	w->job = m->h.job;
	w->deadline_ms = m->deadline_ms;
	enum capture_err err = capture_crash(&cap, &in);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	send_captured(w, &cap, err);
	if (err != CAPTURE_OK)
		bb_log(err == CAPTURE_EEXEC ? BB_LOG_WARN : BB_LOG_ERR, "crash of pid %d: %s%s",
		       (int)m->pid, capture_strerror(err),
		       err == CAPTURE_EEXEC ? ": not reported" : "; reporting what is known");
	bb_log(BB_LOG_DEBUG, "crash of %s (pid %d): captured in %llu us, %zu frames, %zu threads, "
	       "%zu bytes of memory in %zu regions (%zu reads)%s%s", cap.name ? cap.name : "?",
	       (int)m->pid, (unsigned long long)(bb_now_us() - t0), cap.n_frames, cap.n_threads + 1,
	       cap.mem.bytes, cap.mem.n_regions, cap.mem.reads,
	       cap.unwind_error[0] ? ", unwind stopped: " : "", cap.unwind_error);
	if (err == CAPTURE_EEXEC)
		capture_free(&cap);
	else
		pipeline_crash(w->pipeline, m->h.job, &cap, t0);
}

static void emit(void *arg, uint64_t job, const char *json, size_t len);

/* A drop: the same capture, from the file's stack copy and maps. */
static void handle_drop(struct worker *w, const struct wire_drop *m, int fd)
{
	uint64_t t0 = bb_now_us();
	struct bb_drop drop;
	struct capture cap;
	enum bb_drop_err derr = bb_drop_read(fd, &drop);

	close(fd);
	w->job = m->h.job;
	w->deadline_ms = m->deadline_ms;
	if (derr != BB_DROP_OK) {	/* changed since the root part read it: its owner can */
		bb_log(BB_LOG_ERR, "drop of uid %u: %s", (unsigned)m->uid, bb_drop_strerror(derr));
		memset(&cap, 0, sizeof(cap));
		send_captured(w, &cap, CAPTURE_EMAPS);
		emit(w, m->h.job, NULL, 0);	/* the root part reports what it read */
		return;
	}
	struct capture_input in = {
		.rec = &drop.rec, .pid = drop.rec.pid, .uid = m->uid, .gid = m->gid,
		.memfd = -1, .mapsfd = -1, .procfd = -1, .exe = drop.rec.exe,
		.deadline_ms = m->deadline_ms, .drop = &drop,
	};
	enum capture_err err = capture_crash(&cap, &in);
	cap.written_at = m->written_at;
	bb_drop_free(&drop);
	send_captured(w, &cap, err);
	bb_log(BB_LOG_DEBUG, "drop of %s (pid %d): read in %llu us, %zu frames",
	       cap.name ? cap.name : "?", (int)cap.pid, (unsigned long long)(bb_now_us() - t0),
	       cap.n_frames);
	pipeline_crash(w->pipeline, m->h.job, &cap, t0);
}

/* ---- the event back to the root part --------------------------------------------------- */

static int event_memfd(const char *json, size_t len)
{
	int fd = memfd_create("booboo-event", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, json + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	/* sealed: what the root part reads is what was written, and stays so */
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	return fd;
}

static void emit(void *arg, uint64_t job, const char *json, size_t len)
{
	struct worker *w = arg;
	struct wire_event m;
	int fd = event_memfd(json ? json : "", json ? len : 0);

	if (fd < 0) {
		bb_log(BB_LOG_ERR, "cannot hand an event to boobood: memfd: %s", strerror(errno));
		return;	/* the root part's watchdog reports it degraded */
	}
	memset(&m, 0, sizeof(m));
	wire_init_hdr(&m.h, WIRE_EVENT, job);
	m.len = json ? len : 0;
	if (wire_send(w->chan, &m, sizeof(m), &fd, 1) != 0)
		bb_log(BB_LOG_ERR, "cannot hand an event to boobood: %s", strerror(errno));
	close(fd);
}

/* ---- set-up -------------------------------------------------------------------------- */

/* The configuration the root part passed: the file's text without the
 * DSN, whose token this user's process has no business holding. */
static int load_config(struct worker *w, int fd)
{
	char *text = malloc(CONFIG_MAX + 1), err[1024];
	size_t len = 0;
	int rc = -1;

	if (!text)
		return -1;
	for (ssize_t n; len < CONFIG_MAX && (n = pread(fd, text + len, CONFIG_MAX - len, (off_t)len)) != 0;) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		len += (size_t)n;
	}
	text[len] = '\0';
	bb_config_init(&w->cfg);
	rc = bb_config_parse(&w->cfg, "configuration from boobood", text, len, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "boobood-worker: %s\n", err);
out:
	free(text);
	close(fd);
	return rc;
}

static int serve(struct worker *w)
{
	union { struct wire_job job; struct wire_drop drop; char buf[WIRE_MSG_MAX]; } m;
	int fds[WIRE_MAX_RANGES];
	size_t nfd;

	for (;;) {
		ssize_t len = wire_recv(w->chan, m.buf, sizeof(m.buf), fds, &nfd, false);
		if (len == 0)
			return 0;	/* the root part is done with us */
		if (len < 0) {
			bb_log(BB_LOG_ERR, "reading from boobood: %s", strerror(errno));
			return 1;
		}
		if (m.job.h.type == WIRE_JOB) {
			handle_job(w, &m.job, fds);
		} else if (m.job.h.type == WIRE_DROP) {
			handle_drop(w, &m.drop, fds[0]);
		} else {
			for (size_t i = 0; i < nfd; i++)
				close(fds[i]);
			bb_log(BB_LOG_ERR, "unexpected message %u from boobood", m.job.h.type);
		}
	}
}

static int parse_fd(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v >= 0 && v < 1024 ? (int)v : -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'C' },
		{ "config-fd", required_argument, NULL, 'F' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ 0 },
	};
	struct worker w = { .chan = -1 };
	int cfgfd = -1, c, rc;
	bool foreground = false, debug = false;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'C': w.chan = parse_fd(optarg); break;
		case 'F': cfgfd = parse_fd(optarg); break;
		case 'f': foreground = true; break;
		case 'd': debug = true; break;
		default: return 2;
		}
	}
	if (w.chan < 0 || cfgfd < 0) {
		fprintf(stderr, "boobood-worker: started by boobood only (--channel, --config-fd)\n");
		return 2;
	}
	/* no one of this user may attach to the process that holds their
	 * other programs' memory descriptors */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	bb_log_init("boobood-worker", foreground, debug);
	if (load_config(&w, cfgfd) != 0)
		return 1;
	if (sandbox_seccomp() != 0)
		bb_log(BB_LOG_WARN, "seccomp filter not installed: %s", strerror(errno));
	event_init_host();
	/* keep freed memory for the next report: a page touched anew costs a
	 * fault (~10 us on a VM), a few hundred of them per report */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	w.pipeline = pipeline_start(&w.cfg, emit, &w);
	if (!w.pipeline) {
		bb_log(BB_LOG_ERR, "cannot start the report thread");
		bb_config_free(&w.cfg);
		return 1;
	}
	rc = serve(&w);
	pipeline_stop(w.pipeline);	/* finishes the reports in progress */
	bb_config_free(&w.cfg);
	close(w.chan);
	return rc;
}
