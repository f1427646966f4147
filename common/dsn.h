/*
 * dsn.h - DSN parsing exactly as the official booboo SDKs do it.
 *
 * A DSN is a URL SCHEME://TOKEN@HOST[:PORT][/path] (the path is decorative
 * and never used) or a bare token, whose endpoint is the public ingest.
 * Only the token ever leaves the machine.
 */
#ifndef BB_DSN_H
#define BB_DSN_H

#include <stddef.h>

#define BB_DEFAULT_ENDPOINT "https://ingest.booboo.dev/"
#define BB_TOKEN_MAX 256
#define BB_ENDPOINT_MAX 512

struct bb_dsn {
	char token[BB_TOKEN_MAX];
	char endpoint[BB_ENDPOINT_MAX];	/* always ends in '/' */
};

enum bb_dsn_err {
	BB_DSN_OK = 0,
	BB_DSN_EEMPTY,		/* empty or whitespace only */
	BB_DSN_ESCHEME,		/* URL scheme is not http or https */
	BB_DSN_ENOTOKEN,	/* URL without a user part */
	BB_DSN_ENOHOST,		/* URL without a host */
	BB_DSN_EPORT,		/* port not 1..65535 */
	BB_DSN_ECHAR,		/* forbidden character (space, control, quote...) */
	BB_DSN_ETOOLONG,
};

enum bb_dsn_err bb_dsn_parse(const char *dsn, struct bb_dsn *out);
const char *bb_dsn_strerror(enum bb_dsn_err err);

/* Check an explicit endpoint URL (scheme://host[:port][/path]); the
 * canonical form, with a trailing '/', is written to out. */
enum bb_dsn_err bb_endpoint_parse(const char *url, char *out, size_t outlen);

/* Token for logs: the first 4 characters then "...", never the whole. */
void bb_token_mask(const char *token, char *out, size_t outlen);

#endif
