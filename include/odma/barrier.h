/* SPDX-License-Identifier: MIT */
/*
 * odma/barrier.h - the three barriers, defined once.
 *
 *   odma_rmb()  acquire fence. Orders earlier reads before later reads and
 *               writes. Pair it with a wmb on the other side: read a flag,
 *               odma_rmb(), then read what the flag guards.
 *   odma_wmb()  release fence. Orders earlier reads and writes before later
 *               writes: write a record's body, odma_wmb(), then its flag.
 *   odma_mb()   full fence. Orders everything, including an earlier write
 *               before a later read (store buffering), which neither of the
 *               others does. Needed before reading a guest flag after
 *               writing one (interrupt suppression, event indexes).
 *
 * Each is also a compiler barrier. They are C11 fences; there is no inline
 * asm anywhere in odma. On x86 rmb and wmb emit no instruction at all.
 *
 * Why odma_mb() is not atomic_thread_fence(seq_cst) on x86: clang emits
 * `mfence` for it (about 4x the cost of a locked instruction on recent
 * cores) and gcc emits `lock or`. odma_mb() instead does a seq_cst
 * read-modify-write of a private stack word: any lock-prefixed instruction
 * is a full barrier on x86 (loads and stores are never reordered with a
 * locked instruction, Intel SDM vol. 3 8.2.2), the seq_cst RMW keeps the
 * compiler from moving accesses across it, and both compilers then emit
 * one `lock or`. This is a property of the x86 memory model, not of the
 * C11 abstract machine, so it is used only on x86; every other host gets
 * the plain seq_cst fence. tests/test_litmus.c shows, built with clang,
 * that it forbids the store-buffering outcome.
 *
 * Accessors remember, per thread, which earlier accesses are not yet
 * ordered (see odma/order.h); the barriers above clear that state as well,
 * so hand-placed barriers and ordered accessors mix correctly.
 *
 * smp_mb(), smp_wmb(), smp_rmb() are provided for device-model code as
 * inline functions (not macros, so a tree that defines its own smp_mb()
 * macro after including odma simply shadows them, with no redefinition
 * error). They are skipped where the name is already a macro, and
 * entirely under ODMA_NO_SMP_NAMES. odma itself never calls them.
 */
#ifndef ODMA_BARRIER_H
#define ODMA_BARRIER_H

#include "trace.h"

/*
 * Per-thread ordering state: four "pending" bits, one per (earlier kind,
 * later kind) pair. A bit is set when this thread made an access of the
 * earlier kind that no barrier since has ordered before later accesses of
 * the later kind. It is stored inverted, so that a new thread (all-zero
 * TLS) starts with every bit pending: the previous access is unknown.
 */
enum {
    ODMA__P_RR = 1u << 0, /* a read is pending against later reads */
    ODMA__P_RW = 1u << 1, /* a read is pending against later writes */
    ODMA__P_WR = 1u << 2, /* a write is pending against later reads */
    ODMA__P_WW = 1u << 3, /* a write is pending against later writes */
    ODMA__P_ALL = 0xf
};

ODMA__THREAD_STATE(uint8_t, odma__thread_done);

/* Pending bits an access of direction `dir` adds: it is unordered against
 * everything after it until a barrier says otherwise. */
static inline unsigned odma__pending_of(dma_dir dir)
{
    return 3u << (2u * (unsigned)dir);
}

/* Pending bits a barrier clears: rmb {RR,RW}, wmb {RW,WW}, mb all. */
static inline unsigned odma__covered_by(enum dma_barrier b)
{
    return (0xfa30u >> (4u * (unsigned)b)) & 0xfu;
}

static inline void odma__mark_pending(unsigned pending)
{
    odma__thread_done = (uint8_t)(odma__thread_done & ~pending);
}

static inline void odma__mark_ordered(unsigned covered)
{
    odma__thread_done = (uint8_t)(odma__thread_done | covered);
}

/* Barrier b, then an access of direction dir, as one state update: stored
 * only if it changes (in a stream of such pairs it does not). */
static inline __attribute__((always_inline)) void odma__mark_after_barrier(enum dma_barrier b,
                                                                           dma_dir dir)
{
    unsigned s = odma__thread_done;
    unsigned n = (s | odma__covered_by(b)) & ~odma__pending_of(dir);
    if (n != s)
        odma__thread_done = (uint8_t)n;
}

/*
 * gcc >= 11 warns (-Wtsan) that ThreadSanitizer does not model standalone
 * fences; a user's -fsanitize=thread -Werror build must still compile.
 * (TSan then reports false races around odma's fences: it cannot check
 * fence-based ordering.)
 */
#if defined(__SANITIZE_THREAD__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"
#define ODMA__TSAN_PRAGMA_PUSHED
#endif

/* The hardware fence alone: no state, no trace. */
static inline __attribute__((always_inline)) void odma__hw_fence(enum dma_barrier b)
{
    ODMA__COMPILER_BARRIER();
#if defined(__x86_64__) || defined(__i386__)
    if (b == DMA_BARRIER_MB) {
        volatile ODMA__ATOMIC(int) word;
        ODMA__STORE(&word, 0, ODMA__MO_RELAXED);
        (void)ODMA__FETCH_OR(&word, 0, ODMA__MO_SEQ_CST);
    } else if (b != DMA_BARRIER_NONE) {
        /* rmb and wmb emit no instruction on x86: one fence at least as
         * strong as both, so that a runtime-chosen barrier costs one test
         * (the separate release/acquire branches were not merged by gcc). */
        ODMA__FENCE(ODMA__MO_ACQ_REL);
    }
#else
    if (b == DMA_BARRIER_MB) {
        ODMA__FENCE(ODMA__MO_SEQ_CST);
    } else if (b == DMA_BARRIER_WMB) {
        ODMA__FENCE(ODMA__MO_RELEASE);
    } else if (b == DMA_BARRIER_RMB) {
        ODMA__FENCE(ODMA__MO_ACQUIRE);
    }
#endif
    ODMA__COMPILER_BARRIER();
}

#ifdef ODMA__TSAN_PRAGMA_PUSHED
#pragma GCC diagnostic pop
#undef ODMA__TSAN_PRAGMA_PUSHED
#endif

/* Does barrier b emit no instruction on this host (only a compiler barrier)? */
static inline bool odma__fence_is_free(enum dma_barrier b)
{
#if defined(__x86_64__) || defined(__i386__)
    return b != DMA_BARRIER_MB;
#else
    return b == DMA_BARRIER_NONE;
#endif
}

/* Whichever of rmb/wmb the table asked for, where both are free: on x86 an
 * acq_rel fence (a compiler barrier, no instruction); elsewhere "free"
 * means NONE, and nothing is emitted. */
static inline __attribute__((always_inline)) void odma__free_fence(void)
{
#if defined(__x86_64__) || defined(__i386__)
    odma__hw_fence(DMA_BARRIER_RMB);
#endif
}

/* Every barrier odma issues goes through here: the fence, then the hook. */
static inline __attribute__((always_inline)) void
odma__fence(enum dma_barrier b, const struct dma_ctx *ctx, dma_variant variant)
{
    odma__hw_fence(b);
    odma__trace(DMA_TRACE_BARRIER, DMA_DIR_READ, b, variant, 0, ctx, 0, 0);
}

/* A barrier the caller asked for: fence, trace, and what it now orders. */
static inline void odma__explicit_barrier(enum dma_barrier b)
{
    odma__fence(b, NULL, DMA_VARIANT_EXPLICIT);
    odma__mark_ordered(odma__covered_by(b));
}

static inline void odma_mb(void) { odma__explicit_barrier(DMA_BARRIER_MB); }
static inline void odma_wmb(void) { odma__explicit_barrier(DMA_BARRIER_WMB); }
static inline void odma_rmb(void) { odma__explicit_barrier(DMA_BARRIER_RMB); }

#ifndef ODMA_NO_SMP_NAMES
#ifndef smp_mb
static inline void smp_mb(void) { odma_mb(); }
#endif
#ifndef smp_wmb
static inline void smp_wmb(void) { odma_wmb(); }
#endif
#ifndef smp_rmb
static inline void smp_rmb(void) { odma_rmb(); }
#endif
#endif

#endif /* ODMA_BARRIER_H */
