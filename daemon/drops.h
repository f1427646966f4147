/*
 * drops.h - the drop directory, on the root part's side (common/drop.h).
 *
 * Crashes that happened while no daemon answered wait there.  The root
 * part keeps the directory as /var/crash is kept (root's, sticky,
 * writable by all, listable by root only), notices new drops with
 * inotify (and a rescan now and then), and hands each to the worker of
 * the user who owns the file: the file's owner is the kernel's word on
 * who crashed, and that user's rights are what the drop is read with.
 * A drop is removed once its event is spooled; one the live daemon
 * already reported (the shim stopped waiting for its answer) is removed
 * unreported; a malformed one is removed with a warning; past
 * uid_max_drops a user's drops are removed and counted.
 */
#ifndef BB_DROPS_H
#define BB_DROPS_H

#include <stdint.h>
#include <stddef.h>

#include "config.h"
#include "loop.h"
#include "quota.h"
#include "workers.h"

/* Make or check the directory; its descriptor, or -1 with err filled. */
int drops_open_dir(const struct bb_config *cfg, char *err, size_t errlen);

struct drops;
/* Watch dirfd (kept by the caller) from the loop's epoll. */
struct drops *drops_start(const struct bb_config *cfg, int dirfd, struct workers *ws,
		struct quota *q, int epfd);
/* inotify said something changed: look. */
void drops_on_watch(struct drops *dr);
/* The periodic rescan; the ms until the next (never -1). */
int drops_tick(struct drops *dr, uint64_t now_ms);
void drops_free(struct drops *dr);

#endif
