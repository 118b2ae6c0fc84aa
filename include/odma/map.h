/* SPDX-License-Identifier: MIT */
/*
 * odma/map.h - direct host pointers into guest memory.
 *
 *   void *dma_map(ctx, addr, &len, dir, &res)
 *       A full barrier against this thread's earlier accesses, then a host
 *       pointer to the longest contiguous prefix of [addr, addr + len)
 *       that lies in one region and one translation span; *len shrinks to
 *       it. NULL, with *res set, when the first byte is not accessible:
 *       unmapped, read-only for DMA_DIR_WRITE, a device region (not
 *       mappable: DMA_ERR_INVALID, use the accessors), bus mastering off,
 *       a translation fault, or too many maps outstanding (DMA_ERR_INVALID,
 *       see ODMA_MAX_MAPS). *len == 0 or a range that wraps: INVALID /
 *       OVERFLOW.
 *   void *dma_map_relaxed(...)    the same without the barrier.
 *   void dma_unmap(ctx, host, len, dir, access_len)
 *       No barrier. host/len/dir as dma_map returned them; access_len is
 *       how many bytes from the start were actually accessed, and for a
 *       DMA_DIR_WRITE mapping those pages are marked dirty (odma/dirty.h).
 *   bool dma_ctx_quiesce(ctx, timeout_ns)
 *       Waits until no map of this context is outstanding; false if the
 *       timeout passed first. Pair it with dma_ctx_set_bus_master(ctx,
 *       false) at device reset.
 *
 * Ordering: accesses made through the pointer are the caller's to order
 * (odma cannot see them). The map's barrier orders everything this thread
 * did before against them; nothing orders them against later accesses but
 * the caller's own barriers, so after dma_map and after dma_unmap the
 * thread's previous access is "unknown" again and the next ordered access
 * gets the stronger of both rows of the policy. This follows QEMU's
 * dma_memory_map() (barrier before) and address_space_unmap() (none).
 *
 * Counting: each context keeps a small table of outstanding maps
 * (ODMA_MAX_MAPS, default 64), so dma_ctx_quiesce() knows when the device
 * is idle and dma_unmap() of a pointer/length/direction that was never
 * mapped, or was already unmapped, is detected. It then changes nothing
 * (the count stays right) and calls ODMA_ON_MISUSE(ctx, message): by
 * default that aborts with a message when NDEBUG is not defined, and is
 * silent when it is. Define ODMA_ON_MISUSE before including odma.h to
 * handle it yourself. access_len larger than len is clamped, and reported
 * the same way.
 *
 * Unlike QEMU there is no bounce buffer: memory that is not host RAM
 * (device regions) cannot be mapped.
 */
#ifndef ODMA_MAP_H
#define ODMA_MAP_H

#include "access.h"

#ifndef ODMA_ON_MISUSE
#ifdef NDEBUG
#define ODMA_ON_MISUSE(ctx, message) ((void)(ctx), (void)(message))
#else
#include <stdio.h>
#include <stdlib.h>
#define ODMA_ON_MISUSE(ctx, message)                                          \
    (fprintf(stderr, "odma: %s (ctx %p)\n", (message), (const void *)(ctx)), abort())
#endif
#endif

/* The gate, after this map counted itself: see odma__map(). */
static inline bool odma__map_gate_open(struct dma_ctx *ctx)
{
    return ODMA__LOAD(&ctx->gate, ODMA__MO_SEQ_CST) & ODMA__GATE_MASTER;
}

/* Claim a free slot (0 -> 1, a value no host pointer has), fill it, then
 * publish the pointer with release for dma_unmap to match. */
static inline bool odma__map_record(struct dma_ctx *ctx, uint64_t addr,
                                    const struct odma__seg *seg, dma_dir dir)
{
    unsigned i;
    for (i = 0; i < ODMA_MAX_MAPS; i++) {
        uintptr_t free_slot = 0;
        struct odma__map_slot *m = &ctx->maps[i];
        if (ODMA__LOAD(&m->host, ODMA__MO_RELAXED) != 0 ||
            !ODMA__CAS(&m->host, &free_slot, (uintptr_t)1))
            continue;
        m->bus = addr;
        m->gpa = seg->gpa;
        m->len = seg->len;
        m->dir = dir;
        m->region = seg->region;
        ODMA__STORE(&m->host, (uintptr_t)seg->host, ODMA__MO_RELEASE);
        return true;
    }
    return false;
}

/*
 * The map counts itself first (seq_cst), then checks the gate (seq_cst),
 * and uncounts itself on every failure. dma_ctx_set_bus_master(false)
 * stores the gate (seq_cst) before dma_ctx_quiesce() loads the count: if
 * quiesce sees 0, this map's count came later in the single total order,
 * so its gate check sees bus mastering off and it fails. A map that got
 * past the gate is counted, and quiesce waits for its unmap.
 */
ODMA__SLOW void *odma__map(struct dma_ctx *ctx, uint64_t addr, uint64_t *len, dma_dir dir,
                           dma_result *res, bool ordered)
{
    struct odma__seg seg;
    dma_result r;
    if (!ctx || !len || *len == 0 || (dir != DMA_DIR_READ && dir != DMA_DIR_WRITE)) {
        r = DMA_ERR_INVALID;
        goto fail;
    }
    (void)ODMA__FETCH_ADD(&ctx->nmaps, 1u, ODMA__MO_SEQ_CST);
    if (!odma__map_gate_open(ctx))
        r = DMA_ERR_DISABLED;
    else if (odma__wraps(addr, *len))
        r = DMA_ERR_OVERFLOW;
    else
        r = odma__segment(ctx, NULL, addr, *len, dir, ctx->attrs, &seg);
    if (r == DMA_OK && (seg.region->flags & DMA_REGION_DEVICE))
        r = DMA_ERR_INVALID; /* device regions are not mappable */
    if (r == DMA_OK && !odma__map_record(ctx, addr, &seg, dir))
        r = DMA_ERR_INVALID; /* ODMA_MAX_MAPS maps outstanding */
    if (r != DMA_OK) {
        (void)ODMA__FETCH_SUB(&ctx->nmaps, 1u, ODMA__MO_RELEASE);
        goto fail;
    }
    if (ordered)
        odma__fence(DMA_BARRIER_MB, ctx, DMA_VARIANT_ORDERED);
    odma__order_forget();
    odma__trace(DMA_TRACE_MAP, dir, DMA_BARRIER_NONE,
                ordered ? DMA_VARIANT_ORDERED : DMA_VARIANT_RELAXED, 0, ctx, addr, seg.len);
    *len = seg.len;
    if (res)
        *res = DMA_OK;
    return seg.host;
fail:
    if (len)
        *len = 0;
    if (res)
        *res = r;
    return NULL;
}

static inline void *odma_map(struct dma_ctx *ctx, uint64_t addr, uint64_t *len, dma_dir dir,
                            dma_result *res)
{
    return odma__map(ctx, addr, len, dir, res, true);
}

static inline void *odma_map_relaxed(struct dma_ctx *ctx, uint64_t addr, uint64_t *len,
                                    dma_dir dir, dma_result *res)
{
    return odma__map(ctx, addr, len, dir, res, false);
}

/*
 * Take the slot holding (host, len, dir): claim it first (host -> 1), then
 * read its fields, so another thread cannot refill it between the read
 * and the claim. A claimed slot that turns out to hold another mapping
 * with the same host pointer is put back. Returns the slot, or NULL.
 */
static inline struct odma__map_slot *odma__map_take(struct dma_ctx *ctx, uintptr_t host,
                                                    uint64_t len, dma_dir dir)
{
    bool busy;
    do {
        unsigned i;
        busy = false;
        for (i = 0; i < ODMA_MAX_MAPS; i++) {
            struct odma__map_slot *m = &ctx->maps[i];
            uintptr_t h = host, seen = ODMA__LOAD(&m->host, ODMA__MO_RELAXED);
            busy |= seen == 1;
            if (seen != host || !ODMA__CAS(&m->host, &h, (uintptr_t)1))
                continue;
            if (m->len == len && m->dir == dir)
                return m; /* still claimed: the caller frees it */
            ODMA__STORE(&m->host, host, ODMA__MO_RELEASE);
        }
        /* A slot in the middle of a map or of another unmap's look may be
         * ours: look again until no slot was busy. */
        if (busy)
            odma__yield();
    } while (busy);
    return NULL;
}

ODMA__SLOW void odma_unmap(struct dma_ctx *ctx, void *host, uint64_t len, dma_dir dir,
                           uint64_t access_len)
{
    struct odma__map_slot *m;
    uint64_t bus, gpa;
    struct dma_region *region;
    if (!ctx || !host)
        return;
    m = odma__map_take(ctx, (uintptr_t)host, len, dir);
    if (!m) {
        ODMA_ON_MISUSE(ctx, "dma_unmap of a pointer/length/direction that is not mapped");
        return;
    }
    bus = m->bus;
    gpa = m->gpa;
    region = m->region;
    ODMA__STORE(&m->host, (uintptr_t)0, ODMA__MO_RELEASE);
    if (access_len > len) {
        ODMA_ON_MISUSE(ctx, "dma_unmap: access_len larger than the mapped length");
        access_len = len;
    }
    if (dir == DMA_DIR_WRITE)
        odma__mark_dirty(region, gpa, access_len);
    (void)ODMA__FETCH_SUB(&ctx->nmaps, 1u, ODMA__MO_RELEASE);
    odma__order_forget();
    odma__trace(DMA_TRACE_UNMAP, dir, DMA_BARRIER_NONE, DMA_VARIANT_ORDERED, 0, ctx, bus,
                access_len);
}

/* Maps of this context not yet unmapped. */
static inline unsigned odma_ctx_maps_outstanding(const struct dma_ctx *ctx)
{
    return ctx ? ODMA__LOAD(&ctx->nmaps, ODMA__MO_ACQUIRE) : 0;
}

/* Waits on a monotonic clock (odma/os.h); where only the wall clock
 * exists, a step backwards counts as no time passing. */
ODMA__SLOW bool odma_ctx_quiesce(struct dma_ctx *ctx, uint64_t timeout_ns)
{
    uint64_t waited = 0, prev;
    if (!ctx)
        return false;
    prev = odma__now_ns();
    while (ODMA__LOAD(&ctx->nmaps, ODMA__MO_SEQ_CST) != 0) {
        uint64_t now = odma__now_ns();
        waited += now > prev ? now - prev : 0;
        prev = now;
        if (waited >= timeout_ns)
            return false;
        odma__yield();
    }
    return true;
}

#endif /* ODMA_MAP_H */
