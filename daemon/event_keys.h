/*
 * event_keys.h - the names of the event's keys that more than its builder
 * reads: event.c and degraded.c write them; the delivery thread (filter,
 * grouping, scrubbing, shrinking, Rust panic repeats) and the booboo CLI
 * read them back.  One spelling, so a renamed key cannot leave a reader
 * behind.  Their types are those of the Python SDK's events
 * (tests/integration/event_schema.json checks every event the tests make).
 */
#ifndef BB_EVENT_KEYS_H
#define BB_EVENT_KEYS_H

/* the event */
#define EV_MESSAGE		"message"
#define EV_LEVEL		"level"
#define EV_EXCEPTION_TYPE	"exception_type"	/* "" for a message */
#define EV_EXCEPTIONS		"exceptions"
#define EV_STACKTRACE		"stacktrace"	/* frames, oldest call first */
#define EV_TIMESTAMP		"timestamp"
#define EV_PLATFORM		"platform"
#define EV_ENVIRONMENT		"environment"
#define EV_RELEASE		"release"
#define EV_TAGS			"tags"
#define EV_CONTEXT		"context"
#define EV_REQUEST		"request"

/* a frame of a stacktrace */
#define EV_FILENAME		"filename"
#define EV_FUNCTION		"function"
#define EV_LINENO		"lineno"
#define EV_CONTEXT_LINE		"context_line"
#define EV_PRE_CONTEXT		"pre_context"
#define EV_POST_CONTEXT		"post_context"
#define EV_VARS			"vars"
#define EV_IN_APP		"in_app"
#define EV_MODULE		"module"

/* an exception of exceptions[]; it has a stacktrace too */
#define EV_EX_TYPE		"type"
#define EV_EX_VALUE		"value"

/* context's sections, and what is read from them */
#define EV_CTX_PROCESS		"process"
#define EV_PROCESS_EXE		"exe"
#define EV_CTX_THREAD		"thread"
#define EV_CTX_USER		"user"
#define EV_CTX_RUNTIME		"runtime"
#define EV_CTX_REPEATS		"repeats"
#define EV_CTX_EXCEPTION	"exception"	/* a C++ exception's type and bases */
#define EV_EXCEPTION_BASES	"bases"

#endif
