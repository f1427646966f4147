/*
 * upload.c - the root part's side of delivery (see upload.h): a thread
 * that keeps the uploader process running, hands it the pending events
 * one at a time, oldest first, as descriptors, and moves each as the
 * uploader says.  It also keeps the counters of `booboo status` and
 * writes the log, so the uploader needs neither the spool nor syslog.
 *
 * What the uploader says is the word of a process that talks to the
 * network: it may only settle the one event it was handed, with one of
 * three outcomes; any other message ends it (it is started again).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "spawn.h"
#include "upload.h"

#define RESTART_MIN_MS 1000	/* an uploader that died is started again after this, */
#define RESTART_MAX_MS 60000	/* doubling up to this while it keeps dying */
#define STOP_WAIT_MS 2000	/* for the uploader to end when we stop */
#define UNREADABLE_MAX 16	/* events moved aside in one go */

struct uploader {
	const struct bb_config *cfg;
	struct spool *sp;
	pthread_t thread;
	pthread_mutex_t lock;	/* status, stop */
	struct upload_status status;
	bool stop;
	int wakefd;		/* eventfd: an event is pending, or stop */
	char masked[32];
	/* the thread's own */
	struct sandbox_creds creds;
	pid_t pid;
	int chan, pidfd;
	char handed[SPOOL_ID_MAX];	/* the event the uploader holds, "" if none */
	bool woken;		/* a WAKE is on its way since the last NEXT */
	uint64_t restart_at;	/* CLOCK_MONOTONIC ms; 0: now */
	unsigned restart_ms;
};

/* ---- the uploader's rights --------------------------------------------------- */

/* The system user "booboo" if there is one, else nobody; looked up here,
 * before any fork (an NSS lookup in a child of a threaded process can
 * hang).  No supplementary groups. */
static void choose_user(struct sandbox_creds *c)
{
	static const char *const names[] = { "booboo", "nobody" };
	struct passwd pw, *found = NULL;
	char buf[1024];

	memset(c, 0, sizeof(*c));
	c->uid = 65534;
	c->gid = 65534;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (getpwnam_r(names[i], &pw, buf, sizeof(buf), &found) == 0 && found) {
			c->uid = found->pw_uid;
			c->gid = found->pw_gid;
			return;
		}
}

/* ---- status and log ------------------------------------------------------------ */

static void counted(struct uploader *up, unsigned long *counter, const char *error)
{
	pthread_mutex_lock(&up->lock);
	(*counter)++;
	if (error)
		snprintf(up->status.last_error, sizeof(up->status.last_error), "%.250s", error);
	pthread_mutex_unlock(&up->lock);
}

/* The uploader's text, as the log gets it: one line, no control characters. */
static void one_line(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

static void on_handshake(struct uploader *up, struct upload_msg *m)
{
	const char *ep = up->cfg->endpoint;

	one_line(m->text);
	if (m->code >= 200 && m->code < 300)
		bb_log(BB_LOG_INFO, "handshake with %s: connected (token %s)", ep, up->masked);
	else if (m->code)
		bb_log(BB_LOG_WARN, "handshake with %s (token %s): HTTP %d: %s", ep, up->masked,
		       (int)m->code, m->text);
	else
		bb_log(BB_LOG_WARN, "handshake with %s: %s", ep, m->text);
}

static void on_result(struct uploader *up, struct upload_msg *m)
{
	const char *ep = up->cfg->endpoint, *id = m->id;
	char msg[400];

	one_line(m->text);
	switch (m->outcome) {
	case INGEST_SENT:
		spool_mark_sent(up->sp, id);
		bb_log(BB_LOG_INFO, "event %s delivered (HTTP %d)", id, (int)m->code);
		counted(up, &up->status.sent, NULL);
		break;
	case INGEST_RETRY:
		if (m->code == 0)
			snprintf(msg, sizeof(msg), "%s: %s", ep, m->text);
		else
			snprintf(msg, sizeof(msg), "%s: HTTP %d: %s", ep, (int)m->code, m->text);
		bb_log_limited(m->code == 429 ? "upload 429" : m->code ? "upload 5xx" : "upload down",
			       60, BB_LOG_WARN, "cannot deliver events (token %s): %s; will retry",
			       up->masked, msg);
		counted(up, &up->status.retries, msg);
		break;
	default:
		snprintf(msg, sizeof(msg), "HTTP %d: %s", (int)m->code, m->text);
		bb_log(BB_LOG_WARN, "event %s rejected by %s (token %s): %s; kept in %s/rejected",
		       id, ep, up->masked, msg, up->sp->dir);
		spool_mark_rejected(up->sp, id, msg);
		counted(up, &up->status.rejected, msg);
		break;
	}
}

/* ---- the uploader process --------------------------------------------------------- */

/* The channel closed, the uploader ends by itself when it next waits on
 * it (gently: at once; else within STOP_WAIT_MS), or is killed. */
static void end_uploader(struct uploader *up, bool gently)
{
	struct pollfd p = { .fd = up->pidfd, .events = POLLIN };

	if (up->pid <= 0)
		return;
	close(up->chan);
	if (!gently || poll(&p, 1, STOP_WAIT_MS) == 0)
		pidfd_send_signal(up->pidfd, SIGKILL, NULL, 0);
	waitpid(up->pid, NULL, 0);
	close(up->pidfd);
	up->pid = -1;
	up->chan = up->pidfd = -1;
	up->handed[0] = '\0';
	up->woken = false;
}

/* It died or misbehaved: started again later, the later the more often. */
static void lost_uploader(struct uploader *up, const char *why)
{
	bb_log(BB_LOG_WARN, "the uploader (pid %d) %s; starting it again in %u s", (int)up->pid,
	       why, up->restart_ms / 1000);
	end_uploader(up, false);
	up->restart_at = bb_now_ms() + up->restart_ms;
	up->restart_ms = up->restart_ms * 2 > RESTART_MAX_MS ? RESTART_MAX_MS : up->restart_ms * 2;
}

static void start_uploader(struct uploader *up)
{
	struct upload_msg m = { 0 };

	up->pid = spawn_uploader(&up->creds, &up->chan, &up->pidfd);
	if (up->pid < 0 || up->pidfd < 0) {
		bb_log_limited("uploader start", 60, BB_LOG_ERR, "cannot start the uploader: %s",
			       strerror(errno));
		if (up->pid > 0)
			end_uploader(up, false);
		up->pid = -1;
		up->restart_at = bb_now_ms() + RESTART_MAX_MS;
		return;
	}
	snprintf(m.endpoint, sizeof(m.endpoint), "%s", up->cfg->endpoint);
	snprintf(m.text, sizeof(m.text), "%s", up->cfg->dsn.token);
	if (upload_send(up->chan, &m, UPLOAD_CONFIG, -1) != 0)
		lost_uploader(up, "did not take its configuration");
	explicit_bzero(&m, sizeof(m));
}

/* The oldest pending event, opened for the uploader; one that cannot be
 * read is moved aside, as it could never be sent. */
static void hand_next(struct uploader *up)
{
	struct upload_msg m = { 0 };

	up->woken = false;
	for (int tries = 0; tries < UNREADABLE_MAX; tries++) {
		if (spool_oldest_pending(up->sp, m.id) != SPOOL_OK)
			break;
		int fd = spool_open_event(up->sp, SPOOL_PENDING, m.id);
		if (fd >= 0) {
			snprintf(up->handed, sizeof(up->handed), "%s", m.id);
			if (upload_send(up->chan, &m, UPLOAD_EVENT, fd) != 0)
				lost_uploader(up, "does not take its events");
			close(fd);
			return;
		}
		bb_log(BB_LOG_ERR, "%s/pending/%s.json: %s; moving it aside", up->sp->dir, m.id,
		       strerror(errno));
		spool_mark_rejected(up->sp, m.id, "unreadable in the spool");
	}
	m.id[0] = '\0';
	if (upload_send(up->chan, &m, UPLOAD_NONE, -1) != 0)
		lost_uploader(up, "does not take its answers");
}

/* A result for the one event the uploader holds, with an outcome. */
static bool settles_handed(struct uploader *up, const struct upload_msg *m)
{
	if (m->type != UPLOAD_RESULT || !up->handed[0] || strcmp(m->id, up->handed) != 0 ||
	    m->outcome < INGEST_SENT || m->outcome > INGEST_REJECTED)
		return false;
	up->handed[0] = '\0';
	up->restart_ms = RESTART_MIN_MS;	/* it works */
	return true;
}

static void on_message(struct uploader *up)
{
	struct upload_msg m;
	int fd;
	int rc = upload_recv(up->chan, &m, &fd, true);

	if (rc < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (fd >= 0)
		close(fd);	/* the uploader has none to give */
	if (rc == 0)
		lost_uploader(up, "closed its channel");
	else if (rc < 0 || fd >= 0)
		lost_uploader(up, "sent a malformed message");
	else if (m.type == UPLOAD_NEXT && !up->handed[0])
		hand_next(up);
	else if (m.type == UPLOAD_HANDSHAKE)
		on_handshake(up, &m);
	else if (settles_handed(up, &m))
		on_result(up, &m);
	else
		lost_uploader(up, "answered for an event it was not given");
}

static void on_wake(struct uploader *up)
{
	struct upload_msg m = { 0 };

	if (up->pid > 0 && !up->woken) {
		/* one at a time: the uploader asks for the next event anyway */
		up->woken = true;
		upload_send(up->chan, &m, UPLOAD_WAKE, -1);
	}
}

/* ---- the thread ---------------------------------------------------------------------- */

static bool stopping(struct uploader *up)
{
	pthread_mutex_lock(&up->lock);
	bool stop = up->stop;
	pthread_mutex_unlock(&up->lock);
	return stop;
}

static int until_restart(const struct uploader *up)
{
	uint64_t now = bb_now_ms();

	if (up->pid > 0)
		return -1;
	return up->restart_at > now ? (int)(up->restart_at - now) : 0;
}

static void *upload_main(void *arg)
{
	struct uploader *up = arg;
	uint64_t n;

	while (!stopping(up)) {
		if (up->pid <= 0 && until_restart(up) == 0)
			start_uploader(up);
		struct pollfd p[3] = {
			{ .fd = up->wakefd, .events = POLLIN },
			{ .fd = up->pid > 0 ? up->chan : -1, .events = POLLIN },
			{ .fd = up->pid > 0 ? up->pidfd : -1, .events = POLLIN },
		};
		if (poll(p, 3, until_restart(up)) < 0 && errno != EINTR)
			break;
		if ((p[0].revents & POLLIN) && read(up->wakefd, &n, sizeof(n)) > 0)
			on_wake(up);
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			on_message(up);
		else if (up->pid > 0 && (p[2].revents & POLLIN))
			lost_uploader(up, "exited");
	}
	end_uploader(up, true);
	return NULL;
}

struct uploader *upload_start(const struct bb_config *cfg, struct spool *sp)
{
	struct uploader *up;

	if (!cfg->has_dsn || !cfg->endpoint)
		return NULL;
	up = calloc(1, sizeof(*up));
	if (!up)
		return NULL;
	up->cfg = cfg;
	up->sp = sp;
	up->pid = up->chan = up->pidfd = -1;
	up->restart_ms = RESTART_MIN_MS;
	bb_token_mask(cfg->dsn.token, up->masked, sizeof(up->masked));
	choose_user(&up->creds);
	pthread_mutex_init(&up->lock, NULL);
	up->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (up->wakefd < 0 || pthread_create(&up->thread, NULL, upload_main, up) != 0) {
		bb_log(BB_LOG_ERR, "cannot start the upload thread: %s", strerror(errno));
		if (up->wakefd >= 0)
			close(up->wakefd);
		pthread_mutex_destroy(&up->lock);
		free(up);
		return NULL;
	}
	return up;
}

void upload_wake(struct uploader *up)
{
	uint64_t one = 1;

	if (write(up->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		bb_log_limited("upload wake", 60, BB_LOG_WARN, "cannot wake the upload thread: %s",
			       strerror(errno));
}

void upload_stop(struct uploader *up)
{
	pthread_mutex_lock(&up->lock);
	up->stop = true;
	pthread_mutex_unlock(&up->lock);
	upload_wake(up);
	pthread_join(up->thread, NULL);
	close(up->wakefd);
	pthread_mutex_destroy(&up->lock);
	free(up);
}

void upload_get_status(struct uploader *up, struct upload_status *st)
{
	pthread_mutex_lock(&up->lock);
	*st = up->status;
	pthread_mutex_unlock(&up->lock);
}
