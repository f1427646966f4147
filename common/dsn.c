/*
 * dsn.c - the DSN, parsed as the official SDKs parse it: a URL whose user
 * part is the token and whose scheme://host[:port]/ is the endpoint (the
 * path is decorative), or a bare token for the public ingest.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"

static int bad_char(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '\\' ||
	       c == '<' || c == '>' || c == '`';
}

/* Is "://" within the first len bytes of s? */
static bool has_scheme_sep(const char *s, size_t len)
{
	for (size_t i = 0; i + 3 <= len; i++)
		if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/')
			return true;
	return false;
}

static const char *trim(const char *s, size_t *len)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	*len = n;
	return s;
}

/* scheme://[user[:pass]@]host[:port][/...]: split, check, canonicalize. */
static enum bb_dsn_err parse_url(const char *s, size_t len, char *token, size_t tokcap,
		char *endpoint, size_t epcap, int need_token)
{
	const char *p = s, *end = s + len, *sep, *auth_end, *at, *host;
	size_t scheme_len;

	if (!has_scheme_sep(s, len))
		return BB_DSN_ESCHEME;
	sep = strstr(s, "://");
	scheme_len = (size_t)(sep - s);
	if (!((scheme_len == 4 && strncasecmp(s, "http", 4) == 0) ||
	      (scheme_len == 5 && strncasecmp(s, "https", 5) == 0)))
		return BB_DSN_ESCHEME;
	p = sep + 3;
	auth_end = p;
	while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
		auth_end++;
	at = NULL;
	for (const char *q = p; q < auth_end; q++)
		if (*q == '@')
			at = q;	/* the last '@' ends the user info, as urlparse does */
	if (need_token && !at)
		return BB_DSN_ENOTOKEN;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		size_t tlen = (size_t)((colon ? colon : at) - p);
		if (need_token && tlen == 0)
			return BB_DSN_ENOTOKEN;
		if (tlen >= tokcap)
			return BB_DSN_ETOOLONG;
		if (token) {
			memcpy(token, p, tlen);
			token[tlen] = '\0';
		}
		host = at + 1;
	} else {
		host = p;
	}
	if (host == auth_end)
		return BB_DSN_ENOHOST;
	const char *port = NULL, *host_end = auth_end;
	if (*host == '[') {
		const char *rb = memchr(host, ']', (size_t)(auth_end - host));
		if (!rb || rb == host + 1)
			return BB_DSN_ENOHOST;
		if (rb + 1 < auth_end) {
			if (rb[1] != ':')
				return BB_DSN_ENOHOST;
			port = rb + 2;
		}
		host_end = rb + 1;
	} else {
		const char *colon = memchr(host, ':', (size_t)(auth_end - host));
		if (colon) {
			port = colon + 1;
			host_end = colon;
		}
		if (host_end == host)
			return BB_DSN_ENOHOST;
	}
	if (port) {
		long v = 0;
		if (port == auth_end)
			return BB_DSN_EPORT;
		for (const char *q = port; q < auth_end; q++) {
			if (!isdigit((unsigned char)*q) || v > 65535)
				return BB_DSN_EPORT;
			v = v * 10 + (*q - '0');
		}
		if (v < 1 || v > 65535)
			return BB_DSN_EPORT;
	}
	int n = snprintf(endpoint, epcap, "%.*s://%.*s/", (int)scheme_len, s,
			 (int)(auth_end - host), host);
	for (char *c = endpoint; *c && c < endpoint + scheme_len; c++)
		*c = (char)tolower((unsigned char)*c);
	return n < 0 || (size_t)n >= epcap ? BB_DSN_ETOOLONG : BB_DSN_OK;
}

enum bb_dsn_err bb_dsn_parse(const char *dsn, struct bb_dsn *out)
{
	size_t len;
	const char *s;

	memset(out, 0, sizeof(*out));
	if (!dsn)
		return BB_DSN_EEMPTY;
	s = trim(dsn, &len);
	if (len == 0)
		return BB_DSN_EEMPTY;
	for (size_t i = 0; i < len; i++)
		if (bad_char((unsigned char)s[i]))
			return BB_DSN_ECHAR;
	if (has_scheme_sep(s, len))
		return parse_url(s, len, out->token, sizeof(out->token),
				 out->endpoint, sizeof(out->endpoint), 1);
	/* A bare token: no URL syntax may hide in it. */
	if (memchr(s, '@', len) || memchr(s, '/', len))
		return BB_DSN_ESCHEME;
	if (len >= sizeof(out->token))
		return BB_DSN_ETOOLONG;
	memcpy(out->token, s, len);
	out->token[len] = '\0';
	snprintf(out->endpoint, sizeof(out->endpoint), "%s", BB_DEFAULT_ENDPOINT);
	return BB_DSN_OK;
}

enum bb_dsn_err bb_endpoint_parse(const char *url, char *out, size_t outlen)
{
	size_t len;
	const char *s;

	if (!url)
		return BB_DSN_EEMPTY;
	s = trim(url, &len);
	if (len == 0)
		return BB_DSN_EEMPTY;
	for (size_t i = 0; i < len; i++)
		if (bad_char((unsigned char)s[i]))
			return BB_DSN_ECHAR;
	/* Unlike the DSN, an explicit endpoint keeps its path. */
	enum bb_dsn_err err = parse_url(s, len, NULL, BB_TOKEN_MAX, out, outlen, 0);
	if (err != BB_DSN_OK)
		return err;
	const char *path = strchr(strstr(s, "://") + 3, '/');
	if (path && path < s + len) {
		size_t base = strlen(out) - 1;	/* drop the '/' parse_url added */
		size_t plen = (size_t)(s + len - path);
		if (base + plen + 2 > outlen)
			return BB_DSN_ETOOLONG;
		memcpy(out + base, path, plen);
		out[base + plen] = '\0';
		if (out[base + plen - 1] != '/')
			strcat(out, "/");
	}
	return BB_DSN_OK;
}

const char *bb_dsn_strerror(enum bb_dsn_err err)
{
	switch (err) {
	case BB_DSN_OK: return "ok";
	case BB_DSN_EEMPTY: return "empty";
	case BB_DSN_ESCHEME: return "not an http(s) URL nor a bare token";
	case BB_DSN_ENOTOKEN: return "URL has no token (the part before '@')";
	case BB_DSN_ENOHOST: return "URL has no host";
	case BB_DSN_EPORT: return "port is not a number from 1 to 65535";
	case BB_DSN_ECHAR: return "contains a space, quote or control character";
	case BB_DSN_ETOOLONG: return "too long";
	}
	return "unknown DSN error";
}

void bb_token_mask(const char *token, char *out, size_t outlen)
{
	size_t n = token ? strlen(token) : 0;

	if (outlen == 0)
		return;
	if (n <= 4)	/* too short to show any of it */
		snprintf(out, outlen, "****");
	else
		snprintf(out, outlen, "%.4s...", token);
}
