/*
 * shim_threads.c - an alternate signal stack in every thread.
 *
 * sigaltstack is per thread: a thread without one that overflows its stack
 * dies with no report, because the kernel cannot push the signal frame.  We
 * interpose pthread_create so every new thread sets one up before running
 * the program's start routine, and removes it when the thread ends.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shim.h"

#define ALTSTACK_EXTRA (64 * 1024)

struct thread_start {
	void *(*fn)(void *);
	void *arg;
};

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *,
		void *(*)(void *), void *);

static size_t altstack_size(void)
{
	size_t min = getauxval(AT_MINSIGSTKSZ);
	/* the auxiliary vector, not sysconf(): sysconf's first call costs
	 * ~25 us of page faults in libc, at every program start */
	size_t page = getauxval(AT_PAGESZ);

	if (page == 0)
		page = 4096;

	if (min < (size_t)MINSIGSTKSZ)
		min = (size_t)MINSIGSTKSZ;
	size_t size = min + ALTSTACK_EXTRA;
	return (size + page - 1) & ~(page - 1);
}

void *shim_altstack_setup(void)
{
	stack_t old, ss;

	/* Keep a stack the program installed itself. */
	if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE))
		return NULL;
	size_t size = altstack_size();
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;
	ss.ss_sp = mem;
	ss.ss_size = size;
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL) != 0) {
		munmap(mem, size);
		return NULL;
	}
	return mem;
}

void shim_altstack_teardown(void *stack)
{
	stack_t cur, off = { .ss_flags = SS_DISABLE };

	if (!stack)
		return;
	/* Only remove the stack if it is still ours and not in use. */
	if (sigaltstack(NULL, &cur) != 0 || cur.ss_sp != stack ||
	    (cur.ss_flags & SS_ONSTACK))
		return;
	if (sigaltstack(&off, NULL) == 0)
		munmap(stack, altstack_size());
}

/* What the thread had of ours goes with it. */
static void thread_end(void *stack)
{
	shim_altstack_teardown(stack);
	shim_panic_text_free();
}

static void *thread_trampoline(void *p)
{
	struct thread_start start = *(struct thread_start *)p;
	void *ret;

	free(p);
	void *stack = shim_altstack_setup();
	pthread_cleanup_push(thread_end, stack);
	ret = start.fn(start.arg);
	pthread_cleanup_pop(1);
	return ret;
}

static _Atomic(void *) next_pthread_create;

__attribute__((visibility("default")))
int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
		void *(*fn)(void *), void *arg)
{
	pthread_create_fn real = (pthread_create_fn)shim_next(&next_pthread_create, "pthread_create");
	struct thread_start *start;
	int rc;

	if (!real)
		return EAGAIN;
	if (shim_disabled())
		return real(thread, attr, fn, arg);
	start = malloc(sizeof(*start));
	if (!start)	/* no memory for the wrapper: run the thread without an alt stack */
		return real(thread, attr, fn, arg);
	start->fn = fn;
	start->arg = arg;
	rc = real(thread, attr, thread_trampoline, start);
	if (rc != 0)
		free(start);
	return rc;
}
