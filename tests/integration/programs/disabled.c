/* What the preloaded shim leaves of a program's own state: its first
 * thread-specific key (key 0 when the shim made none), and the alternate
 * signal stack of a new thread (the shim gives each one, unless
 * BOOBOO_DISABLE says it must do nothing).  Prints both. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "booboo.h"

#pragma weak booboo_set_request

static void *has_altstack(void *arg)
{
	stack_t ss;

	(void)arg;
	if (sigaltstack(NULL, &ss) != 0)
		return "error";
	return ss.ss_flags & SS_DISABLE ? "none" : "yes";
}

int main(void)
{
	static int mine;
	pthread_key_t key;
	pthread_t t;
	void *alt;

	if (pthread_key_create(&key, NULL) != 0 || pthread_setspecific(key, &mine) != 0)
		return 2;
	if (booboo_set_request)
		booboo_set_request("GET", "/cart");
	if (pthread_create(&t, NULL, has_altstack, NULL) != 0 || pthread_join(t, &alt) != 0)
		return 2;
	printf("key %u %s\n", (unsigned)key,
	       pthread_getspecific(key) == &mine ? "kept" : "clobbered");
	printf("thread altstack %s\n", (const char *)alt);
	return 0;
}
