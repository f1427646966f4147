/*
 * uploader.c - boobood-uploader: sends the spool's events to the ingest,
 * with no privileges (see upload.h).  Started by boobood only, with its
 * channel on descriptor 3.
 *
 * One event at a time, oldest first, so the ingest sees crashes in the
 * order they happened; a backoff holds the whole queue because its causes
 * (network, 5xx, 429) are not about one event.  It asks the root part for
 * the next event, gets the file's descriptor, posts it, and says what
 * became of it; the root part moves it.  It ends when the channel closes.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "clock.h"
#include "ingest.h"
#include "log.h"
#include "sandbox.h"
#include "upload.h"

#define CHANNEL 3
#define BACKOFF_MIN_S 1
#define BACKOFF_MAX_S 300
#define RESCAN_S 60	/* nothing pending: ask again now and then (other writers) */

/* Someone of our user attached before we made ourselves undumpable: the
 * token must not reach them. */
static bool traced(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long pid = 0;

	if (!f)
		return true;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %ld", &pid) == 1)
			break;
	fclose(f);
	return pid != 0;
}

/* Until a message of one of the types wanted (WAKE is skipped when not
 * wanted), or seconds pass (-1: no limit).  1: *m is it; 0: the time
 * passed; -1: the channel closed or spoke nonsense. */
static int await(struct upload_msg *m, int *fd, unsigned wanted, long seconds)
{
	uint64_t deadline = bb_now_ms() + (seconds > 0 ? (uint64_t)seconds * 1000 : 0);

	for (;;) {
		long left = seconds < 0 ? -1 : (long)(deadline - bb_now_ms());
		struct pollfd p = { .fd = CHANNEL, .events = POLLIN };
		if (seconds >= 0 && (left <= 0 || deadline < bb_now_ms()))
			return 0;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -1;
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (upload_recv(CHANNEL, m, fd, false) != 1)
			return -1;
		if (wanted & (1u << m->type))
			return 1;
		if (m->type != UPLOAD_WAKE || *fd >= 0)
			return -1;	/* the root part never sends that here */
	}
}

static int say(enum upload_type t, const char *id, const struct ingest_result *r)
{
	struct upload_msg m = { .outcome = (int32_t)r->outcome, .code = (int32_t)r->code };

	snprintf(m.id, sizeof(m.id), "%s", id);
	snprintf(m.text, sizeof(m.text), "%s", r->text);
	return upload_send(CHANNEL, &m, t, -1);
}

/* Post the event handed over; says what became of it.  The seconds to
 * wait before the next, or 0 for none. */
static long deliver(const struct upload_msg *cfg, const struct upload_msg *ev, int fd,
		long *backoff)
{
	struct ingest_result r = { .outcome = INGEST_RETRY, .retry_after = -1 };
	size_t len;
	char *body = spool_read_fd(fd, &len);

	if (body)
		ingest_post(cfg->endpoint, cfg->text, body, len, &r);
	else
		snprintf(r.text, sizeof(r.text), "cannot read the event: %s", strerror(errno));
	free(body);
	if (say(UPLOAD_RESULT, ev->id, &r) != 0)
		return -1;
	if (r.outcome != INGEST_RETRY) {
		*backoff = BACKOFF_MIN_S;
		return 0;
	}
	/* The server's word wins; otherwise double, and a new event does
	 * not cut the wait (it would hammer a server that is down). */
	long wait = r.retry_after >= 0 ? r.retry_after : *backoff;
	if (r.retry_after < 0)
		*backoff = *backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : *backoff * 2;
	return wait;
}

static int serve(const struct upload_msg *cfg)
{
	struct upload_msg m = { 0 }, next = { 0 };
	long backoff = BACKOFF_MIN_S, wait;
	int fd;

	for (;;) {
		if (upload_send(CHANNEL, &next, UPLOAD_NEXT, -1) != 0 ||
		    await(&m, &fd, 1u << UPLOAD_EVENT | 1u << UPLOAD_NONE, -1) != 1)
			return 0;
		if (m.type == UPLOAD_NONE) {
			if (await(&m, &fd, 1u << UPLOAD_WAKE, RESCAN_S) < 0)
				return 0;
			continue;
		}
		wait = deliver(cfg, &m, fd, &backoff);
		close(fd);
		if (wait < 0 || (wait > 0 && await(&m, &fd, 0, wait) < 0))
			return 0;
	}
}

static void handshake(const struct upload_msg *cfg)
{
	char body[128];
	struct ingest_result r;
	int n = snprintf(body, sizeof(body), "{\"handshake\": true, \"sdk\": \"booboo-native/%s\"}",
			 BB_VERSION);

	ingest_post(cfg->endpoint, cfg->text, body, (size_t)n, &r);
	say(UPLOAD_HANDSHAKE, "", &r);
}

int main(int argc, char **argv)
{
	struct upload_msg cfg;
	int fd;

	if (argc != 2 || strcmp(argv[1], "--channel=3") != 0) {
		fprintf(stderr, "boobood-uploader: started by boobood only (--channel=3)\n");
		return 2;
	}
	/* no process of our user may read the token out of us */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	bb_log_init("boobood-uploader", true, false);
	if (traced()) {
		bb_log(BB_LOG_ERR, "traced by another process: refusing to start");
		return 1;
	}
	if (sandbox_seccomp() != 0)
		bb_log(BB_LOG_WARN, "seccomp filter not installed: %s", strerror(errno));
	if (!ingest_init())
		return 1;
	if (await(&cfg, &fd, 1u << UPLOAD_CONFIG, -1) != 1)
		return 1;
	handshake(&cfg);
	return serve(&cfg);
}
