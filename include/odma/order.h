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
 * _acquire issues no barrier before its load, so it is not ordered after
 * earlier accesses: a write, then an _acquire read, leaves W->R unordered
 * even under STRICT (odma/testing.h reports it). Use the ordered load, or
 * odma_mb() first, where the earlier write must be visible before the read.
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

/*
 * The state is stored only when it changes. In a stream of accesses of one
 * kind it does not, and a load with a predictable branch replaces a
 * read-modify-write whose store the next access's load would have to wait
 * for (a loop-carried dependency through memory, ~5 cycles per access).
 */
static inline __attribute__((always_inline)) void odma__set_state(unsigned old, unsigned s)
{
    if (s != old)
        odma__thread_done = (uint8_t)s;
}

/* Before the access. */
static inline __attribute__((always_inline)) void
odma__order_pre(const struct dma_ctx *ctx, dma_dir dir, dma_variant v)
{
    unsigned s = odma__thread_done, n;
    if (v == DMA_VARIANT_ORDERED) {
        enum dma_barrier b;
#ifndef ODMA_TRACE
        /* A steady state of a stream (R R R under STRICT, say): the
         * table's barrier emits no instruction here and the state stays.
         * One bit test instead of two table lookups. (Traced builds take
         * the full path, so that the hook still sees every rmb and wmb.) */
        if (ODMA__LIKELY((ctx->quiet[dir] >> s) & 1u)) {
            odma__free_fence();
            return;
        }
#endif
        b = (enum dma_barrier)ctx->need[dir][s];
        if (b != DMA_BARRIER_NONE)
            odma__fence(b, ctx, v);
        odma__set_state(s, ctx->next[dir][s]);
        return;
    }
    if (v == DMA_VARIANT_ACQUIRE)
        return; /* no barrier before; odma__order_post() updates the state */
    if (v == DMA_VARIANT_RELAXED) {
        /* Spelled as a test of the bits, which both compilers turn into
         * one instruction and a branch. */
        if (s & odma__pending_of(dir))
            odma__thread_done = (uint8_t)(s & ~odma__pending_of(dir));
        return;
    }
    n = s;
    if (v == DMA_VARIANT_RELEASE) {
        odma__fence(DMA_BARRIER_WMB, ctx, v);
        n |= odma__covered_by(DMA_BARRIER_WMB);
    }
    odma__set_state(s, n & ~odma__pending_of(dir));
}

/* After the access. */
static inline __attribute__((always_inline)) void
odma__order_post(const struct dma_ctx *ctx, dma_variant v)
{
    if (v == DMA_VARIANT_ACQUIRE) {
        /* The load is pending, then the rmb orders it (and every earlier
         * read) before all later accesses: one update for both. */
        unsigned s = odma__thread_done;
        odma__fence(DMA_BARRIER_RMB, ctx, v);
        odma__set_state(s, (s & ~odma__pending_of(DMA_DIR_READ)) |
                               odma__covered_by(DMA_BARRIER_RMB));
    }
}

/* Forget what is pending: the previous access is unknown again. */
static inline void odma__order_forget(void)
{
    odma__thread_done = 0;
}

#endif /* ODMA_ORDER_H */
