/*
 * boobood.c - the service: one loop over the socket, each crash taken
 * through the pipeline intake -> capture (process held) -> ack ->
 * symbolize -> event -> spool, and an uploader thread that delivers the
 * spool.  See boobood(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "config.h"
#include "event.h"
#include "intake.h"
#include "filter.h"
#include "log.h"
#include "scrub.h"
#include "stats.h"
#include "shrink.h"
#include "source.h"
#include "spool.h"
#include "symbolize.h"
#include "upload.h"

struct daemon {
	struct bb_config cfg;
	struct spool spool;
	struct uploader *up;
	struct stats stats;
	long started;
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

static void spool_event(struct daemon *d, struct json_object *ev, const char *what)
{
	size_t len = shrink_event(ev, SHRINK_LIMIT);

	if (len > SHRINK_LIMIT)
		bb_log(BB_LOG_WARN, "%s: event is %zu bytes even after shrinking; "
		       "the ingest may refuse it", what, len);
	const char *json = json_object_to_json_string_length(ev,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	char id[SPOOL_ID_MAX];
	enum spool_err err = spool_put(&d->spool, json, len, id);

	if (err != SPOOL_OK) {
		bb_log(BB_LOG_ERR, "%s: cannot spool the event in %s: %s; it is lost",
		       what, d->cfg.spool_dir, spool_strerror(err));
		d->stats.spool_failures++;
		d->stats.dirty = true;
		return;
	}
	bb_log(BB_LOG_INFO, "%s: spooled as %s", what, id);
	if (d->up)
		upload_wake(d->up);
}

/* ignore_errors, scrubbing, before_send, then the spool.  Takes ev. */
static void deliver(struct daemon *d, struct json_object *ev, const char *what)
{
	const char *ignored = filter_ignored(&d->cfg, ev);
	char reason[512];

	if (ignored) {
		bb_log(BB_LOG_INFO, "%s: ignored (ignore_errors: %s)", what, ignored);
		d->stats.ignored++;
		d->stats.dirty = true;
		json_object_put(ev);
		return;
	}
	scrub_event(&d->cfg, ev);
	if (d->cfg.before_send) {
		switch (filter_before_send(&d->cfg, &ev, reason, sizeof(reason))) {
		case BEFORE_SEND_KEEP:
			break;
		case BEFORE_SEND_DROP:
			bb_log(BB_LOG_INFO, "%s: dropped by before_send", what);
			d->stats.dropped_by_before_send++;
			d->stats.dirty = true;
			json_object_put(ev);
			return;
		case BEFORE_SEND_FAILED:
			bb_log(BB_LOG_WARN, "%s: before_send %s: %s; the event is dropped, "
			       "not sent unmodified", what, d->cfg.before_send, reason);
			d->stats.before_send_failures++;
			d->stats.dirty = true;
			json_object_put(ev);
			return;
		}
	}
	spool_event(d, ev, what);
	json_object_put(ev);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void enrich(struct daemon *d, const struct capture *cap, struct symbolized *sym)
{
	struct source_cred cred = { .uid = cap->uid, .gid = cap->gid };

	if (cap->have_fscred) {
		cred.uid = cap->fsuid;
		cred.gid = cap->fsgid;
		cred.n_groups = cap->n_groups;
		memcpy(cred.groups, cap->groups, cap->n_groups * sizeof(gid_t));
	}
	source_enrich(sym, &d->cfg, &cred);
}

static void handle_crash(struct daemon *d, int conn, struct intake_msg *m)
{
	struct capture cap;
	struct symbolized sym;
	char what[128];
	uint64_t t0 = now_us();

	enum capture_err err = capture_crash(&cap, &m->rec, m->peer.pid, m->peer.uid,
			m->peer.gid, m->memfd, m->mapsfd, d->cfg.hold_timeout_ms);
	/* The process may go: everything later works from the copy. */
	intake_ack(conn, err == CAPTURE_OK ? 0 : 1);
	intake_msg_close(m);
	uint64_t held = now_us() - t0;

	snprintf(what, sizeof(what), "crash of %s (pid %d, %s)",
		 cap.comm[0] ? cap.comm : "?", (int)m->peer.pid,
		 bb_signal_name(m->rec.signo) ?: "signal");
	if (err != CAPTURE_OK) {
		bb_log(BB_LOG_ERR, "%s: %s; reporting what the record says", what,
		       capture_strerror(err));
	}
	bb_log(BB_LOG_DEBUG, "%s: held %llu us, %zu frames%s%s", what,
	       (unsigned long long)held, cap.n_frames,
	       cap.unwind_error[0] ? ", unwind stopped: " : "", cap.unwind_error);
	if (symbolize_capture(&cap, &sym) != 0)
		bb_log(BB_LOG_WARN, "%s: cannot symbolize: out of memory or no libdwfl", what);
	enrich(d, &cap, &sym);
	deliver(d, event_from_crash(&d->cfg, &cap, &sym), what);
	bb_log(BB_LOG_DEBUG, "%s: record to spool in %llu us", what,
	       (unsigned long long)(now_us() - t0));
	symbolize_free(&sym);
	capture_free(&cap);
}

static void handle_message(struct daemon *d, int conn, struct intake_msg *m)
{
	char what[64];
	struct json_object *ev = event_from_message(&d->cfg, &m->rec, m->peer.pid,
			m->peer.uid);

	snprintf(what, sizeof(what), "message from pid %d", (int)m->peer.pid);
	/* The sender waits only for the record to be taken, not for filters. */
	intake_ack(conn, 0);
	deliver(d, ev, what);
}

static void handle_connection(struct daemon *d)
{
	struct intake_msg m;
	int conn = intake_accept(d->lfd, 1000);

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
		intake_ack(conn, 1);	/* never make a sender wait for nothing */
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

static void save_status(struct daemon *d)
{
	if (d->up) {
		struct upload_status us;
		upload_get_status(d->up, &us);
		if (us.sent != d->stats.sent || us.rejected != d->stats.rejected ||
		    us.retries != d->stats.retries ||
		    strcmp(us.last_error, d->stats.last_upload_error) != 0) {
			d->stats.sent = us.sent;
			d->stats.rejected = us.rejected;
			d->stats.retries = us.retries;
			snprintf(d->stats.last_upload_error, sizeof(d->stats.last_upload_error),
				 "%s", us.last_error);
			d->stats.dirty = true;
		}
	}
	stats_save(&d->stats, d->cfg.spool_dir, getpid(), d->started);
}

static int serve(struct daemon *d)
{
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = d->lfd, .events = POLLIN },
			{ .fd = d->sigfd, .events = POLLIN },
		};
		save_status(d);
		if (poll(p, 2, 5000) < 0) {
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

static int setup(struct daemon *d, bool foreground)
{
	char err[512];
	enum spool_err serr;

	event_init_host();
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

static int replace_str(char **dst, const char *src)
{
	char *copy = strdup(src);

	if (!copy)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
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
	struct daemon d = { .lfd = -1, .sigfd = -1 };
	char err[1024];
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
	if (bb_config_load(&d.cfg, config ? config : BB_DEFAULT_CONFIG, config != NULL,
			   err, sizeof(err)) != 0) {
		fprintf(stderr, "boobood: %s\n", err);
		return 1;
	}
	if ((socket_path && replace_str(&d.cfg.socket_path, socket_path) != 0) ||
	    (spool_dir && replace_str(&d.cfg.spool_dir, spool_dir) != 0)) {
		fprintf(stderr, "boobood: out of memory\n");
		return 1;
	}
	bb_log_init("boobood", foreground, debug);
	/* libdwfl asks debuginfod when this is set, read at query time; set it
	 * before any thread exists. */
	if (d.cfg.debuginfod_urls)
		setenv("DEBUGINFOD_URLS", d.cfg.debuginfod_urls, 1);
	if (setup(&d, foreground) != 0)
		return 1;
	if (d.cfg.has_dsn) {
		char masked[32];
		bb_token_mask(d.cfg.dsn.token, masked, sizeof(masked));
		bb_log(BB_LOG_INFO, "listening on %s, spooling to %s, sending to %s (token %s)",
		       d.cfg.socket_path, d.cfg.spool_dir, d.cfg.endpoint, masked);
		d.up = upload_start(&d.cfg, &d.spool);
	} else {
		bb_log(BB_LOG_INFO, "listening on %s, spooling to %s; no dsn: local mode, "
		       "nothing is sent", d.cfg.socket_path, d.cfg.spool_dir);
	}
	stats_load(&d.stats, d.cfg.spool_dir);
	d.started = (long)time(NULL);
	d.stats.dirty = true;
	int rc = serve(&d);
	save_status(&d);
	if (d.up)
		upload_stop(d.up);
	close(d.lfd);
	unlink(d.cfg.socket_path);
	spool_close(&d.spool);
	bb_config_free(&d.cfg);
	return rc;
}
