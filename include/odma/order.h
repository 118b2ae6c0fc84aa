/* SPDX-License-Identifier: MIT */
/*
 * odma/order.h - which barrier an access gets, and when.
 *
 *   ordered   the barrier the context's policy requires between every
 *             earlier access of this thread still pending and this one,
 *             issued before the access.
 *   _relaxed  no barrier; the access is still remembered, so the next
 *             ordered access is ordered against it.
 *   _acquire  the access, then rmb (whatever the policy says).
 *   _release  wmb, then the access (whatever the policy says).
 *
 * "Earlier accesses" are per thread, across all contexts: a thread-local
 * byte (odma/barrier.h). A new thread starts with the previous access
 * unknown, which costs the stronger of the R and W rows of the table on
 * its first ordered access. dma_map/dma_unmap reset it to unknown; a full
 * barrier (odma_mb(), a notify barrier that is mb) leaves nothing pending.
 *
 * Validation happens before any of this: a failed access issues no barrier
 * and changes no state.
 */
#ifndef ODMA_ORDER_H
#define ODMA_ORDER_H

#include "ctx.h"

/* Before the access. */
static inline __attribute__((always_inline)) void
odma__order_pre(const struct dma_ctx *ctx, dma_dir dir, dma_variant v)
{
    unsigned s = odma__thread_done;
    if (v == DMA_VARIANT_ORDERED) {
        enum dma_barrier b = (enum dma_barrier)ctx->need[dir][s];
        if (b != DMA_BARRIER_NONE)
            odma__fence(b, ctx, v);
        odma__thread_done = ctx->next[dir][s];
        return;
    }
    if (v == DMA_VARIANT_RELEASE) {
        odma__fence(DMA_BARRIER_WMB, ctx, v);
        s |= odma__covered_by(DMA_BARRIER_WMB);
    }
    odma__thread_done = (uint8_t)(s & ~odma__pending_of(dir));
}

/* After the access. */
static inline __attribute__((always_inline)) void
odma__order_post(const struct dma_ctx *ctx, dma_variant v)
{
    if (v == DMA_VARIANT_ACQUIRE) {
        odma__fence(DMA_BARRIER_RMB, ctx, v);
        odma__mark_ordered(odma__covered_by(DMA_BARRIER_RMB));
    }
}

/* Forget what is pending: the previous access is unknown again. */
static inline void odma__order_forget(void)
{
    odma__thread_done = 0;
}

#endif /* ODMA_ORDER_H */
