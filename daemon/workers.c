/*
 * workers.c - one worker per user, its jobs, and the watchdog (see
 * workers.h).
 *
 * The root part never reads what a worker parses; it only moves
 * descriptors and fixed-size messages (wire.h), and keeps, for each job,
 * enough to report it without the worker: the record, the kernel's word
 * on the process, and the frames as addresses once captured.  Deadlines
 * are checked by workers_tick() from the main loop, so a worker that
 * stops answering costs its own user a degraded report, never another
 * user a wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "degraded.h"
#include "log.h"
#include "sandbox.h"
#include "spawn.h"
#include "wire.h"
#include "workers.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define HOLD_GRACE_MS 1000	/* a capture this late: the worker is stuck, not slow */
#define IDLE_MS (10u * 60 * 1000)
#define RETIRE_AFTER_JOBS 1000	/* so RLIMIT_CPU (spawn.c), a backstop, is never reached */
#define MAX_WORKERS 64

/* A job is in one of its worker's lists: queue, capturing, reporting. */
struct job {
	struct job *next;
	uint64_t id;
	int conn;		/* the shim waiting for our answer; -1 once answered */
	struct intake_msg m;
	uint64_t t0_us, hold_deadline_ms, report_deadline_ms;
	struct wire_captured *captured;	/* for a degraded report */
	int dropfd;		/* a drop (common/drop.h) instead of a live process */
	char drop_name[WIRE_DROP_NAME_MAX];
	uint64_t written_at;
};

/* Crashes a live capture got (pid, tid, time): a drop of the same one,
 * written because the shim stopped waiting for its answer, is not
 * reported twice. */
#define LIVE_RING 1024
struct live_key {
	int32_t pid, tid;
	uint64_t sec, nsec;
};

struct worker {
	struct worker *next;
	struct sandbox_creds creds;
	pid_t pid;
	int pidfd, chan;
	struct loop_watch chan_watch, exit_watch;
	struct job *queue;	/* waiting for capture, crashes first */
	struct job *capturing;
	struct job *reporting;
	uint64_t idle_since_ms;
	unsigned long jobs;
	bool retiring;		/* told to finish and exit */
	bool gone;		/* exited: freed at the next tick, after this epoll batch */
	char kill_reason[160];	/* why we killed it, for its jobs' reports */
};

struct workers {
	const struct bb_config *cfg;
	struct quota *quota;
	struct delivery *delivery;
	int epfd;
	struct worker *list;
	size_t n;
	struct worker *graveyard;	/* exited, their epoll events maybe still in the batch */
	struct live_key live[LIVE_RING];
	size_t live_next;
	uint64_t next_id;
	char path[PATH_MAX];
	char *config_text;
	size_t config_len;
	bool foreground, debug, root, stopping;
};

/* ---- finding and starting workers -------------------------------------------------- */

static bool same_creds(const struct sandbox_creds *a, const struct sandbox_creds *b)
{
	return a->uid == b->uid && a->gid == b->gid && a->n_groups == b->n_groups &&
	       memcmp(a->groups, b->groups, a->n_groups * sizeof(gid_t)) == 0;
}

static void creds_of(struct sandbox_creds *c, const struct intake_identity *who)
{
	memset(c, 0, sizeof(*c));
	c->uid = who->uid;
	c->gid = who->gid;
	c->n_groups = who->n_groups < SANDBOX_MAX_GROUPS ? who->n_groups : SANDBOX_MAX_GROUPS;
	memcpy(c->groups, who->groups, c->n_groups * sizeof(gid_t));
	sandbox_creds_normalize(c);
}

static void watch(struct workers *ws, int fd, struct loop_watch *w, int op)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

	if (epoll_ctl(ws->epfd, op, fd, &ev) != 0 && op == EPOLL_CTL_ADD)
		bb_log(BB_LOG_ERR, "epoll: %s", strerror(errno));
}

static struct worker *spawn(struct workers *ws, const struct sandbox_creds *c)
{
	struct worker *w = calloc(1, sizeof(*w));
	struct spawn_opts o = {
		.path = ws->path, .config_text = ws->config_text, .config_len = ws->config_len,
		.cache_dir = ws->cfg->cache_dir, .memory_mb = ws->cfg->worker_memory_mb,
		.foreground = ws->foreground, .debug = ws->debug,
	};

	if (!w || (w->pid = spawn_worker(&o, c, &w->chan, &w->pidfd)) < 0) {
		bb_log(BB_LOG_ERR, "cannot start a worker for uid %u: %s", (unsigned)c->uid,
		       strerror(errno));
		free(w);
		return NULL;
	}
	w->creds = *c;
	w->chan_watch = (struct loop_watch){ LOOP_WORKER_CHAN, w };
	w->exit_watch = (struct loop_watch){ LOOP_WORKER_EXIT, w };
	watch(ws, w->chan, &w->chan_watch, EPOLL_CTL_ADD);
	watch(ws, w->pidfd, &w->exit_watch, EPOLL_CTL_ADD);
	w->idle_since_ms = bb_now_ms();
	w->next = ws->list;
	ws->list = w;
	ws->n++;
	quota_set_worker(ws->quota, c->uid, w->pid);
	bb_log(BB_LOG_DEBUG, "worker %d started for uid %u", (int)w->pid, (unsigned)c->uid);
	return w;
}

static bool has_jobs(const struct worker *w)
{
	return w->queue || w->capturing || w->reporting;
}

/* At MAX_WORKERS, the worker idle the longest makes room. */
static void make_room(struct workers *ws)
{
	struct worker *oldest = NULL;

	for (struct worker *w = ws->list; w; w = w->next)
		if (!has_jobs(w) && !w->retiring && (!oldest || w->idle_since_ms < oldest->idle_since_ms))
			oldest = w;
	if (oldest) {
		oldest->retiring = true;
		shutdown(oldest->chan, SHUT_WR);
	}
}

static struct worker *worker_for(struct workers *ws, const struct sandbox_creds *c)
{
	for (struct worker *w = ws->list; w; w = w->next)
		if (!w->retiring && !w->kill_reason[0] && same_creds(&w->creds, c))
			return w;
	if (ws->n >= MAX_WORKERS)
		make_room(ws);
	return spawn(ws, c);
}

/* ---- jobs -------------------------------------------------------------------------- */

static void describe(const struct job *j, char *what, size_t len)
{
	const char *slash = strrchr(j->m.who.exe, '/');

	snprintf(what, len, "%s of %.64s (pid %d, uid %u)", bb_record_kind_name(&j->m.rec),
		 slash ? slash + 1 : j->m.who.exe[0] ? j->m.who.exe : "?", (int)j->m.who.pid,
		 (unsigned)j->m.who.uid);
}

/* The process may go (or, for a handled error, go on). */
static void release(struct job *j, uint32_t status)
{
	char what[160];

	if (j->conn < 0)
		return;
	if (!intake_ack(j->conn, status))
		bb_log(BB_LOG_DEBUG, "pid %d stopped waiting before its answer (its "
		       "BOOBOO_HOLD_TIMEOUT_MS is shorter than the hold?)", (int)j->m.who.pid);
	describe(j, what, sizeof(what));
	bb_log(BB_LOG_DEBUG, "%s: held %llu us (record to release)", what,
	       (unsigned long long)(bb_now_us() - j->t0_us));
	close(j->conn);
	j->conn = -1;
	intake_msg_close(&j->m);	/* the process is not ours to read any more */
}

static void job_free(struct workers *ws, struct job *j)
{
	release(j, 1);
	intake_msg_close(&j->m);
	if (j->dropfd >= 0)
		close(j->dropfd);
	quota_job_done(ws->quota, j->m.who.uid);
	free(j->captured);
	free(j);
}

static void degrade(struct workers *ws, struct job *j, const char *reason)
{
	char what[160];
	struct degraded_input in = {
		.rec = &j->m.rec, .pid = j->m.who.pid, .uid = j->m.who.uid, .gid = j->m.who.gid,
		.exe = j->m.who.exe, .captured = j->captured, .reason = reason,
		.written_at = j->written_at,
	};

	release(j, 0);
	describe(j, what, sizeof(what));
	bb_log(BB_LOG_WARN, "%s: %s; reported from what the root part has (degraded)", what, reason);
	quota_count(ws->quota, j->m.who.uid, QUOTA_DEGRADED);
	struct delivery_from from = delivery_from_record(j->m.who.uid, j->m.who.pid, &j->m.rec);
	delivery_event(ws->delivery, &from, degraded_event(ws->cfg, &in), what, j->t0_us,
		       j->drop_name);
	job_free(ws, j);
}

static int send_drop(struct worker *w, struct job *j)
{
	struct wire_drop m;

	memset(&m, 0, sizeof(m));
	wire_init_hdr(&m.h, WIRE_DROP, j->id);
	m.uid = j->m.who.uid;
	m.gid = j->m.who.gid;
	m.written_at = j->written_at;
	m.deadline_ms = j->hold_deadline_ms;
	return wire_send(w->chan, &m, sizeof(m), &j->dropfd, 1);
}

static int send_live(struct worker *w, struct job *j)
{
	struct wire_job *m = calloc(1, sizeof(*m));
	int fds[3] = { j->m.memfd, j->m.mapsfd, j->m.who.procfd };

	if (!m)
		return -1;
	wire_init_hdr(&m->h, WIRE_JOB, j->id);
	m->rec = j->m.rec;
	m->pid = j->m.who.pid;
	m->uid = j->m.who.uid;
	m->gid = j->m.who.gid;
	m->deadline_ms = j->hold_deadline_ms;
	m->exe_dev = j->m.who.exe_dev;
	m->exe_ino = j->m.who.exe_ino;
	memcpy(m->exe, j->m.who.exe, sizeof(m->exe));
	int rc = wire_send(w->chan, m, sizeof(*m), fds, 3);
	free(m);
	if (rc == 0) {
		/* The worker reads the memory now; we keep /proc/PID for map_files. */
		close(j->m.memfd);
		close(j->m.mapsfd);
		j->m.memfd = j->m.mapsfd = -1;
	}
	return rc;
}

static void send_job(struct workers *ws, struct worker *w, struct job *j)
{
	if ((j->dropfd >= 0 ? send_drop(w, j) : send_live(w, j)) != 0) {
		degrade(ws, j, "the worker does not take jobs");
		return;
	}
	if (j->dropfd >= 0) {
		close(j->dropfd);
		j->dropfd = -1;
	}
	w->capturing = j;
	w->jobs++;
}

/* One capture at a time per worker: the next queued job, if any. */
static void pump(struct workers *ws, struct worker *w)
{
	while (!w->capturing && w->queue && !w->kill_reason[0]) {
		struct job *j = w->queue;
		w->queue = j->next;
		j->next = NULL;
		send_job(ws, w, j);
	}
}

/* A held crashing process first, then a handled error or a panic (its
 * thread waits), then a drop (no one waits for it). */
static int urgency(const struct job *j)
{
	return j->conn < 0 ? 2 : j->m.rec.kind == BB_REC_CRASH ? 0 : 1;
}

static void enqueue(struct worker *w, struct job *j)
{
	struct job **at = &w->queue;

	while (*at && urgency(*at) <= urgency(j))
		at = &(*at)->next;
	j->next = *at;
	*at = j;
}

void workers_submit(struct workers *ws, int conn, struct intake_msg *m, uint64_t t0_us)
{
	struct job *j;
	struct sandbox_creds c;

	if (ws->stopping || !quota_job_add(ws->quota, m->who.uid)) {
		bb_log_limited("user queue full", 60, BB_LOG_WARN, "crash of pid %d: uid %u has "
			       "uid_max_queued records waiting; not reported", (int)m->who.pid,
			       (unsigned)m->who.uid);
		intake_ack(conn, 1);
		close(conn);
		intake_msg_close(m);
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		intake_ack(conn, 1);
		close(conn);
		intake_msg_close(m);
		quota_job_done(ws->quota, m->who.uid);
		return;
	}
	j->id = ++ws->next_id;
	j->conn = conn;
	j->dropfd = -1;
	j->m = *m;
	j->t0_us = t0_us;
	j->hold_deadline_ms = bb_now_ms() + ws->cfg->hold_timeout_ms;
	if (!ws->root && m->who.uid != getuid()) {
		degrade(ws, j, "boobood is not root: it reads the programs of its own user only");
		return;
	}
	creds_of(&c, &m->who);
	struct worker *w = worker_for(ws, &c);
	if (!w) {
		degrade(ws, j, "no worker could be started for this user");
		return;
	}
	enqueue(w, j);
	pump(ws, w);
}

bool workers_reported_live(const struct workers *ws, const struct bb_record *rec)
{
	for (size_t i = 0; i < LIVE_RING; i++) {
		const struct live_key *k = &ws->live[i];
		if (k->pid == rec->pid && k->tid == rec->tid && k->sec == rec->time_sec &&
		    k->nsec == rec->time_nsec)
			return true;
	}
	return false;
}

bool workers_submit_drop(struct workers *ws, int fd, const struct sandbox_creds *c,
		const struct bb_record *rec, uint64_t written_at, const char *name)
{
	struct job *j;

	if (ws->stopping || !quota_job_add(ws->quota, c->uid))
		return false;
	if (!(j = calloc(1, sizeof(*j)))) {
		quota_job_done(ws->quota, c->uid);
		return false;
	}
	j->id = ++ws->next_id;
	j->conn = -1;
	j->dropfd = fd;
	j->m.memfd = j->m.mapsfd = j->m.who.pidfd = j->m.who.procfd = -1;
	j->m.rec = *rec;
	j->m.who.pid = rec->pid;
	j->m.who.uid = c->uid;
	j->m.who.gid = c->gid;
	memcpy(j->m.who.exe, rec->exe, sizeof(rec->exe));	/* the drop's word */
	snprintf(j->drop_name, sizeof(j->drop_name), "%s", name);
	j->written_at = written_at;
	j->t0_us = bb_now_us();
	j->hold_deadline_ms = bb_now_ms() + ws->cfg->hold_timeout_ms;
	struct worker *w = ws->root || c->uid == getuid() ? worker_for(ws, c) : NULL;
	if (!w) {
		degrade(ws, j, ws->root ? "no worker could be started for this user" :
			"boobood is not root: it reads the programs of its own user only");
		return true;
	}
	enqueue(w, j);
	pump(ws, w);
	return true;
}

void workers_prespawn_self(struct workers *ws)
{
	struct intake_identity me = { .uid = geteuid(), .gid = getegid() };
	struct sandbox_creds c;
	int n = getgroups(SANDBOX_MAX_GROUPS, me.groups);

	me.n_groups = n > 0 ? (size_t)n : 0;
	creds_of(&c, &me);
	worker_for(ws, &c);
}

/* ---- what workers say ----------------------------------------------------------------- */

static void kill_worker(struct worker *w, const char *reason)
{
	if (!w->kill_reason[0])
		snprintf(w->kill_reason, sizeof(w->kill_reason), "%s", reason);
	if (w->pidfd < 0 || pidfd_send_signal(w->pidfd, SIGKILL, NULL, 0) != 0)
		kill(w->pid, SIGKILL);
}

static void on_captured(struct workers *ws, struct worker *w, const struct wire_captured *c)
{
	struct job *j = w->capturing;
	char what[160];

	if (!j || j->id != c->h.job) {
		kill_worker(w, "the worker answered for a job it was not capturing");
		return;
	}
	w->capturing = NULL;
	j->captured = malloc(sizeof(*c));
	if (j->captured)
		memcpy(j->captured, c, sizeof(*c));
	if (j->conn >= 0 && c->status == WIRE_CAPTURE_OK && c->n_frames)
		ws->live[ws->live_next++ % LIVE_RING] = (struct live_key){
			j->m.rec.pid, j->m.rec.tid, j->m.rec.time_sec, j->m.rec.time_nsec };
	release(j, 0);
	if (c->status == WIRE_CAPTURE_EXECED) {
		describe(j, what, sizeof(what));
		bb_log(BB_LOG_WARN, "%s: the process runs another program than the memory it sent "
		       "(it exec'd %s after sending its record): not reported", what, j->m.who.exe);
		job_free(ws, j);
	} else {
		j->report_deadline_ms = bb_now_ms() + ws->cfg->worker_timeout_ms;
		j->next = w->reporting;
		w->reporting = j;
	}
	pump(ws, w);
}

/* map_files of the held process, for files whose path names another file
 * by now: O_PATH, so the worker must open them anew with its own rights. */
static void on_need_files(struct worker *w, const struct wire_need_files *nf)
{
	struct job *j = w->capturing;
	struct wire_files reply;
	int fds[WIRE_MAX_RANGES];
	size_t nfd = 0;

	if (!j || j->id != nf->h.job || j->m.who.procfd < 0) {
		kill_worker(w, "the worker asked for files of a job it was not capturing");
		return;
	}
	memset(&reply, 0, sizeof(reply));
	wire_init_hdr(&reply.h, WIRE_FILES, j->id);
	reply.n = nf->n;
	for (uint32_t i = 0; i < nf->n; i++) {
		char name[64];
		snprintf(name, sizeof(name), "map_files/%llx-%llx",
			 (unsigned long long)nf->r[i].lo, (unsigned long long)nf->r[i].hi);
		int fd = openat(j->m.who.procfd, name, O_PATH | O_CLOEXEC);
		if (fd >= 0) {
			reply.ok[i] = 1;
			fds[nfd++] = fd;
		}
	}
	if (wire_send(w->chan, &reply, sizeof(reply), fds, nfd) != 0)
		kill_worker(w, "cannot answer the worker");
	for (size_t i = 0; i < nfd; i++)
		close(fds[i]);
}

static struct job *take_reporting(struct worker *w, uint64_t id)
{
	for (struct job **at = &w->reporting; *at; at = &(*at)->next)
		if ((*at)->id == id) {
			struct job *j = *at;
			*at = j->next;
			j->next = NULL;
			return j;
		}
	return NULL;
}

static char *read_event(int fd, uint64_t len)
{
	struct stat st;
	char *buf;

	if (len == 0 || len > WIRE_EVENT_MAX || fstat(fd, &st) != 0 || (uint64_t)st.st_size < len)
		return NULL;
	buf = malloc(len + 1);
	if (buf && pread(fd, buf, len, 0) != (ssize_t)len) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

static void on_event(struct workers *ws, struct worker *w, const struct wire_event *e, int fd)
{
	struct job *j = take_reporting(w, e->h.job);
	char what[160];

	if (!j) {
		kill_worker(w, "the worker sent an event for no job of its");
		return;
	}
	char *json = read_event(fd, e->len);
	if (!json) {
		degrade(ws, j, "the worker could not build the event");
		return;
	}
	describe(j, what, sizeof(what));
	struct delivery_from from = delivery_from_record(j->m.who.uid, j->m.who.pid, &j->m.rec);
	delivery_json(ws->delivery, &from, json, e->len, what, j->t0_us, j->drop_name);
	job_free(ws, j);
	if (!has_jobs(w))
		w->idle_since_ms = bb_now_ms();
	if (w->jobs >= RETIRE_AFTER_JOBS && !has_jobs(w) && !w->retiring) {
		w->retiring = true;
		shutdown(w->chan, SHUT_WR);
	}
}

static void dispatch(struct workers *ws, struct worker *w, const void *buf, const int *fds)
{
	const struct wire_hdr *h = buf;

	switch (h->type) {
	case WIRE_CAPTURED:
		on_captured(ws, w, buf);
		break;
	case WIRE_NEED_FILES:
		on_need_files(w, buf);
		break;
	case WIRE_EVENT:
		on_event(ws, w, buf, fds[0]);
		close(fds[0]);
		break;
	default:
		kill_worker(w, "the worker sent a message only the root part sends");
	}
}

static void read_worker(struct workers *ws, struct worker *w)
{
	union { struct wire_hdr h; char buf[WIRE_MSG_MAX]; } m;
	int fds[WIRE_MAX_RANGES];
	size_t nfd;

	while (!w->kill_reason[0]) {
		ssize_t n = wire_recv(w->chan, m.buf, sizeof(m.buf), fds, &nfd, true);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n == 0) {	/* it is exiting: its pidfd tells when it is gone */
			watch(ws, w->chan, &w->chan_watch, EPOLL_CTL_DEL);
			return;
		}
		if (n < 0) {
			kill_worker(w, errno == EPROTO ? "the worker broke the protocol" :
				    "cannot read from the worker");
			return;
		}
		dispatch(ws, w, m.buf, fds);
	}
}

/* ---- a worker's end ------------------------------------------------------------------------ */

static void exit_reason(struct worker *w, const siginfo_t *si, char *out, size_t len)
{
	if (w->kill_reason[0])
		snprintf(out, len, "%s", w->kill_reason);
	else if (si->si_code == CLD_EXITED)
		snprintf(out, len, "the worker exited with status %d", si->si_status);
	else if (si->si_status == SIGXCPU || si->si_status == SIGSEGV || si->si_status == SIGBUS)
		snprintf(out, len, "the worker died of %s (a limit or a bug)",
			 bb_signal_name(si->si_status) ?: "a signal");
	else
		snprintf(out, len, "the worker died of signal %d", si->si_status);
}

static void unlink_worker(struct workers *ws, struct worker *w)
{
	for (struct worker **at = &ws->list; *at; at = &(*at)->next)
		if (*at == w) {
			*at = w->next;
			ws->n--;
			return;
		}
}

/* Its jobs in flight are reported degraded (one of them may be what
 * killed it: none is tried again); those still queued go to a new one. */
static void worker_exited(struct workers *ws, struct worker *w)
{
	siginfo_t si = { 0 };
	char reason[200];

	if (waitid(P_PIDFD, (id_t)w->pidfd, &si, WEXITED | WNOHANG) != 0 || si.si_pid == 0)
		return;	/* not yet */
	exit_reason(w, &si, reason, sizeof(reason));
	bool failed = w->kill_reason[0] || si.si_code != CLD_EXITED || si.si_status != 0 ||
		      w->capturing || w->reporting;
	if (failed)
		bb_log(BB_LOG_ERR, "worker %d (uid %u): %s", (int)w->pid, (unsigned)w->creds.uid, reason);
	else
		bb_log(BB_LOG_DEBUG, "worker %d (uid %u) retired", (int)w->pid, (unsigned)w->creds.uid);
	if (failed)
		quota_count(ws->quota, w->creds.uid, QUOTA_WORKER_FAILURES);
	unlink_worker(ws, w);
	quota_set_worker(ws->quota, w->creds.uid, 0);
	watch(ws, w->chan, &w->chan_watch, EPOLL_CTL_DEL);
	watch(ws, w->pidfd, &w->exit_watch, EPOLL_CTL_DEL);
	close(w->chan);
	close(w->pidfd);
	if (w->capturing)
		degrade(ws, w->capturing, reason);
	while (w->reporting) {
		struct job *j = w->reporting;
		w->reporting = j->next;
		degrade(ws, j, reason);
	}
	struct job *queue = w->queue;
	struct sandbox_creds c = w->creds;
	w->queue = NULL;
	w->gone = true;
	w->next = ws->graveyard;
	ws->graveyard = w;
	if (queue) {
		struct worker *fresh = ws->stopping ? NULL : worker_for(ws, &c);
		while (queue) {
			struct job *j = queue;
			queue = j->next;
			j->next = NULL;
			if (fresh)
				enqueue(fresh, j);
			else
				degrade(ws, j, "no worker could be started for this user");
		}
		if (fresh)
			pump(ws, fresh);
	}
}

void workers_on_watch(struct workers *ws, struct loop_watch *lw)
{
	struct worker *w = lw->obj;

	if (w->gone)
		return;
	if (lw->kind == LOOP_WORKER_CHAN)
		read_worker(ws, w);
	else
		worker_exited(ws, w);
}

/* ---- the watchdog ------------------------------------------------------------------------- */

static int until(uint64_t deadline, uint64_t now, int next)
{
	int left = deadline > now ? (int)(deadline - now) : 0;

	return next < 0 || left < next ? left : next;
}

static int watch_capture(struct worker *w, struct job *j, uint64_t now, int next)
{
	char what[160];

	if (j->conn >= 0 && now >= j->hold_deadline_ms) {
		describe(j, what, sizeof(what));
		bb_log(BB_LOG_WARN, "%s: the worker did not finish the capture within "
		       "hold_timeout_ms; the process is released", what);
		release(j, 0);
	}
	if (now >= j->hold_deadline_ms + HOLD_GRACE_MS) {
		kill_worker(w, "the capture hung (killed after the hold's end)");
		return next;
	}
	return until(j->conn >= 0 ? j->hold_deadline_ms : j->hold_deadline_ms + HOLD_GRACE_MS,
		     now, next);
}

static int watch_worker(struct workers *ws, struct worker *w, uint64_t now, int next)
{
	if (w->kill_reason[0])
		return next;	/* its pidfd says when it is gone */
	if (w->capturing)
		next = watch_capture(w, w->capturing, now, next);
	for (struct job *j = w->reporting; j && !w->kill_reason[0]; j = j->next) {
		if (now >= j->report_deadline_ms)
			kill_worker(w, "the report took longer than worker_timeout_ms");
		else
			next = until(j->report_deadline_ms, now, next);
	}
	if (!has_jobs(w) && !w->retiring && !ws->stopping) {
		if (now >= w->idle_since_ms + IDLE_MS) {
			w->retiring = true;
			shutdown(w->chan, SHUT_WR);
		} else {
			next = until(w->idle_since_ms + IDLE_MS, now, next);
		}
	}
	return next;
}

int workers_tick(struct workers *ws, uint64_t now_ms)
{
	int next = -1;

	while (ws->graveyard) {
		struct worker *w = ws->graveyard;
		ws->graveyard = w->next;
		free(w);
	}
	for (struct worker *w = ws->list; w; w = w->next)
		next = watch_worker(ws, w, now_ms, next);
	return next;
}

/* ---- start and stop ------------------------------------------------------------------------ */

bool workers_stopping(struct workers *ws, uint64_t now_ms, uint64_t give_up_ms)
{
	if (!ws->stopping) {
		ws->stopping = true;
		for (struct worker *w = ws->list; w; w = w->next) {
			while (w->queue) {
				struct job *j = w->queue;
				w->queue = j->next;
				if (j->dropfd >= 0)
					job_free(ws, j);	/* its file waits for the next start */
				else
					degrade(ws, j, "boobood stopped before it was captured");
			}
			w->retiring = true;
			shutdown(w->chan, SHUT_WR);	/* finish what you have, then exit */
		}
	}
	if (now_ms >= give_up_ms)
		for (struct worker *w = ws->list; w; w = w->next)
			kill_worker(w, "boobood stopped before the worker finished");
	return ws->list == NULL;
}

struct workers *workers_new(const struct bb_config *cfg, struct quota *q,
		struct delivery *d, int epfd, bool foreground, bool debug,
		char *err, size_t errlen)
{
	struct workers *ws = calloc(1, sizeof(*ws));

	if (!ws) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*ws = (struct workers){ .cfg = cfg, .quota = q, .delivery = d, .epfd = epfd,
				.foreground = foreground, .debug = debug, .root = geteuid() == 0 };
	ws->config_text = bb_config_text_without_dsn(cfg, &ws->config_len);
	if (!ws->config_text || !spawn_find_binary(ws->path, sizeof(ws->path))) {
		snprintf(err, errlen, ws->config_text ? "%s: cannot run boobood-worker: %s" :
			 "out of memory", ws->path, strerror(errno));
		workers_free(ws);
		return NULL;
	}
	return ws;
}

void workers_free(struct workers *ws)
{
	if (!ws)
		return;
	while (ws->list) {	/* only after workers_stopping said all are gone */
		struct worker *w = ws->list;
		ws->list = w->next;
		close(w->chan);
		close(w->pidfd);
		free(w);
	}
	workers_tick(ws, 0);	/* empties the graveyard */
	free(ws->config_text);
	free(ws);
}
