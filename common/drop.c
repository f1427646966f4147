/*
 * drop.c - reading a drop the shim wrote (drop.h).  A drop is whatever a
 * user chose to put in a file: every length is checked against its bound
 * and against the file's real size before anything is copied, and the
 * record goes through the same checks as one received on the socket.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drop.h"

static int read_at(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static enum bb_drop_err check_header(const struct bb_drop_header *h, uint64_t size)
{
	if (memcmp(h->magic, BB_DROP_MAGIC, sizeof(h->magic)) != 0)
		return BB_DROP_EMAGIC;
	if (h->version != BB_DROP_VERSION)
		return BB_DROP_EVERSION;
	if (h->header_size != sizeof(*h) || h->record_size != sizeof(struct bb_record) ||
	    h->cmdline_len > BB_DROP_CMDLINE_MAX || h->stack_len > BB_DROP_STACK_MAX ||
	    h->maps_len > BB_DROP_MAPS_MAX || h->reserved[0] || h->reserved[1] ||
	    h->reserved[2] || h->reserved[3])
		return BB_DROP_ELAYOUT;
	/* every bound above is small: no sum can wrap */
	if ((uint64_t)h->header_size + h->record_size + h->cmdline_len + h->stack_len +
	    h->maps_len != size)
		return BB_DROP_ELAYOUT;
	return BB_DROP_OK;
}

/* A copy of `len` bytes at *off (plus a NUL), advancing *off. */
static void *part(int fd, size_t len, off_t *off, enum bb_drop_err *err)
{
	char *buf = malloc(len + 1);

	if (!buf) {
		*err = BB_DROP_ENOMEM;
		return NULL;
	}
	if (read_at(fd, buf, len, *off) != 0) {
		free(buf);
		*err = BB_DROP_EIO;
		return NULL;
	}
	buf[len] = '\0';
	*off += (off_t)len;
	return buf;
}

enum bb_drop_err bb_drop_read(int fd, struct bb_drop *d)
{
	struct bb_drop_header h;
	char rec[sizeof(struct bb_record)];
	enum bb_drop_err err = BB_DROP_OK;
	struct stat st;
	off_t off = sizeof(h) + sizeof(rec);

	memset(d, 0, sizeof(*d));
	if (fstat(fd, &st) != 0)
		return BB_DROP_EIO;
	if ((uint64_t)st.st_size > BB_DROP_FILE_MAX || (uint64_t)st.st_size < sizeof(h) + sizeof(rec))
		return BB_DROP_ESIZE;
	if (read_at(fd, &h, sizeof(h), 0) != 0 || read_at(fd, rec, sizeof(rec), sizeof(h)) != 0)
		return BB_DROP_EIO;
	if ((err = check_header(&h, (uint64_t)st.st_size)) != BB_DROP_OK)
		return err;
	d->rec_err = bb_record_parse(rec, sizeof(rec), &d->rec);
	if (d->rec_err != BB_REC_OK || d->rec.kind != BB_REC_CRASH)
		return BB_DROP_ERECORD;
	d->cmdline_len = h.cmdline_len;
	d->stack_addr = h.stack_addr;
	d->stack_len = h.stack_len;
	d->maps_len = h.maps_len;
	if (!(d->cmdline = part(fd, d->cmdline_len, &off, &err)) ||
	    !(d->stack = part(fd, d->stack_len, &off, &err)) ||
	    !(d->maps = part(fd, d->maps_len, &off, &err))) {
		bb_drop_free(d);
		return err;
	}
	return BB_DROP_OK;
}

void bb_drop_free(struct bb_drop *d)
{
	free(d->cmdline);
	free(d->stack);
	free(d->maps);
	d->cmdline = d->maps = NULL;
	d->stack = NULL;
}

const char *bb_drop_strerror(enum bb_drop_err err)
{
	switch (err) {
	case BB_DROP_OK: return "ok";
	case BB_DROP_EIO: return "cannot read it";
	case BB_DROP_ESIZE: return "too large, or shorter than a drop's header and record";
	case BB_DROP_EMAGIC: return "not a booboo drop";
	case BB_DROP_EVERSION: return "a drop of another version";
	case BB_DROP_ELAYOUT: return "its parts' lengths are out of bounds or not the file's size";
	case BB_DROP_ERECORD: return "its record is malformed or not a crash";
	case BB_DROP_ENOMEM: return "out of memory";
	}
	return "unknown drop error";
}
