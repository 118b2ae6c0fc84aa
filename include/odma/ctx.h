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
 * Decisions (not in the design contract):
 * - The host pointer must have the same alignment modulo 8 as the guest
 *   address (DMA_ERR_INVALID otherwise), so that a naturally aligned guest
 *   access is naturally aligned on the host and can be one atomic access.
 * - Set-up (init, add_region) is not thread-safe and must finish before
 *   any access; accesses through one context from many threads are fine.
 * - The policy table is read once, by dma_ctx_init(): later changes to a
 *   user's table do not reach an initialised context.
 */
#ifndef ODMA_CTX_H
#define ODMA_CTX_H

#include "policy.h"
#include "result.h"

enum dma_region_flags {
    DMA_REGION_READONLY = 1u << 0,    /* device writes fail: DMA_ERR_READONLY */
    DMA_REGION_DEVICE = 1u << 1,      /* host memory is a device BAR */
    DMA_REGION_PREFETCHABLE = 1u << 2 /* with DEVICE: merging allowed */
};

struct dma_region {
    uint64_t gpa;        /* first guest-physical address */
    uint64_t size;       /* bytes; gpa + size - 1 does not wrap */
    unsigned char *host; /* host address of gpa */
    unsigned flags;      /* enum dma_region_flags */
};

struct dma_ctx {
    /* Per direction, the region that served the last lookup, tried first:
     * always one the fast path may serve in that direction (RAM, and
     * writable for writes), else the empty sentinel region[ODMA_MAX_REGIONS].
     * Written only when it changes, so threads hitting the same region
     * share the cache line read-only. */
    ODMA__ATOMIC(unsigned) hint[2];
    unsigned nregions;
    /* The policy, compiled: for each direction and stored thread state
     * (see odma/barrier.h), the barrier to issue and the state after. */
    uint8_t need[2][16];
    uint8_t next[2][16];
    const struct dma_policy *policy;
    struct dma_region region[ODMA_MAX_REGIONS + 1]; /* sorted by gpa; + sentinel */
};

static inline void dma_ctx_init(struct dma_ctx *ctx, const struct dma_policy *policy)
{
    unsigned s, d, i;
    if (!ctx)
        return;
    if (!policy)
        policy = DMA_POLICY_STRICT;
    ODMA__STORE(&ctx->hint[0], (unsigned)ODMA_MAX_REGIONS, ODMA__MO_RELAXED);
    ODMA__STORE(&ctx->hint[1], (unsigned)ODMA_MAX_REGIONS, ODMA__MO_RELAXED);
    ctx->nregions = 0;
    ctx->policy = policy;
    for (i = 0; i <= ODMA_MAX_REGIONS; i++) {
        ctx->region[i].gpa = 0;
        ctx->region[i].size = 0; /* an empty region makes the fast path miss */
        ctx->region[i].host = NULL;
        ctx->region[i].flags = 0;
    }
    for (d = 0; d < 2; d++) {
        for (s = 0; s < 16; s++) {
            unsigned pending = s ^ ODMA__P_ALL;
            dma_barrier b = odma__policy_need(policy, pending, (dma_dir)d);
            pending = (pending & ~odma__covered_by(b)) | odma__pending_of((dma_dir)d);
            ctx->need[d][s] = (uint8_t)b;
            ctx->next[d][s] = (uint8_t)(pending ^ ODMA__P_ALL);
        }
    }
}

/* Register guest-physical [gpa, gpa + size) as backed by host memory. */
static inline dma_result dma_ctx_add_region(struct dma_ctx *ctx, uint64_t gpa,
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
        ctx->region[i] = ctx->region[i - 1];
    ctx->region[i].gpa = gpa;
    ctx->region[i].size = size;
    ctx->region[i].host = (unsigned char *)host;
    ctx->region[i].flags = flags;
    ctx->nregions = n + 1;
    ODMA__STORE(&ctx->hint[0], (unsigned)ODMA_MAX_REGIONS, ODMA__MO_RELAXED);
    ODMA__STORE(&ctx->hint[1], (unsigned)ODMA_MAX_REGIONS, ODMA__MO_RELAXED);
    return DMA_OK;
}

/* The policy a context was initialised with (never NULL after init). */
static inline const struct dma_policy *dma_ctx_policy(const struct dma_ctx *ctx)
{
    return ctx ? ctx->policy : NULL;
}

/* Region flags that keep an access of this direction off the fast path. */
static inline unsigned odma__slow_flags(dma_dir dir)
{
    return dir == DMA_DIR_WRITE ? (DMA_REGION_DEVICE | DMA_REGION_READONLY)
                                : DMA_REGION_DEVICE;
}

/*
 * Fast path: the hinted region for this direction, if it holds all of
 * [addr, addr + len). Two compares on one cache line; no table walk.
 */
static inline struct dma_region *odma__hot_region(struct dma_ctx *ctx, uint64_t addr,
                                                  uint64_t len, dma_dir dir)
{
    struct dma_region *r = &ctx->region[ODMA__LOAD(&ctx->hint[dir], ODMA__MO_RELAXED)];
    uint64_t off = addr - r->gpa;
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
                ODMA__LOAD(&ctx->hint[dir], ODMA__MO_RELAXED) != i)
                ODMA__STORE(&ctx->hint[dir], i, ODMA__MO_RELAXED);
            return r;
        }
    }
    return NULL;
}

#endif /* ODMA_CTX_H */
