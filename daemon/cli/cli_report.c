/*
 * cli_report.c - `booboo show`: an event as a person reads it: what
 * happened, where and when, then the frames most recent call first (like
 * gdb's bt), the program's own frames marked and in bold on a terminal,
 * with their source lines and local variables.
 *
 * Every string of the event comes from the crashing program, its debug
 * info or its source files: it is escaped (cli_escape_event) before any of
 * it is printed, so that none of it can drive the reader's terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "event_keys.h"
#include "utf8.h"

#define BOLD(c) ((c) ? "\033[1m" : "")
#define DIM(c) ((c) ? "\033[2m" : "")
#define RESET(c) ((c) ? "\033[0m" : "")

/* ---- escaping -------------------------------------------------------------- */

/* Source lines keep their indentation: a TAB there becomes spaces. */
static enum utf8_esc mode_for(const char *key, enum utf8_esc parent)
{
	return strcmp(key, EV_CONTEXT_LINE) == 0 || strcmp(key, EV_PRE_CONTEXT) == 0 ||
	       strcmp(key, EV_POST_CONTEXT) == 0 ? UTF8_ESC_SOURCE : parent;
}

static int escape_value(struct json_object *v, enum utf8_esc mode, struct json_object **out);

static int escape_string(struct json_object *v, enum utf8_esc mode, struct json_object **out)
{
	size_t n;
	char *e = utf8_escape(json_object_get_string(v), (size_t)json_object_get_string_len(v),
			      mode, &n);

	*out = e ? json_object_new_string_len(e, (int)n) : NULL;
	free(e);
	return *out ? 0 : -1;
}

static int escape_members(struct json_object *v, enum utf8_esc mode, struct json_object *out)
{
	json_object_object_foreach(v, key, val) {
		struct json_object *copy = NULL;
		size_t n;
		char *k = utf8_escape(key, strlen(key), UTF8_ESC_LINE, &n);
		int rc = k ? escape_value(val, mode_for(key, mode), &copy) : -1;
		if (rc == 0 && json_object_object_add(out, k, copy) != 0) {
			json_object_put(copy);
			rc = -1;
		}
		free(k);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int escape_items(struct json_object *v, enum utf8_esc mode, struct json_object *out)
{
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *copy = NULL;
		if (escape_value(json_object_array_get_idx(v, i), mode, &copy) != 0)
			return -1;
		if (json_object_array_add(out, copy) != 0) {
			json_object_put(copy);
			return -1;
		}
	}
	return 0;
}

static int escape_value(struct json_object *v, enum utf8_esc mode, struct json_object **out)
{
	int rc;

	switch (json_object_get_type(v)) {
	case json_type_string:
		return escape_string(v, mode, out);
	case json_type_object:
		*out = json_object_new_object();
		rc = *out ? escape_members(v, mode, *out) : -1;
		break;
	case json_type_array:
		*out = json_object_new_array();
		rc = *out ? escape_items(v, mode, *out) : -1;
		break;
	default:	/* null, booleans and numbers print as they are */
		*out = json_object_get(v);
		return 0;
	}
	if (rc != 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return rc;
}

struct json_object *cli_escape_event(struct json_object *ev)
{
	struct json_object *out = NULL;

	if (ev && escape_value(ev, UTF8_ESC_LINE, &out) != 0)
		out = NULL;
	json_object_put(ev);
	return out;
}

void cli_print_line(FILE *out, const char *label, const char *text, size_t len)
{
	size_t n;
	char *shown = utf8_escape(text, len, UTF8_ESC_LINE, &n);

	fprintf(out, "%s%s\n", label, shown ? shown : strerror(errno));
	free(shown);
}

/* ---- the report ------------------------------------------------------------ */

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *obj(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static void print_source(FILE *out, struct json_object *f, bool color)
{
	struct json_object *pre = obj(f, EV_PRE_CONTEXT), *post = obj(f, EV_POST_CONTEXT);
	const char *line = str(f, EV_CONTEXT_LINE);
	int lineno = json_object_get_int(obj(f, EV_LINENO));
	size_t npre = pre ? json_object_array_length(pre) : 0;
	size_t npost = post ? json_object_array_length(post) : 0;

	/* No source is an empty line and empty lists (the ingest wants the keys). */
	if (!line || (!*line && npre == 0 && npost == 0))
		return;
	for (size_t i = 0; i < npre; i++)
		fprintf(out, "      %s%5d | %s%s\n", DIM(color), lineno - (int)(npre - i),
			json_object_get_string(json_object_array_get_idx(pre, i)), RESET(color));
	fprintf(out, "    %s> %5d | %s%s\n", BOLD(color), lineno, line, RESET(color));
	for (size_t i = 0; i < npost; i++)
		fprintf(out, "      %s%5d | %s%s\n", DIM(color), lineno + 1 + (int)i,
			json_object_get_string(json_object_array_get_idx(post, i)), RESET(color));
}

static void print_vars(FILE *out, struct json_object *f)
{
	struct json_object *vars = obj(f, EV_VARS);

	if (!vars || !json_object_is_type(vars, json_type_object))
		return;
	json_object_object_foreach(vars, name, val)
		fprintf(out, "        %s = %s\n", name, json_object_get_string(val));
}

static void print_frame(FILE *out, struct json_object *f, int n, bool color)
{
	bool app = json_object_get_boolean(obj(f, EV_IN_APP));
	const char *fn = str(f, EV_FUNCTION), *file = str(f, EV_FILENAME);
	const char *mod = str(f, EV_MODULE);
	int lineno = json_object_get_int(obj(f, EV_LINENO));

	fprintf(out, "%s%c #%-2d %s%s%s", app ? BOLD(color) : "", app ? '>' : ' ', n,
		fn ? fn : "??", json_object_get_boolean(obj(f, "inlined")) ? " [inlined]" : "",
		json_object_get_boolean(obj(f, "tail_call")) ? " [tail call]" : "");
	/* Line 0: no line info, the filename is only the module's path. */
	if (file && lineno > 0)
		fprintf(out, " at %s:%d", file, lineno);
	else if (mod)
		fprintf(out, " in %s+%s", strrchr(mod, '/') ? strrchr(mod, '/') + 1 : mod,
			str(f, "module_offset") ?: "?");
	fprintf(out, "%s\n", app ? RESET(color) : "");
	if (app) {
		print_source(out, f, color);
		print_vars(out, f);
	}
}

static void print_threads(FILE *out, struct json_object *threads)
{
	size_t n = threads ? json_object_array_length(threads) : 0;

	if (n <= 1)
		return;
	fprintf(out, "\nThreads (%zu):\n", n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(threads, i);
		struct json_object *frames = obj(t, "frames");
		size_t nf = frames ? json_object_array_length(frames) : 0;
		struct json_object *top = nf ? json_object_array_get_idx(frames, nf - 1) : NULL;
		fprintf(out, "  %s %-6d %-16s %s", json_object_get_boolean(obj(t, "crashed")) ? "*" : " ",
			json_object_get_int(obj(t, "tid")), str(t, "name") ?: "",
			top && str(top, EV_FUNCTION) ? str(top, EV_FUNCTION) : "??");
		if (top && str(top, EV_FILENAME) && json_object_get_int(obj(top, EV_LINENO)) > 0)
			fprintf(out, " at %s:%d", str(top, EV_FILENAME), json_object_get_int(obj(top, EV_LINENO)));
		fputc('\n', out);
	}
}

/* The exceptions the reported one was thrown from, nearest first. */
static void print_causes(FILE *out, struct json_object *exceptions)
{
	size_t n = exceptions ? json_object_array_length(exceptions) : 0;

	for (size_t i = 1; i < n; i++) {
		struct json_object *ex = json_object_array_get_idx(exceptions, i);
		const char *value = str(ex, EV_EX_VALUE);
		fprintf(out, "  caused by    %s%s%s\n", str(ex, EV_EX_TYPE) ?: "?",
			value && *value ? ": " : "", value ? value : "");
	}
}

static void print_user(FILE *out, struct json_object *user)
{
	fprintf(out, "  user        ");
	json_object_object_foreach(user, key, val)
		fprintf(out, " %s=%s", key, json_object_get_string(val));
	fputc('\n', out);
}

void cli_print_report(FILE *out, struct json_object *ev, const char *id,
		const char *state, const char *reason, bool color)
{
	struct json_object *ctx = obj(ev, EV_CONTEXT), *proc = obj(ctx, EV_CTX_PROCESS);
	struct json_object *thread = obj(ctx, EV_CTX_THREAD), *st = obj(ev, EV_STACKTRACE);
	const char *type = str(ev, EV_EXCEPTION_TYPE);

	fprintf(out, "%s%s%s\n", BOLD(color), str(ev, EV_MESSAGE) ?: "", RESET(color));
	if (type && *type && !strstr(str(ev, EV_MESSAGE) ?: "", type))
		fprintf(out, "  type         %s\n", type);
	print_causes(out, obj(ev, EV_EXCEPTIONS));
	fprintf(out, "  level        %s\n", str(ev, EV_LEVEL) ?: "?");
	if (proc)
		fprintf(out, "  program      %s (pid %d)  %s\n", str(proc, "name") ?: "?",
			json_object_get_int(obj(proc, "pid")), str(proc, EV_PROCESS_EXE) ?: "");
	if (thread)
		fprintf(out, "  thread       %s (tid %d)\n", str(thread, "name") ?: "",
			json_object_get_int(obj(thread, "tid")));
	fprintf(out, "  time         %s\n", str(ev, EV_TIMESTAMP) ?: "?");
	const char *env = str(ev, EV_ENVIRONMENT), *release = str(ev, EV_RELEASE);
	if (env && *env)
		fprintf(out, "  environment  %s\n", env);
	if (release && *release)
		fprintf(out, "  release      %s\n", release);
	if (obj(ev, EV_REQUEST))
		fprintf(out, "  request      %s %s\n", str(obj(ev, EV_REQUEST), "method") ?: "",
			str(obj(ev, EV_REQUEST), "url") ?: "");
	if (obj(ctx, EV_CTX_USER))
		print_user(out, obj(ctx, EV_CTX_USER));
	fprintf(out, "  event        %s (%s%s%s)\n", id, state, reason ? ": " : "", reason ? reason : "");
	size_t n = st ? json_object_array_length(st) : 0;
	if (n) {
		fprintf(out, "\nStack (most recent call first):\n");
		for (size_t i = n; i-- > 0;)
			print_frame(out, json_object_array_get_idx(st, i), (int)(n - 1 - i), color);
	}
	print_threads(out, obj(ctx, "threads"));
}
