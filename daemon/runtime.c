/*
 * runtime.c - the runtime stage's held phase (runtime.h): a page cache
 * over the process's memory, bounded in pages and by the hold's
 * deadline, and the order in which threads are read.  Interpreters live
 * in their own files (runtime_python.c); the merge after the release in
 * runtime_merge.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "clock.h"
#include "log.h"
#include "runtime.h"
#include "runtime_python.h"

#define PAGE 4096u
#define PAGES_MAX 1024		/* 4 MiB of the process read at most */
#define PAGE_SLOTS 2048		/* open addressing, twice PAGES_MAX */
/* The stage's share of the hold: what it has not read by then, it does
 * not wait for. */
#define STAGE_MS 250

struct page {
	uint64_t addr;		/* page address + 1 (0: free slot) */
	unsigned char *data;	/* NULL: not readable */
};

struct rt_hold {
	int memfd;
	uint64_t deadline_ms;
	uint64_t t0_us;
	struct page slots[PAGE_SLOTS];
	size_t n_pages;
	bool spent;
	struct rt_reader rd;
	struct py_proc *py;
};

/* ---- the page cache ----------------------------------------------------------- */

static struct page *page_slot(struct rt_hold *h, uint64_t addr)
{
	size_t i = (size_t)((addr / PAGE) * 0x9e3779b97f4a7c15ull >> 40) % PAGE_SLOTS;

	while (h->slots[i].addr && h->slots[i].addr != addr + 1)
		i = (i + 1) % PAGE_SLOTS;
	return &h->slots[i];
}

static const unsigned char *page_get(struct rt_hold *h, uint64_t addr)
{
	struct page *p = page_slot(h, addr);

	if (p->addr)
		return p->data;
	if (h->spent || h->n_pages == PAGES_MAX || ((h->n_pages & 31) == 0 && bb_now_ms() >= h->deadline_ms)) {
		h->spent = true;
		return NULL;
	}
	p->addr = addr + 1;
	h->n_pages++;
	p->data = malloc(PAGE);
	ssize_t n;
	do
		n = p->data ? pread(h->memfd, p->data, PAGE, (off_t)addr) : -1;
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)PAGE) {
		free(p->data);
		p->data = NULL;
	}
	return p->data;
}

static bool hold_read(void *arg, uint64_t addr, void *buf, size_t len)
{
	struct rt_hold *h = arg;
	unsigned char *out = buf;

	if (addr + len < addr || len > PAGES_MAX * PAGE)
		return false;
	while (len) {
		uint64_t base = addr & ~(uint64_t)(PAGE - 1);
		size_t off = (size_t)(addr - base), n = PAGE - off < len ? PAGE - off : len;
		const unsigned char *data = page_get(h, base);
		if (!data)
			return false;
		memcpy(out, data + off, n);
		out += n;
		addr += n;
		len -= n;
	}
	return true;
}

static void hold_free(struct rt_hold *h)
{
	for (size_t i = 0; i < PAGE_SLOTS; i++)
		free(h->slots[i].data);
	py_proc_free(h->py);
	free(h);
}

/* ---- threads ------------------------------------------------------------------------ */

static struct rt_thread *thread_slot(struct runtime_capture *rt, pid_t tid)
{
	for (size_t i = 0; i < rt->n_threads; i++)
		if (rt->threads[i].tid == tid)
			return &rt->threads[i];
	return NULL;
}

static void read_thread(struct runtime_capture *rt, pid_t tid)
{
	struct rt_thread *t;

	if (!rt->hold || !rt->hold->py || thread_slot(rt, tid))
		return;
	t = realloc(rt->threads, (rt->n_threads + 1) * sizeof(*t));
	if (!t)
		return;
	rt->threads = t;
	t = &t[rt->n_threads];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	if (py_read_thread(rt->hold->py, tid, t))
		rt->n_threads++;
	else
		free(t->frames);
}

/* ---- the stage --------------------------------------------------------------------- */

void runtime_capture_begin(struct capture *cap, struct Dwfl *dwfl, int memfd)
{
	struct runtime_capture *rt = calloc(1, sizeof(*rt));
	struct rt_hold *h = rt ? calloc(1, sizeof(*h)) : NULL;
	uint64_t stage_end = bb_now_ms() + STAGE_MS;

	if (!h) {
		free(rt);
		return;
	}
	h->t0_us = bb_now_us();
	h->memfd = memfd;
	h->deadline_ms = stage_end < cap->deadline_ms ? stage_end : cap->deadline_ms;
	h->rd = (struct rt_reader){ hold_read, h };
	rt->hold = h;
	cap->runtime = rt;
	h->py = py_detect(dwfl, &h->rd, rt);
	if (!rt->name) {	/* no interpreter: nothing to keep */
		runtime_free(rt);
		cap->runtime = NULL;
		return;
	}
	read_thread(rt, cap->rec.tid);
}

void runtime_capture_thread(struct capture *cap, pid_t tid)
{
	if (cap->runtime)
		read_thread(cap->runtime, tid);
}

void runtime_capture_end(struct capture *cap)
{
	struct runtime_capture *rt = cap->runtime;

	if (!rt || !rt->hold)
		return;
	/* threads that could not be stopped (in the kernel, 'D') are read as
	 * they are: they are not running Python code */
	for (size_t i = 0; i < cap->n_threads; i++)
		read_thread(rt, cap->threads[i].tid);
	if (rt->hold->spent && !rt->error[0])
		snprintf(rt->error, sizeof(rt->error), "%s %s: the time or memory allowed for "
			 "reading its frames ran out: some may be missing", rt->name, rt->version);
	bb_log(BB_LOG_DEBUG, "%s %s (layout: %s): %zu threads' frames read in %llu us, "
	       "%zu pages", rt->name, rt->version, rt->layout[0] ? rt->layout : "none",
	       rt->n_threads, (unsigned long long)(bb_now_us() - rt->hold->t0_us),
	       rt->hold->n_pages);
	hold_free(rt->hold);
	rt->hold = NULL;
}

void runtime_free_frame(struct rt_frame *f)
{
	free(f->filename);
	free(f->function);
	for (size_t i = 0; i < f->n_vars; i++) {
		free(f->vars[i].name);
		free(f->vars[i].value);
	}
	free(f->vars);
}

void runtime_free(struct runtime_capture *rt)
{
	if (!rt)
		return;
	if (rt->hold)
		hold_free(rt->hold);
	for (size_t i = 0; i < rt->n_threads; i++) {
		for (size_t k = 0; k < rt->threads[i].n_frames; k++)
			runtime_free_frame(&rt->threads[i].frames[k]);
		free(rt->threads[i].frames);
	}
	free(rt->threads);
	free(rt->module);
	free(rt);
}
