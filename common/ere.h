/*
 * ere.h - how big glibc's regcomp makes a POSIX extended regular
 * expression, before it is asked to: a repetition is compiled as that
 * many copies of what it repeats (x{2,30} as 30 x's, x+ as x x*), so
 * repetitions of repetitions multiply, and a short pattern such as
 * (a{999}){999} or a++++++++++++++++++++++++++ takes gigabytes.
 */
#ifndef BB_ERE_H
#define BB_ERE_H

#include <stddef.h>

/* The work the pattern costs regcomp, about: each atom one, times the
 * largest count of every repetition around it, squared for a part with
 * a loop in it (x*, x?, x+).  Stops counting past max (returns max + 1). */
size_t ere_cost(const char *re, size_t max);

/* Why the pattern is not compiled (it costs more than max, or repeats a
 * repetition at once, which POSIX leaves undefined and glibc makes
 * costly), or NULL. */
const char *ere_refused(const char *re, size_t max);

#endif
