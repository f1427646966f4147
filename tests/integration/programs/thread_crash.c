/* A crash in a named worker thread while the main thread waits. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static int *target;

__attribute__((noinline)) static void process_job(int job)
{
	*target = job;
}

static void *worker(void *arg)
{
	pthread_setname_np(pthread_self(), "worker-7");
	process_job((int)(long)arg);
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, worker, (void *)7L);
	pthread_join(t, NULL);
	printf("not reached\n");
	return 0;
}
