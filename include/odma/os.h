/* SPDX-License-Identifier: MIT */
/*
 * odma/os.h - the three operating-system services odma uses, none of them
 * on an access path: a clock and a yield for dma_ctx_quiesce()'s bounded
 * wait, and an asymmetric full barrier for turning bus mastering off.
 *
 * Clock and yield are standard C11 (timespec_get, thrd_yield) or C++17.
 * The asymmetric barrier is Linux's membarrier(MEMBARRIER_CMD_PRIVATE_
 * EXPEDITED): it runs a full barrier on every CPU currently running a
 * thread of this process. Elsewhere, or where the call is refused (old
 * kernel, seccomp), odma__membarrier() reports false and callers fall back
 * to a seq_cst fence (see dma_ctx_set_bus_master()).
 */
#ifndef ODMA_OS_H
#define ODMA_OS_H

#include "platform.h"

#ifdef __cplusplus
#include <ctime>
#include <thread>
#else
#include <time.h>
#if !defined(__STDC_NO_THREADS__)
#include <threads.h>
#endif
#endif

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#ifdef __cplusplus
#include <unistd.h>
#else
/* <unistd.h> declares syscall() only outside strict ISO C modes. */
extern long syscall(long number, ...);
#endif
#endif

/* Nanoseconds since some fixed point (wall clock; used only for timeouts). */
static inline uint64_t odma__now_ns(void)
{
#ifdef __cplusplus
    std::timespec ts;
    std::timespec_get(&ts, TIME_UTC);
#else
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
#endif
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void odma__yield(void)
{
#ifdef __cplusplus
    std::this_thread::yield();
#elif !defined(__STDC_NO_THREADS__)
    thrd_yield();
#endif
}

/* An asymmetric full barrier over the whole process; false if unavailable. */
ODMA__SLOW bool odma__membarrier(void)
{
#if defined(__linux__) && defined(__NR_membarrier)
    if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0)
        return true;
    /* First use in this process: register, then retry once. */
    if (syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0 &&
        syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0)
        return true;
#endif
    return false;
}

#endif /* ODMA_OS_H */
