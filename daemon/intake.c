/*
 * intake.c - accept records on the Unix socket and decide whether to
 * believe them.  Everything a record says that matters for security (whose
 * memory to read, with whose rights) is checked against the kernel:
 * SO_PEERCRED, SO_PEERGROUPS, a pidfd, and the identity of the passed
 * /proc descriptors.  Nothing here reads the process's memory, so nothing
 * here can block on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>

#include "intake.h"

#define PROC_MAGIC 0x9fa0
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77		/* Linux 6.5; Debian 12's headers predate it */
#endif
#define BACKLOG 4096		/* the loop accepts all at once; a burst must not be refused */

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
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* A live daemon answers a connect (or has a full backlog); only a dead
	 * one's file is removed. */
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 || errno == EAGAIN) {
		snprintf(err, errlen, "%s: another boobood is already listening", path);
		close(fd);
		return -1;
	}
	unlink(path);
	mode_t old = umask(0);	/* any local user may report a crash */
	int rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (rc != 0 || listen(fd, BACKLOG) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int intake_accept(int lfd, struct ucred *peer)
{
	socklen_t len = sizeof(*peer);
	int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (conn < 0)
		return -1;
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, peer, &len) != 0 || peer->pid <= 0) {
		close(conn);
		errno = EPERM;
		return -1;
	}
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

/* The sender's supplementary groups at connect time: a worker reads with
 * exactly these. */
static void peer_groups(int conn, struct intake_identity *who)
{
	socklen_t len = sizeof(who->groups);

	who->n_groups = 0;
	if (getsockopt(conn, SOL_SOCKET, SO_PEERGROUPS, who->groups, &len) == 0) {
		who->n_groups = len / sizeof(gid_t);
		return;
	}
	if (errno != ERANGE || len > (1u << 20))
		return;	/* none: the worker reads with fewer rights, never more */
	/* more than fit: len is what they need; the first ones are kept */
	gid_t *all = malloc(len);
	if (all && getsockopt(conn, SOL_SOCKET, SO_PEERGROUPS, all, &len) == 0) {
		who->n_groups = len / sizeof(gid_t) < SANDBOX_MAX_GROUPS ?
				len / sizeof(gid_t) : SANDBOX_MAX_GROUPS;
		memcpy(who->groups, all, who->n_groups * sizeof(gid_t));
	}
	free(all);
}

/* A pidfd for the sender: the kernel's own (SO_PEERPIDFD, taken at
 * connect) where it has one; else pidfd_open of SO_PEERCRED's pid, which
 * the sender, waiting for our ack, still holds. */
static int peer_pidfd(int conn, pid_t pid)
{
	int fd = -1;
	socklen_t len = sizeof(fd);

	if (getsockopt(conn, SOL_SOCKET, SO_PEERPIDFD, &fd, &len) == 0 && fd >= 0) {
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		return fd;
	}
	return pidfd_open(pid, 0);
}

/* /proc/PID and what the kernel says it runs, taken while the pidfd says
 * the process lives: then PID cannot have been reused in between. */
static enum intake_err pin(int conn, struct intake_msg *m)
{
	struct intake_identity *who = &m->who;
	char dir[32], task[32];
	struct stat st;

	peer_groups(conn, who);
	who->pidfd = peer_pidfd(conn, who->pid);
	snprintf(dir, sizeof(dir), "/proc/%d", (int)who->pid);
	who->procfd = who->pidfd >= 0 ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	if (who->procfd < 0 || pidfd_send_signal(who->pidfd, 0, NULL, 0) != 0) {
		/* A message's sender (or a panic count's) does not wait for
		 * us: one that already exited is still its user's
		 * (SO_PEERCRED), its program unknown */
		if (!bb_record_held(&m->rec))
			return INTAKE_OK;
		return INTAKE_EGONE;
	}
	ssize_t n = readlinkat(who->procfd, "exe", who->exe, sizeof(who->exe) - 1);
	who->exe[n > 0 ? n : 0] = '\0';
	if (n > 0 && fstatat(who->procfd, "exe", &st, 0) == 0) {
		who->exe_dev = st.st_dev;
		who->exe_ino = st.st_ino;
	}
	/* A crashing thread is held: it must be one of the sender's (a
	 * message's may have ended since, and its tid is never acted on). */
	snprintf(task, sizeof(task), "task/%d", (int)m->rec.tid);
	if (bb_record_held(&m->rec) && fstatat(who->procfd, task, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return INTAKE_ETID;
	return INTAKE_OK;
}

static enum intake_err check_fds(const struct intake_msg *m, int extra)
{
	if (bb_record_held(&m->rec)) {
		if (m->memfd < 0 || m->mapsfd < 0 || extra ||
		    !is_proc_file_of(m->memfd, m->who.pid, "mem") ||
		    !is_proc_file_of(m->mapsfd, m->who.pid, "maps"))
			return INTAKE_EFDS;
	} else if (m->memfd >= 0 || m->mapsfd >= 0 || extra) {
		return INTAKE_EFDS;
	}
	return INTAKE_OK;
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
	struct ucred peer;
	socklen_t credlen = sizeof(peer);
	int extra = 0;

	memset(m, 0, sizeof(*m));
	m->memfd = m->mapsfd = m->who.pidfd = m->who.procfd = -1;
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &peer, &credlen) != 0 || peer.pid <= 0)
		return INTAKE_EPEER;
	m->who.pid = peer.pid;
	m->who.uid = peer.uid;
	m->who.gid = peer.gid;
	ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? INTAKE_EAGAIN : INTAKE_EIO;
	if (n == 0)
		return INTAKE_EEOF;
	take_fds(&msg, m, &extra);
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return INTAKE_ETRUNC;
	m->rec_err = bb_record_parse(buf, (size_t)n, &m->rec);
	if (m->rec_err != BB_REC_OK)
		return INTAKE_ERECORD;
	if (m->rec.pid != m->who.pid)
		return INTAKE_EPID;
	enum intake_err err = check_fds(m, extra);
	return err != INTAKE_OK ? err : pin(conn, m);
}

const char *intake_strerror(enum intake_err err)
{
	switch (err) {
	case INTAKE_OK: return "ok";
	case INTAKE_EAGAIN: return "nothing received yet";
	case INTAKE_EIO: return "receive failed";
	case INTAKE_EEOF: return "peer closed the connection without a record";
	case INTAKE_ERECORD: return "malformed record";
	case INTAKE_EPEER: return "cannot get the peer's credentials";
	case INTAKE_EPID: return "record names another process than its sender";
	case INTAKE_ETID: return "record names a thread that is not one of its sender's";
	case INTAKE_EGONE: return "the sender exited before it could be pinned";
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

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void intake_identity_close(struct intake_identity *who)
{
	close_fd(&who->pidfd);
	close_fd(&who->procfd);
}

void intake_msg_close(struct intake_msg *m)
{
	close_fd(&m->memfd);
	close_fd(&m->mapsfd);
	intake_identity_close(&m->who);
}
