/* Two threads fault at the same moment: one report, no deadlock. */
#include <pthread.h>
#include <stdio.h>

static pthread_barrier_t go;

__attribute__((noinline)) static void fault(volatile int *p)
{
	*p = 1;
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&go);
	fault(NULL);
	return NULL;
}

int main(void)
{
	pthread_t a, b;

	pthread_barrier_init(&go, NULL, 2);
	pthread_create(&a, NULL, worker, NULL);
	pthread_create(&b, NULL, worker, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("not reached\n");
	return 0;
}
