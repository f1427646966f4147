/*
 * upload.c - delivery of the spool to the ingest, in a thread of its own.
 *
 * At-least-once: an event leaves pending/ only on a 2xx or a permanent
 * refusal.  One event at a time, oldest first, so the ingest sees crashes
 * in the order they happened; a backoff holds the whole queue because the
 * causes (network, 5xx, 429) are not about one event.
 */
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "upload.h"

#define BODY_MAX (64 * 1024)
#define BACKOFF_MIN_S 1
#define BACKOFF_MAX_S 300
#define RETRY_AFTER_MAX_S 3600

struct uploader {
	const struct bb_config *cfg;
	struct spool *sp;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	bool woken;
	struct upload_status status;
	char masked[32];
};

enum outcome { UP_SENT, UP_RETRY, UP_REJECTED };

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

/* POST one body; fills r (code 0 = no HTTP answer, errbuf says why). */
static void post(const struct bb_config *cfg, const char *body, size_t len, struct reply *r,
		char *errbuf)
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
	snprintf(auth, sizeof(auth), "X-Booboo-DSN: %s", cfg->dsn.token);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, cfg->endpoint);
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

static void set_error(struct uploader *up, const char *msg)
{
	pthread_mutex_lock(&up->lock);
	snprintf(up->status.last_error, sizeof(up->status.last_error), "%.250s", msg);
	pthread_mutex_unlock(&up->lock);
}

static enum outcome send_one(struct uploader *up, const char *id, long *wait_s)
{
	char *body, errbuf[CURL_ERROR_SIZE], detail[256], msg[400];
	size_t len;
	struct reply *r;
	enum spool_err se = spool_read(up->sp, SPOOL_PENDING, id, &body, &len);

	if (se != SPOOL_OK) {
		bb_log(BB_LOG_ERR, "%s/pending/%s.json: %s; moving it aside", up->sp->dir, id,
		       spool_strerror(se));
		spool_mark_rejected(up->sp, id, "unreadable in the spool");
		return UP_REJECTED;
	}
	r = malloc(sizeof(*r));
	if (!r) {
		free(body);
		*wait_s = BACKOFF_MIN_S;
		return UP_RETRY;
	}
	post(up->cfg, body, len, r, errbuf);
	free(body);
	enum outcome out;
	if (r->code >= 200 && r->code < 300) {
		spool_mark_sent(up->sp, id);
		bb_log(BB_LOG_INFO, "event %s delivered (HTTP %ld)", id, r->code);
		out = UP_SENT;
	} else if (r->code == 0 || r->code == 429 || r->code >= 500) {
		if (r->code == 0)
			snprintf(msg, sizeof(msg), "%s: %s", up->cfg->endpoint, errbuf);
		else {
			detail_of(r, detail, sizeof(detail));
			snprintf(msg, sizeof(msg), "%s: HTTP %ld: %s", up->cfg->endpoint, r->code, detail);
		}
		bb_log_limited(r->code == 429 ? "upload 429" : r->code ? "upload 5xx" : "upload down",
			       60, BB_LOG_WARN, "cannot deliver events (token %s): %s; will retry",
			       up->masked, msg);
		set_error(up, msg);
		*wait_s = r->retry_after;
		out = UP_RETRY;
	} else {
		detail_of(r, detail, sizeof(detail));
		snprintf(msg, sizeof(msg), "HTTP %ld: %s", r->code, detail);
		bb_log(BB_LOG_WARN, "event %s rejected by %s (token %s): %s; kept in %s/rejected",
		       id, up->cfg->endpoint, up->masked, msg, up->sp->dir);
		spool_mark_rejected(up->sp, id, msg);
		set_error(up, msg);
		out = UP_REJECTED;
	}
	free(r);
	return out;
}

long upload_handshake(const struct bb_config *cfg, char *detail, size_t detail_len)
{
	char body[128], errbuf[CURL_ERROR_SIZE];
	struct reply *r = malloc(sizeof(*r));
	long code;

	if (!r) {
		snprintf(detail, detail_len, "out of memory");
		return 0;
	}
	int n = snprintf(body, sizeof(body), "{\"handshake\": true, \"sdk\": \"booboo-native/%s\"}",
			 BB_VERSION);
	post(cfg, body, (size_t)n, r, errbuf);
	code = r->code;
	if (code)
		detail_of(r, detail, detail_len);
	else
		snprintf(detail, detail_len, "%s", errbuf);
	free(r);
	return code;
}

static void handshake(struct uploader *up)
{
	char detail[256];
	long code = upload_handshake(up->cfg, detail, sizeof(detail));

	if (code >= 200 && code < 300)
		bb_log(BB_LOG_INFO, "handshake with %s: connected (token %s)", up->cfg->endpoint,
		       up->masked);
	else if (code)
		bb_log(BB_LOG_WARN, "handshake with %s (token %s): HTTP %ld: %s", up->cfg->endpoint,
		       up->masked, code, detail);
	else
		bb_log(BB_LOG_WARN, "handshake with %s: %s", up->cfg->endpoint, detail);
}

/* Sleep until woken, stopped, or s seconds; returns false when stopping. */
static bool wait_for(struct uploader *up, long s, bool wakeable)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += s;
	pthread_mutex_lock(&up->lock);
	while (!up->stop && !(wakeable && up->woken)) {
		if (s >= 0 && pthread_cond_timedwait(&up->cond, &up->lock, &until) == ETIMEDOUT)
			break;
		if (s < 0)
			pthread_cond_wait(&up->cond, &up->lock);
	}
	up->woken = false;
	bool go_on = !up->stop;
	pthread_mutex_unlock(&up->lock);
	return go_on;
}

static void *upload_main(void *arg)
{
	struct uploader *up = arg;
	long backoff = BACKOFF_MIN_S;
	char id[SPOOL_ID_MAX];

	handshake(up);
	for (;;) {
		pthread_mutex_lock(&up->lock);
		bool stop = up->stop;
		up->woken = false;
		pthread_mutex_unlock(&up->lock);
		if (stop)
			break;
		if (spool_oldest_pending(up->sp, id) != SPOOL_OK) {
			if (!wait_for(up, 60, true))	/* rescan now and then: other writers */
				break;
			continue;
		}
		long retry_after = -1;
		enum outcome out = send_one(up, id, &retry_after);
		pthread_mutex_lock(&up->lock);
		if (out == UP_SENT)
			up->status.sent++;
		else if (out == UP_REJECTED)
			up->status.rejected++;
		else
			up->status.retries++;
		pthread_mutex_unlock(&up->lock);
		if (out != UP_RETRY) {
			backoff = BACKOFF_MIN_S;
			continue;
		}
		/* The server's word wins; otherwise double, and a new event
		 * does not cut the wait (it would hammer a server that is down). */
		long wait = retry_after >= 0 ? retry_after : backoff;
		if (retry_after < 0)
			backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
		if (!wait_for(up, wait, false))
			break;
	}
	return NULL;
}

static void curl_init_once(void)
{
	/* Not thread-safe in libcurl: done once, before the thread starts. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		bb_log(BB_LOG_ERR, "curl_global_init failed; uploads will fail");
}

struct uploader *upload_start(const struct bb_config *cfg, struct spool *sp)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct uploader *up;

	if (!cfg->has_dsn || !cfg->endpoint)
		return NULL;
	pthread_once(&once, curl_init_once);
	up = calloc(1, sizeof(*up));
	if (!up)
		return NULL;
	up->cfg = cfg;
	up->sp = sp;
	bb_token_mask(cfg->dsn.token, up->masked, sizeof(up->masked));
	pthread_mutex_init(&up->lock, NULL);
	pthread_cond_init(&up->cond, NULL);
	if (pthread_create(&up->thread, NULL, upload_main, up) != 0) {
		bb_log(BB_LOG_ERR, "cannot start the upload thread: %s", strerror(errno));
		free(up);
		return NULL;
	}
	return up;
}

void upload_wake(struct uploader *up)
{
	pthread_mutex_lock(&up->lock);
	up->woken = true;
	pthread_cond_signal(&up->cond);
	pthread_mutex_unlock(&up->lock);
}

void upload_stop(struct uploader *up)
{
	pthread_mutex_lock(&up->lock);
	up->stop = true;
	pthread_cond_signal(&up->cond);
	pthread_mutex_unlock(&up->lock);
	pthread_join(up->thread, NULL);
	pthread_mutex_destroy(&up->lock);
	pthread_cond_destroy(&up->cond);
	free(up);
}

void upload_get_status(struct uploader *up, struct upload_status *st)
{
	pthread_mutex_lock(&up->lock);
	*st = up->status;
	pthread_mutex_unlock(&up->lock);
}
