/*
 * panic_words.c - a Rust panic hook's header taken apart (panic_words.h).
 * Only memchr, memcmp and memmem: nothing that allocates or locks.
 */
#include <string.h>

#include "panic_words.h"

static const char HEAD[] = "thread '";
static const char AT[] = " panicked at ";
#define HEAD_LEN (sizeof(HEAD) - 1)
#define AT_LEN (sizeof(AT) - 1)

/* What the hook writes after the message: the first panic's hint, or the
 * backtrace itself. */
static const char *const trailers[] = {
	"\nnote: run with `RUST_BACKTRACE", "\nstack backtrace:\n",
};

static const char *find(const char *p, const char *end, const char *needle)
{
	return p < end ? memmem(p, (size_t)(end - p), needle, strlen(needle)) : NULL;
}

static const char *last_colon(const char *p, const char *end)
{
	while (end > p)
		if (*--end == ':')
			return end;
	return NULL;
}

static int all_digits(const char *p, const char *end)
{
	if (p >= end)
		return 0;
	for (; p < end; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

/* FILE:LINE:COL on one line, FILE not empty. */
static int is_where(const char *p, const char *end)
{
	const char *c2 = last_colon(p, end);
	const char *c1 = c2 ? last_colon(p, c2) : NULL;

	return c1 && c1 > p && all_digits(c1 + 1, c2) && all_digits(c2 + 1, end) &&
	       !memchr(p, '\n', (size_t)(end - p));
}

int bb_panic_header_start(const char *buf, size_t len)
{
	if (len && buf[0] == '\n')
		buf++, len--;
	return len >= HEAD_LEN && memcmp(buf, HEAD, HEAD_LEN) == 0;
}

/* NAME' or, since rustc 1.8x, NAME' (TID), between "thread '" and at. */
static int thread_name(const char *p, const char *at, struct panic_words *w)
{
	const char *end = at;

	if (end > p && end[-1] == ')') {
		const char *open = end - 1;
		while (open > p && open[-1] != '(')
			open--;
		if (open - p >= 3 && open[-2] == ' ' && all_digits(open, end - 1))
			end = open - 2;
	}
	if (end <= p || end[-1] != '\'')
		return -1;
	w->thread = p;
	w->thread_len = (size_t)(end - 1 - p);
	return 0;
}

/* The last "', " in [p, end), or NULL. */
static const char *last_quote_comma(const char *p, const char *end)
{
	const char *last = NULL;

	for (const char *q = p; (q = find(q, end, "', ")) != NULL; q++)
		last = q;
	return last;
}

/* rustc < 1.73: 'MESSAGE', FILE:LINE:COL\n.  The message may hold "', "
 * and newlines: it ends on the first line that ends in "', " and a
 * location.  Cut before its location, the message is what there is. */
static void old_form(const char *p, const char *end, struct panic_words *w)
{
	p++;	/* the quote */
	w->message = p;
	w->message_len = (size_t)(end - p);
	for (const char *line = p; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *lend = nl ? nl : end;
		const char *q = last_quote_comma(line, lend);
		if (q && is_where(q + 3, lend)) {
			w->message_len = (size_t)(q - p);
			w->where = q + 3;
			w->where_len = (size_t)(lend - q - 3);
			return;
		}
		line = lend + 1;
	}
}

/* rustc >= 1.73: FILE:LINE:COL:\nMESSAGE\n, then the hook's own lines. */
static void new_form(const char *p, const char *end, struct panic_words *w)
{
	const char *colon_nl = find(p, end, ":\n");

	if (colon_nl && is_where(p, colon_nl)) {
		w->where = p;
		w->where_len = (size_t)(colon_nl - p);
		p = colon_nl + 2;
	}
	const char *stop = end;
	for (size_t i = 0; i < sizeof(trailers) / sizeof(trailers[0]); i++) {
		const char *t = find(p, stop, trailers[i]);
		if (t)
			stop = t;
	}
	if (stop == end && stop > p && stop[-1] == '\n')
		stop--;	/* the message's own line end */
	w->message = p;
	w->message_len = (size_t)(stop - p);
}

int bb_panic_words(const char *text, size_t len, struct panic_words *w)
{
	const char *end = text + len, *p = text;

	if (!bb_panic_header_start(text, len))
		return -1;
	if (*p == '\n')
		p++;
	p += HEAD_LEN;
	const char *at = find(p, end, AT);
	if (!at || thread_name(p, at, w) != 0)
		return -1;
	w->where = "";
	w->where_len = 0;
	p = at + AT_LEN;
	if (p < end && *p == '\'')
		old_form(p, end, w);
	else
		new_form(p, end, w);
	return 0;
}
