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
 * ODMA_MAX_REGIONS (default 64) per context; overlapping regions, regions
 * that wrap past 2^64, and empty ones are refused. One access may cross
 * from a region into an adjacent one (it is then not single-copy atomic).
 *
 * Regions that change while devices run (BAR remaps, hot-plug, PAM):
 * dma_ctx_add_region(), dma_ctx_del_region() and dma_ctx_set_regions()
 * (the whole table at once) may be called while other threads access the
 * context; they exclude each other. An access sees either the old table
 * or the new one, never a mix; once the call returned, no access that
 * starts later uses the old table. Adding appends in place; deleting and
 * replacing build a new table and retire the old one, which odma never
 * reuses: dma_ctx_reclaim() frees retired tables once the caller knows no
 * access that started before the change can still run (an RCU grace
 * period in QEMU), dma_ctx_destroy() frees everything. The same applies
 * to the host memory of a removed region: keep it mapped until then. The
 * fast path stays a relaxed load of a hint and one compare: no lock, no
 * read-modify-write (odma__hot_region()).
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
 * The fast path pays nothing for it: turning it off points the hints at
 * an empty region, so every access takes the slow path, which checks.
 * Turning it off is an asymmetric barrier: the store, the hints, then a
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
 * the length of one transaction. dma_ctx_set_translate_attrs() installs a
 * hook that also gets the access's attributes (dma_attrs: the context's,
 * or those given to dma_rw_attrs()). With a hook every access takes the
 * slow path; without one the fast path pays nothing for translation.
 *
 * Decisions (not in the design contract):
 * - The host pointer must have the same alignment modulo 8 as the guest
 *   address (DMA_ERR_INVALID otherwise), so that a naturally aligned guest
 *   access is naturally aligned on the host and can be one atomic access.
 * - init, set_translate(_attrs) and set_attrs are set-up: not while other
 *   threads access the context. Region changes, set_bus_master and every
 *   access are safe from many threads.
 * - A dirty log follows a region into a new table only if the region is
 *   unchanged (gpa, size, host, flags); do not start or stop a log while
 *   the table is being replaced.
 * - The policy table is read once, by dma_ctx_init(): later changes to a
 *   user's table do not reach an initialised context.
 */
#ifndef ODMA_CTX_H
#define ODMA_CTX_H

#include <stdlib.h>

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

/*
 * A region. Once published in a context its fields never change (but the
 * dirty log pointer), so an access that read them sees one whole region.
 * The fast path reads gpa, host and its direction's limit (fit8 for ld/st,
 * lim for bulk accesses): a limit is 0 where the fast path must not serve
 * that direction (device regions; writes to read-only regions), so one
 * compare covers bounds and permission.
 */
struct dma_region {
    uint64_t gpa;          /* first guest-physical address */
    unsigned char *host;   /* host address of gpa */
    uint64_t fit8[2];      /* [dma_dir]: lim - 7, or 0 if lim < 8: offsets an access of at
                              most 8 bytes fits at */
    uint64_t lim[2];       /* [dma_dir]: size, or 0 where the fast path may not serve */
    ODMA__ATOMIC(struct dma_dirty_log *) dirty; /* NULL: not logging */
    ODMA__ATOMIC(unsigned) markers;             /* threads in odma__mark_dirty_slow() */
    unsigned flags;        /* enum dma_region_flags */
    uint64_t size;         /* bytes; gpa + size - 1 does not wrap */
};

/* A region as a caller describes it (dma_ctx_set_regions()). */
struct dma_region_desc {
    uint64_t gpa, size;
    void *host;
    unsigned flags;
};

/*
 * Caller-defined access attributes, passed through to the translate hook
 * untouched (QEMU: its MemTxAttrs - requester id, secure - packed into 64
 * bits). A context has default attributes (dma_ctx_set_attrs(), 0 at
 * init); dma_rw_attrs() makes one access with others. They cost nothing
 * without a hook: the fast path never looks at them.
 */
typedef uint64_t dma_attrs;

/*
 * The IOMMU hook: translate bus address `addr` for an access of direction
 * `dir`. On success store the guest-physical address in *gpa and the
 * number of bytes contiguous from there (at least 1) in *span. The _attrs
 * form also gets the access's attributes.
 */
typedef dma_result (*dma_translate_fn)(void *opaque, uint64_t addr, dma_dir dir,
                                       uint64_t *gpa, uint64_t *span);
typedef dma_result (*dma_translate_attrs_fn)(void *opaque, uint64_t addr, dma_dir dir,
                                             dma_attrs attrs, uint64_t *gpa, uint64_t *span);

/* One outstanding dma_map(); host == 0 marks a free slot, 1 one being filled. */
struct odma__map_slot {
    ODMA__ATOMIC(uintptr_t) host;
    uint64_t bus, gpa, len;
    dma_dir dir;
    struct dma_region *region;
};

/*
 * A table of regions. The current one is ctx->view. Regions are appended
 * in place (the slot is filled, then n is published with release); any
 * other change builds a new view and swaps the pointer, and the old one
 * is retired until dma_ctx_reclaim(). Not sorted: no two regions overlap.
 */
struct odma__view {
    ODMA__ATOMIC(unsigned) n;
    struct odma__view *retired_next;
    struct dma_region region[ODMA_MAX_REGIONS];
};

/* ctx->gate bits. Hints may point at a real region only while the gate is
 * exactly ODMA__GATE_MASTER: bus mastering on and no translate hook. */
enum { ODMA__GATE_MASTER = 1u, ODMA__GATE_TRANSLATE = 2u };

/* A state ctx->alt[] describes: see odma__order_pre(). */
struct odma__alt {
    uint8_t in, barrier, out;
};

struct dma_ctx {
    /*
     * Per direction, the region the fast path tries: the one that served
     * the last slow-path lookup, if the fast path may serve it in that
     * direction, else the empty sentinel. Closing the gate (bus master
     * off, a translate hook) or changing the view points both at the
     * sentinel, so the fast path needs no gate test of its own.
     */
    ODMA__ATOMIC(struct dma_region *) hint[2];
    ODMA__ATOMIC(unsigned) gate;
    /* The policy, compiled: for each direction and thread state (see
     * odma/barrier.h), the barrier to issue and the state after. */
    uint8_t need[2][ODMA__STATES]; /* enum dma_barrier, | ODMA__IO */
    uint8_t next[2][ODMA__STATES];
    /* Per direction, bit s set where an ordered access in state s needs
     * no fence instruction and leaves the state as it is (the steady
     * states of a stream of such accesses); see odma__order_pre(). A mask,
     * not a byte table: a bit test needs no address arithmetic, where a
     * table indexed off a global context costs an extra lea. */
    uint32_t quiet[2];
    /* Per direction, the state that alternating reads and writes settle
     * in before this direction, its barrier and the state after. */
    struct odma__alt alt[2];
    const struct dma_policy *policy;
    dma_translate_fn translate;
    dma_translate_attrs_fn translate_attrs;
    void *translate_opaque;
    dma_attrs attrs;
    ODMA__ATOMIC(struct odma__view *) view;
    ODMA__ATOMIC(unsigned) hint_writers; /* slow paths setting a hint */
    ODMA__ATOMIC(unsigned) updating;     /* a region update is running */
    struct odma__view *retired;          /* views waiting for dma_ctx_reclaim() */
    struct dma_region sentinel;          /* all limits 0: the fast path misses */
    ODMA__ATOMIC(unsigned) nmaps;
    struct odma__map_slot maps[ODMA_MAX_MAPS];
    struct odma__view view0; /* the first view, in place */
};

static inline void odma__region_fill(struct dma_region *r, uint64_t gpa, uint64_t size,
                                     unsigned char *host, unsigned flags)
{
    unsigned d;
    r->gpa = gpa;
    r->host = host;
    r->size = size;
    r->flags = flags;
    r->lim[DMA_DIR_READ] = (flags & DMA_REGION_DEVICE) ? 0 : size;
    r->lim[DMA_DIR_WRITE] = (flags & (DMA_REGION_DEVICE | DMA_REGION_READONLY)) ? 0 : size;
    for (d = 0; d < 2; d++)
        r->fit8[d] = r->lim[d] >= 8 ? r->lim[d] - 7 : 0;
    ODMA__STORE(&r->dirty, (struct dma_dirty_log *)NULL, ODMA__MO_RELAXED);
    ODMA__STORE(&r->markers, 0u, ODMA__MO_RELAXED);
}

/* The barrier and state of an alternation's steady state, per direction. */
static inline void odma__compile_alternation(struct dma_ctx *ctx)
{
    unsigned s = 0, i, d;
    for (i = 0; i < 8; i++) /* R W R W ...: settles within two rounds */
        s = ctx->next[DMA_DIR_WRITE][ctx->next[DMA_DIR_READ][s]];
    for (d = 0; d < 2; d++) {
        unsigned in = d == DMA_DIR_WRITE ? ctx->next[DMA_DIR_READ][s] : s;
        ctx->alt[d].in = (uint8_t)in;
        ctx->alt[d].barrier = ctx->need[d][in];
        ctx->alt[d].out = ctx->next[d][in];
    }
}

/* The policy, compiled (for a RAM access, the fast path's; a device
 * access adds ODMA__IO to the barrier and ODMA__S_DEV to the state). */
static inline void odma__compile_policy(struct dma_ctx *ctx, const struct dma_policy *policy)
{
    unsigned s, d;
    for (d = 0; d < 2; d++) {
        for (s = 0; s < ODMA__STATES; s++) {
            unsigned b = odma__policy_need(policy, (s ^ ODMA__P_ALL) & ODMA__P_ALL, (dma_dir)d);
            ctx->need[d][s] = (uint8_t)odma__io_if(b, s);
            ctx->next[d][s] = (uint8_t)(odma__state_cover(s, odma__covered_by(b)) &
                                        ~odma__pending_of((dma_dir)d));
        }
        ctx->quiet[d] = 0;
        for (s = 0; s < ODMA__STATES; s++)
            if (ctx->next[d][s] == s && odma__fence_is_free(ctx->need[d][s]))
                ctx->quiet[d] |= (uint32_t)1 << s;
    }
    odma__compile_alternation(ctx);
}

static inline void odma_ctx_init(struct dma_ctx *ctx, const struct dma_policy *policy)
{
    unsigned i;
    if (!ctx)
        return;
    if (!policy)
        policy = DMA_POLICY_STRICT;
    ODMA__STORE(&ctx->gate, (unsigned)ODMA__GATE_MASTER, ODMA__MO_RELAXED);
    odma__region_fill(&ctx->sentinel, 0, 0, NULL, 0);
    ODMA__STORE(&ctx->hint[0], &ctx->sentinel, ODMA__MO_RELAXED);
    ODMA__STORE(&ctx->hint[1], &ctx->sentinel, ODMA__MO_RELAXED);
    ctx->policy = policy;
    ctx->translate = NULL;
    ctx->translate_attrs = NULL;
    ctx->translate_opaque = NULL;
    ctx->attrs = 0;
    ODMA__STORE(&ctx->view0.n, 0u, ODMA__MO_RELAXED);
    ctx->view0.retired_next = NULL;
    ODMA__STORE(&ctx->view, &ctx->view0, ODMA__MO_RELAXED);
    ODMA__STORE(&ctx->hint_writers, 0u, ODMA__MO_RELAXED);
    ODMA__STORE(&ctx->updating, 0u, ODMA__MO_RELAXED);
    ctx->retired = NULL;
    ODMA__STORE(&ctx->nmaps, 0u, ODMA__MO_RELAXED);
    for (i = 0; i < ODMA_MAX_MAPS; i++)
        ODMA__STORE(&ctx->maps[i].host, (uintptr_t)0, ODMA__MO_RELAXED);
    odma__compile_policy(ctx, policy);
}

/* ---- hints: who may point the fast path at a region ------------------ */

/*
 * A slow path that found region r in view v points the fast path at it:
 * counted in hint_writers, and only while the gate is open and v is
 * still current. A change (gate closed, new view) stores its own word
 * first, then waits for the count to drain, then resets the hints: a
 * writer it did not wait for counted itself after the change (seq_cst
 * both sides), saw it and stored nothing.
 */
static inline void odma__set_hint(struct dma_ctx *ctx, dma_dir dir, struct dma_region *r,
                                  struct odma__view *v)
{
    if (ODMA__LOAD(&ctx->hint[dir], ODMA__MO_RELAXED) == r || r->lim[dir] == 0)
        return;
    (void)ODMA__FETCH_ADD(&ctx->hint_writers, 1u, ODMA__MO_SEQ_CST);
    if (ODMA__LOAD(&ctx->gate, ODMA__MO_SEQ_CST) == ODMA__GATE_MASTER &&
        ODMA__LOAD(&ctx->view, ODMA__MO_SEQ_CST) == v)
        ODMA__STORE(&ctx->hint[dir], r, ODMA__MO_RELAXED);
    (void)ODMA__FETCH_SUB(&ctx->hint_writers, 1u, ODMA__MO_RELEASE);
}

/* After the gate or the view changed: the fast path misses from now on,
 * on every CPU (the asymmetric barrier, where there is one). */
static inline void odma__reset_hints(struct dma_ctx *ctx)
{
    odma__hw_fence(DMA_BARRIER_MB); /* our change before the count: see dirty.h's stop */
    while (ODMA__LOAD(&ctx->hint_writers, ODMA__MO_SEQ_CST) != 0)
        odma__yield();
    ODMA__STORE(&ctx->hint[0], &ctx->sentinel, ODMA__MO_SEQ_CST);
    ODMA__STORE(&ctx->hint[1], &ctx->sentinel, ODMA__MO_SEQ_CST);
    (void)odma__membarrier();
}

/* ---- regions ----------------------------------------------------------- */

/* Region updates exclude each other (a spin on a word; they are rare). */
static inline void odma__update_lock(struct dma_ctx *ctx)
{
    unsigned expected = 0;
    while (!ODMA__CAS(&ctx->updating, &expected, 1u)) {
        expected = 0;
        odma__yield();
    }
}

static inline void odma__update_unlock(struct dma_ctx *ctx)
{
    ODMA__STORE(&ctx->updating, 0u, ODMA__MO_RELEASE);
}

/* Can [gpa, gpa + size) backed by host with these flags be a region? */
static inline dma_result odma__region_valid(uint64_t gpa, uint64_t size, const void *host,
                                            unsigned flags)
{
    const unsigned known = DMA_REGION_READONLY | DMA_REGION_DEVICE | DMA_REGION_PREFETCHABLE;
    if (!host || size == 0 || (flags & ~known))
        return DMA_ERR_INVALID;
    if ((flags & DMA_REGION_PREFETCHABLE) && !(flags & DMA_REGION_DEVICE))
        return DMA_ERR_INVALID;
    if (size - 1 > UINT64_MAX - gpa)
        return DMA_ERR_OVERFLOW;
    if (size - 1 > (uint64_t)(UINTPTR_MAX - (uintptr_t)host))
        return DMA_ERR_INVALID; /* the host range itself would wrap */
    if ((((uint64_t)(uintptr_t)host) ^ gpa) & 7u)
        return DMA_ERR_INVALID;
    return DMA_OK;
}

static inline bool odma__overlaps(const struct dma_region *r, unsigned n, uint64_t gpa,
                                  uint64_t size)
{
    unsigned i;
    for (i = 0; i < n; i++)
        if (gpa <= r[i].gpa + (r[i].size - 1) && r[i].gpa <= gpa + (size - 1))
            return true;
    return false;
}

/*
 * Register guest-physical [gpa, gpa + size) as backed by host memory.
 * Appends in place: safe while other threads access the context.
 */
static inline dma_result odma_ctx_add_region(struct dma_ctx *ctx, uint64_t gpa,
                                             uint64_t size, void *host, unsigned flags)
{
    struct odma__view *v;
    dma_result res;
    unsigned n;
    if (!ctx)
        return DMA_ERR_INVALID;
    res = odma__region_valid(gpa, size, host, flags);
    if (res != DMA_OK)
        return res;
    odma__update_lock(ctx);
    v = ODMA__LOAD(&ctx->view, ODMA__MO_RELAXED);
    n = ODMA__LOAD(&v->n, ODMA__MO_RELAXED);
    if (n >= ODMA_MAX_REGIONS || odma__overlaps(v->region, n, gpa, size)) {
        odma__update_unlock(ctx);
        return DMA_ERR_INVALID;
    }
    odma__region_fill(&v->region[n], gpa, size, (unsigned char *)host, flags);
    ODMA__STORE(&v->n, n + 1, ODMA__MO_RELEASE);
    odma__update_unlock(ctx);
    return DMA_OK;
}

/* Make nv the current view, retire the old one; with the update lock. */
static inline void odma__swap_view(struct dma_ctx *ctx, struct odma__view *nv)
{
    struct odma__view *old = ODMA__LOAD(&ctx->view, ODMA__MO_RELAXED);
    ODMA__STORE(&ctx->view, nv, ODMA__MO_SEQ_CST);
    odma__reset_hints(ctx);
    if (old != &ctx->view0) {
        old->retired_next = ctx->retired;
        ctx->retired = old;
    }
}

/* A new view: regions of the current one for which keep() is true, then
 * add[0..nadd). NULL when out of memory. */
static inline struct odma__view *odma__new_view(void)
{
    struct odma__view *nv = (struct odma__view *)malloc(sizeof *nv);
    if (nv) {
        ODMA__STORE(&nv->n, 0u, ODMA__MO_RELAXED);
        nv->retired_next = NULL;
    }
    return nv;
}

/*
 * Replace every region at once: an access sees the old table or the new
 * one, never a mix. All or nothing: on any error nothing changes. A
 * region equal to an old one (gpa, size, host, flags) keeps its dirty log.
 * The old table is retired, not freed: see dma_ctx_reclaim().
 */
static inline dma_result odma_ctx_set_regions(struct dma_ctx *ctx,
                                              const struct dma_region_desc *desc, unsigned n)
{
    struct odma__view *nv, *v;
    unsigned i, j, on;
    if (!ctx || (n && !desc) || n > ODMA_MAX_REGIONS)
        return DMA_ERR_INVALID;
    for (i = 0; i < n; i++) {
        dma_result res = odma__region_valid(desc[i].gpa, desc[i].size, desc[i].host,
                                            desc[i].flags);
        if (res != DMA_OK)
            return res;
    }
    nv = odma__new_view();
    if (!nv)
        return DMA_ERR_INVALID;
    for (i = 0; i < n; i++) {
        if (odma__overlaps(nv->region, i, desc[i].gpa, desc[i].size)) {
            free(nv);
            return DMA_ERR_INVALID;
        }
        odma__region_fill(&nv->region[i], desc[i].gpa, desc[i].size,
                          (unsigned char *)desc[i].host, desc[i].flags);
    }
    odma__update_lock(ctx);
    v = ODMA__LOAD(&ctx->view, ODMA__MO_RELAXED);
    on = ODMA__LOAD(&v->n, ODMA__MO_RELAXED);
    for (i = 0; i < n; i++)
        for (j = 0; j < on; j++)
            if (v->region[j].gpa == nv->region[i].gpa &&
                v->region[j].size == nv->region[i].size &&
                v->region[j].host == nv->region[i].host &&
                v->region[j].flags == nv->region[i].flags)
                ODMA__STORE(&nv->region[i].dirty,
                            ODMA__LOAD(&v->region[j].dirty, ODMA__MO_RELAXED),
                            ODMA__MO_RELAXED);
    ODMA__STORE(&nv->n, n, ODMA__MO_RELAXED);
    odma__swap_view(ctx, nv);
    odma__update_unlock(ctx);
    return DMA_OK;
}

/* Remove the region added with exactly this gpa and size (DMA_ERR_INVALID
 * if there is none). Builds a new table, as dma_ctx_set_regions() does. */
static inline dma_result odma_ctx_del_region(struct dma_ctx *ctx, uint64_t gpa, uint64_t size)
{
    struct odma__view *nv, *v;
    unsigned i, n, k = 0;
    bool found = false;
    if (!ctx)
        return DMA_ERR_INVALID;
    nv = odma__new_view();
    if (!nv)
        return DMA_ERR_INVALID;
    odma__update_lock(ctx);
    v = ODMA__LOAD(&ctx->view, ODMA__MO_RELAXED);
    n = ODMA__LOAD(&v->n, ODMA__MO_RELAXED);
    for (i = 0; i < n; i++) {
        const struct dma_region *r = &v->region[i];
        if (!found && r->gpa == gpa && r->size == size) {
            found = true;
            continue;
        }
        odma__region_fill(&nv->region[k], r->gpa, r->size, r->host, r->flags);
        ODMA__STORE(&nv->region[k].dirty, ODMA__LOAD(&r->dirty, ODMA__MO_RELAXED),
                    ODMA__MO_RELAXED);
        k++;
    }
    if (!found) {
        odma__update_unlock(ctx);
        free(nv);
        return DMA_ERR_INVALID;
    }
    ODMA__STORE(&nv->n, k, ODMA__MO_RELAXED);
    odma__swap_view(ctx, nv);
    odma__update_unlock(ctx);
    return DMA_OK;
}

/*
 * Free the tables that dma_ctx_set_regions()/dma_ctx_del_region() retired.
 * Call it only when no access that started before those calls returned
 * can still be running: from an RCU callback (QEMU: call_rcu), or once
 * every thread that uses the context has passed a point where it holds
 * no access in progress. Returns how many tables it freed.
 */
static inline unsigned odma_ctx_reclaim(struct dma_ctx *ctx)
{
    struct odma__view *v;
    unsigned freed = 0;
    if (!ctx)
        return 0;
    odma__update_lock(ctx);
    v = ctx->retired;
    ctx->retired = NULL;
    odma__update_unlock(ctx);
    while (v) {
        struct odma__view *next = v->retired_next;
        free(v);
        v = next;
        freed++;
    }
    return freed;
}

/* Free everything the context allocated; no thread may use it any more.
 * It is then as after dma_ctx_init() with no region. */
static inline void odma_ctx_destroy(struct dma_ctx *ctx)
{
    struct odma__view *v;
    if (!ctx)
        return;
    (void)odma_ctx_reclaim(ctx);
    v = ODMA__LOAD(&ctx->view, ODMA__MO_RELAXED);
    if (v != &ctx->view0)
        free(v);
    ODMA__STORE(&ctx->view0.n, 0u, ODMA__MO_RELAXED);
    ODMA__STORE(&ctx->view, &ctx->view0, ODMA__MO_RELAXED);
    ODMA__STORE(&ctx->hint[0], &ctx->sentinel, ODMA__MO_RELAXED);
    ODMA__STORE(&ctx->hint[1], &ctx->sentinel, ODMA__MO_RELAXED);
}

/* Regions in the current table. */
static inline unsigned odma_ctx_region_count(const struct dma_ctx *ctx)
{
    struct odma__view *v;
    if (!ctx)
        return 0;
    v = ODMA__LOAD(&((struct dma_ctx *)(uintptr_t)ctx)->view, ODMA__MO_ACQUIRE);
    return ODMA__LOAD(&v->n, ODMA__MO_ACQUIRE);
}

/* The policy a context was initialised with (never NULL after init). */
static inline const struct dma_policy *odma_ctx_policy(const struct dma_ctx *ctx)
{
    return ctx ? ctx->policy : NULL;
}

/* Close (set) or open (clear) gate bits; closing resets the hints. */
static inline void odma__gate_change(struct dma_ctx *ctx, unsigned bits, bool close)
{
    if (close) {
        (void)ODMA__FETCH_AND(&ctx->gate, ~bits, ODMA__MO_SEQ_CST);
        odma__reset_hints(ctx);
    } else {
        (void)ODMA__FETCH_OR(&ctx->gate, bits, ODMA__MO_SEQ_CST);
    }
}

/* Install (fn non-NULL) or remove (NULL) the translate hook. Set-up only:
 * not while other threads access the context. */
static inline void odma_ctx_set_translate(struct dma_ctx *ctx, dma_translate_fn fn, void *opaque)
{
    if (!ctx)
        return;
    ctx->translate = fn;
    ctx->translate_attrs = NULL;
    ctx->translate_opaque = opaque;
    if (fn)
        (void)ODMA__FETCH_OR(&ctx->gate, (unsigned)ODMA__GATE_TRANSLATE, ODMA__MO_SEQ_CST);
    else
        (void)ODMA__FETCH_AND(&ctx->gate, ~(unsigned)ODMA__GATE_TRANSLATE, ODMA__MO_SEQ_CST);
    odma__reset_hints(ctx);
}

/* The same for a hook that also takes the access's attributes. */
static inline void odma_ctx_set_translate_attrs(struct dma_ctx *ctx, dma_translate_attrs_fn fn,
                                                void *opaque)
{
    if (!ctx)
        return;
    odma_ctx_set_translate(ctx, NULL, NULL);
    ctx->translate_attrs = fn;
    ctx->translate_opaque = opaque;
    if (fn) {
        (void)ODMA__FETCH_OR(&ctx->gate, (unsigned)ODMA__GATE_TRANSLATE, ODMA__MO_SEQ_CST);
        odma__reset_hints(ctx);
    }
}

/* This bus master's attributes (reach the translate hook). Set-up only. */
static inline void odma_ctx_set_attrs(struct dma_ctx *ctx, dma_attrs attrs)
{
    if (ctx)
        ctx->attrs = attrs;
}

/* Bus Master Enable. See the top of this file for what "off" guarantees. */
static inline void odma_ctx_set_bus_master(struct dma_ctx *ctx, bool enabled)
{
    if (ctx)
        odma__gate_change(ctx, ODMA__GATE_MASTER, !enabled);
}

static inline bool odma_ctx_bus_master(const struct dma_ctx *ctx)
{
    return ctx && (ODMA__LOAD(&ctx->gate, ODMA__MO_RELAXED) & ODMA__GATE_MASTER);
}

/*
 * Fast path: the hinted region for this direction, if it holds all of
 * [addr, addr + len). One relaxed load of the hint and one compare
 * against the direction's limit: a closed gate, a translate hook or a
 * changed table point the hint at the empty sentinel, and a region the
 * fast path may not serve in this direction has limit 0. For a length
 * known at compile time to be at most 8 (every ld/st) one compare against
 * fit8 does: an access in a region's last 7 bytes takes the slow path.
 * The hint is a pointer loaded relaxed and then dereferenced: the address
 * dependency orders the two on every host (as rcu_dereference does), and
 * the region's fields were written before the slow path published it.
 */
static inline __attribute__((__always_inline__)) bool
odma__hot_region(struct dma_ctx *ctx, uint64_t addr, uint64_t len, dma_dir dir,
                 struct dma_region **out)
{
    /* The answer is the bool, not a NULL *out: a hint is never NULL, but
     * the compiler cannot know it and would test the pointer again. */
    struct dma_region *r = ODMA__LOAD(&ctx->hint[dir], ODMA__MO_RELAXED);
    uint64_t off = addr - r->gpa;
    *out = r;
    if (__builtin_constant_p(len) && len <= 8)
        return ODMA__LIKELY(off < r->fit8[dir]);
    return ODMA__LIKELY(off < r->lim[dir] && len <= r->lim[dir] - off);
}

/* The current table. A slow path takes it once per access, and checks and
 * moves every segment in that one table: a change between the check and
 * the move must not make the move find nothing (or something else). */
static inline struct odma__view *odma__view_now(struct dma_ctx *ctx)
{
    return ODMA__LOAD(&ctx->view, ODMA__MO_ACQUIRE);
}

/*
 * Slow path: the region holding gpa in table v (NULL: the current one),
 * or NULL. If the fast path may serve it in direction dir, it becomes
 * that direction's hint (only while v is still current).
 */
ODMA__SLOW struct dma_region *odma__find_region(struct dma_ctx *ctx, struct odma__view *v,
                                                uint64_t gpa, dma_dir dir)
{
    unsigned i, n;
    if (!v)
        v = odma__view_now(ctx);
    n = ODMA__LOAD(&v->n, ODMA__MO_ACQUIRE);
    for (i = 0; i < n; i++) {
        struct dma_region *r = &v->region[i];
        if (gpa - r->gpa < r->size) {
            odma__set_hint(ctx, dir, r, v);
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
ODMA__SLOW dma_result odma__segment(struct dma_ctx *ctx, struct odma__view *v, uint64_t addr,
                                    uint64_t len, dma_dir dir, dma_attrs attrs,
                                    struct odma__seg *seg)
{
    uint64_t gpa = addr, off;
    struct dma_region *r;
    if (ctx->translate || ctx->translate_attrs) {
        uint64_t span = 0;
        dma_result tr = ctx->translate_attrs
            ? ctx->translate_attrs(ctx->translate_opaque, addr, dir, attrs, &gpa, &span)
            : ctx->translate(ctx->translate_opaque, addr, dir, &gpa, &span);
        if (tr != DMA_OK || span == 0)
            return DMA_ERR_FAULT;
        if (span - 1 > UINT64_MAX - gpa)
            span = UINT64_MAX - gpa + 1; /* gpa > 0 here, so no overflow */
        if (span < len)
            len = span;
    }
    r = odma__find_region(ctx, v, gpa, dir);
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
