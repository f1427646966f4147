/*
 * loop.h - what the root part's one epoll loop waits on.  Every watched
 * descriptor carries one of these as its epoll data, so the loop knows
 * whose it is without a lookup.
 */
#ifndef BB_LOOP_H
#define BB_LOOP_H

#include <stdint.h>

enum loop_kind {
	LOOP_LISTEN,		/* the socket: connections to accept */
	LOOP_SIGNAL,		/* signalfd: SIGTERM, SIGINT, SIGHUP */
	LOOP_CONN,		/* a client that has not sent its record yet */
	LOOP_WORKER_CHAN,	/* a worker's messages */
	LOOP_WORKER_EXIT,	/* a worker's pidfd: it exited */
	LOOP_DROPS,		/* inotify on the drop directory */
};

struct loop_watch {
	enum loop_kind kind;
	void *obj;
};


#endif
