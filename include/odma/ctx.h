/* SPDX-License-Identifier: MIT */
/*
 * odma/ctx.h - one bus master's view of guest memory.
 *
 * A struct dma_ctx is a complete type: declare it wherever the device
 * state lives, then
 *
 *     struct dma_ctx ctx;
 *     dma_ctx_init(&ctx, DMA_POLICY_PCIE);          // NULL means STRICT
 *     dma_ctx_add_region(&ctx, 0x0, ram_size, ram, 0);
 *
 * Regions map guest-physical ranges to host memory. At most
 * ODMA_MAX_REGIONS (default 16) per context; overlapping regions, regions
 * that wrap past 2^64, and empty ones are refused. One access may cross
 * from a region into an adjacent one (it is then not single-copy atomic).
 *
 * Flags:
 *   DMA_REGION_READONLY      device writes fail with DMA_ERR_READONLY.
 *   DMA_REGION_DEVICE        the host memory is a device BAR (peer-to-peer
 *                            DMA, a vfio BAR mmap): bulk accesses become
 *                            naturally aligned accesses of at most 4 bytes,
 *                            each done once, in ascending address order,
 *                            never merged. Not mappable.
 *   DMA_REGION_PREFETCHABLE  with DEVICE: merging and wide copies allowed.
 *
 * Bus mastering (dma_ctx_set_bus_master): a fresh context has it on. Off,
 * every access and map fails with DMA_ERR_DISABLED and touches nothing.
 * The accessors pay one relaxed load for it (shared with the translate
 * check below). Turning it off is an asymmetric barrier: the store, then a
 * full barrier on every CPU running a thread of this process (Linux
 * membarrier). So once dma_ctx_set_bus_master(ctx, false) returns, an
 * access that has not yet passed its check fails; one already past it
 * completes - as an in-flight dma_memory_rw() completes in QEMU after
 * pci_set_master(false). Outstanding maps are not revoked: wait for them
 * with dma_ctx_quiesce(). Without membarrier (non-Linux, or refused) the
 * store is seq_cst and other threads see it shortly after, not at once.
 *
 * Translation (dma_ctx_set_translate): an IOMMU hook, called with a bus
 * address and a direction, returning the guest-physical address, the
 * length of the contiguous span from there, and DMA_OK, or an error for
 * no mapping / wrong permission (any error is reported as DMA_ERR_FAULT).
 * Accesses are split along spans and every span is checked before any
 * byte moves. The hook is called once per span to check and once more to
 * move, and must answer the same both times, as an IOTLB entry does for
 * the length of one transaction. Without a hook the fast path pays one
 * predictable branch and no indirect call.
 *
 * Decisions (not in the design contract):
 * - The host pointer must have the same alignment modulo 8 as the guest
 *   address (DMA_ERR_INVALID otherwise), so that a naturally aligned guest
 *   access is naturally aligned on the host and can be one atomic access.
 * - Set-up (init, add_region, set_translate) is not thread-safe and must
 *   finish before any access; accesses and set_bus_master from many
 *   threads are fine.
 * - The policy table is read once, by dma_ctx_init(): later changes to a
 *   user's table do not reach an initialised context.
 */
#ifndef ODMA_CTX_H
#define ODMA_CTX_H

#include "os.h"
#include "policy.h"
#include "result.h"

#ifndef ODMA_MAX_MAPS
#define ODMA_MAX_MAPS 64 /* outstanding dma_map()s per context */
#endif

enum dma_region_flags {
    DMA_REGION_READONLY = 1u << 0,    /* device writes fail: DMA_ERR_READONLY */
    DMA_REGION_DEVICE = 1u << 1,      /* host memory is a device BAR */
    DMA_REGION_PREFETCHABLE = 1u << 2 /* with DEVICE: merging allowed */
};

struct dma_dirty_log; /* odma/dirty.h */

struct dma_region {
    uint64_t gpa;        /* first guest-physical address */
    uint64_t size;       /* bytes; gpa + size - 1 does not wrap */
    uint64_t fit8;       /* size - 7, or 0 if size < 8: offsets an 8-byte access fits at */
    unsigned char *host; /* host address of gpa */
    unsigned flags;      /* enum dma_region_flags */
    ODMA__ATOMIC(struct dma_dirty_log *) dirty; /* NULL: not logging */
    ODMA__ATOMIC(unsigned) markers;  /* threads inside odma__mark_dirty_slow() */
};

/*
 * The IOMMU hook: translate bus address `addr` for an access of direction
 * `dir`. On success store the guest-physical address in *gpa and the
 * number of bytes contiguous from there (at least 1) in *span.
 */
typedef dma_result (*dma_translate_fn)(void *opaque, uint64_t addr, dma_dir dir,
                                       uint64_t *gpa, uint64_t *span);

/* One outstanding dma_map(); host == 0 marks a free slot, 1 one being filled. */
struct odma__map_slot {
    ODMA__ATOMIC(uintptr_t) host;
    uint64_t bus, gpa, len;
    dma_dir dir;
    struct dma_region *region;
};

/* ctx->gate bits. The fast path runs only when the gate is exactly
 * ODMA__GATE_MASTER: bus mastering on and no translate hook. */
enum { ODMA__GATE_MASTER = 1u, ODMA__GATE_TRANSLATE = 2u };

struct dma_ctx {
    ODMA__ATOMIC(unsigned) gate;
    /* Per direction, the region that served the last lookup, tried first
     * (as its byte offset in this struct, odma__hint_of()): always one the
     * fast path may serve in that direction (RAM, and writable for
     * writes), else the empty sentinel region[ODMA_MAX_REGIONS].
     * Written only when it changes, so threads hitting the same region
     * share the cache line read-only. */
    ODMA__ATOMIC(unsigned) hint[2];
    unsigned nregions;
    /* The policy, compiled: for each direction and stored thread state
     * (see odma/barrier.h), the barrier to issue and the state after. */
    uint8_t need[2][ODMA__STATES]; /* enum dma_barrier, | ODMA__IO */
    uint8_t next[2][ODMA__STATES];
    /* Per direction, a bit per state in which an ordered access needs no
     * fence instruction and leaves the state as it is (the steady states
     * of a stream of such accesses); see odma__order_pre(). */
    uint32_t quiet[2];
    const struct dma_policy *policy;
    dma_translate_fn translate;
    void *translate_opaque;
    struct dma_region region[ODMA_MAX_REGIONS + 1]; /* sorted by gpa; + sentinel */
    ODMA__ATOMIC(unsigned) nmaps;
    struct odma__map_slot maps[ODMA_MAX_MAPS];
};

static inline void odma__region_clear(struct dma_region *r)
{
    r->gpa = 0;
    r->size = 0; /* an empty region makes the fast path miss */
    r->fit8 = 0;
    r->host = NULL;
    r->flags = 0;
    ODMA__STORE(&r->dirty, (struct dma_dirty_log *)NULL, ODMA__MO_RELAXED);
    ODMA__STORE(&r->markers, 0u, ODMA__MO_RELAXED);
}

static inline void odma__region_copy(struct dma_region *dst, struct dma_region *src)
{
    dst->gpa = src->gpa;
    dst->size = src->size;
    dst->fit8 = src->fit8;
    dst->host = src->host;
    dst->flags = src->flags;
    ODMA__STORE(&dst->dirty, ODMA__LOAD(&src->dirty, ODMA__MO_RELAXED), ODMA__MO_RELAXED);
    ODMA__STORE(&dst->markers, 0u, ODMA__MO_RELAXED);
}

/* A hint is the byte offset of ctx->region[i] in the context: the fast path
 * adds it to ctx with no multiply, and a copied context stays valid. */
static inline unsigned odma__hint_of(unsigned i)
{
    return (unsigned)(offsetof(struct dma_ctx, region) + i * sizeof(struct dma_region));
}

static inline void odma__reset_hints(struct dma_ctx *ctx)
{
    ODMA__STORE(&ctx->hint[0], odma__hint_of(ODMA_MAX_REGIONS), ODMA__MO_RELAXED);
    ODMA__STORE(&ctx->hint[1], odma__hint_of(ODMA_MAX_REGIONS), ODMA__MO_RELAXED);
}

static inline void odma_ctx_init(struct dma_ctx *ctx, const struct dma_policy *policy)
{
    unsigned s, d, i;
    if (!ctx)
        return;
    if (!policy)
        policy = DMA_POLICY_STRICT;
    ODMA__STORE(&ctx->gate, (unsigned)ODMA__GATE_MASTER, ODMA__MO_RELAXED);
    odma__reset_hints(ctx);
    ctx->nregions = 0;
    ctx->policy = policy;
    ctx->translate = NULL;
    ctx->translate_opaque = NULL;
    for (i = 0; i <= ODMA_MAX_REGIONS; i++)
        odma__region_clear(&ctx->region[i]);
    ODMA__STORE(&ctx->nmaps, 0u, ODMA__MO_RELAXED);
    for (i = 0; i < ODMA_MAX_MAPS; i++)
        ODMA__STORE(&ctx->maps[i].host, (uintptr_t)0, ODMA__MO_RELAXED);
    /* For a RAM access (the fast path); a device access adds ODMA__IO to
     * the barrier and ODMA__S_DEV to the state (odma/order.h). */
    for (d = 0; d < 2; d++) {
        for (s = 0; s < ODMA__STATES; s++) {
            unsigned b = odma__policy_need(policy, (s ^ ODMA__P_ALL) & ODMA__P_ALL, (dma_dir)d);
            ctx->need[d][s] = (uint8_t)odma__io_if(b, s);
            ctx->next[d][s] = (uint8_t)(odma__state_cover(s, odma__covered_by(b)) &
                                        ~odma__pending_of((dma_dir)d));
        }
    }
    for (d = 0; d < 2; d++) {
        ctx->quiet[d] = 0;
        for (s = 0; s < ODMA__STATES; s++)
            if (ctx->next[d][s] == s && odma__fence_is_free(ctx->need[d][s]))
                ctx->quiet[d] |= 1u << s;
    }
}

/* Register guest-physical [gpa, gpa + size) as backed by host memory. */
static inline dma_result odma_ctx_add_region(struct dma_ctx *ctx, uint64_t gpa,
                                            uint64_t size, void *host, unsigned flags)
{
    const unsigned known = DMA_REGION_READONLY | DMA_REGION_DEVICE | DMA_REGION_PREFETCHABLE;
    unsigned i, n;
    if (!ctx || !host || size == 0 || (flags & ~known))
        return DMA_ERR_INVALID;
    if ((flags & DMA_REGION_PREFETCHABLE) && !(flags & DMA_REGION_DEVICE))
        return DMA_ERR_INVALID;
    if (size - 1 > UINT64_MAX - gpa)
        return DMA_ERR_OVERFLOW;
    if (size - 1 > (uint64_t)(UINTPTR_MAX - (uintptr_t)host))
        return DMA_ERR_INVALID; /* the host range itself would wrap */
    if ((((uint64_t)(uintptr_t)host) ^ gpa) & 7u)
        return DMA_ERR_INVALID;
    n = ctx->nregions;
    if (n >= ODMA_MAX_REGIONS)
        return DMA_ERR_INVALID;
    for (i = 0; i < n; i++) {
        const struct dma_region *r = &ctx->region[i];
        if (gpa <= r->gpa + (r->size - 1) && r->gpa <= gpa + (size - 1))
            return DMA_ERR_INVALID; /* overlap */
    }
    for (i = n; i > 0 && ctx->region[i - 1].gpa > gpa; i--)
        odma__region_copy(&ctx->region[i], &ctx->region[i - 1]);
    odma__region_clear(&ctx->region[i]);
    ctx->region[i].gpa = gpa;
    ctx->region[i].size = size;
    ctx->region[i].fit8 = size >= 8 ? size - 7 : 0;
    ctx->region[i].host = (unsigned char *)host;
    ctx->region[i].flags = flags;
    ctx->nregions = n + 1;
    odma__reset_hints(ctx);
    return DMA_OK;
}

/* The policy a context was initialised with (never NULL after init). */
static inline const struct dma_policy *odma_ctx_policy(const struct dma_ctx *ctx)
{
    return ctx ? ctx->policy : NULL;
}

/* Install (fn non-NULL) or remove (fn NULL) the translate hook. Set-up only. */
static inline void odma_ctx_set_translate(struct dma_ctx *ctx, dma_translate_fn fn, void *opaque)
{
    if (!ctx)
        return;
    ctx->translate = fn;
    ctx->translate_opaque = opaque;
    if (fn)
        (void)ODMA__FETCH_OR(&ctx->gate, (unsigned)ODMA__GATE_TRANSLATE, ODMA__MO_SEQ_CST);
    else
        (void)ODMA__FETCH_AND(&ctx->gate, ~(unsigned)ODMA__GATE_TRANSLATE, ODMA__MO_SEQ_CST);
}

/* Bus Master Enable. See the top of this file for what "off" guarantees. */
static inline void odma_ctx_set_bus_master(struct dma_ctx *ctx, bool enabled)
{
    if (!ctx)
        return;
    if (enabled) {
        (void)ODMA__FETCH_OR(&ctx->gate, (unsigned)ODMA__GATE_MASTER, ODMA__MO_SEQ_CST);
        return;
    }
    (void)ODMA__FETCH_AND(&ctx->gate, ~(unsigned)ODMA__GATE_MASTER, ODMA__MO_SEQ_CST);
    (void)odma__membarrier();
}

static inline bool odma_ctx_bus_master(const struct dma_ctx *ctx)
{
    return ctx && (ODMA__LOAD(&ctx->gate, ODMA__MO_RELAXED) & ODMA__GATE_MASTER);
}

/* Region flags that keep an access of this direction off the fast path. */
static inline unsigned odma__slow_flags(dma_dir dir)
{
    return dir == DMA_DIR_WRITE ? (DMA_REGION_DEVICE | DMA_REGION_READONLY)
                                : DMA_REGION_DEVICE;
}

/*
 * Fast path: the hinted region for this direction, if bus mastering is on,
 * there is no translate hook, and the region holds all of [addr, addr +
 * len). One relaxed load and two compares; no table walk. For a length
 * known at compile time to be at most 8 (every ld/st) one compare against
 * fit8 does: an access in a region's last 7 bytes then takes the slow path.
 */
static inline __attribute__((always_inline)) struct dma_region *
odma__hot_region(struct dma_ctx *ctx, uint64_t addr, uint64_t len, dma_dir dir)
{
    struct dma_region *r;
    uint64_t off;
    if (ODMA__UNLIKELY(ODMA__LOAD(&ctx->gate, ODMA__MO_RELAXED) != ODMA__GATE_MASTER))
        return NULL;
    r = (struct dma_region *)(void *)((unsigned char *)ctx +
                                      ODMA__LOAD(&ctx->hint[dir], ODMA__MO_RELAXED));
    off = addr - r->gpa;
    if (__builtin_constant_p(len) && len <= 8)
        return ODMA__LIKELY(off < r->fit8) ? r : NULL;
    if (ODMA__LIKELY(off < r->size && len <= r->size - off))
        return r;
    return NULL;
}

/*
 * Slow path: the region holding gpa, or NULL. If the fast path may serve
 * it in direction dir, it becomes that direction's hint.
 */
ODMA__SLOW struct dma_region *odma__find_region(struct dma_ctx *ctx, uint64_t gpa,
                                                dma_dir dir)
{
    unsigned i;
    for (i = 0; i < ctx->nregions; i++) {
        struct dma_region *r = &ctx->region[i];
        if (gpa - r->gpa < r->size) {
            if (!(r->flags & odma__slow_flags(dir)) &&
                ODMA__LOAD(&ctx->hint[dir], ODMA__MO_RELAXED) != odma__hint_of(i))
                ODMA__STORE(&ctx->hint[dir], odma__hint_of(i), ODMA__MO_RELAXED);
            return r;
        }
    }
    return NULL;
}

/* A piece of an access that lies in one region and one translation span. */
struct odma__seg {
    struct dma_region *region;
    unsigned char *host; /* host address of the first byte */
    uint64_t gpa;        /* its guest-physical address */
    uint64_t len;        /* bytes, at most the length asked for */
};

/*
 * The segment starting at bus address addr, at most len (> 0) bytes long,
 * for an access of direction dir; or the error for the byte at addr.
 */
ODMA__SLOW dma_result odma__segment(struct dma_ctx *ctx, uint64_t addr, uint64_t len,
                                    dma_dir dir, struct odma__seg *seg)
{
    uint64_t gpa = addr, off;
    struct dma_region *r;
    if (ctx->translate) {
        uint64_t span = 0;
        if (ctx->translate(ctx->translate_opaque, addr, dir, &gpa, &span) != DMA_OK ||
            span == 0)
            return DMA_ERR_FAULT;
        if (span - 1 > UINT64_MAX - gpa)
            span = UINT64_MAX - gpa + 1; /* gpa > 0 here, so no overflow */
        if (span < len)
            len = span;
    }
    r = odma__find_region(ctx, gpa, dir);
    if (!r)
        return DMA_ERR_UNMAPPED;
    if (dir == DMA_DIR_WRITE && (r->flags & DMA_REGION_READONLY))
        return DMA_ERR_READONLY;
    off = gpa - r->gpa;
    seg->region = r;
    seg->host = r->host + off;
    seg->gpa = gpa;
    seg->len = r->size - off < len ? r->size - off : len;
    return DMA_OK;
}

#endif /* ODMA_CTX_H */
