/* SPDX-License-Identifier: MIT */
/*
 * odma/trace.h - the instrumentation hook, in one place.
 *
 * Define ODMA_TRACE before including odma.h and supply
 *
 *     void odma_trace(const struct dma_trace_event *ev);
 *
 * odma then calls it for every barrier it issues (after the fence) and for
 * every guest access it makes (after the bytes moved). Failed accesses
 * touch nothing and report nothing. Without ODMA_TRACE the hook compiles
 * to nothing, at every optimisation level.
 *
 * odma/testing.h supplies a recorder and an ordering checker on top.
 *
 * Granularity: one ACCESS event per logical access (one dma_read of 4 KiB
 * spanning two adjacent RAM regions is one event). Where one call makes
 * several accesses that are not ordered among themselves - the two halves
 * of a record body around its flag, the pieces of a device-region access -
 * the second and later carry DMA_TRACE_CONTINUED.
 */
#ifndef ODMA_TRACE_H
#define ODMA_TRACE_H

#include "kinds.h"

struct dma_ctx;

typedef enum dma_trace_type {
    DMA_TRACE_ACCESS = 0, /* guest bytes read or written: dir, addr, len */
    DMA_TRACE_BARRIER,    /* a fence issued: barrier */
    DMA_TRACE_MAP,        /* dma_map succeeded: dir, addr, len (mapped); after
                             dma_map's mb BARRIER event, if it issued one */
    DMA_TRACE_UNMAP,      /* dma_unmap: dir, addr = the bus address the mapping
                             started at, len = access_len; same ctx as its MAP */
    DMA_TRACE_NOTIFY      /* dma_notify_barrier; its fence follows */
} dma_trace_type;

enum dma_trace_flags {
    DMA_TRACE_CONTINUED = 1u << 0, /* same logical access as the previous event */
    DMA_TRACE_DEVICE = 1u << 1,    /* one exact-width device-region access */
    DMA_TRACE_IO = 1u << 2         /* a barrier in its I/O form (odma/barrier.h) */
};

struct dma_trace_event {
    dma_trace_type type;
    dma_dir dir;
    enum dma_barrier barrier;   /* DMA_TRACE_BARRIER only */
    dma_variant variant;
    unsigned flags;             /* enum dma_trace_flags */
    const struct dma_ctx *ctx;  /* NULL for barriers called directly */
    uint64_t addr;              /* guest (bus) address */
    uint64_t len;
};

#ifdef ODMA_TRACE
#ifdef __cplusplus
extern "C" {
#endif
void odma_trace(const struct dma_trace_event *ev);
#ifdef __cplusplus
}
#endif
#endif

/* always_inline so that the empty version vanishes even at -O0. */
static inline __attribute__((__always_inline__)) void
odma__trace(dma_trace_type type, dma_dir dir, enum dma_barrier barrier,
            dma_variant variant, unsigned flags, const struct dma_ctx *ctx,
            uint64_t addr, uint64_t len)
{
#ifdef ODMA_TRACE
    struct dma_trace_event ev;
    ev.type = type;
    ev.dir = dir;
    ev.barrier = barrier;
    ev.variant = variant;
    ev.flags = flags;
    ev.ctx = ctx;
    ev.addr = addr;
    ev.len = len;
    odma_trace(&ev);
#else
    (void)type, (void)dir, (void)barrier, (void)variant, (void)flags;
    (void)ctx, (void)addr, (void)len;
#endif
}

#endif /* ODMA_TRACE_H */
