/*
 * shrink.h - an event over the ingest's 102,400-byte limit is made to fit,
 * never dropped: locals of outer frames go first, then source context,
 * then middle frames, then other threads and modules, and only then the
 * crash site's own locals and source; what was cut is
 * recorded in context.truncation.
 */
#ifndef BB_SHRINK_H
#define BB_SHRINK_H

#include <json-c/json.h>
#include <stddef.h>

#define SHRINK_LIMIT 102400

/* Returns the final serialized size. */
size_t shrink_event(struct json_object *ev, size_t limit);

#endif
