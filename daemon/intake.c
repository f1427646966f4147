/*
 * intake.c - accept records on the Unix socket and decide whether to
 * believe them.  Everything a record says that matters for security (whose
 * memory to read) is checked against the kernel: SO_PEERCRED and the
 * identity of the passed /proc descriptors.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>

#include "intake.h"

#define PROC_MAGIC 0x9fa0

int intake_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	int fd;

	if (n >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return -1;
	}
	memcpy(addr.sun_path, path, n + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* A live daemon answers a connect; only a dead one's file is removed. */
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		snprintf(err, errlen, "%s: another boobood is already listening", path);
		close(fd);
		return -1;
	}
	unlink(path);
	mode_t old = umask(0);	/* any local user may report a crash */
	int rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (rc != 0 || listen(fd, 64) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int intake_accept(int lfd, unsigned timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
			      .tv_usec = (timeout_ms % 1000) * 1000 };
	int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (conn < 0)
		return -1;
	/* A client that connects and says nothing must not stall the daemon. */
	setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return conn;
}

static void take_fds(struct msghdr *msg, struct intake_msg *m, int *extra)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int fds[8];
		if (nfd > 8)
			nfd = 8;
		memcpy(fds, CMSG_DATA(c), nfd * sizeof(int));
		for (size_t i = 0; i < nfd; i++) {
			if (m->memfd < 0 && i == 0)
				m->memfd = fds[i];
			else if (m->mapsfd < 0 && i == 1)
				m->mapsfd = fds[i];
			else {
				close(fds[i]);	/* more than we asked for */
				(*extra)++;
			}
		}
	}
}

/* Is fd the /proc/PID/<what> of exactly this pid? */
static int is_proc_file_of(int fd, pid_t pid, const char *what)
{
	char link[64], want[64], target[PATH_MAX];
	struct statfs sfs;
	ssize_t n;

	if (fstatfs(fd, &sfs) != 0 || sfs.f_type != PROC_MAGIC)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	snprintf(want, sizeof(want), "/proc/%d/%s", (int)pid, what);
	return strcmp(target, want) == 0;
}

enum intake_err intake_receive(int conn, struct intake_msg *m)
{
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char buf[sizeof(struct bb_record) + 1];	/* +1 to see oversized messages */
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	socklen_t credlen = sizeof(m->peer);
	int extra = 0;

	memset(m, 0, sizeof(*m));
	m->memfd = m->mapsfd = -1;
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &m->peer, &credlen) != 0 ||
	    m->peer.pid <= 0)
		return INTAKE_EPEER;
	ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return INTAKE_EIO;
	if (n == 0)
		return INTAKE_EEOF;
	take_fds(&msg, m, &extra);
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return INTAKE_ETRUNC;
	m->rec_err = bb_record_parse(buf, (size_t)n, &m->rec);
	if (m->rec_err != BB_REC_OK)
		return INTAKE_ERECORD;
	if (m->rec.pid != m->peer.pid)
		return INTAKE_EPID;
	if (m->rec.kind == BB_REC_CRASH || m->rec.kind == BB_REC_ERROR) {
		if (m->memfd < 0 || m->mapsfd < 0 || extra ||
		    !is_proc_file_of(m->memfd, m->peer.pid, "mem") ||
		    !is_proc_file_of(m->mapsfd, m->peer.pid, "maps"))
			return INTAKE_EFDS;
	} else if (m->memfd >= 0 || m->mapsfd >= 0 || extra) {
		return INTAKE_EFDS;
	}
	return INTAKE_OK;
}

const char *intake_strerror(enum intake_err err)
{
	switch (err) {
	case INTAKE_OK: return "ok";
	case INTAKE_EIO: return "receive failed";
	case INTAKE_EEOF: return "peer closed the connection without a record";
	case INTAKE_ERECORD: return "malformed record";
	case INTAKE_EPEER: return "cannot get the peer's credentials";
	case INTAKE_EPID: return "record names another process than its sender";
	case INTAKE_EFDS: return "record's descriptors are not the sender's /proc/PID/mem and maps";
	case INTAKE_ETRUNC: return "message truncated";
	}
	return "unknown intake error";
}

bool intake_ack(int conn, uint32_t status)
{
	struct bb_ack ack = { .magic = BB_ACK_MAGIC, .status = status };

	/* MSG_NOSIGNAL: a sender that already gave up (its hold bound
	 * passed) must not kill the daemon with SIGPIPE. */
	return send(conn, &ack, sizeof(ack), MSG_NOSIGNAL) == (ssize_t)sizeof(ack);
}

void intake_msg_close(struct intake_msg *m)
{
	if (m->memfd >= 0)
		close(m->memfd);
	if (m->mapsfd >= 0)
		close(m->mapsfd);
	m->memfd = m->mapsfd = -1;
}
