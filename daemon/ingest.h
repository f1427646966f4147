/*
 * ingest.h - one POST to the ingest, and what its answer says.  Used by
 * the uploader (uploader.c), never by the root part, and by
 * `booboo status` for its handshake.
 */
#ifndef BB_INGEST_H
#define BB_INGEST_H

#include <stddef.h>

#include "config.h"

enum ingest_outcome {
	INGEST_SENT,		/* 2xx */
	INGEST_RETRY,		/* no answer, 5xx, 429: the whole queue waits */
	INGEST_REJECTED,	/* any other answer: never sent again */
};

struct ingest_result {
	enum ingest_outcome outcome;
	long code;		/* HTTP status, 0 when nothing answered */
	long retry_after;	/* seconds the server asked for, -1 if it did not */
	char text[256];		/* the network error, or the server's detail (one line) */
};

/* curl_global_init, before any thread: false (logged) when it failed. */
bool ingest_init(void);

/* POST one event (body[0..len)) to endpoint with the token. */
void ingest_post(const char *endpoint, const char *token, const char *body, size_t len,
		struct ingest_result *r);

/* One handshake, as the uploader sends at start: the HTTP status, or 0
 * when nothing answered; detail gets the server's detail or the network
 * error. */
long upload_handshake(const struct bb_config *cfg, char *detail, size_t detail_len);

#endif
