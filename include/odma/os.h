/* SPDX-License-Identifier: MIT */
/*
 * odma/os.h - the three operating-system services odma uses, none of them
 * on an access path: a monotonic clock and a yield for dma_ctx_quiesce()'s
 * bounded wait, and an asymmetric full barrier for turning bus mastering
 * off and for starting a dirty log.
 *
 * The asymmetric barrier is Linux's membarrier(MEMBARRIER_CMD_PRIVATE_
 * EXPEDITED): it runs a full barrier on every CPU currently running a
 * thread of this process, so the threads that access guest memory need no
 * barrier of their own on the fast path.
 *
 * odma declares no C library function itself (a tree compiled with
 * -Wredundant-decls, as QEMU and kvmtool are, would reject it): it
 * includes the system headers and uses what they declare.
 * - membarrier goes through syscall(), which <unistd.h> declares only
 *   when the feature macros ask for it (_GNU_SOURCE or _DEFAULT_SOURCE,
 *   or no strict -std=c11; QEMU and kvmtool define _GNU_SOURCE). In a
 *   strict ISO C build without them, odma__membarrier() reports false
 *   and callers fall back to a seq_cst fence (see odma/ctx.h).
 * - The clock is clock_gettime(CLOCK_MONOTONIC) where <time.h> declares
 *   it (POSIX feature macros), else C11's timespec_get(TIME_UTC), whose
 *   backward jumps dma_ctx_quiesce() ignores.
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
#include <unistd.h>
/* Does <unistd.h> declare syscall()? (glibc: __USE_MISC; musl: _GNU_SOURCE
 * or _BSD_SOURCE; C++ compilers define _GNU_SOURCE.) */
#if defined(__NR_membarrier) &&                                               \
    (defined(__USE_MISC) || defined(_GNU_SOURCE) || defined(_BSD_SOURCE) ||   \
     defined(_DEFAULT_SOURCE))
#define ODMA__HAVE_MEMBARRIER 1
#endif
#endif

/* Nanoseconds since some fixed point; used only for timeouts. */
static inline uint64_t odma__now_ns(void)
{
#if defined(CLOCK_MONOTONIC)
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
#elif defined(__cplusplus)
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
#ifdef ODMA__HAVE_MEMBARRIER
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
