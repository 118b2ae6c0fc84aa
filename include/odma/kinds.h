/* SPDX-License-Identifier: MIT */
/*
 * odma/kinds.h - the small vocabulary shared by every odma part:
 * access direction, barrier kind, accessor variant.
 */
#ifndef ODMA_KINDS_H
#define ODMA_KINDS_H

#include "platform.h"

/* Direction, seen from the device. */
typedef enum dma_dir {
    DMA_DIR_READ = 0, /* device reads guest memory */
    DMA_DIR_WRITE = 1 /* device writes guest memory */
} dma_dir;

/*
 * Barrier kinds, as bit sets: RMB | WMB == MB, so the "stronger of two
 * barriers" is their bitwise or. An rmb plus a wmb does not order an
 * earlier write before a later read, so joining them yields a full mb.
 * Spelled `enum dma_barrier`, with no typedef: QEMU's sysemu/dma.h has a
 * function dma_barrier(), and a type of that name would clash with it.
 */
enum dma_barrier {
    DMA_BARRIER_NONE = 0,
    DMA_BARRIER_RMB = 1, /* acquire fence: earlier reads before later reads and writes */
    DMA_BARRIER_WMB = 2, /* release fence: earlier reads and writes before later writes */
    DMA_BARRIER_MB = 3   /* full fence: everything, including write -> later read */
};

/* Which flavour of accessor made an access (reported by the trace hook). */
typedef enum dma_variant {
    DMA_VARIANT_ORDERED = 0, /* barrier per policy before the access */
    DMA_VARIANT_RELAXED,     /* no barrier */
    DMA_VARIANT_ACQUIRE,     /* load, then rmb */
    DMA_VARIANT_RELEASE,     /* wmb, then store */
    DMA_VARIANT_PUBLISH,     /* dma_write_publish */
    DMA_VARIANT_CONSUME,     /* dma_read_consume */
    DMA_VARIANT_EXPLICIT     /* a barrier the caller issued (odma_mb() ...) */
} dma_variant;

#endif /* ODMA_KINDS_H */
