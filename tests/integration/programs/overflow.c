/* Unbounded recursion: a stack overflow, in the main thread or a worker. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* All on one line: whether the guard page is hit by the frame's stores or
 * by the call's push depends on where ASLR put the stack, and the line
 * must not, so that gdb's line can be compared with the report's. */
__attribute__((noinline)) static int descend(int depth) { volatile char pad[512]; pad[0] = (char)depth; return descend(depth + 1) + pad[0]; }

static void *worker(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "deep-worker");
	descend(0);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "thread") == 0) {
		pthread_t t;
		pthread_create(&t, NULL, worker, NULL);
		pthread_join(t, NULL);
		return 0;
	}
	return descend(0) + 1;	/* not a tail call: main stays on the stack at -O2 */
}
