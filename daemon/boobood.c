/*
 * boobood.c - the service's root part: one epoll loop over the socket,
 * the clients that have not sent their record yet, the workers and the
 * signals.  It accepts, pins each sender with the kernel's word on it
 * (intake.c), hands crashes to the worker of the sender's user
 * (workers.c), answers the shim when the process may go, and passes
 * finished events to the delivery thread (delivery.c), which spools
 * them for the uploader.  It never reads a process's memory, an ELF or
 * DWARF file or a source file itself.  See boobood(8), "SECURITY".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "delivery.h"
#include "drops.h"
#include "event.h"
#include "group.h"
#include "intake.h"
#include "log.h"
#include "loop.h"
#include "quota.h"
#include "spool.h"
#include "upload.h"
#include "workers.h"

#define RECORD_WAIT_MS 250	/* the shim sends its record right after connecting */
#define MAX_CONNS 8192		/* all users together; each user has uid_max_connections */
#define STOP_WAIT_MS 10000	/* workers finishing their reports at SIGTERM */
#define EVENTS 64

/* A client that has not sent its record yet. */
struct conn {
	struct conn *prev, *next;	/* oldest first: accepted in deadline order */
	int fd;
	uid_t uid;
	pid_t pid;
	uint64_t deadline_ms;
	struct loop_watch watch;
};

struct daemon {
	struct bb_config cfg;
	struct spool spool;
	struct uploader *up;
	struct quota *quota;
	struct delivery *delivery;
	struct workers *workers;
	struct drops *drops;
	struct groups *msg_groups;	/* identical messages (group.h) */
	int epfd, lfd, sigfd, drop_dirfd;
	struct loop_watch listen_watch, signal_watch;
	struct conn *oldest, *newest;
	size_t n_conns;
	bool stopping;
	uint64_t give_up_ms;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: boobood [-c FILE] [-f] [--socket PATH] [--spool DIR] [--drop-dir DIR] [--debug]\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"  -f, --foreground    stay in the foreground, log to stderr\n"
		"      --socket PATH   listen here instead of the config's socket\n"
		"      --spool DIR     spool here instead of the config's spool_dir\n"
		"      --drop-dir DIR  take drops from here instead of the config's drop_dir\n"
		"  -d, --debug         log debug messages\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n",
		BB_DEFAULT_CONFIG);
}

/* ---- clients waiting to be heard ---------------------------------------------------- */

static void conn_unlink(struct daemon *d, struct conn *c)
{
	*(c->prev ? &c->prev->next : &d->oldest) = c->next;
	*(c->next ? &c->next->prev : &d->newest) = c->prev;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	quota_conn_close(d->quota, c->uid);
	d->n_conns--;
}

static void conn_drop(struct daemon *d, struct conn *c)
{
	conn_unlink(d, c);
	close(c->fd);
	free(c);
}

static void on_record(struct daemon *d, int fd, uint64_t t0, enum intake_err err,
		struct intake_msg *m);

/* The shim sends its record right after connecting, so it is usually
 * there at accept: taken at once, it never occupies a slot.  Only a
 * client that has said nothing yet waits, within its user's limit. */
static void add_conn(struct daemon *d, int fd, const struct ucred *peer)
{
	struct intake_msg m;
	uint64_t t0 = bb_now_us();
	enum intake_err err = intake_receive(fd, &m);
	struct conn *c = NULL;

	if (err != INTAKE_EAGAIN) {
		on_record(d, fd, t0, err, &m);
		return;
	}
	if (d->n_conns >= MAX_CONNS || !quota_conn_open(d->quota, peer->uid)) {
		bb_log_limited("connections", 60, BB_LOG_WARN, "uid %u (pid %d): too many open "
			       "connections (uid_max_connections); closed", (unsigned)peer->uid,
			       (int)peer->pid);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c ? &c->watch : NULL };
	if (!c || (c->watch = (struct loop_watch){ LOOP_CONN, c },
		   epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)) {
		quota_conn_close(d->quota, peer->uid);
		close(fd);
		free(c);
		return;
	}
	c->fd = fd;
	c->uid = peer->uid;
	c->pid = peer->pid;
	c->deadline_ms = bb_now_ms() + RECORD_WAIT_MS;
	c->prev = d->newest;
	*(d->newest ? &d->newest->next : &d->oldest) = c;
	d->newest = c;
	d->n_conns++;
}

static void accept_all(struct daemon *d)
{
	struct ucred peer;

	for (;;) {
		int fd = intake_accept(d->lfd, &peer);
		if (fd >= 0) {
			add_conn(d, fd, &peer);
			continue;
		}
		if (errno == EAGAIN || errno == EINTR)
			return;
		if (errno != ECONNABORTED && errno != EPERM) {
			bb_log_limited("accept", 60, BB_LOG_WARN, "accept on %s: %s",
				       d->cfg.socket_path, strerror(errno));
			return;
		}
	}
}

/* A silent client gets RECORD_WAIT_MS, not the daemon.  Returns the ms
 * until the next one is due (-1: none waits). */
static int expire_conns(struct daemon *d, uint64_t now)
{
	while (d->oldest && d->oldest->deadline_ms <= now) {
		quota_count(d->quota, d->oldest->uid, QUOTA_SILENT_CONNECTIONS);
		conn_drop(d, d->oldest);
	}
	return d->oldest ? (int)(d->oldest->deadline_ms - now) : -1;
}

/* ---- records -------------------------------------------------------------------------- */

/* A message held back as a repeat (group.h): what its event is made of. */
struct held_message {
	struct bb_record rec;
	pid_t pid;
	uid_t uid;
	char exe[WIRE_EXE_MAX];
};

static void send_message(struct daemon *d, const struct held_message *h,
		const struct group_repeats *rep)
{
	char what[64];
	struct json_object *ev = event_from_message(&d->cfg, &h->rec, h->pid, h->uid, h->exe);

	struct delivery_from from = { h->uid, h->pid, 0 };

	snprintf(what, sizeof(what), "message from pid %d", (int)h->pid);
	group_add_repeats(ev, rep);
	if (rep)
		quota_add(d->quota, h->uid, QUOTA_GROUPED, rep->count);
	delivery_event(d->delivery, &from, ev, what, 0, "");
}

/* A window ended with messages held back: the newest goes, with the
 * count (or, rep NULL, an older one is let go). */
static void flush_message(void *arg, uid_t uid, void *item, const struct group_repeats *rep)
{
	(void)uid;
	if (rep)
		send_message(arg, item, rep);
	free(item);
}

static void on_message(struct daemon *d, int fd, struct intake_msg *m)
{
	struct held_message *h = malloc(sizeof(*h));
	struct group_repeats rep;

	/* The sender does not wait: the shim closes at once. */
	intake_ack(fd, 0);
	close(fd);
	if (h) {
		*h = (struct held_message){ .rec = m->rec, .pid = m->who.pid, .uid = m->who.uid };
		memcpy(h->exe, m->who.exe, sizeof(h->exe));
	}
	uint64_t key = group_key_of_record(m->who.uid, m->who.exe, &m->rec);
	if (!h || !groups_admit(d->msg_groups, key, m->who.uid, (uint64_t)time(NULL), h, NULL,
				&rep)) {
		/* held back: its count goes out with the group's next event */
	} else if (quota_message(d->quota, m->who.uid, bb_now_ms())) {
		send_message(d, h, &rep);
		free(h);
	} else {
		bb_log_limited("message rate", 60, BB_LOG_WARN, "uid %u: more than "
			       "uid_messages_per_minute different messages; dropped",
			       (unsigned)m->who.uid);
		free(h);
	}
	intake_msg_close(m);
}

/* A count of panics (shim/panic.c): the sender does not wait.  A shim
 * sends one a second per site at most; more is someone else's doing, and
 * each costs the delivery thread a copy of an event: they count against
 * uid_messages_per_minute as messages do. */
static void on_panic_count(struct daemon *d, int fd, struct intake_msg *m)
{
	intake_ack(fd, 0);
	close(fd);
	if (quota_message(d->quota, m->who.uid, bb_now_ms()))
		delivery_panic_count(d->delivery, m->who.uid, m->who.pid, &m->rec);
	else
		bb_log_limited("panic count rate", 60, BB_LOG_WARN, "uid %u: panic counts over "
			       "uid_messages_per_minute; dropped", (unsigned)m->who.uid);
	intake_msg_close(m);
}

static void on_record(struct daemon *d, int fd, uint64_t t0, enum intake_err err,
		struct intake_msg *m)
{
	if (err != INTAKE_OK) {
		bb_log_limited("bad record", 10, BB_LOG_WARN,
			"dropped a record from pid %d (uid %d): %s%s%s",
			(int)m->who.pid, (int)m->who.uid, intake_strerror(err),
			err == INTAKE_ERECORD ? ": " : "",
			err == INTAKE_ERECORD ? bb_record_strerror(m->rec_err) : "");
		quota_count(d->quota, m->who.uid, QUOTA_BAD_RECORDS);
		intake_ack(fd, 1);	/* never make a sender wait for nothing */
		intake_msg_close(m);
		close(fd);
		return;
	}
	if (bb_record_held(&m->rec)) {
		workers_submit(d->workers, fd, m, t0);	/* takes fd and m */
	} else if (m->rec.kind == BB_REC_PANIC) {
		on_panic_count(d, fd, m);
	} else {
		on_message(d, fd, m);
	}
}

static void on_conn(struct daemon *d, struct conn *c)
{
	struct intake_msg m;
	uint64_t t0 = bb_now_us();
	enum intake_err err = intake_receive(c->fd, &m);
	int fd = c->fd;

	if (err == INTAKE_EAGAIN)
		return;
	conn_unlink(d, c);
	free(c);
	on_record(d, fd, t0, err, &m);
}

/* ---- the loop -------------------------------------------------------------------------- */

static void begin_stop(struct daemon *d, const struct signalfd_siginfo *si)
{
	bb_log(BB_LOG_INFO, "%s received, stopping", bb_signal_name((int)si->ssi_signo) ?: "signal");
	d->stopping = true;
	d->give_up_ms = bb_now_ms() + STOP_WAIT_MS;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->lfd, NULL);
	while (d->oldest)
		conn_drop(d, d->oldest);
}

static void on_watch(struct daemon *d, struct loop_watch *w)
{
	struct signalfd_siginfo si;

	switch (w->kind) {
	case LOOP_LISTEN:
		accept_all(d);
		break;
	case LOOP_SIGNAL:
		if (read(d->sigfd, &si, sizeof(si)) == sizeof(si) && !d->stopping)
			begin_stop(d, &si);
		break;
	case LOOP_CONN:
		on_conn(d, w->obj);
		break;
	case LOOP_WORKER_CHAN:
	case LOOP_WORKER_EXIT:
		workers_on_watch(d->workers, w);
		break;
	case LOOP_DROPS:
		drops_on_watch(d->drops);
		break;
	}
}

static int sooner(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

static int serve(struct daemon *d)
{
	struct epoll_event evs[EVENTS];

	for (;;) {
		uint64_t now = bb_now_ms();
		int timeout = sooner(expire_conns(d, now), workers_tick(d->workers, now));
		if (d->drops && !d->stopping)
			timeout = sooner(timeout, drops_tick(d->drops, now));
		groups_flush(d->msg_groups, (uint64_t)time(NULL));
		timeout = sooner(timeout, 1000);	/* windows end on the second */
		if (d->stopping) {
			if (workers_stopping(d->workers, now, d->give_up_ms))
				return 0;
			timeout = sooner(timeout, 100);
		}
		int n = epoll_wait(d->epfd, evs, EVENTS, timeout);
		if (n < 0 && errno != EINTR) {
			bb_log(BB_LOG_ERR, "epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n; i++)
			on_watch(d, evs[i].data.ptr);
	}
}

/* ---- set-up -------------------------------------------------------------------------- */

static int make_parent_dir(const char *path)
{
	char dir[256];
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir))
		return 0;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Into the background before listen(): the kernel records the listening
 * process as the socket's peer (SO_PEERCRED), and the shim names that
 * pid its ptracer; the parent that exits would be the wrong one.  The
 * parent waits on a pipe for the child's word that it listens (or why it
 * cannot), so start-up errors still reach the terminal and the status. */
static int daemonize(int *ready)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		char msg[512];
		close(p[1]);
		ssize_t n = read(p[0], msg, sizeof(msg) - 1);
		if (n > 0) {	/* the child could not start: it says why */
			msg[n] = '\0';
			fputs(msg, stderr);
			_exit(1);
		}
		_exit(n == 0 ? 0 : 1);	/* closed without a word: it runs */
	}
	close(p[0]);
	*ready = p[1];
	if (setsid() < 0)
		return -1;
	return chdir("/");
}

/* The child of daemonize() tells its parent it listens: stdio goes to
 * /dev/null, logs to syslog, and the pipe closes with nothing said. */
static void detach(int ready)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	close(ready);
}

/* Each job keeps its process's descriptors while queued: take the hard
 * descriptor limit. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			bb_log(BB_LOG_WARN, "cannot raise the descriptor limit: %s", strerror(errno));
	}
}

static int watch_fd(struct daemon *d, int fd, struct loop_watch *w, enum loop_kind kind)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

	*w = (struct loop_watch){ kind, d };
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int listen_and_watch(struct daemon *d, char *err, size_t errlen)
{
	if (make_parent_dir(d->cfg.socket_path) != 0) {
		snprintf(err, errlen, "%s: cannot create its directory: %s", d->cfg.socket_path,
			 strerror(errno));
		return -1;
	}
	d->lfd = intake_listen(d->cfg.socket_path, err, errlen);
	if (d->lfd < 0)
		return -1;
	d->sigfd = block_signals();
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sigfd < 0 || d->epfd < 0 || watch_fd(d, d->lfd, &d->listen_watch, LOOP_LISTEN) != 0 ||
	    watch_fd(d, d->sigfd, &d->signal_watch, LOOP_SIGNAL) != 0) {
		snprintf(err, errlen, "signalfd/epoll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* No drop directory is not fatal: crashes while the daemon is away are
 * then lost, and the log says so once. */
static void open_drops(struct daemon *d)
{
	char err[512];

	d->drop_dirfd = drops_open_dir(&d->cfg, err, sizeof(err));
	if (d->drop_dirfd < 0)
		bb_log(BB_LOG_WARN, "drop directory %s; crashes while no daemon runs are not "
		       "reported", err);
}

static int setup(struct daemon *d, bool foreground, bool debug, char *err, size_t errlen)
{
	int ready = -1;

	event_init_host();
	raise_fd_limit();
	enum spool_err serr = spool_open(&d->spool, d->cfg.spool_dir);
	if (serr != SPOOL_OK) {
		snprintf(err, errlen, "%s: cannot open the spool: %s", d->cfg.spool_dir,
			 spool_strerror(serr));
		return -1;
	}
	if (!foreground && daemonize(&ready) != 0) {
		snprintf(err, errlen, "cannot daemonize: %s", strerror(errno));
		return -1;
	}
	int rc = listen_and_watch(d, err, errlen);
	if (rc == 0 && !(d->quota = quota_new(&d->cfg))) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	if (rc == 0 && d->cfg.has_dsn)
		d->up = upload_start(&d->cfg, &d->spool);
	if (rc == 0)
		open_drops(d);
	if (rc == 0 && !(d->delivery = delivery_start(&d->cfg, &d->spool, d->up, d->quota,
						      d->drop_dirfd))) {
		snprintf(err, errlen, "cannot start the delivery thread");
		rc = -1;
	}
	if (rc == 0)
		d->workers = workers_new(&d->cfg, d->quota, d->delivery, d->epfd, foreground, debug,
					 err, errlen);
	if (rc == 0 && !d->workers)
		rc = -1;
	if (rc == 0 && d->drop_dirfd >= 0)
		d->drops = drops_start(&d->cfg, d->drop_dirfd, d->workers, d->quota, d->epfd);
	if (rc == 0 && !(d->msg_groups = groups_new(&d->cfg, flush_message, d))) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	if (ready >= 0) {
		if (rc != 0 && write(ready, err, strnlen(err, errlen)) < 0)
			rc = -1;
		detach(ready);
	}
	return rc;
}

static void log_start(const struct daemon *d)
{
	if (d->cfg.has_dsn) {
		char masked[32];
		bb_token_mask(d->cfg.dsn.token, masked, sizeof(masked));
		bb_log(BB_LOG_INFO, "listening on %s, spooling to %s, sending to %s (token %s)",
		       d->cfg.socket_path, d->cfg.spool_dir, d->cfg.endpoint, masked);
	} else {
		bb_log(BB_LOG_INFO, "listening on %s, spooling to %s; no dsn: local mode, "
		       "nothing is sent", d->cfg.socket_path, d->cfg.spool_dir);
	}
}

/* Everything between the command line and the exit; every failure returns
 * here so that main has a single way out (shut_down) whatever happened. */
/* The command line's paths, over the configuration's. */
struct overrides {
	const char *socket_path, *spool_dir, *drop_dir;
};

static int run(struct daemon *d, const char *config, const struct overrides *o,
		bool foreground, bool debug)
{
	char err[1024];

	if (bb_config_load(&d->cfg, config ? config : BB_DEFAULT_CONFIG, config != NULL,
			   err, sizeof(err)) != 0) {
		fprintf(stderr, "boobood: %s\n", err);
		return 1;
	}
	if ((o->socket_path && bb_config_set_str(&d->cfg.socket_path, o->socket_path) != 0) ||
	    (o->spool_dir && bb_config_set_str(&d->cfg.spool_dir, o->spool_dir) != 0) ||
	    (o->drop_dir && bb_config_set_str(&d->cfg.drop_dir, o->drop_dir) != 0)) {
		fprintf(stderr, "boobood: out of memory\n");
		return 1;
	}
	bb_log_init("boobood", foreground, debug);
	/* Workers inherit it (libdwfl reads it at query time). */
	if (d->cfg.debuginfod_urls)
		setenv("DEBUGINFOD_URLS", d->cfg.debuginfod_urls, 1);
	if (setup(d, foreground, debug, err, sizeof(err)) != 0) {
		if (foreground)
			fprintf(stderr, "boobood: %s\n", err);
		else
			bb_log(BB_LOG_ERR, "%s", err);
		return 1;
	}
	log_start(d);
	workers_prespawn_self(d->workers);
	return serve(d);
}

/* Undo whatever run() got done.  The socket is unlinked only if this
 * daemon bound it: a second daemon that found the path taken must not
 * remove the first one's socket. */
static void shut_down(struct daemon *d)
{
	drops_free(d->drops);
	workers_free(d->workers);
	groups_free(d->msg_groups);	/* what it holds goes to the spool, counted */
	if (d->delivery)
		delivery_stop(d->delivery);	/* spools what is queued first */
	if (d->up)
		upload_stop(d->up);
	quota_free(d->quota);
	while (d->oldest)
		conn_drop(d, d->oldest);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->drop_dirfd >= 0)
		close(d->drop_dirfd);
	if (d->lfd >= 0) {
		close(d->lfd);
		unlink(d->cfg.socket_path);
	}
	spool_close(&d->spool);
	bb_config_free(&d->cfg);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "spool", required_argument, NULL, 'S' },
		{ "drop-dir", required_argument, NULL, 'D' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *config = NULL;
	struct overrides o = { NULL, NULL, NULL };
	bool foreground = false, debug = false;
	struct daemon d = { .spool = { .dirfd = -1 }, .lfd = -1, .sigfd = -1, .epfd = -1,
			    .drop_dirfd = -1 };
	int c;

	while ((c = getopt_long(argc, argv, "c:fdhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'f': foreground = true; break;
		case 's': o.socket_path = optarg; break;
		case 'S': o.spool_dir = optarg; break;
		case 'D': o.drop_dir = optarg; break;
		case 'd': debug = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("boobood %s\n", BB_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	bb_config_init(&d.cfg);
	int rc = run(&d, config, &o, foreground, debug);
	shut_down(&d);
	return rc;
}
