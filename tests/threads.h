/* SPDX-License-Identifier: MIT */
/*
 * tests/threads.h - two-thread helpers for the stress and litmus tests:
 * CPU pinning, and a per-iteration start handshake.
 * Needs _GNU_SOURCE defined before any system header.
 */
#ifndef ODMA_TEST_THREADS_H
#define ODMA_TEST_THREADS_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

/* The CPUs the process started with, before any thread was pinned. */
static inline const cpu_set_t *initial_cpus(void)
{
    static cpu_set_t set;
    static int taken;
    if (!taken) {
        if (sched_getaffinity(0, sizeof set, &set) != 0) {
            CPU_ZERO(&set);
            CPU_SET(0, &set);
        }
        taken = 1;
    }
    return &set;
}

static inline int usable_cpus(void)
{
    return CPU_COUNT(initial_cpus());
}

/* Pin the calling thread to the n-th usable CPU (best effort). */
static inline void pin_to_nth_cpu(int n)
{
    cpu_set_t one;
    int cpu, seen = 0;
    for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, initial_cpus()))
            continue;
        if (seen++ == n) {
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            (void)pthread_setaffinity_np(pthread_self(), sizeof one, &one);
            return;
        }
    }
}

/*
 * Both threads arrive at iteration i, then both go. Each thread owns one
 * counter on its own cache line; the other only reads it.
 */
struct handshake {
    struct {
        _Alignas(64) atomic_ulong n;
    } arrived[2];
};

static inline void handshake_init(struct handshake *h)
{
    atomic_init(&h->arrived[0].n, 0);
    atomic_init(&h->arrived[1].n, 0);
}

/* Spins, but yields the CPU after a long wait: on a loaded machine the
 * other thread may have been preempted, and spinning only delays it. */
static inline void handshake_wait(struct handshake *h, int me, unsigned long i)
{
    unsigned spins = 0;
    atomic_store_explicit(&h->arrived[me].n, i, memory_order_release);
    while (atomic_load_explicit(&h->arrived[!me].n, memory_order_acquire) < i)
        if (++spins % 4096u == 0)
            sched_yield();
}

/*
 * After the handshake the thread that arrived last runs at once, the other
 * one a cache-line transfer later, so their accesses rarely overlap. A
 * pseudo-random delay on thread 1 sweeps their relative start over a few
 * hundred cycles; some iterations then line up closely enough for a
 * reordering window as short as the store buffer's to show.
 */
static inline void stagger(int me, unsigned long i)
{
    volatile unsigned k;
    unsigned d = (unsigned)((i * 2654435761ul) >> 7) % 256u;
    if (me)
        for (k = 0; k < d; k++)
            ;
}

static inline double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
