/*
 * intake.h - stage 1 of the pipeline: the socket, and what comes in on it.
 *
 * The daemon believes the kernel, not the record: the sender's pid, uid and
 * gid come from SO_PEERCRED; a crash record must name that same pid and
 * carry descriptors that really are that process's /proc/PID/mem and maps.
 */
#ifndef BB_INTAKE_H
#define BB_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "record.h"

enum intake_err {
	INTAKE_OK = 0,
	INTAKE_EIO,		/* recvmsg failed or timed out (errno) */
	INTAKE_EEOF,		/* peer closed without sending */
	INTAKE_ERECORD,		/* malformed record (see rec_err) */
	INTAKE_EPEER,		/* SO_PEERCRED unavailable */
	INTAKE_EPID,		/* record's pid is not the sender's */
	INTAKE_EFDS,		/* crash record without mem+maps of the sender */
	INTAKE_ETRUNC,		/* message or control data truncated */
};

struct intake_msg {
	struct bb_record rec;
	struct ucred peer;	/* the kernel's word on the sender */
	int memfd;		/* sender's /proc/PID/mem, or -1 */
	int mapsfd;		/* sender's /proc/PID/maps, or -1 */
	enum bb_record_err rec_err;
};

/* Bind and listen on `path` (a stale socket file is replaced; a live
 * daemon on it is an error).  Returns the fd or -1 with err filled. */
int intake_listen(const char *path, char *err, size_t errlen);

/* Accept one connection with a receive timeout; -1 on error (errno). */
int intake_accept(int lfd, unsigned timeout_ms);

/* Receive and check one message on a connection. */
enum intake_err intake_receive(int conn, struct intake_msg *m);
const char *intake_strerror(enum intake_err err);

/* Tell the shim it may go on dying (status 0) or that it was refused.
 * False when the sender no longer listens (it stopped waiting). */
bool intake_ack(int conn, uint32_t status);
void intake_msg_close(struct intake_msg *m);

#endif
