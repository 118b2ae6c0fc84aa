/* SPDX-License-Identifier: MIT */
/*
 * examples/example.h - what the example programs share: a clock and the
 * demo table (header and one row per run, in the format the Makefile
 * documents above EXAMPLES; examples/demo.sh collects the rows).
 * Device-model code lives in the examples' own headers and does not
 * depend on this one.
 */
#ifndef ODMA_EXAMPLE_H
#define ODMA_EXAMPLE_H

#include <stdio.h>
#include <time.h>

/* Seconds on a monotonic clock. */
static inline double example_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void example_header(void)
{
    printf("%-10s %-13s %9s %7s %12s  %s\n", "example", "policy", "items", "errors", "items/s",
           "verdict");
}

/* One run of `items` items, `errors` of them wrong, at `rate` items/s. */
static inline void example_row(const char *example, const char *policy, unsigned long items,
                               unsigned long errors, double rate)
{
    printf("%-10s %-13s %9lu %7lu %12.0f  %s\n", example, policy, items, errors, rate,
           errors ? "FAIL" : "PASS");
    fflush(stdout);
}

#endif
