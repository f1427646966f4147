/*
 * clock.h - CLOCK_MONOTONIC, the one clock every deadline and duration of
 * the daemon is measured on (it is system-wide: the root part and its
 * workers compare each other's deadlines).
 */
#ifndef BB_CLOCK_H
#define BB_CLOCK_H

#include <stdint.h>

uint64_t bb_now_us(void);
uint64_t bb_now_ms(void);

#endif
