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
 * Logging can start and stop while the device runs (the log pointer is an
 * atomic); the log object must outlive its use. Device regions cannot log.
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
    r = odma__find_region(ctx, gpa, DMA_DIR_READ);
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
    ODMA__STORE(&r->dirty, log, ODMA__MO_RELEASE);
    return DMA_OK;
}

/*
 * Mark the pages of [gpa, gpa + len) in region r, after the data landed
 * (release: a harvester that takes the bit sees the data). The acquire
 * re-load pairs with dma_ctx_set_dirty_log()'s release store, so the log
 * fields are seen initialised; it is paid only while logging is on.
 */
ODMA__SLOW void odma__mark_dirty_slow(struct dma_region *r, uint64_t gpa, uint64_t len)
{
    struct dma_dirty_log *log = ODMA__LOAD(&r->dirty, ODMA__MO_ACQUIRE);
    ODMA__ATOMIC(unsigned long) *w;
    unsigned shift;
    uint64_t first, last;
    if (!log)
        return; /* stopped since the caller looked */
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

/* On every write path: one relaxed load (no barrier instruction on any
 * host) while logging is off. */
static inline __attribute__((always_inline)) void
odma__mark_dirty(struct dma_region *r, uint64_t gpa, uint64_t len)
{
    if (ODMA__UNLIKELY(ODMA__LOAD(&r->dirty, ODMA__MO_RELAXED) != NULL) && len)
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
