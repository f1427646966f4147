/*
 * wire.c - sending and checking the root <-> worker messages (wire.h).
 *
 * A message is one SOCK_SEQPACKET datagram: it arrives whole or not at
 * all, so a length check is a full check of its framing.  Descriptors
 * travel with SCM_RIGHTS and are received close-on-exec; a message whose
 * descriptor count is not exactly what its type says is refused and its
 * descriptors closed, so a confused or hostile peer cannot leak or plant
 * descriptors.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wire.h"

#define WIRE_MAX_FDS WIRE_MAX_RANGES

void wire_init_hdr(struct wire_hdr *h, enum wire_type type, uint64_t job)
{
	h->magic = WIRE_MAGIC;
	h->type = (uint32_t)type;
	h->job = job;
}

size_t wire_size_of(enum wire_type type)
{
	switch (type) {
	case WIRE_JOB: return sizeof(struct wire_job);
	case WIRE_FILES: return sizeof(struct wire_files);
	case WIRE_NEED_FILES: return sizeof(struct wire_need_files);
	case WIRE_CAPTURED: return sizeof(struct wire_captured);
	case WIRE_EVENT: return sizeof(struct wire_event);
	case WIRE_DROP: return sizeof(struct wire_drop);
	}
	return 0;
}

size_t wire_fds_for(enum wire_type type, const void *msg)
{
	switch (type) {
	case WIRE_JOB:
		return 3;
	case WIRE_EVENT:
	case WIRE_DROP:
		return 1;
	case WIRE_FILES: {
		const struct wire_files *f = msg;
		size_t n = 0;
		for (uint32_t i = 0; i < f->n && i < WIRE_MAX_RANGES; i++)
			n += f->ok[i] != 0;
		return n;
	}
	case WIRE_NEED_FILES:
	case WIRE_CAPTURED:
		return 0;
	}
	return 0;
}

int wire_send(int sock, const void *msg, size_t len, const int *fds, size_t nfd)
{
	union {
		char buf[CMSG_SPACE(WIRE_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfd > WIRE_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	if (nfd) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfd * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfd * sizeof(int));
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (n == (ssize_t)len)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n >= 0)
			errno = EMSGSIZE;
		return -1;
	}
}

static size_t take_fds(struct msghdr *mh, int *fds, size_t cap, bool *excess)
{
	size_t n = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *in = (int *)CMSG_DATA(c);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, &in[i], sizeof(fd));
			if (n < cap)
				fds[n++] = fd;
			else {
				close(fd);
				*excess = true;
			}
		}
	}
	return n;
}

static bool well_formed(const void *buf, size_t len, size_t nfd)
{
	const struct wire_hdr *h = buf;

	if (len < sizeof(*h) || h->magic != WIRE_MAGIC)
		return false;
	size_t want = wire_size_of((enum wire_type)h->type);
	if (want == 0 || len != want)
		return false;
	if (h->type == WIRE_FILES && ((const struct wire_files *)buf)->n > WIRE_MAX_RANGES)
		return false;
	if (h->type == WIRE_NEED_FILES &&
	    ((const struct wire_need_files *)buf)->n > WIRE_MAX_RANGES)
		return false;
	if (h->type == WIRE_CAPTURED) {
		const struct wire_captured *c = buf;
		if (c->n_frames > WIRE_FRAMES || c->n_modules > WIRE_MODULES)
			return false;
	}
	return wire_fds_for((enum wire_type)h->type, buf) == nfd;
}

ssize_t wire_recv_raw(int sock, void *buf, size_t cap, int *fds, size_t max_fds, size_t *nfd,
		bool nonblock)
{
	union {
		char buf[CMSG_SPACE(WIRE_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	bool excess = false;
	ssize_t n;

	*nfd = 0;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | (nonblock ? MSG_DONTWAIT : 0));
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n;
	*nfd = take_fds(&mh, fds, max_fds < WIRE_MAX_FDS ? max_fds : WIRE_MAX_FDS, &excess);
	if (excess || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		wire_close_fds(fds, nfd);
		errno = EPROTO;
		return -1;
	}
	return n;
}

ssize_t wire_recv(int sock, void *buf, size_t cap, int *fds, size_t *nfd, bool nonblock)
{
	ssize_t n = wire_recv_raw(sock, buf, cap, fds, WIRE_MAX_FDS, nfd, nonblock);

	if (n > 0 && !well_formed(buf, (size_t)n, *nfd)) {
		wire_close_fds(fds, nfd);
		errno = EPROTO;
		return -1;
	}
	return n;
}

void wire_close_fds(int *fds, size_t *nfd)
{
	for (size_t i = 0; i < *nfd; i++)
		close(fds[i]);
	*nfd = 0;
}
