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
static inline __attribute__((__always_inline__)) void odma__set_state(unsigned old, unsigned s)
{
    if (s != old)
        odma__thread_done = (uint8_t)s;
}

/*
 * Before the access. dev: the access touches a device region (slow paths
 * only; a constant false on the fast path, where it folds away): its
 * barriers are then the I/O form, and it leaves ODMA__S_DEV set.
 */
static inline __attribute__((__always_inline__)) void
odma__order_pre(const struct dma_ctx *ctx, dma_dir dir, dma_variant v, bool dev)
{
    unsigned s = odma__thread_done, n, b;
    unsigned dev_bit = dev ? (unsigned)ODMA__S_DEV : 0u;
    if (v == DMA_VARIANT_ORDERED) {
#ifndef ODMA_TRACE
        /* A steady state of a stream (R R R under STRICT, say): the
         * table's barrier emits no instruction here and the state stays.
         * One bit test instead of two table lookups. (Traced builds take
         * the full path, so that the hook still sees every rmb and wmb.) */
        if (!dev && ODMA__LIKELY((ctx->quiet[dir] >> s) & 1u)) {
            odma__free_fence();
            return;
        }
#endif
        /* Reads and writes alternating: the state this direction sees in
         * that steady state, tested with a predicted compare, so the state
         * stored does not depend on the one just loaded (a chain through
         * memory from one access to the next, ~11 cycles each, otherwise). */
        if (!dev && s == ctx->alt[dir].in) {
            b = ctx->alt[dir].barrier;
            if (b != DMA_BARRIER_NONE)
                odma__fence(b, ctx, v);
            odma__thread_done = ctx->alt[dir].out;
            return;
        }
        /* (Indexed off the row's address, not ctx->need[dir][s]: with a
         * global context gcc 12 would otherwise load the table's address
         * ahead of the quiet test, on the stream's fast path.) */
        b = ((const uint8_t *)ctx->need + (size_t)dir * ODMA__STATES)[s];
        if (dev && b)
            b |= ODMA__IO;
        if (b != DMA_BARRIER_NONE)
            odma__fence(b, ctx, v);
        odma__set_state(s, ctx->next[dir][s] | dev_bit);
        return;
    }
    if (v == DMA_VARIANT_ACQUIRE)
        return; /* no barrier before; odma__order_post() updates the state */
    if (v == DMA_VARIANT_RELAXED) {
        /* On the fast path a test of the bits in memory and a branch (the
         * store happens only when the state changes). */
        if (dev) {
            odma__thread_done = (uint8_t)((s & ~odma__pending_of(dir)) | dev_bit);
        } else if (ODMA__UNLIKELY(odma__thread_done & odma__pending_of(dir))) {
            /* Load the byte again here, so that the test above has no
             * other use of its load and becomes one `test` of memory. */
            ODMA__COMPILER_BARRIER();
            odma__thread_done = (uint8_t)(odma__thread_done & ~odma__pending_of(dir));
        }
        return;
    }
    n = s;
    if (v == DMA_VARIANT_RELEASE) {
        b = odma__io_if(DMA_BARRIER_WMB, s | dev_bit);
        odma__fence(b, ctx, v);
        n = odma__state_cover(s, odma__covered_by(b));
    }
    odma__set_state(s, (n & ~odma__pending_of(dir)) | dev_bit);
}

/* After the access. */
static inline __attribute__((__always_inline__)) void
odma__order_post(const struct dma_ctx *ctx, dma_variant v, bool dev)
{
    if (v == DMA_VARIANT_ACQUIRE) {
        /* The load is pending, then the rmb orders it (and every earlier
         * read) before all later accesses: one update for both. */
        unsigned s = odma__thread_done;
        unsigned dev_bit = dev ? (unsigned)ODMA__S_DEV : 0u;
        odma__fence(odma__io_if(DMA_BARRIER_RMB, s | dev_bit), ctx, v);
        odma__set_state(s, odma__state_cover((s & ~odma__pending_of(DMA_DIR_READ)) | dev_bit,
                                             odma__covered_by(DMA_BARRIER_RMB)));
    }
}

/* Forget what is pending: the previous access is unknown again. */
static inline void odma__order_forget(void)
{
    odma__thread_done = (uint8_t)(odma__thread_done & ODMA__S_DEV);
}

#endif /* ODMA_ORDER_H */
