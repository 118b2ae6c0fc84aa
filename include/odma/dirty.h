/* SPDX-License-Identifier: MIT */
/*
 * odma/dirty.h - dirty page log for live migration.
 *
 * A region can log which of its guest pages the device wrote: one bit per
 * page of 2^page_shift bytes (page_shift 0 means 12, 4 KiB); bit i covers
 * the i-th page counted from the page holding the region's first byte.
 *
 *     unsigned long bits[DMA_DIRTY_WORDS(ram_size, 12)] = { 0 };
 *     struct dma_dirty_log log = { bits, sizeof bits / sizeof bits[0], 12 };
 *     dma_ctx_set_dirty_log(&ctx, ram_gpa, &log);  // start logging
 *     ...
 *     n = dma_dirty_log_harvest(&log, out);         // take and clear
 *
 * Every successful write path marks the pages it wrote *after* the data
 * has landed (a release RMW on the bitmap word): dma_write/dma_set/dma_st
 * (every variant), dma_write_publish, and dma_unmap of a DMA_DIR_WRITE
 * mapping with a non-zero access_len. A harvester that takes a bit (acquire)
 * therefore sees the data that set it, and a write that lands after the
 * harvest sets the bit again: no dirty page is ever lost. A failed write
 * marks nothing.
 *
 * Logging can start and stop while the device runs. Device regions cannot
 * log. The two guarantees a migration thread relies on:
 *
 * - Start: once dma_ctx_set_dirty_log(ctx, gpa, log) returns, every write
 *   that has not yet passed its check of the log pointer is marked in log.
 *   The check comes *after* the write lands, so a migration thread that
 *   starts the log and then copies the page never loses a write: either
 *   the copy sees the data or the log has the page. This is the
 *   store-buffering shape (device: W data, R log pointer; migration: W log
 *   pointer, R data), which needs a full barrier on both sides; the
 *   device's is supplied by an asymmetric barrier (Linux membarrier, as
 *   for bus mastering, odma/ctx.h), so writes pay no fence. Without
 *   membarrier (non-Linux, strict ISO C build, refused) the start is a
 *   seq_cst store plus fence, and a write racing with it may go unlogged.
 * - Stop: once dma_ctx_set_dirty_log(ctx, gpa, NULL) returns, odma no
 *   longer touches the old bitmap: it waits for writers still marking it
 *   (a count of markers per region, paid only while logging is on). The
 *   bitmap may then be freed.
 *
 * Start/stop calls for one region must not race with each other.
 */
#ifndef ODMA_DIRTY_H
#define ODMA_DIRTY_H

#include "ctx.h"

#define ODMA__ULONG_BITS (8u * sizeof(unsigned long))

struct dma_dirty_log {
    unsigned long *bits; /* zeroed by the caller before logging starts */
    size_t words;        /* unsigned longs in bits */
    unsigned page_shift; /* 0: 12 */
};

/* Words a log needs for a region of `size` bytes (not page aligned: + 1). */
#define DMA_DIRTY_WORDS(size, page_shift)                                     \
    ((((uint64_t)(size) >> (page_shift)) + 2u + ODMA__ULONG_BITS - 1u) / ODMA__ULONG_BITS)

static inline unsigned odma__page_shift(const struct dma_dirty_log *log)
{
    return log->page_shift ? log->page_shift : 12u;
}

/* Start (log non-NULL) or stop (NULL) logging the region holding gpa. */
static inline dma_result odma_ctx_set_dirty_log(struct dma_ctx *ctx, uint64_t gpa,
                                               struct dma_dirty_log *log)
{
    struct dma_region *r;
    if (!ctx)
        return DMA_ERR_INVALID;
    r = odma__find_region(ctx, NULL, gpa, DMA_DIR_READ);
    if (!r || (r->flags & DMA_REGION_DEVICE))
        return DMA_ERR_INVALID;
    if (log) {
        unsigned shift = odma__page_shift(log);
        uint64_t pages;
        if (!log->bits || shift >= 64)
            return DMA_ERR_INVALID;
        pages = ((r->gpa + (r->size - 1)) >> shift) - (r->gpa >> shift) + 1;
        if (pages > (uint64_t)log->words * ODMA__ULONG_BITS)
            return DMA_ERR_INVALID;
    }
    ODMA__STORE(&r->dirty, log, ODMA__MO_SEQ_CST);
    if (log) {
        /* Start: a full barrier on every CPU running a device thread. */
        if (!odma__membarrier())
            odma__hw_fence(DMA_BARRIER_MB);
    } else {
        /* Stop: a marker that loaded the old pointer counted itself first
         * (seq_cst both sides), so once the count is 0 every later marker
         * sees NULL. The fence keeps our load of the count after our store
         * (C11 gives that already; qemu-user's Arm emulation of stlr;ldar
         * does not, and the explicit fence costs nothing here). */
        odma__hw_fence(DMA_BARRIER_MB);
        while (ODMA__LOAD(&r->markers, ODMA__MO_SEQ_CST) != 0)
            odma__yield();
    }
    return DMA_OK;
}

/* Mark the pages of [gpa, gpa + len) of region r in log (release: a
 * harvester that takes the bit sees the data that set it). */
static inline void odma__mark_pages(const struct dma_region *r, struct dma_dirty_log *log,
                                    uint64_t gpa, uint64_t len)
{
    ODMA__ATOMIC(unsigned long) *w;
    unsigned shift;
    uint64_t first, last;
    shift = odma__page_shift(log);
    first = (gpa >> shift) - (r->gpa >> shift);
    last = ((gpa + (len - 1)) >> shift) - (r->gpa >> shift);
    w = (ODMA__ATOMIC(unsigned long) *)(void *)log->bits;
    while (first <= last) {
        uint64_t word = first / ODMA__ULONG_BITS;
        unsigned bit = (unsigned)(first % ODMA__ULONG_BITS);
        uint64_t n = last - first + 1;
        unsigned long mask = ~0ul << bit;
        if (n < ODMA__ULONG_BITS - bit)
            mask &= ~(~0ul << (bit + n));
        (void)ODMA__FETCH_OR(&w[word], mask, ODMA__MO_RELEASE);
        first += ODMA__ULONG_BITS - bit;
    }
}

/* Logging is on (or was, when the caller looked): count ourselves in, so
 * that a stop waits for us, then mark if it is still on. The seq_cst load
 * also pairs with the start's store, so the log's fields are seen. */
ODMA__SLOW void odma__mark_dirty_slow(struct dma_region *r, uint64_t gpa, uint64_t len)
{
    struct dma_dirty_log *log;
    (void)ODMA__FETCH_ADD(&r->markers, 1u, ODMA__MO_SEQ_CST);
    log = ODMA__LOAD(&r->dirty, ODMA__MO_SEQ_CST);
    if (log)
        odma__mark_pages(r, log, gpa, len);
    (void)ODMA__FETCH_SUB(&r->markers, 1u, ODMA__MO_RELEASE);
}

/*
 * On every write path, after the data landed: one relaxed load (no fence
 * on any host) while logging is off. The load must stay after the write
 * in the instruction stream (the start guarantee above): the compiler
 * barrier keeps it there where C11 has a free one; elsewhere (clang on
 * POWER/RISC-V) the load is volatile, and clang does not move it above
 * the guest store, which may alias it.
 */
static inline __attribute__((__always_inline__)) bool odma__dirty_on(struct dma_region *r)
{
    ODMA__COMPILER_BARRIER();
#if (defined(__x86_64__) || defined(__i386__)) && !defined(ODMA__TSAN) && !defined(__cplusplus)
    {
        /* x86: an ordinary load of the aligned pointer. It is the same one
         * `mov` as the relaxed atomic load (aligned loads are single-copy
         * atomic: Intel SDM vol. 3 8.1.1, AMD APM vol. 2 7.3.2), and the
         * barrier above keeps it after the store and makes it a fresh
         * load; but it is the only form gcc folds into `cmpq $0, mem`
         * (an atomic or volatile load it moves into a register first):
         * one instruction less on every store. */
        typedef struct dma_dirty_log *__attribute__((__may_alias__)) odma__log_ptr;
        return *(const odma__log_ptr *)(const void *)&r->dirty != NULL;
    }
#elif ODMA__HAVE_FREE_COMPILER_BARRIER
    return ODMA__LOAD(&r->dirty, ODMA__MO_RELAXED) != NULL;
#else
    return ODMA__LOAD((volatile ODMA__ATOMIC(struct dma_dirty_log *) *)&r->dirty,
                      ODMA__MO_RELAXED) != NULL;
#endif
}

static inline __attribute__((__always_inline__)) void
odma__mark_dirty(struct dma_region *r, uint64_t gpa, uint64_t len)
{
    if (ODMA__UNLIKELY(odma__dirty_on(r)) && len)
        odma__mark_dirty_slow(r, gpa, len);
}

/*
 * Take and clear the log: out[i] receives word i's bits (out must have
 * log->words entries). Returns how many pages were dirty. Safe to call
 * while the device writes: each word is swapped atomically.
 */
static inline size_t odma_dirty_log_harvest(struct dma_dirty_log *log, unsigned long *out)
{
    ODMA__ATOMIC(unsigned long) *w;
    size_t i, pages = 0;
    if (!log || !log->bits || !out)
        return 0;
    w = (ODMA__ATOMIC(unsigned long) *)(void *)log->bits;
    for (i = 0; i < log->words; i++) {
        out[i] = ODMA__EXCHANGE(&w[i], 0ul, ODMA__MO_ACQ_REL);
        pages += (size_t)__builtin_popcountl(out[i]);
    }
    return pages;
}

#endif /* ODMA_DIRTY_H */
