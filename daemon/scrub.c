/*
 * scrub.c - secrets out of events, by value and by name.
 *
 * The sensitive names are the Python SDK 0.13 list plus scrub_names, as a
 * case-insensitive substring match.  A replacement may name groups as \1
 * .. \9 and the whole match as \0 or &.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event_keys.h"
#include "scrub.h"

#define FILTERED "[filtered]"
#define SCRUB_MAX_OUT (64 * 1024)

static const char *const sensitive[] = {
	"password", "passwd", "secret", "token", "api_key", "apikey",
	"access_key", "auth", "credential", "private",
};

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

bool scrub_name_is_sensitive(const struct bb_config *cfg, const char *name)
{
	for (size_t i = 0; i < sizeof(sensitive) / sizeof(sensitive[0]); i++)
		if (contains_ci(name, sensitive[i]))
			return true;
	for (size_t i = 0; cfg && i < cfg->n_scrub_names; i++)
		if (cfg->scrub_names[i][0] && contains_ci(name, cfg->scrub_names[i]))
			return true;
	return false;
}

struct out {
	char *buf;
	size_t len, cap;
};

static void out_add(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->len + n + 1) * 2;
		char *b = realloc(o->buf, cap);
		if (!b)
			return;
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void add_replacement(struct out *o, const char *rep, const char *subject,
		const regmatch_t *m)
{
	for (const char *p = rep; *p; p++) {
		int g = -1;
		if (*p == '&')
			g = 0;
		else if (*p == '\\' && p[1] >= '0' && p[1] <= '9')
			g = *++p - '0';
		else if (*p == '\\' && p[1])
			p++;	/* \& and \\ are literal */
		if (g >= 0) {
			if (m[g].rm_so >= 0)
				out_add(o, subject + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
		} else {
			out_add(o, p, 1);
		}
	}
}

static char *apply_rule(const struct bb_scrub_rule *r, const char *in)
{
	struct out o = { 0 };
	regmatch_t m[10];
	const char *p = in;
	int flags = 0;

	out_add(&o, "", 0);
	while (*p && o.len < SCRUB_MAX_OUT && regexec(&r->re, p, 10, m, flags) == 0) {
		out_add(&o, p, (size_t)m[0].rm_so);
		add_replacement(&o, r->replacement, p, m);
		if (m[0].rm_eo == m[0].rm_so) {	/* empty match: step past one char */
			if (p[m[0].rm_eo])
				out_add(&o, p + m[0].rm_eo, 1);
			p += m[0].rm_eo + (p[m[0].rm_eo] ? 1 : 0);
		} else {
			p += m[0].rm_eo;
		}
		flags = REG_NOTBOL;
	}
	out_add(&o, p, strlen(p));
	return o.buf;
}

char *scrub_string(const struct bb_config *cfg, const char *in)
{
	char *cur = strdup(in ? in : "");

	for (size_t i = 0; cur && i < cfg->n_scrub_values; i++) {
		char *next = apply_rule(&cfg->scrub_values[i], cur);
		free(cur);
		cur = next;
	}
	return cur;
}

/* ---- walking the event -------------------------------------------------------- */

/* The changes made are counted: an event nothing changed in need not be
 * written anew (delivery.c sends a worker's text as it came). */

/* Replace the string at o.key (or arr[i]) when `out` differs from it. */
static size_t replace(struct json_object *o, const char *key, size_t i, const char *now,
		char *out)
{
	size_t changed = out && strcmp(out, now) != 0;

	if (changed && key)
		json_object_object_add(o, key, json_object_new_string(out));
	else if (changed)
		json_object_array_put_idx(o, i, json_object_new_string(out));
	free(out);
	return changed;
}

static size_t scrub_key(const struct bb_config *cfg, struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return 0;
	return replace(o, key, 0, json_object_get_string(v),
		       scrub_string(cfg, json_object_get_string(v)));
}

static size_t scrub_array(const struct bb_config *cfg, struct json_object *arr)
{
	size_t changed = 0;

	if (!arr || !json_object_is_type(arr, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		const char *v = json_object_get_string(json_object_array_get_idx(arr, i));
		if (v)
			changed += replace(arr, NULL, i, v, scrub_string(cfg, v));
	}
	return changed;
}

/* Source lines too: a secret written in the code is still a secret. */
static size_t scrub_source(const struct bb_config *cfg, struct json_object *frame)
{
	struct json_object *v;
	size_t changed = scrub_key(cfg, frame, "context_line");

	if (json_object_object_get_ex(frame, EV_PRE_CONTEXT, &v))
		changed += scrub_array(cfg, v);
	if (json_object_object_get_ex(frame, EV_POST_CONTEXT, &v))
		changed += scrub_array(cfg, v);
	return changed;
}

static size_t scrub_frames(const struct bb_config *cfg, struct json_object *frames)
{
	size_t changed = 0;

	if (!frames || !json_object_is_type(frames, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(frames); i++) {
		struct json_object *vars, *frame = json_object_array_get_idx(frames, i);
		if (cfg->n_scrub_values)
			changed += scrub_source(cfg, frame);
		if (!json_object_object_get_ex(frame, EV_VARS, &vars) ||
		    !json_object_is_type(vars, json_type_object))
			continue;
		json_object_object_foreach(vars, name, val) {
			if (scrub_name_is_sensitive(cfg, name))
				changed += replace(vars, name, 0, json_object_get_string(val) ?: "",
						   strdup(FILTERED));
			else
				changed += scrub_key(cfg, vars, name);
		}
	}
	return changed;
}

/* "--password=x" -> "--password=[filtered]"; "--token x" -> "--token [filtered]". */
static size_t scrub_argv(const struct bb_config *cfg, struct json_object *argv)
{
	bool filter_next = false;
	size_t changed = 0;

	if (!argv || !json_object_is_type(argv, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(argv); i++) {
		const char *a = json_object_get_string(json_object_array_get_idx(argv, i));
		char *out = NULL;
		if (!a)
			continue;
		if (filter_next) {
			out = strdup(FILTERED);
			filter_next = false;
		} else if (a[0] == '-') {
			const char *name = a + strspn(a, "-");
			const char *eq = strchr(name, '=');
			char flag[128];
			size_t n = eq ? (size_t)(eq - name) : strlen(name);
			snprintf(flag, sizeof(flag), "%.*s", (int)(n < 127 ? n : 127), name);
			if (scrub_name_is_sensitive(cfg, flag)) {
				if (eq && asprintf(&out, "%.*s" FILTERED, (int)(eq + 1 - a), a) < 0)
					out = NULL;
				filter_next = !eq;
			}
		}
		if (!out)
			out = scrub_string(cfg, a);
		changed += replace(argv, NULL, i, a, out);
	}
	return changed;
}

bool scrub_event(const struct bb_config *cfg, struct json_object *ev)
{
	struct json_object *v, *ctx, *o;
	size_t changed = scrub_key(cfg, ev, EV_MESSAGE);

	if (json_object_object_get_ex(ev, EV_STACKTRACE, &v))
		changed += scrub_frames(cfg, v);
	if (json_object_object_get_ex(ev, EV_EXCEPTIONS, &v) && json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *ex = json_object_array_get_idx(v, i), *st;
			changed += scrub_key(cfg, ex, "value");
			if (json_object_object_get_ex(ex, EV_STACKTRACE, &st))
				changed += scrub_frames(cfg, st);
		}
	}
	if (json_object_object_get_ex(ev, EV_REQUEST, &v))
		changed += scrub_key(cfg, v, "url");
	if (json_object_object_get_ex(ev, EV_CONTEXT, &ctx)) {
		if (json_object_object_get_ex(ctx, EV_CTX_PROCESS, &o) &&
		    json_object_object_get_ex(o, "argv", &v))
			changed += scrub_argv(cfg, v);
		if (json_object_object_get_ex(ctx, EV_CTX_EXCEPTION, &o))
			changed += scrub_key(cfg, o, "what");
	}
	return changed != 0;
}
