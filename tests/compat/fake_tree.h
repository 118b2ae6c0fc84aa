/* SPDX-License-Identifier: MIT */
/*
 * tests/compat/fake_tree.h - names a hypervisor tree defines, written for
 * this test in the style of QEMU's qemu/atomic.h and sysemu/dma.h (not
 * copied from them): barrier and smp_* barriers as macros, dma_addr_t,
 * DMADirection, and a dma_barrier() function. Each barrier macro counts its uses, so a test can tell
 * whose smp_mb() ran.
 */
#ifndef FAKE_TREE_H
#define FAKE_TREE_H

#include <inttypes.h>
#include <stdint.h>

extern unsigned long tree_fences;

#define barrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define smp_mb() do { barrier(); tree_fences++; __atomic_thread_fence(__ATOMIC_SEQ_CST); } while (0)
#define smp_wmb() do { barrier(); tree_fences++; __atomic_thread_fence(__ATOMIC_RELEASE); } while (0)
#define smp_rmb() do { barrier(); tree_fences++; __atomic_thread_fence(__ATOMIC_ACQUIRE); } while (0)

typedef uint64_t dma_addr_t;
#define DMA_ADDR_FMT "%" PRIx64

typedef enum {
    DMA_DIRECTION_TO_DEVICE = 0,   /* device reads guest memory */
    DMA_DIRECTION_FROM_DEVICE = 1, /* device writes guest memory */
} DMADirection;

/* Like QEMU's sysemu/dma.h: a *function* named dma_barrier. */
static inline void dma_barrier(void *as, DMADirection dir)
{
    (void)as;
    (void)dir;
    smp_mb();
}

#endif
