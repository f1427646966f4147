/*
 * ere.c - see ere.h.  A walk over the pattern, not a parser: what it
 * cannot read (a pattern regcomp refuses anyway) costs one per byte.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ere.h"

#define DEPTH 32	/* nested groups counted; deeper ones count as flat */

struct group {
	size_t total;	/* the group so far */
	size_t last;	/* its last atom (or group), which a repetition repeats */
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
 * and a star), and *end past the '}'; 0 when it is not one. */
static size_t braces(const char *p, const char **end)
{
	char *e;
	unsigned long n = strtoul(p + 1, &e, 10), m = n;

	if (e == p + 1)
		return 0;
	if (*e == ',') {
		const char *mstart = e + 1;
		m = strtoul(mstart, &e, 10);
		if (e == mstart)
			m = n + 1;
	}
	if (*e != '}')
		return 0;
	*end = e;
	return (m > n ? m : n) ? (m > n ? m : n) : 1;
}

static void add_atom(struct group *g, size_t cost, size_t max)
{
	g->last = cost;
	g->total = capped(g->total + cost, max);
}

/* The last atom of g repeated `count` times. */
static void repeat(struct group *g, size_t count, size_t max)
{
	size_t more = times(g->last, count, max);

	g->total = capped(g->total - g->last + more, max);
	g->last = more;
}

size_t ere_cost(const char *re, size_t max)
{
	struct group stack[DEPTH + 1] = { { 0, 0 } };
	int depth = 0, flat = 0;
	const char *end;
	size_t n;

	for (const char *p = re; *p; p++) {
		struct group *g = &stack[depth];
		if (*p == '(' && depth < DEPTH) {
			stack[++depth] = (struct group){ 0, 0 };
		} else if (*p == '(' || (*p == ')' && flat)) {
			flat += *p == '(' ? 1 : -1;
		} else if (*p == ')' && depth) {
			depth--;
			add_atom(&stack[depth], g->total ? g->total : 1, max);
		} else if (*p == '|') {
			g->last = 0;
		} else if (*p == '+') {
			repeat(g, 2, max);
		} else if (*p == '{' && (n = braces(p, &end)) != 0) {
			repeat(g, n, max);
			p = end;
		} else if (*p != '*' && *p != '?') {	/* those are loops, not copies */
			if (*p == '[')
				p = bracket_end(p);
			else if (*p == '\\' && p[1])
				p++;
			add_atom(g, 1, max);
		}
		/* a group costs its parent at least as much */
		if (stack[depth].total > max)
			return max + 1;
	}
	size_t total = 0;
	for (int i = 0; i <= depth; i++)	/* unclosed groups count too */
		total = capped(total + stack[i].total, max);
	return total;
}
