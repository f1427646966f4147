/*
 * pipeline.h - the stages after the ack (symbolize, enrich, event,
 * filter, spool), in a worker thread of their own, so the main thread is
 * always free to take and hold the next crash: a crash never waits behind
 * the symbolization of another.
 */
#ifndef BB_PIPELINE_H
#define BB_PIPELINE_H

#include <stdint.h>
#include <sys/types.h>

#include "capture.h"
#include "config.h"
#include "spool.h"
#include "upload.h"

struct pipeline;

struct pipeline *pipeline_start(const struct bb_config *cfg, struct spool *sp,
		struct uploader *up);
/* Hand over a capture (the pipeline frees it) taken at t0_us. */
void pipeline_crash(struct pipeline *p, struct capture *cap, uint64_t t0_us);
/* Hand over a message record and its sender's identity. */
void pipeline_message(struct pipeline *p, const struct bb_record *rec, pid_t pid, uid_t uid);
/* Finish what is queued, write status.json, stop. */
void pipeline_stop(struct pipeline *p);

uint64_t pipeline_now_us(void);

#endif
