/* booboo_set_request is per thread: thread A serves a request while
 * thread B, serving none, captures an error; then A captures (with its
 * request), clears it and captures again (without). */
#include <pthread.h>
#include <stdio.h>

#include "booboo.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int a_has_request, b_done;

static void wait_until(int *flag)
{
	pthread_mutex_lock(&lock);
	while (!*flag)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
}

static void set(int *flag)
{
	pthread_mutex_lock(&lock);
	*flag = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static void *thread_a(void *arg)
{
	(void)arg;
	booboo_set_request("PUT", "/orders/7/pay");
	set(&a_has_request);
	wait_until(&b_done);		/* B captures while A's request is set */
	printf("A serving rc=%d\n", booboo_capture_error("AServing", "while serving"));
	printf("A message rc=%d\n", booboo_capture_message("A message while serving", "info"));
	booboo_clear_request();
	printf("A cleared rc=%d\n", booboo_capture_error("ACleared", "after clear"));
	printf("A cleared message rc=%d\n", booboo_capture_message("A message after clear", "info"));
	return NULL;
}

static void *thread_b(void *arg)
{
	(void)arg;
	wait_until(&a_has_request);
	printf("B rc=%d\n", booboo_capture_error("BNoRequest", "no request here"));
	set(&b_done);
	return NULL;
}

int main(void)
{
	pthread_t a, b;

	pthread_create(&a, NULL, thread_a, NULL);
	pthread_create(&b, NULL, thread_b, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("main rc=%d\n", booboo_capture_error("MainNoRequest", "main thread"));
	printf("still running\n");
	return 0;
}
