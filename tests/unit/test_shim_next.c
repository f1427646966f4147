/* Unit test for shim/next.c, built with ThreadSanitizer: threads that
 * call an interposed function for the first time together each find the
 * next definition, and none races another's write of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <unistd.h>

#include "shim.h"

#define THREADS 8

static _Atomic(void *) slot;
static pthread_barrier_t start;

static void *first_call(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&start);
	return shim_next(&slot, "getpid");
}

static void first_calls_at_once(void **state)
{
	pthread_t t[THREADS];
	void *got[THREADS];

	(void)state;
	pthread_barrier_init(&start, NULL, THREADS);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, first_call, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], &got[i]);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < THREADS; i++) {
		assert_non_null(got[i]);
		assert_ptr_equal(got[i], got[0]);
	}
	assert_int_equal(((pid_t (*)(void))got[0])(), getpid());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_calls_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
