/*
 * upload_msg.c - the messages between the root part and the uploader
 * (upload.h), checked on receipt by both: each trusts the other no more
 * than it must.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "upload.h"
#include "wire.h"

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static bool well_formed(const struct upload_msg *m, size_t nfd)
{
	return m->magic == UPLOAD_MAGIC && m->type >= UPLOAD_CONFIG && m->type <= UPLOAD_RESULT &&
	       nfd == (m->type == UPLOAD_EVENT) && terminated(m->id, sizeof(m->id)) &&
	       terminated(m->endpoint, sizeof(m->endpoint)) && terminated(m->text, sizeof(m->text));
}

int upload_recv(int sock, struct upload_msg *m, int *fd, bool nonblock)
{
	int fds[2];
	size_t nfd;
	ssize_t n = wire_recv_raw(sock, m, sizeof(*m), fds, 2, &nfd, nonblock);

	*fd = -1;
	if (n <= 0)
		return (int)n;
	if ((size_t)n != sizeof(*m) || !well_formed(m, nfd)) {
		wire_close_fds(fds, &nfd);
		errno = EPROTO;
		return -1;
	}
	if (nfd)
		*fd = fds[0];
	return 1;
}

int upload_send(int sock, struct upload_msg *m, enum upload_type t, int fd)
{
	m->magic = UPLOAD_MAGIC;
	m->type = (uint32_t)t;
	return wire_send(sock, m, sizeof(*m), &fd, fd >= 0 ? 1 : 0);
}
