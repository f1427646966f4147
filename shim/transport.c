/*
 * transport.c - one record to the daemon, one ack back, in bounded time.
 *
 * Used from the crash handler, so only async-signal-safe system calls:
 * socket, connect, getsockopt, geteuid, open, sendmsg, poll, recv, close.
 * The socket is non-blocking: no daemon (ENOENT, ECONNREFUSED) or a full
 * backlog (EAGAIN) costs one failed connect and the caller goes on at once.
 *
 * The record holds the program's data and the descriptors open its whole
 * memory, so they go only to a listener the kernel says runs as root or
 * as this process's effective user: anyone else who could bind the socket
 * path gets a connection and nothing on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

long shim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int send_record(int sock, const struct bb_record *rec, int memfd, int mapsfd)
{
	int fds[2] = { memfd, mapsfd };
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)rec, .iov_len = sizeof(*rec) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (memfd >= 0 && mapsfd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(c), fds, sizeof(fds));
	}
	/* MSG_NOSIGNAL: a SIGPIPE would stay pending and replace the
	 * program's own signal in its exit status. */
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(*rec) ? 0 : -1;
}

static int wait_for_ack(int sock)
{
	long deadline = shim_now_ms() + shim_load.hold_ms;
	struct bb_ack ack;

	for (;;) {
		long left = deadline - shim_now_ms();
		struct pollfd p = { .fd = sock, .events = POLLIN };

		if (left <= 0)
			return -1;
		int rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return -1;
		/* Any answer, even a hang-up, means the daemon is done with us. */
		ssize_t n = recv(sock, &ack, sizeof(ack), MSG_DONTWAIT);
		return n == (ssize_t)sizeof(ack) && ack.magic == BB_ACK_MAGIC &&
		       ack.status == 0 ? 0 : -1;
	}
}

/* SO_PEERCRED is the kernel's word on who listens, fixed when it called
 * listen(): what it claims on the socket counts for nothing. */
static bool trusted_peer(int sock, pid_t *pid)
{
	struct ucred peer;
	socklen_t len = sizeof(peer);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 || len != sizeof(peer))
		return false;
	*pid = peer.pid;
	return peer.uid == 0 || peer.uid == geteuid();
}

/* Connect, check who listens, send: the connected socket, or -1. */
static int deliver(const struct bb_record *rec, bool pass_fds)
{
	int memfd = -1, mapsfd = -1, rc = -1;
	pid_t peer = 0;
	int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (sock < 0)
		return -1;
	if (connect(sock, (const struct sockaddr *)&shim_load.daemon_addr,
		    shim_load.daemon_addr_len) != 0 || !trusted_peer(sock, &peer))
		goto out;
	if (pass_fds) {
		/* Under Yama ptrace_scope=1 the daemon may then stop and read
		 * the other threads. */
		if (peer > 0)
			prctl(PR_SET_PTRACER, (unsigned long)peer, 0, 0, 0);
		/* Opened now, not at load: after a fork, a descriptor opened by
		 * the parent would still show the parent's memory. */
		memfd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
		mapsfd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	}
	rc = send_record(sock, rec, memfd, mapsfd);
out:
	if (memfd >= 0)
		close(memfd);
	if (mapsfd >= 0)
		close(mapsfd);
	if (rc != 0) {
		close(sock);
		return -1;
	}
	return sock;
}

int shim_transport_send(const struct bb_record *rec, bool pass_fds)
{
	int sock = deliver(rec, pass_fds);

	if (sock < 0)
		return -1;
	int rc = wait_for_ack(sock);
	close(sock);
	return rc;
}

/* ---- messages: posted, not waited for -------------------------------------
 *
 * The daemon learns which program sent a message from the kernel while
 * the sender lives; a program that posts and exits at once would leave it
 * unknown.  So posted sockets are kept (a few) until the daemon's answer
 * shows it has taken them: collected at the next post, and waited for at
 * exit, briefly and only if some are still unanswered.  Normal context
 * only: the crash handler never comes here. */
#define POSTED_MAX 64
#define EXIT_WAIT_MS 200

static pthread_mutex_t posted_lock = PTHREAD_MUTEX_INITIALIZER;
static int posted[POSTED_MAX];
static size_t n_posted;
static pid_t posted_by;		/* after a fork, the child's are its own */

/* Close the answered ones (an ack, or the daemon gone). */
static void collect_answered(void)
{
	for (size_t i = 0; i < n_posted;) {
		struct bb_ack ack;
		ssize_t n = recv(posted[i], &ack, sizeof(ack), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			i++;
			continue;
		}
		close(posted[i]);
		posted[i] = posted[--n_posted];
	}
}

int shim_transport_post(const struct bb_record *rec)
{
	int sock = deliver(rec, false);

	if (sock < 0)
		return -1;
	pthread_mutex_lock(&posted_lock);
	if (posted_by != getpid()) {
		n_posted = 0;	/* the parent's: not ours to wait for or close */
		posted_by = getpid();
	}
	if (n_posted == POSTED_MAX)
		collect_answered();	/* once in a while: a system call each */
	if (n_posted == POSTED_MAX) {
		close(posted[0]);	/* the oldest: taken long since, surely */
		posted[0] = posted[--n_posted];
	}
	posted[n_posted++] = sock;
	pthread_mutex_unlock(&posted_lock);
	return 0;
}

__attribute__((destructor))
static void wait_for_posted(void)
{
	long deadline = shim_now_ms() + EXIT_WAIT_MS;

	shim_panic_flush();	/* posts too: waited for with the rest */
	pthread_mutex_lock(&posted_lock);
	if (posted_by == getpid()) {
		collect_answered();
		while (n_posted && shim_now_ms() < deadline) {
			struct pollfd p = { .fd = posted[0], .events = POLLIN };
			poll(&p, 1, (int)(deadline - shim_now_ms()));
			collect_answered();
		}
		while (n_posted)
			close(posted[--n_posted]);
	}
	pthread_mutex_unlock(&posted_lock);
}
