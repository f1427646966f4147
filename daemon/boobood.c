/*
 * boobood.c - the service: one loop over the socket, each crash taken
 * through the pipeline intake -> capture (process held) -> ack ->
 * symbolize -> event -> spool, and an uploader thread that delivers the
 * spool.  See boobood(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "config.h"
#include "intake.h"
#include "event.h"
#include "log.h"
#include "pipeline.h"
#include "spool.h"
#include "upload.h"

struct daemon {
	struct bb_config cfg;
	struct spool spool;
	struct uploader *up;
	struct pipeline *pipeline;
	int lfd;
	int sigfd;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: boobood [-c FILE] [-f] [--socket PATH] [--spool DIR] [--debug]\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"  -f, --foreground    stay in the foreground, log to stderr\n"
		"      --socket PATH   listen here instead of the config's socket\n"
		"      --spool DIR     spool here instead of the config's spool_dir\n"
		"  -d, --debug         log debug messages\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n",
		BB_DEFAULT_CONFIG);
}

static void handle_crash(struct daemon *d, int conn, struct intake_msg *m)
{
	struct capture cap;
	uint64_t t0 = pipeline_now_us();

	enum capture_err err = capture_crash(&cap, &m->rec, m->peer.pid, m->peer.uid,
			m->peer.gid, m->memfd, m->mapsfd, d->cfg.hold_timeout_ms);
	/* The process may go: everything later works from the copy. */
	if (!intake_ack(conn, err == CAPTURE_OK ? 0 : 1))
		bb_log(BB_LOG_WARN, "crash of pid %d: the process stopped waiting before the "
		       "ack (hold longer than its BOOBOO_HOLD_TIMEOUT_MS?)", (int)m->peer.pid);
	intake_msg_close(m);
	uint64_t held = pipeline_now_us() - t0;

	if (err != CAPTURE_OK)
		bb_log(BB_LOG_ERR, "crash of pid %d: %s; reporting what the record says",
		       (int)m->peer.pid, capture_strerror(err));
	bb_log(BB_LOG_DEBUG, "crash of %s (pid %d): held %llu us, %zu frames, %zu threads, "
	       "%zu bytes of memory in %zu regions%s%s",
	       cap.comm, (int)m->peer.pid, (unsigned long long)held, cap.n_frames,
	       cap.n_threads + 1, cap.mem.bytes, cap.mem.n_regions,
	       cap.unwind_error[0] ? ", unwind stopped: " : "", cap.unwind_error);
	pipeline_crash(d->pipeline, &cap, t0);
}

static void handle_message(struct daemon *d, int conn, struct intake_msg *m)
{
	/* The sender waits only for the record to be taken, not for filters. */
	if (!intake_ack(conn, 0))
		bb_log(BB_LOG_DEBUG, "message from pid %d: sender gone before the ack",
		       (int)m->peer.pid);
	pipeline_message(d->pipeline, &m->rec, m->peer.pid, m->peer.uid);
}

static void handle_connection(struct daemon *d)
{
	struct intake_msg m;
	/* the shim sends its record right after connecting: a silent client
	 * gets a quarter second, not the daemon */
	int conn = intake_accept(d->lfd, 250);

	if (conn < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			bb_log(BB_LOG_WARN, "accept on %s: %s", d->cfg.socket_path,
			       strerror(errno));
		return;
	}
	enum intake_err err = intake_receive(conn, &m);
	if (err != INTAKE_OK) {
		bb_log_limited("bad record", 10, BB_LOG_WARN,
			"dropped a record from pid %d (uid %d): %s%s%s",
			(int)m.peer.pid, (int)m.peer.uid, intake_strerror(err),
			err == INTAKE_ERECORD ? ": " : "",
			err == INTAKE_ERECORD ? bb_record_strerror(m.rec_err) : "");
		(void)intake_ack(conn, 1);	/* best effort: never make a sender wait for nothing */
		intake_msg_close(&m);
		close(conn);
		return;
	}
	if (m.rec.kind == BB_REC_CRASH || m.rec.kind == BB_REC_ERROR)
		handle_crash(d, conn, &m);
	else
		handle_message(d, conn, &m);
	intake_msg_close(&m);
	close(conn);
}

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
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static int daemonize(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	return chdir("/");
}

static int serve(struct daemon *d)
{
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = d->lfd, .events = POLLIN },
			{ .fd = d->sigfd, .events = POLLIN },
		};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			bb_log(BB_LOG_ERR, "poll: %s", strerror(errno));
			return 1;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
				bb_log(BB_LOG_INFO, "%s received, stopping",
				       bb_signal_name((int)si.ssi_signo) ?: "signal");
				return 0;
			}
		}
		if (p[0].revents & POLLIN)
			handle_connection(d);
	}
}

/* Each capture keeps its process's mapped files open until its report is
 * written, and captures can queue up: take the hard descriptor limit. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			bb_log(BB_LOG_WARN, "cannot raise the descriptor limit: %s", strerror(errno));
	}
}

/* Keep freed memory for the next crash instead of handing it back: on a
 * VM every page touched anew costs a fault of ~10 us, a few hundred of
 * them per report.  The peak does not change, only how often it is paid. */
static void keep_freed_memory(void)
{
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

static int setup(struct daemon *d, bool foreground)
{
	char err[512];
	enum spool_err serr;

	event_init_host();
	raise_fd_limit();
	keep_freed_memory();
	serr = spool_open(&d->spool, d->cfg.spool_dir);
	if (serr != SPOOL_OK) {
		fprintf(stderr, "boobood: %s: cannot open the spool: %s\n",
			d->cfg.spool_dir, spool_strerror(serr));
		return -1;
	}
	if (make_parent_dir(d->cfg.socket_path) != 0) {
		fprintf(stderr, "boobood: %s: cannot create its directory: %s\n",
			d->cfg.socket_path, strerror(errno));
		return -1;
	}
	d->lfd = intake_listen(d->cfg.socket_path, err, sizeof(err));
	if (d->lfd < 0) {
		fprintf(stderr, "boobood: %s\n", err);
		return -1;
	}
	if (!foreground && daemonize() != 0) {
		fprintf(stderr, "boobood: cannot daemonize: %s\n", strerror(errno));
		return -1;
	}
	d->sigfd = block_signals();
	if (d->sigfd < 0) {
		bb_log(BB_LOG_ERR, "signalfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Everything between the command line and the exit; every failure returns
 * here so that main has a single way out (shut_down) whatever happened. */
static int run(struct daemon *d, const char *config, const char *socket_path,
		const char *spool_dir, bool foreground, bool debug)
{
	char err[1024];

	if (bb_config_load(&d->cfg, config ? config : BB_DEFAULT_CONFIG, config != NULL,
			   err, sizeof(err)) != 0) {
		fprintf(stderr, "boobood: %s\n", err);
		return 1;
	}
	if ((socket_path && bb_config_set_str(&d->cfg.socket_path, socket_path) != 0) ||
	    (spool_dir && bb_config_set_str(&d->cfg.spool_dir, spool_dir) != 0)) {
		fprintf(stderr, "boobood: out of memory\n");
		return 1;
	}
	bb_log_init("boobood", foreground, debug);
	/* libdwfl asks debuginfod when this is set, read at query time; set it
	 * before any thread exists. */
	if (d->cfg.debuginfod_urls)
		setenv("DEBUGINFOD_URLS", d->cfg.debuginfod_urls, 1);
	if (setup(d, foreground) != 0)
		return 1;
	if (d->cfg.has_dsn) {
		char masked[32];
		bb_token_mask(d->cfg.dsn.token, masked, sizeof(masked));
		bb_log(BB_LOG_INFO, "listening on %s, spooling to %s, sending to %s (token %s)",
		       d->cfg.socket_path, d->cfg.spool_dir, d->cfg.endpoint, masked);
		d->up = upload_start(&d->cfg, &d->spool);
	} else {
		bb_log(BB_LOG_INFO, "listening on %s, spooling to %s; no dsn: local mode, "
		       "nothing is sent", d->cfg.socket_path, d->cfg.spool_dir);
	}
	d->pipeline = pipeline_start(&d->cfg, &d->spool, d->up);
	if (!d->pipeline) {
		bb_log(BB_LOG_ERR, "cannot start the pipeline thread");
		return 1;
	}
	return serve(d);
}

/* Undo whatever run() got done.  The socket is unlinked only if this
 * daemon bound it: a second daemon that found the path taken must not
 * remove the first one's socket. */
static void shut_down(struct daemon *d)
{
	if (d->pipeline)
		pipeline_stop(d->pipeline);	/* finishes the queue first */
	if (d->up)
		upload_stop(d->up);
	if (d->sigfd >= 0)
		close(d->sigfd);
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
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *config = NULL, *socket_path = NULL, *spool_dir = NULL;
	bool foreground = false, debug = false;
	struct daemon d = { .spool = { .dirfd = -1 }, .lfd = -1, .sigfd = -1 };
	int c;

	while ((c = getopt_long(argc, argv, "c:fdhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'f': foreground = true; break;
		case 's': socket_path = optarg; break;
		case 'S': spool_dir = optarg; break;
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
	int rc = run(&d, config, socket_path, spool_dir, foreground, debug);
	shut_down(&d);
	return rc;
}
