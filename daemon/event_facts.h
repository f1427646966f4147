/*
 * event_facts.h - what the delivery thread decides an event's fate on,
 * read out of the event once.
 *
 * The root part gets a worker's event as JSON text and must parse it
 * anyway (it is the worker's word, checked, never trusted as a struct);
 * ignore_errors and grouping then look at these few typed values instead
 * of walking the JSON each on its own.
 */
#ifndef BB_EVENT_FACTS_H
#define BB_EVENT_FACTS_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "cxxabi.h"

struct event_facts {
	const char *type;	/* exception_type; "" for a message */
	const char *message;
	const char *exe;	/* context.process.exe */
	/* a C++ exception's base classes (context.exception.bases) */
	const char *bases[CXX_MAX_BASES];
	size_t n_bases;
	/* the innermost frame of the program's own (the last in_app one);
	 * "" and 0 when none is */
	const char *top_function, *top_filename;
	int64_t top_lineno;
};

/* The facts of ev, never NULL strings: a missing or mistyped key reads as
 * "" (or 0, none).  The strings are ev's: valid while ev is unchanged. */
void event_facts_read(struct json_object *ev, struct event_facts *f);

#endif
