/*
 * intake.h - stage 1 of the pipeline: the socket, and what comes in on it.
 *
 * The daemon believes the kernel, not the record: the sender's pid, uid,
 * gid and groups come from SO_PEERCRED and SO_PEERGROUPS; the process is
 * pinned with a pidfd, and everything later learnt about it (its /proc
 * directory, the program it runs) is taken while that pidfd says it is
 * alive, never from /proc/<number> alone.  A crash record must name that
 * same pid and carry descriptors that really are that process's
 * /proc/PID/mem and maps.  Every socket here is non-blocking: no client
 * can make the daemon, or another client, wait.
 */
#ifndef BB_INTAKE_H
#define BB_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "record.h"
#include "sandbox.h"
#include "wire.h"

enum intake_err {
	INTAKE_OK = 0,
	INTAKE_EAGAIN,		/* nothing to read yet */
	INTAKE_EIO,		/* recvmsg failed (errno) */
	INTAKE_EEOF,		/* peer closed without sending */
	INTAKE_ERECORD,		/* malformed record (see rec_err) */
	INTAKE_EPEER,		/* SO_PEERCRED unavailable */
	INTAKE_EPID,		/* record's pid is not the sender's */
	INTAKE_ETID,		/* record's thread is not one of the sender's */
	INTAKE_EFDS,		/* crash record without mem+maps of the sender */
	INTAKE_ETRUNC,		/* message or control data truncated */
	INTAKE_EGONE,		/* the sender exited before it could be pinned */
};

/* The kernel's word on a sender, pinned. */
struct intake_identity {
	pid_t pid;
	uid_t uid;		/* effective ids at connect (SO_PEERCRED) */
	gid_t gid;
	gid_t groups[SANDBOX_MAX_GROUPS];
	size_t n_groups;
	int pidfd;		/* -1 only before pinning */
	int procfd;		/* /proc/PID (O_PATH), opened while pidfd said it lived */
	char exe[WIRE_EXE_MAX];	/* /proc/PID/exe; "" for a message whose sender had exited */
	uint64_t exe_dev, exe_ino;
};

struct intake_msg {
	struct bb_record rec;
	struct intake_identity who;
	int memfd;		/* sender's /proc/PID/mem, or -1 */
	int mapsfd;		/* sender's /proc/PID/maps, or -1 */
	enum bb_record_err rec_err;
};

/* Bind and listen on `path` (a stale socket file is replaced; a live
 * daemon on it is an error).  The socket is non-blocking.  Returns the
 * fd or -1 with err filled. */
int intake_listen(const char *path, char *err, size_t errlen);

/* Accept one pending connection, non-blocking; peer gets SO_PEERCRED.
 * -1 with errno (EAGAIN: none pending). */
int intake_accept(int lfd, struct ucred *peer);

/* Receive, check and pin one message on a readable connection. */
enum intake_err intake_receive(int conn, struct intake_msg *m);
const char *intake_strerror(enum intake_err err);

/* Tell the shim it may go on dying (status 0) or that it was refused.
 * False when the sender no longer listens (it stopped waiting). */
bool intake_ack(int conn, uint32_t status);
void intake_msg_close(struct intake_msg *m);
void intake_identity_close(struct intake_identity *who);

#endif
