/* A retry loop that reports the same warning N times, as a program would:
 * prints how many the library took and the median time of one call. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "booboo.h"

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3000, taken = 0;
	long *took = calloc((size_t)n, sizeof(*took));

	if (!took)
		return 2;
	for (int i = 0; i < n; i++) {
		long t = now_ns();
		if (booboo_capture_message("payment gateway timed out, retrying", "warning") == 0)
			taken++;
		took[i] = now_ns() - t;
	}
	qsort(took, (size_t)n, sizeof(*took), cmp_long);
	printf("taken %d p50_us %.1f p99_us %.1f\n", taken, took[n / 2] / 1000.0,
	       took[(n * 99) / 100] / 1000.0);
	free(took);
	return 0;
}
