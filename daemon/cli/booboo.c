/*
 * booboo.c - the command-line tool: list and show the spooled events,
 * send a message through the daemon, report the daemon's status, and run
 * a program under the shim (see booboo(1)).
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "dsn.h"
#include "event_keys.h"
#include "record.h"
#include "spool.h"
#include "upload.h"
#include "utf8.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: booboo [-c FILE] COMMAND [ARGS]\n"
		"  -c, --config FILE        configuration (default %s)\n"
		"  -h, --help               this text\n"
		"  -V, --version            the version\n"
		"commands:\n"
		"  list                     events: time, state, type, message, program, id\n"
		"  show [ID|--last] [--json] one event as a report (default: the last one)\n"
		"  message TEXT [--level info|warning|error]\n"
		"                           send a message event through the daemon\n"
		"  status                   daemon, DSN, endpoint and delivery counters\n"
		"  run -- CMD [ARGS...]     run CMD with the shim; start a private daemon if\n"
		"                           none answers; show the report if CMD crashed\n",
		BB_DEFAULT_CONFIG);
}

char *cli_sibling_path(const char *rel)
{
	char exe[PATH_MAX], *out = NULL;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if (asprintf(&out, "%s/%s", dirname(exe), rel) < 0)
		return NULL;
	return out;
}

bool cli_daemon_answers(const char *socket_path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0 || strlen(socket_path) >= sizeof(a.sun_path)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	strcpy(a.sun_path, socket_path);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* ---- list / show ----------------------------------------------------------- */

static struct json_object *load_event(struct spool *sp, const char *id, enum spool_state st)
{
	char *buf;
	size_t len;

	if (spool_read(sp, st, id, &buf, &len) != SPOOL_OK)
		return NULL;
	struct json_object *ev = cli_escape_event(json_tokener_parse(buf));
	free(buf);
	return ev;
}

static const char *get(struct json_object *o, const char *k1, const char *k2)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, k1, &v))
		return NULL;
	if (k2 && (!v || !json_object_object_get_ex(v, k2, &v)))
		return NULL;
	return v ? json_object_get_string(v) : NULL;
}

/* s in a column of `width` characters, cut at a character boundary (s is
 * escaped text, valid UTF-8), padded, then the two spaces between columns. */
static void print_cell(const char *s, int width)
{
	size_t end = 0;
	int chars = 0;

	while (s[end] && chars < width) {
		end++;
		while (((unsigned char)s[end] & 0xc0) == 0x80)
			end++;
		chars++;
	}
	printf("%.*s%*s  ", (int)end, s, width - chars, "");
}

static int cmd_list(struct spool *sp)
{
	struct spool_entry *e;
	size_t n;

	if (spool_list(sp, &e, &n) != SPOOL_OK) {
		fprintf(stderr, "booboo: %s: cannot list the spool\n", sp->dir);
		return 1;
	}
	printf("%-19s  %-8s  %-18s  %-60s  %-16s  %s\n", "TIME (UTC)", "STATE", "TYPE",
	       "MESSAGE", "PROGRAM", "ID");
	for (size_t i = 0; i < n; i++) {
		struct json_object *ev = load_event(sp, e[i].id, e[i].state);
		const char *type = get(ev, EV_EXCEPTION_TYPE, NULL);
		const char *proc = get(get(ev, EV_CONTEXT, NULL) ? json_object_object_get(ev, EV_CONTEXT) : NULL,
				       EV_CTX_PROCESS, "name");
		print_cell(get(ev, EV_TIMESTAMP, NULL) ?: "?", 19);
		print_cell(spool_state_name(e[i].state), 8);
		print_cell(type && *type ? type : "message", 18);
		print_cell(get(ev, EV_MESSAGE, NULL) ?: "?", 60);
		print_cell(proc ? proc : "?", 16);
		printf("%s\n", e[i].id);
		json_object_put(ev);
	}
	free(e);
	return 0;
}

static char *rejection_reason(struct spool *sp, const char *id)
{
	char *text, *shown;
	size_t len;

	if (spool_read_reason(sp, id, &text, &len) != SPOOL_OK)
		return NULL;
	/* The server's words: escaped like the event's own text. */
	shown = utf8_escape(text, strcspn(text, "\n"), UTF8_ESC_LINE, &len);
	free(text);
	return shown;
}

/* The event as it is (or was) sent, but with no raw control character
 * for the terminal: JSON escapes instead, so it stays the same JSON. */
static int print_json(const char *id, const char *buf, size_t len)
{
	size_t n;
	char *shown = utf8_escape(buf, len, UTF8_ESC_JSON, &n);

	if (!shown) {
		fprintf(stderr, "booboo: event %s: %s\n", id, strerror(errno));
		return 1;
	}
	fwrite(shown, 1, n, stdout);
	putchar('\n');
	free(shown);
	return 0;
}

int cli_show_event(struct spool *sp, const char *id, bool json)
{
	for (int st = SPOOL_PENDING; st <= SPOOL_REJECTED; st++) {
		char *buf;
		size_t len;
		if (spool_read(sp, (enum spool_state)st, id, &buf, &len) != SPOOL_OK)
			continue;
		if (json) {
			int rc = print_json(id, buf, len);
			free(buf);
			return rc;
		}
		struct json_object *ev = json_tokener_parse(buf);
		free(buf);
		if (!ev) {
			fprintf(stderr, "booboo: event %s is not valid JSON\n", id);
			return 1;
		}
		ev = cli_escape_event(ev);
		if (!ev) {
			fprintf(stderr, "booboo: event %s: %s\n", id, strerror(ENOMEM));
			return 1;
		}
		char *reason = st == SPOOL_REJECTED ? rejection_reason(sp, id) : NULL;
		cli_print_report(stdout, ev, id, spool_state_name((enum spool_state)st), reason,
				 isatty(STDOUT_FILENO));
		free(reason);
		json_object_put(ev);
		return 0;
	}
	fprintf(stderr, "booboo: no event %s in %s\n", id, sp->dir);
	return 1;
}

static int cmd_show(struct spool *sp, int argc, char **argv)
{
	bool json = false;
	const char *id = NULL;
	struct spool_entry *e = NULL;
	size_t n = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--last") == 0)
			id = NULL;
		else if (argv[i][0] == '-') {
			fprintf(stderr, "booboo: show: unknown option %s\n", argv[i]);
			return 2;
		} else
			id = argv[i];
	}
	if (!id) {
		if (spool_list(sp, &e, &n) != SPOOL_OK || n == 0) {
			fprintf(stderr, "booboo: no events in %s\n", sp->dir);
			free(e);
			return 1;
		}
		id = e[n - 1].id;
	}
	int rc = cli_show_event(sp, id, json);
	free(e);
	return rc;
}

/* ---- message ---------------------------------------------------------------- */

static void copy_env(char *dst, size_t cap, const char *name)
{
	const char *v = getenv(name);

	snprintf(dst, cap, "%s", v ? v : "");
}

static int send_message(const char *socket_path, struct bb_record *rec)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct bb_ack ack;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(socket_path) >= sizeof(a.sun_path))
		return -1;
	strcpy(a.sun_path, socket_path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    send(fd, rec, sizeof(*rec), MSG_NOSIGNAL) != (ssize_t)sizeof(*rec)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int rc = poll(&p, 1, 5000) == 1 && recv(fd, &ack, sizeof(ack), 0) == sizeof(ack) &&
		 ack.magic == BB_ACK_MAGIC && ack.status == 0 ? 0 : -1;
	if (rc != 0)
		errno = ETIMEDOUT;
	close(fd);
	return rc;
}

static int cmd_message(struct bb_config *cfg, int argc, char **argv)
{
	struct bb_record rec;
	const char *level = "info", *text = NULL, *sock = getenv("BOOBOO_SOCKET");
	struct timespec ts;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--level") == 0 && i + 1 < argc)
			level = argv[++i];
		else if (strncmp(argv[i], "--level=", 8) == 0)
			level = argv[i] + 8;
		else if (!text)
			text = argv[i];
		else {
			fprintf(stderr, "booboo: message: one TEXT argument (quote it)\n");
			return 2;
		}
	}
	if (!text || (strcmp(level, "info") && strcmp(level, "warning") && strcmp(level, "error"))) {
		fprintf(stderr, "booboo: message: TEXT [--level info|warning|error]\n");
		return 2;
	}
	bb_record_init(&rec, BB_REC_MESSAGE);
	rec.pid = getpid();
	rec.tid = (int32_t)syscall(SYS_gettid);
	clock_gettime(CLOCK_REALTIME, &ts);
	rec.time_sec = (uint64_t)ts.tv_sec;
	rec.time_nsec = (uint64_t)ts.tv_nsec;
	snprintf(rec.level, sizeof(rec.level), "%s", level);
	snprintf(rec.message, sizeof(rec.message), "%s", text);
	snprintf(rec.thread_name, sizeof(rec.thread_name), "booboo");
	snprintf(rec.exe, sizeof(rec.exe), "booboo");
	copy_env(rec.environment, sizeof(rec.environment), "BOOBOO_ENVIRONMENT");
	copy_env(rec.release, sizeof(rec.release), "BOOBOO_RELEASE");
	copy_env(rec.tags, sizeof(rec.tags), "BOOBOO_TAGS");
	if (!sock || !*sock)
		sock = cfg->socket_path;
	if (send_message(sock, &rec) != 0) {
		fprintf(stderr, "booboo: %s: cannot reach boobood: %s\n", sock, strerror(errno));
		return 1;
	}
	printf("message sent to boobood\n");
	return 0;
}

/* ---- status ------------------------------------------------------------------ */

/* Is the ingest reachable, and does it take the token?  The handshake is
 * what the daemon sends at start: not an event, not counted in quota. */
static void print_reachability(const struct bb_config *cfg)
{
	char detail[256];
	long code = upload_handshake(cfg, detail, sizeof(detail));
	const char *why = detail[0] ? detail : "request failed";

	if (code)
		printf("reachable     yes, HTTP %ld%s\n", code,
		       code == 403 ? " (the token is refused)" : code >= 400 ? " (refused)" : "");
	else
		cli_print_line(stdout, "reachable     no: ", why, strlen(why));
}

/* status.json, escaped: last_upload_error holds the server's words. */
static struct json_object *read_status(struct spool *sp)
{
	char *text;
	size_t len;
	struct json_object *st;

	if (spool_read_status(sp, &text, &len) != SPOOL_OK)
		return NULL;	/* no daemon has run here yet */
	st = cli_escape_event(json_tokener_parse(text));
	free(text);
	return st;
}

static long long count_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (long long)json_object_get_int64(v) : 0;
}

/* One line per user: what the per-user limits held back, what is queued
 * and pending, and the worker that reads that user's crashes. */
static void print_users(struct json_object *st)
{
	struct json_object *users;

	if (!json_object_object_get_ex(st, "users", &users) ||
	    !json_object_is_type(users, json_type_object))
		return;
	json_object_object_foreach(users, uid, u) {
		printf("uid %-9s %lld reports (%lld degraded, %lld more held back as repeats), "
		       "%lld pending (%lld KiB), %lld queued, "
		       "worker %lld; refused: %lld queue full, %lld spool full, %lld messages over "
		       "the rate, %lld connections over the limit, %lld silent, %lld bad records, "
		       "%lld drops over uid_max_drops\n",
		       uid, count_of(u, "reports"), count_of(u, "degraded_reports"),
		       count_of(u, "grouped"),
		       count_of(u, "pending_events"), count_of(u, "pending_bytes") / 1024,
		       count_of(u, "queued"), count_of(u, "worker_pid"),
		       count_of(u, "refused_queue_full"), count_of(u, "refused_spool_full"),
		       count_of(u, "rate_limited_messages"), count_of(u, "refused_connections"),
		       count_of(u, "silent_connections"), count_of(u, "bad_records"),
		       count_of(u, "drops_removed"));
	}
}

static int cmd_status(struct bb_config *cfg, struct spool *sp)
{
	char masked[32];
	const char *sock = getenv("BOOBOO_SOCKET");
	struct json_object *st;

	if (!sock || !*sock)
		sock = cfg->socket_path;
	bool up = cli_daemon_answers(sock);
	printf("daemon        %s (%s)\n", up ? "running" : "not running", sock);
	if (cfg->has_dsn) {
		bb_token_mask(cfg->dsn.token, masked, sizeof(masked));
		printf("dsn           set, token %s\n", masked);
		printf("endpoint      %s\n", cfg->endpoint);
		print_reachability(cfg);
	} else {
		printf("dsn           not set: local mode, nothing is sent\n");
	}
	printf("spool         %s\n", sp->dir);
	printf("events        %zu pending, %zu sent, %zu rejected\n", spool_count(sp, SPOOL_PENDING),
	       spool_count(sp, SPOOL_SENT), spool_count(sp, SPOOL_REJECTED));
	st = read_status(sp);
	if (st) {
		printf("ignored       %s\n", get(st, "ignored", NULL) ?: "0");
		printf("before_send   %s dropped, %s failed (dropped)\n",
		       get(st, "dropped_by_before_send", NULL) ?: "0",
		       get(st, "before_send_failures", NULL) ?: "0");
		const char *full = get(st, "spool_full", NULL);
		if (full && strcmp(full, "0") != 0)
			printf("spool full    %s events dropped (spool_max_events)\n", full);
		const char *err = get(st, "last_upload_error", NULL);
		printf("last error    %s\n", err && *err ? err : "none");
		print_users(st);
		json_object_put(st);
	}
	return up ? 0 : 3;
}

/* ---- main -------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *config = NULL;
	struct bb_config cfg;
	struct spool sp;
	char err[1024];
	int c, rc;

	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("booboo %s\n", BB_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind];
	bb_config_init(&cfg);
	if (bb_config_load(&cfg, config ? config : BB_DEFAULT_CONFIG, config != NULL,
			   err, sizeof(err)) != 0) {
		fprintf(stderr, "booboo: %s\n", err);
		return 1;
	}
	if (strcmp(cmd, "run") == 0) {
		int i = optind + 1;
		if (i < argc && strcmp(argv[i], "--") == 0)
			i++;
		if (i >= argc) {
			fprintf(stderr, "booboo: run -- CMD [ARGS...]\n");
			return 2;
		}
		rc = cli_run(&cfg, config, argv + i);
		bb_config_free(&cfg);
		return rc;
	}
	if (strcmp(cmd, "message") == 0) {
		rc = cmd_message(&cfg, argc - optind - 1, argv + optind + 1);
		bb_config_free(&cfg);
		return rc;
	}
	if (spool_open_reader(&sp, cfg.spool_dir) != SPOOL_OK) {
		fprintf(stderr, "booboo: %s: cannot open the spool: %s (is boobood set up?)\n",
			cfg.spool_dir, strerror(errno));
		bb_config_free(&cfg);
		return 1;
	}
	if (strcmp(cmd, "list") == 0)
		rc = cmd_list(&sp);
	else if (strcmp(cmd, "show") == 0)
		rc = cmd_show(&sp, argc - optind - 1, argv + optind + 1);
	else if (strcmp(cmd, "status") == 0)
		rc = cmd_status(&cfg, &sp);
	else {
		fprintf(stderr, "booboo: unknown command \"%s\"\n", cmd);
		usage(stderr);
		rc = 2;
	}
	spool_close(&sp);
	bb_config_free(&cfg);
	return rc;
}
