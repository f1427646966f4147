/*
 * config.c - /etc/booboo.conf: "key = value" lines.
 *
 * One table describes every key (repeatable or not, how to parse it), so
 * adding a key is one line plus its parser.  Any bad line is fatal at
 * start-up: a daemon half-configured (say, scrubbing off because of a
 * typo) is worse than one that refuses to start.  The DSN is a secret: it
 * is never echoed in an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ere.h"
#include "drop.h"
#include "record.h"

#define LINE_MAX_LEN 8192
#define FILE_MAX_LEN (1024 * 1024)
#define ERE_COST_MAX 10000	/* one scrub_value rule: milliseconds of regcomp */

struct ctx {
	struct bb_config *cfg;
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
};

static int fail(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct ctx *c, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->line)
		snprintf(c->err, c->errlen, "%s:%u: %s", c->name, c->line, msg);
	else
		snprintf(c->err, c->errlen, "%s: %s", c->name, msg);
	return -1;
}

int bb_config_set_str(char **dst, const char *v)
{
	char *copy = strdup(v);

	if (!copy)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

/* ---- value parsers ------------------------------------------------------- */

static int parse_ms(struct ctx *c, const char *key, const char *v, unsigned max, unsigned *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (!*v || *end || errno || v[0] == '-' || n < 1 || n > max)
		return fail(c, "%s: \"%.64s\" is not a number of milliseconds (1..%u)", key, v, max);
	*out = (unsigned)n;
	return 0;
}

static int parse_abs_path(struct ctx *c, const char *key, const char *v, size_t max, char **dst)
{
	if (v[0] != '/')
		return fail(c, "%s: \"%.200s\" is not an absolute path", key, v);
	if (strlen(v) >= max)
		return fail(c, "%s: path longer than %zu bytes", key, max - 1);
	return bb_config_set_str(dst, v);
}

/* "FROM => TO" */
static int split_arrow(struct ctx *c, const char *key, const char *v, char **from, char **to)
{
	const char *arrow = strstr(v, "=>");

	if (!arrow)
		return fail(c, "%s: expected \"FROM => TO\"", key);
	size_t flen = (size_t)(arrow - v);
	while (flen && (v[flen - 1] == ' ' || v[flen - 1] == '\t'))
		flen--;
	const char *t = arrow + 2;
	while (*t == ' ' || *t == '\t')
		t++;
	if (flen == 0)
		return fail(c, "%s: the part before \"=>\" is empty", key);
	*from = strndup(v, flen);
	*to = strdup(t);
	if (!*from || !*to) {
		free(*from);
		free(*to);
		return fail(c, "out of memory");
	}
	return 0;
}

/* A list of words separated by commas and/or blanks. */
static int parse_list(struct ctx *c, const char *key, const char *v, char ***items, size_t *n)
{
	char *copy = strdup(v), *save = NULL;

	if (!copy)
		return fail(c, "out of memory");
	for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
		char **grown = realloc(*items, (*n + 1) * sizeof(*grown));
		if (!grown || !(grown[*n] = strdup(w))) {
			*items = grown ? grown : *items;
			free(copy);
			return fail(c, "out of memory");
		}
		*items = grown;
		(*n)++;
	}
	free(copy);
	if (*n == 0)
		return fail(c, "%s: empty list", key);
	return 0;
}

static int tag_ok(const char *k, size_t kl, const char *v, size_t vl, void *arg)
{
	(void)k, (void)v, (void)arg;
	return kl > 0 && kl < 128 && vl < 256 ? 0 : -1;
}

/* ---- keys ------------------------------------------------------------------- */

static int key_dsn(struct ctx *c, const char *v)
{
	enum bb_dsn_err e = bb_dsn_parse(v, &c->cfg->dsn);

	if (e != BB_DSN_OK)
		return fail(c, "dsn: %s", bb_dsn_strerror(e));	/* never the value */
	c->cfg->has_dsn = true;
	return 0;
}

static int key_endpoint(struct ctx *c, const char *v)
{
	char buf[BB_ENDPOINT_MAX];
	enum bb_dsn_err e = bb_endpoint_parse(v, buf, sizeof(buf));

	if (e != BB_DSN_OK)
		return fail(c, "endpoint: \"%.200s\": %s", v, bb_dsn_strerror(e));
	return bb_config_set_str(&c->cfg->endpoint, buf);
}

static int key_environment(struct ctx *c, const char *v)
{
	if (strlen(v) >= BB_ENV_MAX)
		return fail(c, "environment: longer than %d bytes", BB_ENV_MAX - 1);
	return bb_config_set_str(&c->cfg->environment, v);
}

static int key_release(struct ctx *c, const char *v)
{
	if (strlen(v) >= BB_RELEASE_MAX)
		return fail(c, "release: longer than %d bytes", BB_RELEASE_MAX - 1);
	return bb_config_set_str(&c->cfg->release, v);
}

static int key_socket(struct ctx *c, const char *v)
{
	return parse_abs_path(c, "socket", v, 108, &c->cfg->socket_path);
}

static int key_spool_dir(struct ctx *c, const char *v)
{
	return parse_abs_path(c, "spool_dir", v, 3800, &c->cfg->spool_dir);
}

static int key_hold(struct ctx *c, const char *v)
{
	return parse_ms(c, "hold_timeout_ms", v, 60000, &c->cfg->hold_timeout_ms);
}

static int parse_count(struct ctx *c, const char *key, const char *v, unsigned long min,
		unsigned long max, unsigned *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (!*v || *end || errno || v[0] == '-' || n < min || n > max)
		return fail(c, "%s: \"%.64s\" is not a number from %lu to %lu", key, v, min, max);
	*out = (unsigned)n;
	return 0;
}

static int key_spool_max(struct ctx *c, const char *v)
{
	return parse_count(c, "spool_max_events", v, 1, 1000000, &c->cfg->spool_max_events);
}

/* ---- per-user limits and workers (privilege separation) -------------------- */

static int key_uid_connections(struct ctx *c, const char *v)
{
	return parse_count(c, "uid_max_connections", v, 1, 4096, &c->cfg->uid_max_connections);
}

static int key_uid_queued(struct ctx *c, const char *v)
{
	return parse_count(c, "uid_max_queued", v, 1, 1024, &c->cfg->uid_max_queued);
}

static int key_uid_spool_events(struct ctx *c, const char *v)
{
	return parse_count(c, "uid_spool_max_events", v, 1, 1000000, &c->cfg->uid_spool_max_events);
}

static int key_uid_spool_mb(struct ctx *c, const char *v)
{
	return parse_count(c, "uid_spool_max_mb", v, 1, 1000000, &c->cfg->uid_spool_max_mb);
}

static int key_uid_messages(struct ctx *c, const char *v)
{
	return parse_count(c, "uid_messages_per_minute", v, 1, 1000000,
			   &c->cfg->uid_messages_per_minute);
}

static int key_group_window(struct ctx *c, const char *v)
{
	return parse_count(c, "group_window_s", v, 1, 86400, &c->cfg->group_window_s);
}

static int key_group_burst(struct ctx *c, const char *v)
{
	return parse_count(c, "group_burst", v, 1, 100000, &c->cfg->group_burst);
}

static int key_worker_timeout(struct ctx *c, const char *v)
{
	return parse_count(c, "worker_timeout_ms", v, 100, 3600000, &c->cfg->worker_timeout_ms);
}

static int key_worker_memory(struct ctx *c, const char *v)
{
	return parse_count(c, "worker_memory_mb", v, 64, 1048576, &c->cfg->worker_memory_mb);
}

static int key_drop_dir(struct ctx *c, const char *v)
{
	return parse_abs_path(c, "drop_dir", v, 200, &c->cfg->drop_dir);
}

static int key_uid_drops(struct ctx *c, const char *v)
{
	return parse_count(c, "uid_max_drops", v, 1, 100000, &c->cfg->uid_max_drops);
}

static int key_cache_dir(struct ctx *c, const char *v)
{
	return parse_abs_path(c, "cache_dir", v, 200, &c->cfg->cache_dir);
}

static int key_tags(struct ctx *c, const char *v)
{
	if (strlen(v) >= BB_TAGS_MAX || bb_tags_foreach(v, tag_ok, NULL) != 0)
		return fail(c, "tags: \"%.200s\" is not k=v,k=v (keys non-empty, "
			    "at most %d bytes in all)", v, BB_TAGS_MAX - 1);
	return bb_config_set_str(&c->cfg->tags, v);
}

static int key_path_map(struct ctx *c, const char *v)
{
	struct bb_config *cfg = c->cfg;
	struct bb_path_map m;

	if (split_arrow(c, "source_path_map", v, &m.from, &m.to) != 0)
		return -1;
	struct bb_path_map *grown = realloc(cfg->path_maps, (cfg->n_path_maps + 1) * sizeof(m));
	if (!grown) {
		free(m.from);
		free(m.to);
		return fail(c, "out of memory");
	}
	cfg->path_maps = grown;
	cfg->path_maps[cfg->n_path_maps++] = m;
	return 0;
}

static int key_debuginfod(struct ctx *c, const char *v)
{
	return bb_config_set_str(&c->cfg->debuginfod_urls, v);
}

static int key_ignore(struct ctx *c, const char *v)
{
	return parse_list(c, "ignore_errors", v, &c->cfg->ignore_errors, &c->cfg->n_ignore_errors);
}

static int key_before_send(struct ctx *c, const char *v)
{
	return parse_abs_path(c, "before_send", v, 4096, &c->cfg->before_send);
}

static int key_before_send_ms(struct ctx *c, const char *v)
{
	return parse_ms(c, "before_send_timeout_ms", v, 600000, &c->cfg->before_send_timeout_ms);
}

static int key_scrub_value(struct ctx *c, const char *v)
{
	struct bb_config *cfg = c->cfg;
	struct bb_scrub_rule r = { 0 };
	char msg[256];

	if (split_arrow(c, "scrub_value", v, &r.pattern, &r.replacement) != 0)
		return -1;
	const char *refused = ere_refused(r.pattern, ERE_COST_MAX);
	if (refused) {
		fail(c, "scrub_value: \"%.200s\": %s", r.pattern, refused);
		free(r.pattern);
		free(r.replacement);
		return -1;
	}
	int rc = regcomp(&r.re, r.pattern, REG_EXTENDED);
	if (rc != 0) {
		regerror(rc, &r.re, msg, sizeof(msg));
		fail(c, "scrub_value: \"%.200s\": %s", r.pattern, msg);
		free(r.pattern);
		free(r.replacement);
		return -1;
	}
	struct bb_scrub_rule *grown = realloc(cfg->scrub_values, (cfg->n_scrub_values + 1) * sizeof(r));
	if (!grown) {
		regfree(&r.re);
		free(r.pattern);
		free(r.replacement);
		return fail(c, "out of memory");
	}
	cfg->scrub_values = grown;
	cfg->scrub_values[cfg->n_scrub_values++] = r;
	return 0;
}

static int key_scrub_names(struct ctx *c, const char *v)
{
	return parse_list(c, "scrub_names", v, &c->cfg->scrub_names, &c->cfg->n_scrub_names);
}

static const struct key {
	const char *name;
	bool repeatable;
	int (*parse)(struct ctx *, const char *);
} keys[] = {
	{ "dsn", false, key_dsn },
	{ "endpoint", false, key_endpoint },
	{ "environment", false, key_environment },
	{ "release", false, key_release },
	{ "socket", false, key_socket },
	{ "spool_dir", false, key_spool_dir },
	{ "hold_timeout_ms", false, key_hold },
	{ "spool_max_events", false, key_spool_max },
	{ "tags", false, key_tags },
	{ "source_path_map", true, key_path_map },
	{ "debuginfod_urls", false, key_debuginfod },
	{ "ignore_errors", false, key_ignore },
	{ "before_send", false, key_before_send },
	{ "before_send_timeout_ms", false, key_before_send_ms },
	{ "scrub_value", true, key_scrub_value },
	{ "scrub_names", false, key_scrub_names },
	{ "uid_max_connections", false, key_uid_connections },
	{ "uid_max_queued", false, key_uid_queued },
	{ "uid_spool_max_events", false, key_uid_spool_events },
	{ "uid_spool_max_mb", false, key_uid_spool_mb },
	{ "uid_messages_per_minute", false, key_uid_messages },
	{ "group_window_s", false, key_group_window },
	{ "group_burst", false, key_group_burst },
	{ "worker_timeout_ms", false, key_worker_timeout },
	{ "worker_memory_mb", false, key_worker_memory },
	{ "cache_dir", false, key_cache_dir },
	{ "drop_dir", false, key_drop_dir },
	{ "uid_max_drops", false, key_uid_drops },
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* ---- lines ---------------------------------------------------------------------- */

static char *strip(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* "quoted \"value\"" -> quoted "value"; in place. */
static int unquote(struct ctx *c, char *v)
{
	size_t n = strlen(v);
	char *o = v;

	if (n == 0 || v[0] != '"')
		return 0;
	if (n < 2 || v[n - 1] != '"')
		return fail(c, "unterminated quoted value");
	v[n - 1] = '\0';
	for (char *p = v + 1; *p; p++) {
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		else if (*p == '\\' || *p == '"')
			return fail(c, "bad quoting: use \\\" and \\\\ inside quotes");
		*o++ = *p;
	}
	*o = '\0';
	return 0;
}

/* A "key = value" line, split in place: the key, and *val (NULL when the
 * line has no '='), blanks around each gone.  NULL for a blank line or a
 * comment.  The one reading of a key: bb_config_text_without_dsn must
 * see the very "dsn" lines the parser takes. */
static char *split_key(char *line, char **val)
{
	char *s = strip(line), *eq;

	*val = NULL;
	if (!*s || *s == '#')
		return NULL;
	if ((eq = strchr(s, '=')) != NULL) {
		*eq = '\0';
		*val = strip(eq + 1);
	}
	return strip(s);
}

static int parse_line(struct ctx *c, char *line, bool seen[N_KEYS])
{
	char *val, *key = split_key(line, &val);

	if (!key)
		return 0;
	if (!val)
		return fail(c, "expected \"key = value\"");
	if (!*key)
		return fail(c, "empty key");
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcmp(keys[i].name, key) != 0)
			continue;
		if (seen[i] && !keys[i].repeatable)
			return fail(c, "%s: given twice", key);
		seen[i] = true;
		if (unquote(c, val) != 0)
			return -1;
		return keys[i].parse(c, val);
	}
	return fail(c, "unknown key \"%.64s\"", key);
}

static int finish(struct ctx *c)
{
	struct bb_config *cfg = c->cfg;

	c->line = 0;
	if (cfg->has_dsn && !cfg->endpoint &&
	    bb_config_set_str(&cfg->endpoint, cfg->dsn.endpoint) != 0)
		return fail(c, "out of memory");
	if (!cfg->has_dsn && cfg->endpoint) {	/* no DSN: local mode, whatever the endpoint */
		free(cfg->endpoint);
		cfg->endpoint = NULL;
	}
	return 0;
}

void bb_config_init(struct bb_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->environment = strdup("");
	cfg->release = strdup("");
	cfg->tags = strdup("");
	cfg->socket_path = strdup(BB_DEFAULT_SOCKET);
	cfg->spool_dir = strdup(BB_DEFAULT_SPOOL);
	cfg->hold_timeout_ms = BB_DEFAULT_HOLD_MS;
	cfg->spool_max_events = BB_DEFAULT_SPOOL_MAX;
	cfg->before_send_timeout_ms = BB_DEFAULT_BEFORE_SEND_MS;
	cfg->cache_dir = strdup(BB_DEFAULT_CACHE);
	cfg->drop_dir = strdup(BB_DROP_DEFAULT_DIR);
	cfg->uid_max_drops = 100;
	cfg->uid_max_connections = 16;
	cfg->uid_max_queued = 128;
	cfg->uid_spool_max_events = 2000;
	cfg->uid_spool_max_mb = 256;
	cfg->uid_messages_per_minute = 600;
	cfg->group_window_s = 60;
	cfg->group_burst = 10;
	cfg->worker_timeout_ms = 60000;
	cfg->worker_memory_mb = 4096;
}

/* Is this line "dsn = ..." as the parser reads it?  A line too long to
 * be parsed counts as one: the file is refused anyway, and its text must
 * not carry a token to a worker. */
static bool is_dsn_line(const char *line, size_t n)
{
	char buf[LINE_MAX_LEN + 1], *val, *key;

	if (n > LINE_MAX_LEN)
		return true;
	memcpy(buf, line, n);
	buf[n] = '\0';
	key = split_key(buf, &val);
	return key && val && strcmp(key, "dsn") == 0;
}

char *bb_config_text_without_dsn(const struct bb_config *cfg, size_t *len)
{
	const char *t = cfg->text ? cfg->text : "";
	size_t n = cfg->text ? cfg->text_len : 0, o = 0;
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	for (size_t off = 0; off < n;) {
		const char *nl = memchr(t + off, '\n', n - off);
		size_t ln = nl ? (size_t)(nl - (t + off)) + 1 : n - off;
		if (!is_dsn_line(t + off, nl ? ln - 1 : ln))
			memcpy(out + o, t + off, ln), o += ln;
		else
			out[o++] = '\n';	/* line numbers stay those of the file */
		off += ln;
	}
	out[o] = '\0';
	*len = o;
	return out;
}

int bb_config_parse(struct bb_config *cfg, const char *name, const char *text, size_t len,
		char *err, size_t errlen)
{
	struct ctx c = { .cfg = cfg, .name = name, .err = err, .errlen = errlen };
	bool seen[N_KEYS] = { false };
	char line[LINE_MAX_LEN + 2];

	if (len > FILE_MAX_LEN)
		return fail(&c, "file larger than %d bytes", FILE_MAX_LEN);
	if (memchr(text, '\0', len))
		return fail(&c, "file contains a NUL byte: not a text file");
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		c.line++;
		if (n > LINE_MAX_LEN)
			return fail(&c, "line longer than %d bytes", LINE_MAX_LEN);
		memcpy(line, text + off, n);
		line[n] = '\0';
		if (parse_line(&c, line, seen) != 0)
			return -1;
		off += n + 1;
	}
	return finish(&c);
}

int bb_config_load(struct bb_config *cfg, const char *path, bool must_exist,
		char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_size > FILE_MAX_LEN) {
		snprintf(err, errlen, "%s: file larger than %d bytes", path, FILE_MAX_LEN);
		close(fd);
		return -1;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	int rc = bb_config_parse(cfg, path, buf, got, err, errlen);
	free(cfg->text);
	cfg->text = buf;	/* for bb_config_text_without_dsn */
	cfg->text_len = got;
	return rc;
}

static void free_list(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

void bb_config_free(struct bb_config *cfg)
{
	free(cfg->endpoint);
	free(cfg->environment);
	free(cfg->release);
	free(cfg->socket_path);
	free(cfg->spool_dir);
	free(cfg->tags);
	for (size_t i = 0; i < cfg->n_path_maps; i++) {
		free(cfg->path_maps[i].from);
		free(cfg->path_maps[i].to);
	}
	free(cfg->path_maps);
	free(cfg->debuginfod_urls);
	free_list(cfg->ignore_errors, cfg->n_ignore_errors);
	free(cfg->before_send);
	for (size_t i = 0; i < cfg->n_scrub_values; i++) {
		regfree(&cfg->scrub_values[i].re);
		free(cfg->scrub_values[i].pattern);
		free(cfg->scrub_values[i].replacement);
	}
	free(cfg->scrub_values);
	free_list(cfg->scrub_names, cfg->n_scrub_names);
	free(cfg->cache_dir);
	free(cfg->drop_dir);
	free(cfg->text);
	memset(cfg, 0, sizeof(*cfg));
}
