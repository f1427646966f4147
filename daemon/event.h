/*
 * event.h - stage 5: the booboo event, in exactly the shape the ingest
 * reads (the Python SDK's; tests/integration/event_schema.json is its
 * whole shape), built with json-c.
 */
#ifndef BB_EVENT_H
#define BB_EVENT_H

#include <json-c/json.h>

#include "capture.h"
#include "config.h"
#include "symbolize.h"

/* A crash event.  Returns a new object (put it with json_object_put). */
struct json_object *event_from_crash(const struct bb_config *cfg,
		const struct capture *cap, const struct symbolized *sym);

/* A capture_message event from a message record and its sender's identity
 * (exe: the kernel's word on the program, never the record's). */
struct json_object *event_from_message(const struct bb_config *cfg,
		const struct bb_record *rec, pid_t pid, uid_t uid, const char *exe);

/* o.key = the time as the event's timestamp is written (ISO 8601, UTC). */
void event_add_time(struct json_object *o, const char *key, uint64_t sec, uint64_t nsec);

/* Cached once at start: uname and /etc/os-release. */
void event_init_host(void);

/* The event as it goes on disk, to the ingest and to before_send: plain
 * JSON, valid UTF-8 whatever the strings in it held; malloc'd, NULL when
 * out of memory. */
char *event_serialize(struct json_object *ev, size_t *len);

#endif
