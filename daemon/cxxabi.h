/*
 * cxxabi.h - what an uncaught C++ exception was: its demangled type, its
 * base classes (for ignore_errors' isinstance matching) and its what(),
 * read from the held process through the Itanium C++ ABI's type_info
 * layout.  No code of the dying process is run.
 */
#ifndef BB_CXXABI_H
#define BB_CXXABI_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CXX_MAX_BASES 16

#define CXX_MAX_CAUSES 4

/* An exception this one was thrown from (std::throw_with_nested). */
struct cxx_cause {
	char *type;
	char *what;			/* NULL when not readable */
};

struct cxx_exception {
	char *type;			/* demangled, e.g. "std::out_of_range"; for
					 * std::throw_with_nested's wrapper, the
					 * program's own type inside it */
	char *what;			/* NULL when not readable without running code */
	char *bases[CXX_MAX_BASES];	/* every base class, demangled */
	size_t n_bases;
	bool has_nested;		/* a std::nested_exception at nested_offset */
	int64_t nested_offset;
	struct cxx_cause causes[CXX_MAX_CAUSES];	/* the nearest first */
	size_t n_causes;
};

/* Read the exception at `object` with type_info at `tinfo` from memfd;
 * dwfl names the type_info vtables (single, multiple or no inheritance).
 * with_causes follows std::throw_with_nested's chain too (an uncaught
 * exception; a captured one brings its causes in the record).
 * Returns 0 when at least the type was read. */
int cxx_exception_read(struct cxx_exception *ex, Dwfl *dwfl, int memfd,
		uint64_t object, uint64_t tinfo, bool with_causes);
void cxx_exception_free(struct cxx_exception *ex);

#endif
