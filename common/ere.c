/*
 * ere.c - see ere.h.  A walk over the pattern, not a parser: what it
 * cannot read (a pattern regcomp refuses anyway) costs one per byte.
 *
 * glibc compiles x{n,m} as m copies of x (x+ as x x*), and then works out
 * which parts may match the empty string: copies of a part with a loop in
 * it (x*, x?, x+) take that work about squared, so (x*){1000} takes 150
 * ms where x{1000} takes 0.2, and d*+*+*+*+*+*+*+*+*+*+ seconds.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ere.h"

#define DEPTH 32	/* nested groups counted; deeper ones count as flat */

struct group {
	size_t total;	/* the group so far */
	size_t last;	/* its last atom (or group), which a repetition repeats */
	bool last_loops;	/* that atom has a loop in it */
	bool loops;	/* the group has one */
};

struct walk {
	struct group stack[DEPTH + 1];
	int depth, flat;
	size_t max;
	bool repeated;	/* the last token was a repetition */
	bool stacked;	/* a repetition followed one at once */
};

static size_t capped(size_t a, size_t max)
{
	return a > max ? max + 1 : a;
}

static size_t times(size_t a, size_t b, size_t max)
{
	return b && a > (max + 1) / b ? max + 1 : capped(a * b, max);
}

/* The end of the bracket expression starting at p ('['): a ']' first
 * (after '^') is a member, [:class:], [=e=] and [.c.] nest. */
static const char *bracket_end(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	for (; *p && *p != ']'; p++)
		if (*p == '[' && p[1] && strchr(":=.", p[1])) {
			const char *close = strstr(p + 2, (char[]){ p[1], ']', '\0' });
			if (!close)
				return p + strlen(p) - 1;	/* its last byte */
			p = close + 1;
		}
	return *p ? p : p - 1;
}

/* {n}, {n,} or {n,m} at p: the largest count (n + 1 for {n,}: n copies
 * and a star), *open for {n,}, and *end at the '}'; 0 when it is not one. */
static size_t braces(const char *p, const char **end, bool *open)
{
	char *e;
	unsigned long n = strtoul(p + 1, &e, 10), m = n;

	*open = false;
	if (e == p + 1)
		return 0;
	if (*e == ',') {
		const char *mstart = e + 1;
		m = strtoul(mstart, &e, 10);
		if (e == mstart) {
			m = n + 1;
			*open = true;
		}
	}
	if (*e != '}')
		return 0;
	*end = e;
	return (m > n ? m : n) ? (m > n ? m : n) : 1;
}

static void add_atom(struct walk *w, size_t cost, bool loops)
{
	struct group *g = &w->stack[w->depth];

	g->last = cost;
	g->last_loops = loops;
	g->loops |= loops;
	g->total = capped(g->total + cost, w->max);
	w->repeated = false;
}

/* The last atom repeated `count` times (loops: the repetition is one). */
static void repeat(struct walk *w, size_t count, bool loops)
{
	struct group *g = &w->stack[w->depth];
	size_t more = times(g->last, g->last_loops ? times(count, count, w->max) : count, w->max);

	w->stacked |= w->repeated;
	w->repeated = true;
	g->total = capped(g->total - g->last + more, w->max);
	g->last = more;
	g->last_loops |= loops;
	g->loops |= loops;
}

static void close_group(struct walk *w)
{
	struct group *g = &w->stack[w->depth--];

	add_atom(w, g->total ? g->total : 1, g->loops);
}

/* One token at p; returns where it ends. */
static const char *step(struct walk *w, const char *p)
{
	const char *end;
	bool open;
	size_t n;

	if (*p == '(' && w->depth < DEPTH) {
		w->stack[++w->depth] = (struct group){ 0, 0, false, false };
		w->repeated = false;
	} else if (*p == '(' || (*p == ')' && w->flat)) {
		w->flat += *p == '(' ? 1 : -1;
	} else if (*p == ')' && w->depth) {
		close_group(w);
	} else if (*p == '|') {
		w->stack[w->depth].last = 0;
		w->repeated = false;
	} else if (*p == '+') {
		repeat(w, 2, true);
	} else if (*p == '*' || *p == '?') {
		repeat(w, 1, true);
	} else if (*p == '{' && (n = braces(p, &end, &open)) != 0) {
		repeat(w, n, open);
		return end;
	} else {
		if (*p == '[')
			p = bracket_end(p);
		else if (*p == '\\' && p[1])
			p++;
		add_atom(w, 1, false);
	}
	return p;
}

static size_t walk(const char *re, size_t max, bool *stacked)
{
	struct walk w = { .max = max };

	for (const char *p = re; *p; p++) {
		p = step(&w, p);
		/* a group costs its parent at least as much */
		if (w.stack[w.depth].total > max)
			return max + 1;
	}
	*stacked = w.stacked;
	size_t total = 0;
	for (int i = 0; i <= w.depth; i++)	/* unclosed groups count too */
		total = capped(total + w.stack[i].total, max);
	return total;
}

size_t ere_cost(const char *re, size_t max)
{
	bool stacked;

	return walk(re, max, &stacked);
}

const char *ere_refused(const char *re, size_t max)
{
	bool stacked = false;

	if (walk(re, max, &stacked) > max)
		return "too big once compiled (repetitions of repetitions multiply)";
	if (stacked)
		return "a repetition repeated at once (like ++, *+ or {2}{3}): undefined in POSIX";
	return NULL;
}
