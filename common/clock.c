/*
 * clock.c - see clock.h.
 */
#include <time.h>

#include "clock.h"

uint64_t bb_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t bb_now_ms(void)
{
	return bb_now_us() / 1000u;
}
