/*
 * threads.h - stopping and unwinding the other threads of a held process.
 */
#ifndef BB_THREADS_H
#define BB_THREADS_H

#include "capture.h"

/* Fill cap->threads with every other thread's pcs (bounded by
 * CAPTURE_MAX_THREADS and the hold's deadline). */
void threads_capture(struct capture *cap);

#endif
