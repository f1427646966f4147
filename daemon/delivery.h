/*
 * delivery.h - the root part's last stages, in a thread of their own:
 * an event (from a worker, or made by the root part itself) goes through
 * ignore_errors, scrub_value, before_send, the shrinker and the per-user
 * and global spool limits into the spool, and the uploader is woken.
 * The main loop never waits for a disk or a before_send program.
 */
#ifndef BB_DELIVERY_H
#define BB_DELIVERY_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "record.h"
#include "quota.h"
#include "spool.h"
#include "upload.h"

struct delivery;

/* Who sent what an event is made of. */
struct delivery_from {
	uid_t uid;
	pid_t pid;
	uint64_t panic_site;	/* a Rust panic site's first report (its later
				 * counts repeat it: panic_repeats.h), else 0 */
};

struct delivery_from delivery_from_record(uid_t uid, pid_t pid, const struct bb_record *rec);

/* drop_dirfd: the drop directory (drops.h), which the caller keeps open;
 * -1 when there is none. */
struct delivery *delivery_start(const struct bb_config *cfg, struct spool *sp,
		struct uploader *up, struct quota *q, int drop_dirfd);
/* An event's JSON text as a worker made it (untrusted: parsed here, in
 * the delivery thread).  Takes json (malloc'd).  t0_us: when its record
 * came in (CLOCK_MONOTONIC), for the debug log's timing.  drop: the name
 * of the drop file it came from ("" for a live crash), removed from the
 * drop directory once the event is spooled (or filtered out), and kept
 * when the spool could not take it, for a later try. */
void delivery_json(struct delivery *d, const struct delivery_from *from, char *json, size_t len,
		const char *what, uint64_t t0_us, const char *drop);
/* An event the root part built.  Takes ev. */
void delivery_event(struct delivery *d, const struct delivery_from *from, struct json_object *ev,
		const char *what, uint64_t t0_us, const char *drop);
/* A Rust panic count (a BB_REC_PANIC with a panic_count): its site's first
 * event again, standing for the panics counted, grouped as repeats are. */
void delivery_panic_count(struct delivery *d, uid_t uid, pid_t pid, const struct bb_record *rec);

/* Deliver what is queued, write status.json, stop. */
void delivery_stop(struct delivery *d);

#endif
