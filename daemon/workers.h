/*
 * workers.h - the root part's side of privilege separation: a worker
 * process per user (uid, gid and groups as the kernel gave them), started
 * at that user's first crash and kept warm while it is used; the jobs
 * each one has; and the watchdog.
 *
 * A job is one crash (or handled error) of a pinned process.  It waits in
 * its worker's queue, is captured (the process is held), released (the
 * root part answers the shim), and reported (the worker hands back the
 * event).  A worker that crashes, hangs or breaks its limits is killed;
 * its jobs are then reported degraded (degraded.h) from what the root
 * part has, and the daemon goes on.
 */
#ifndef BB_WORKERS_H
#define BB_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "delivery.h"
#include "intake.h"
#include "loop.h"
#include "quota.h"
#include "sandbox.h"

struct workers;

/* Finds boobood-worker (beside this program, else the installed one).
 * NULL with err filled. */
struct workers *workers_new(const struct bb_config *cfg, struct quota *q,
		struct delivery *d, int epfd, bool foreground, bool debug,
		char *err, size_t errlen);
/* Start the worker of this daemon's own user ahead of its first crash:
 * it reads libc's debug info meanwhile. */
void workers_prespawn_self(struct workers *ws);

/* A pinned crash or error record: queued for its user's worker; conn is
 * answered when the process may go.  Takes conn and m's descriptors. */
void workers_submit(struct workers *ws, int conn, struct intake_msg *m, uint64_t t0_us);

/* A drop file of the user c (opened, checked, its record read by
 * drops.c): queued for that user's worker like a crash, without a process
 * to hold.  Takes fd, unless it returns false (that user's queue is full:
 * the caller keeps the file for later). */
bool workers_submit_drop(struct workers *ws, int fd, const struct sandbox_creds *c,
		const struct bb_record *rec, uint64_t written_at, const char *name);

/* Has a live capture got this crash already (its shim then stopped
 * waiting and wrote a drop of it too)? */
bool workers_reported_live(const struct workers *ws, const struct bb_record *rec);

/* The loop saw a LOOP_WORKER_CHAN or LOOP_WORKER_EXIT watch fire. */
void workers_on_watch(struct workers *ws, struct loop_watch *watch);

/* Deadlines: release held processes, kill hung workers, retire idle
 * ones.  Returns the ms until the next deadline (-1: none). */
int workers_tick(struct workers *ws, uint64_t now_ms);

/* Stop: no new jobs; queued ones are released and reported degraded;
 * workers finish what they captured.  True once every worker is gone. */
bool workers_stopping(struct workers *ws, uint64_t now_ms, uint64_t give_up_ms);
void workers_free(struct workers *ws);

#endif
