/*
 * pipeline.h - the worker's stages after the ack: symbolize -> enrich
 * (source, locals) -> event, in a thread of their own, so the worker's
 * main thread is always free to capture the next crash of its user while
 * the previous one is being described.  The finished event goes back to
 * the root part (emit), which filters, spools and uploads it.
 */
#ifndef BB_PIPELINE_H
#define BB_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "config.h"

struct pipeline;

/* Called in the pipeline thread with each finished event's JSON (valid
 * UTF-8); NULL json: the event could not be built (out of memory). */
typedef void pipeline_emit_fn(void *arg, uint64_t job, const char *json, size_t len);

struct pipeline *pipeline_start(const struct bb_config *cfg, pipeline_emit_fn *emit, void *arg);
/* Hand over a capture (the pipeline frees it) of job, taken at t0_us. */
void pipeline_crash(struct pipeline *p, uint64_t job, struct capture *cap, uint64_t t0_us);
/* Finish what is queued, then stop. */
void pipeline_stop(struct pipeline *p);

#endif
