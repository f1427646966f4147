/*
 * threads.c - the other threads of a held process, for context.threads.
 *
 * libdwfl's Linux attach stops each thread with ptrace only when its
 * frames are asked for, and dwfl_end detaches them all; the crashed thread
 * is never touched (it is waiting for our ack inside the shim).  The shim
 * named us its ptracer (PR_SET_PTRACER), so this also works for a daemon
 * of the same user under Yama; elsewhere it fails and says why.
 */
#include <elfutils/libdwfl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "capture.h"
#include "runtime.h"
#include "threads.h"

struct threads_walk {
	struct capture *cap;
	struct capture_thread *cur;
};

static int thread_frame(Dwfl_Frame *state, void *arg)
{
	struct threads_walk *w = arg;
	struct capture_thread *t = w->cur;
	Dwarf_Addr pc;
	Dwarf_Word sp;
	bool activation;

	if (t->n_frames == CAPTURE_THREAD_FRAMES || !dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	/* the thread is stopped while its frames are walked: an interpreter's
	 * frames are read now, not while it runs on */
	if (t->n_frames == 0)
		runtime_capture_thread(w->cap, t->tid);
	t->pc[t->n_frames] = pc;
	t->sp[t->n_frames] = dwfl_frame_reg(state, BB_REG_RSP, &sp) == 0 ? sp : 0;
	t->activation[t->n_frames] = activation;
	t->n_frames++;
	return DWARF_CB_OK;
}

static void thread_name(pid_t pid, pid_t tid, char *out, size_t outlen)
{
	char path[64];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(out, (int)outlen, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/* The scheduler state letter of a thread ('R', 'S', 'D'...), or '?'. */
static char thread_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512];
	FILE *f;
	char state = '?';

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	f = fopen(path, "re");
	if (!f)
		return state;
	if (fgets(buf, sizeof(buf), f)) {
		char *close = strrchr(buf, ')');	/* the name may hold spaces and parens */
		if (close && close[1] == ' ' && close[2])
			state = close[2];
	}
	fclose(f);
	return state;
}

static int each_thread(Dwfl_Thread *thread, void *arg)
{
	struct threads_walk *w = arg;
	struct capture *cap = w->cap;
	pid_t tid = dwfl_thread_tid(thread);

	cap->threads_total++;
	if (tid == cap->rec.tid)
		return DWARF_CB_OK;
	if (cap->n_threads == CAPTURE_MAX_THREADS ||
	    bb_now_ms() >= cap->deadline_ms)
		return DWARF_CB_OK;	/* keep counting, stop stopping */
	struct capture_thread *t = &cap->threads[cap->n_threads];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	thread_name(cap->pid, tid, t->name, sizeof(t->name));
	t->state = thread_state(cap->pid, tid);
	cap->n_threads++;
	/* A thread in uninterruptible sleep cannot be stopped; attaching to it
	 * would leave it traced by us after the process dies (a zombie only we
	 * could reap).  It is listed without frames. */
	if (t->state == 'D')
		return DWARF_CB_OK;
	w->cur = t;
	if (dwfl_thread_getframes(thread, thread_frame, w) != 0 && t->n_frames == 0 &&
	    !cap->threads_error[0])
		snprintf(cap->threads_error, sizeof(cap->threads_error),
			 "thread %d: %s", (int)tid, dwfl_errmsg(-1));
	return DWARF_CB_OK;
}

/* Stopping a thread waits for it to stop; one stuck in the kernel (D
 * state, a dead NFS server) would never answer and would hang the daemon.
 * A timer aimed at this thread interrupts that wait at the hold's end:
 * libdwfl then gives up on the thread, and the walk goes on. */
static void on_alarm(int sig)
{
	(void)sig;
}

static bool arm_deadline(timer_t *timer, uint64_t deadline_ms)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART: EINTR */
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGALRM };
	uint64_t now = bb_now_ms(), left = deadline_ms > now ? deadline_ms - now : 1;
	struct itimerspec its = { .it_value = { (time_t)(left / 1000), (long)(left % 1000) * 1000000L } };

	sigemptyset(&sa.sa_mask);
	ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (sigaction(SIGALRM, &sa, NULL) != 0 || timer_create(CLOCK_MONOTONIC, &ev, timer) != 0)
		return false;
	if (timer_settime(*timer, 0, &its, NULL) != 0) {
		timer_delete(*timer);
		return false;
	}
	return true;
}

void threads_capture(struct capture *cap)
{
	struct threads_walk w = { .cap = cap };
	Dwfl *dwfl = capture_dwfl_from_maps(cap);
	timer_t timer;
	bool armed;
	int rc;

	if (!dwfl)
		return;
	cap->threads = calloc(CAPTURE_MAX_THREADS, sizeof(*cap->threads));
	if (!cap->threads) {
		dwfl_end(dwfl);
		return;
	}
	armed = arm_deadline(&timer, cap->deadline_ms);
	rc = dwfl_linux_proc_attach(dwfl, cap->pid, false);
	if (rc != 0) {
		snprintf(cap->threads_error, sizeof(cap->threads_error),
			 "cannot attach: %s", rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
	} else if (dwfl_getthreads(dwfl, each_thread, &w) != 0 && !cap->threads_error[0]) {
		snprintf(cap->threads_error, sizeof(cap->threads_error),
			 "%s", dwfl_errmsg(-1));
	}
	if (armed)
		timer_delete(timer);
	dwfl_end(dwfl);	/* detaches every stopped thread */
}
