/*
 * upload.h - delivery of spooled events to the ingest, in a thread of its own.
 *
 * At-least-once: an event leaves pending/ only on a 2xx (-> sent/) or a
 * permanent refusal (4xx other than 429 -> rejected/, with the server's
 * detail).  Network errors, 5xx and 429 are retried with exponential
 * backoff (1 s doubling to 5 min, Retry-After honoured).
 */
#ifndef BB_UPLOAD_H
#define BB_UPLOAD_H

#include "config.h"
#include "spool.h"

struct uploader;

/* Starts the thread; sends the handshake first when a DSN is set.  Returns
 * NULL in local mode (nothing to send) or on failure (logged). */
struct uploader *upload_start(const struct bb_config *cfg, struct spool *sp);
/* A new event is in pending/: try now, even during a backoff wait only if
 * the wait was not imposed by Retry-After/429. */
void upload_wake(struct uploader *up);
void upload_stop(struct uploader *up);

/* One handshake, as sent at start: the HTTP status, or 0 when nothing
 * answered; detail gets the server's detail or the network error. */
long upload_handshake(const struct bb_config *cfg, char *detail, size_t detail_len);

/* Status snapshot for `booboo status`. */
struct upload_status {
	unsigned long sent, rejected, retries;
	char last_error[256];
};
void upload_get_status(struct uploader *up, struct upload_status *st);

#endif
