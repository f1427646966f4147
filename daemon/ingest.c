/*
 * ingest.c - see ingest.h.  The answer is the ingest's to write: its body
 * is read up to a bound, its detail made one line without control
 * characters, Retry-After capped.
 */
#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingest.h"
#include "log.h"

#define BODY_MAX (64 * 1024)
#define RETRY_AFTER_MAX_S 3600

struct reply {
	long code;
	char body[BODY_MAX + 1];
	size_t len;
	long retry_after;	/* seconds, -1 if none */
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n, take = len;

	if (r->len + take > BODY_MAX)	/* bounded: the rest is not needed */
		take = BODY_MAX - r->len;
	memcpy(r->body + r->len, data, take);
	r->len += take;
	r->body[r->len] = '\0';
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;

	if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		char buf[32];
		size_t k = len - 12 < sizeof(buf) - 1 ? len - 12 : sizeof(buf) - 1;
		memcpy(buf, data + 12, k);
		buf[k] = '\0';
		char *end;
		long v = strtol(buf, &end, 10);
		if (end != buf && v >= 0)
			r->retry_after = v > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : v;
	}
	return len;
}

bool ingest_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
		return true;
	bb_log(BB_LOG_ERR, "curl_global_init failed; uploads will fail");
	return false;
}

/* POST one body; fills r (code 0 = no HTTP answer, errbuf says why). */
static void post(const char *endpoint, const char *token, const char *body, size_t len,
		struct reply *r, char *errbuf)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char auth[BB_TOKEN_MAX + 32];

	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	errbuf[0] = '\0';
	if (!c) {
		snprintf(errbuf, CURL_ERROR_SIZE, "cannot create a curl handle");
		return;
	}
	snprintf(auth, sizeof(auth), "X-Booboo-DSN: %s", token);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, endpoint);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "booboo-native/" BB_VERSION);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	else if (!errbuf[0])
		snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

/* The server's "detail", or the start of the body. */
static void detail_of(const struct reply *r, char *out, size_t outlen)
{
	struct json_object *o = json_tokener_parse(r->body), *d;

	if (o && json_object_object_get_ex(o, "detail", &d) && json_object_is_type(d, json_type_string))
		snprintf(out, outlen, "%s", json_object_get_string(d));
	else
		snprintf(out, outlen, "%.200s", r->len ? r->body : "(empty body)");
	json_object_put(o);
	/* one log line, and no terminal escapes from whatever answered */
	for (unsigned char *p = (unsigned char *)out; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

void ingest_post(const char *endpoint, const char *token, const char *body, size_t len,
		struct ingest_result *res)
{
	char errbuf[CURL_ERROR_SIZE];
	struct reply *r = malloc(sizeof(*r));

	memset(res, 0, sizeof(*res));
	res->retry_after = -1;
	res->outcome = INGEST_RETRY;
	if (!r) {
		snprintf(res->text, sizeof(res->text), "out of memory");
		return;
	}
	post(endpoint, token, body, len, r, errbuf);
	res->code = r->code;
	res->retry_after = r->retry_after;
	if (r->code == 0)
		snprintf(res->text, sizeof(res->text), "%s", errbuf);
	else
		detail_of(r, res->text, sizeof(res->text));
	if (r->code >= 200 && r->code < 300)
		res->outcome = INGEST_SENT;
	else if (r->code != 0 && r->code != 429 && r->code < 500)
		res->outcome = INGEST_REJECTED;
	free(r);
}

long upload_handshake(const struct bb_config *cfg, char *detail, size_t detail_len)
{
	char body[128];
	struct ingest_result r;
	int n = snprintf(body, sizeof(body), "{\"handshake\": true, \"sdk\": \"booboo-native/%s\"}",
			 BB_VERSION);

	ingest_post(cfg->endpoint, cfg->dsn.token, body, (size_t)n, &r);
	snprintf(detail, detail_len, "%s", r.text);
	return r.code;
}
