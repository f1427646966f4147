/* How long each API call takes, whatever the daemon does: prints the
 * return code and the call's own duration in microseconds. */
#include <stdio.h>
#include <time.h>

#include "booboo.h"

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000L;
}

int main(void)
{
	long t = now_us();
	int rc = booboo_capture_error("Stuck", "the daemon never answers");
	printf("error rc=%d us=%ld\n", rc, now_us() - t);
	t = now_us();
	rc = booboo_capture_message("hello", "info");
	printf("message rc=%d us=%ld\n", rc, now_us() - t);
	fflush(stdout);
	printf("still running\n");
	return 0;
}
