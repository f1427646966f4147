/* Issue 3 cases in one program, chosen by argv[1]. */
#define _GNU_SOURCE
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_barrier_t ready;

static volatile int calls;

static inline __attribute__((always_inline)) int scale(int *v, int k)
{
	calls += k;	/* work before the load: the pc is inside the inlined body */
	return *v * k;
}

static inline __attribute__((always_inline)) int adjust(int *v)
{
	return scale(v, 3) + 1;
}

__attribute__((noipa)) static int compute(int *v)
{
	return adjust(v) * 2;
}

static void *idler(void *arg)
{
	pthread_setname_np(pthread_self(), (const char *)arg);
	pthread_barrier_wait(&ready);
	for (;;)
		pause();
	return NULL;
}

__attribute__((noinline)) static void crash_now(volatile int *p)
{
	*p = 1;
}

static void threads_then_crash(void)
{
	pthread_t a, b;

	pthread_barrier_init(&ready, NULL, 3);
	pthread_create(&a, NULL, idler, "idle-a");
	pthread_create(&b, NULL, idler, "idle-b");
	pthread_barrier_wait(&ready);
	usleep(20000);
	crash_now(NULL);
}

__attribute__((noinline)) static void check_order(int qty)
{
	assert(qty > 0 && "quantity must be positive");
}

__attribute__((noinline)) static void corrupt_heap(void)
{
	char *p = malloc(16);
	char *q = malloc(16);

	free(p);
	free(q);
	free(p);	/* double free: glibc aborts with its own message */
}

__attribute__((noinline)) static void deep(int n, char *pad)
{
	char big[200];

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	if (n == 0)
		crash_now(NULL);
	deep(n - 1, big);
	(void)pad;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "inline";
	int value = 7;

	if (strcmp(what, "inline") == 0)
		return compute(argc > 2 ? (int *)strtoul(argv[2], NULL, 0) : &value);
	if (strcmp(what, "threads") == 0)
		threads_then_crash();
	if (strcmp(what, "assert") == 0)
		check_order(argc - 2);
	if (strcmp(what, "heap") == 0)
		corrupt_heap();
	if (strcmp(what, "deep") == 0)
		deep(300, NULL);
	return 0;
}
