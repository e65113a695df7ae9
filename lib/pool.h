/*
 * The pool's private hook for the unit tests: a clock of their own, so that a lifetime or
 * an idle time passes when the test says so, not when a busy machine lets it.
 */
#ifndef IP_CORE_POOL_H
#define IP_CORE_POOL_H

#include "private.h"

/* Read the time with `clock` (ip_clock() seconds) instead of ip_clock(); NULL restores
 * ip_clock(). Call it only while no pool is in use: it is not synchronized. A waiter still
 * sleeps on CLOCK_MONOTONIC, so a test with its own clock should not make callers wait. */
IP_PRIVATE void pool_set_clock(double (*clock)(void));

#endif
