/*
 * upload.h - delivery of spooled events to the ingest, by an uploader
 * process that has no privileges (uploader.c), kept by the root part.
 *
 * At-least-once: an event leaves pending/ only on a 2xx (-> sent/) or a
 * permanent refusal (4xx other than 429 -> rejected/, with the server's
 * detail).  Network errors, 5xx and 429 are retried with exponential
 * backoff (1 s doubling to 5 min, Retry-After honoured).
 *
 * The uploader runs as the system user "booboo" when there is one, else
 * as "nobody", with no capabilities, no_new_privs, the workers' seccomp
 * filter, not dumpable: the HTTP client and everything the ingest
 * answers are never root's.  The spool stays root's alone (files 0600):
 * for each event the root part opens the file and passes the uploader
 * the descriptor, and the uploader says what became of it; the root part
 * moves it, only ever the event it handed out.
 */
#ifndef BB_UPLOAD_H
#define BB_UPLOAD_H

#include <stdint.h>

#include "config.h"
#include "ingest.h"
#include "spool.h"

struct uploader;

/* Starts the uploader process and the root part's thread that serves it;
 * the uploader sends the handshake first.  Returns NULL in local mode
 * (nothing to send) or on failure (logged). */
struct uploader *upload_start(const struct bb_config *cfg, struct spool *sp);
/* A new event is in pending/: try now, unless a backoff is under way. */
void upload_wake(struct uploader *up);
void upload_stop(struct uploader *up);

/* Status snapshot for `booboo status`. */
struct upload_status {
	unsigned long sent, rejected, retries;
	char last_error[256];
};
void upload_get_status(struct uploader *up, struct upload_status *st);

/* ---- between the root part and the uploader: one SOCK_SEQPACKET message
 * each, on descriptor 3 of the uploader ---- */

#define UPLOAD_MAGIC 0x55424242u	/* "BBBU" */

enum upload_type {
	UPLOAD_CONFIG = 1,	/* root -> uploader, first: endpoint and token */
	UPLOAD_NEXT,		/* uploader -> root: the oldest pending event, please */
	UPLOAD_EVENT,		/* root -> uploader: id; fd: the event, read-only */
	UPLOAD_NONE,		/* root -> uploader: nothing is pending */
	UPLOAD_WAKE,		/* root -> uploader: a new event is pending */
	UPLOAD_HANDSHAKE,	/* uploader -> root: code and text */
	UPLOAD_RESULT,		/* uploader -> root: what became of the event handed out */
};

struct upload_msg {
	uint32_t magic;
	uint32_t type;		/* enum upload_type */
	int32_t outcome;	/* RESULT: enum ingest_outcome */
	int32_t code;		/* RESULT, HANDSHAKE: HTTP status, 0 when nothing answered */
	char id[SPOOL_ID_MAX];	/* EVENT, RESULT */
	char endpoint[BB_ENDPOINT_MAX];	/* CONFIG */
	char text[BB_TOKEN_MAX];	/* CONFIG: the token; RESULT, HANDSHAKE: ingest_result.text */
};

/* Receive one message: 1 when it is well formed (terminated strings, a
 * known type, exactly the descriptor its type carries, into *fd, else
 * -1), 0 at end of file, -1 otherwise (errno; EPROTO for a malformed
 * one, whose descriptors are closed). */
int upload_recv(int sock, struct upload_msg *m, int *fd, bool nonblock);
/* Send one message of type t (fd, or -1 for none).  0, or -1 with errno. */
int upload_send(int sock, struct upload_msg *m, enum upload_type t, int fd);

#endif
