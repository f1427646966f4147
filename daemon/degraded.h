/*
 * degraded.h - a report from what the root part already has, when the
 * worker that should have made it could not: it crashed, hung, ran out of
 * its limits, or cannot exist (a daemon that is not root serving another
 * user).  Signal, registers, the record's words, the kernel's word on the
 * program, and (when the capture got that far) the frames as addresses
 * with their modules: never a byte parsed from the user's files.
 */
#ifndef BB_DEGRADED_H
#define BB_DEGRADED_H

#include <json-c/json.h>
#include <sys/types.h>

#include "config.h"
#include "record.h"
#include "wire.h"

struct degraded_input {
	const struct bb_record *rec;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	const char *exe;
	const struct wire_captured *captured;	/* NULL: the capture never answered */
	const char *reason;	/* why the worker could not report it */
	uint64_t written_at;	/* a drop's: when it was written; 0: a live crash */
};

/* A new event (json_object_put it), marked context.degraded.reason. */
struct json_object *degraded_event(const struct bb_config *cfg, const struct degraded_input *in);

#endif
