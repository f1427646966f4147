/*
 * cli_report.c - `booboo show`: an event as a person reads it: what
 * happened, where and when, then the frames most recent call first (like
 * gdb's bt), the program's own frames marked and in bold on a terminal,
 * with their source lines and local variables.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define BOLD(c) ((c) ? "\033[1m" : "")
#define DIM(c) ((c) ? "\033[2m" : "")
#define RESET(c) ((c) ? "\033[0m" : "")

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
	struct json_object *pre = obj(f, "pre_context"), *post = obj(f, "post_context");
	const char *line = str(f, "context_line");
	int lineno = json_object_get_int(obj(f, "lineno"));
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
	struct json_object *vars = obj(f, "vars");

	if (!vars || !json_object_is_type(vars, json_type_object))
		return;
	json_object_object_foreach(vars, name, val)
		fprintf(out, "        %s = %s\n", name, json_object_get_string(val));
}

static void print_frame(FILE *out, struct json_object *f, int n, bool color)
{
	bool app = json_object_get_boolean(obj(f, "in_app"));
	const char *fn = str(f, "function"), *file = str(f, "filename");
	const char *mod = str(f, "module");
	int lineno = json_object_get_int(obj(f, "lineno"));

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
			top && str(top, "function") ? str(top, "function") : "??");
		if (top && str(top, "filename") && json_object_get_int(obj(top, "lineno")) > 0)
			fprintf(out, " at %s:%d", str(top, "filename"), json_object_get_int(obj(top, "lineno")));
		fputc('\n', out);
	}
}

/* The exceptions the reported one was thrown from, nearest first. */
static void print_causes(FILE *out, struct json_object *exceptions)
{
	size_t n = exceptions ? json_object_array_length(exceptions) : 0;

	for (size_t i = 1; i < n; i++) {
		struct json_object *ex = json_object_array_get_idx(exceptions, i);
		const char *value = str(ex, "value");
		fprintf(out, "  caused by    %s%s%s\n", str(ex, "type") ?: "?",
			value && *value ? ": " : "", value ? value : "");
	}
}

void cli_print_report(FILE *out, struct json_object *ev, const char *id,
		const char *state, const char *reason, bool color)
{
	struct json_object *ctx = obj(ev, "context"), *proc = obj(ctx, "process");
	struct json_object *thread = obj(ctx, "thread"), *st = obj(ev, "stacktrace");
	const char *type = str(ev, "exception_type");

	fprintf(out, "%s%s%s\n", BOLD(color), str(ev, "message") ?: "", RESET(color));
	if (type && *type && !strstr(str(ev, "message") ?: "", type))
		fprintf(out, "  type         %s\n", type);
	print_causes(out, obj(ev, "exceptions"));
	fprintf(out, "  level        %s\n", str(ev, "level") ?: "?");
	if (proc)
		fprintf(out, "  program      %s (pid %d)  %s\n", str(proc, "name") ?: "?",
			json_object_get_int(obj(proc, "pid")), str(proc, "exe") ?: "");
	if (thread)
		fprintf(out, "  thread       %s (tid %d)\n", str(thread, "name") ?: "",
			json_object_get_int(obj(thread, "tid")));
	fprintf(out, "  time         %s\n", str(ev, "timestamp") ?: "?");
	const char *env = str(ev, "environment"), *release = str(ev, "release");
	if (env && *env)
		fprintf(out, "  environment  %s\n", env);
	if (release && *release)
		fprintf(out, "  release      %s\n", release);
	if (obj(ev, "request"))
		fprintf(out, "  request      %s %s\n", str(obj(ev, "request"), "method") ?: "",
			str(obj(ev, "request"), "url") ?: "");
	if (obj(ctx, "user"))
		fprintf(out, "  user         %s\n", json_object_to_json_string_ext(obj(ctx, "user"),
			JSON_C_TO_STRING_PLAIN));
	fprintf(out, "  event        %s (%s%s%s)\n", id, state, reason ? ": " : "", reason ? reason : "");
	size_t n = st ? json_object_array_length(st) : 0;
	if (n) {
		fprintf(out, "\nStack (most recent call first):\n");
		for (size_t i = n; i-- > 0;)
			print_frame(out, json_object_array_get_idx(st, i), (int)(n - 1 - i), color);
	}
	print_threads(out, obj(ctx, "threads"));
}
