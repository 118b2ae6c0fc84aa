/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_odma.c - odma against an independent reference model.
 *
 * libFuzzer target (see tests/fuzz/rules.mk). Each input is decoded into
 *   - a policy (a named one, NULL, or a random table),
 *   - a region layout: up to 18 add_region attempts with gpas at anchors
 *     (0, 2^32, 2^63, the top of the address space), adjacent to, a hole
 *     after or overlapping the previous one; sizes 0..12 KiB or wrapping;
 *     read-only, device, prefetchable and bogus flags; host pointers that
 *     are misaligned, NULL or wrap,
 *   - optionally a translate (IOMMU) hook: up to 8 bus-space entries with
 *     random targets, permissions, span granules, faults and bad answers,
 *   - then up to 256 API calls: every accessor and variant, publish/
 *     consume, notify, explicit barriers, map/unmap and I/O through mapped
 *     pointers, bus master on/off, dirty logs and harvests, NULL arguments,
 *     with addresses near region edges, span edges and 2^64.
 * Every call also runs against the model below: guest memory as one byte
 * array per region, walked one byte at a time with 128-bit arithmetic, and
 * the rules of the headers' documentation (whole range checked first,
 * 0xFF on failed reads, the error precedence of odma/result.h, ...). After
 * every call the result, every returned value, every guest byte and the
 * canary bytes around every region must match; the region memory sits
 * between PROT_NONE guard pages, so a stray host access crashes.
 *
 * The file is compiled twice. With FUZZ_TRACE=1 odma is built with
 * ODMA_TRACE and the model also predicts the trace: which barrier goes
 * where (its own per-thread pending-pair model of the policy), that access
 * events cover each range exactly once in ascending order, and that
 * device-region pieces are naturally aligned and at most 4 bytes. With
 * FUZZ_TRACE=0 the untraced build is checked on data and results only.
 * The two objects share odma's per-thread state, as two .c files of one
 * program do. The first input byte chooses the build.
 *
 * Undocumented details the model does not pin down: the order among
 * several add_region errors (any applicable one is accepted) and which of
 * two identical outstanding maps an unmap removes.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef FUZZ_TRACE
#define FUZZ_TRACE 1
#endif

static unsigned long fuzz_misuses; /* ODMA_ON_MISUSE calls in this object */
#define ODMA_ON_MISUSE(ctx, msg) ((void)(ctx), (void)(msg), (void)fuzz_misuses++)
#if FUZZ_TRACE
#define ODMA_TRACE
#endif
#include <odma.h>

#if FUZZ_TRACE
#define FUZZ_ENTRY fuzz_one_traced
#else
#define FUZZ_ENTRY fuzz_one_plain
#endif
int fuzz_one_traced(const uint8_t *data, size_t size);
int fuzz_one_plain(const uint8_t *data, size_t size);

typedef unsigned __int128 u128;
#define TOP ((u128)1 << 64)
#define PAGE 4096u
#define NSLOTS 18
#define SLOT_DATA (3u * PAGE)
#define MAX_REG_SIZE (SLOT_DATA - 8u)
#define MAX_ENTRIES 8
#define MAX_BUF 32768u
#define MAX_OPS 256
#define MAX_MAPREC 80
#define MAX_EVENTS 40000
#define MAX_ALLOCS 600
#define ULBITS (8u * sizeof(unsigned long))

/* ---------------------------------------------------------------- input */

struct rd {
    const uint8_t *p;
    size_t n;
};

static uint8_t u8(struct rd *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static uint16_t u16(struct rd *in)
{
    uint16_t v = u8(in);
    return (uint16_t)(v | (uint16_t)(u8(in) << 8));
}

static uint64_t u64(struct rd *in)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < 8; i++)
        v |= (uint64_t)u8(in) << (8 * i);
    return v;
}

/* Small signed offset, -16..16. */
static int64_t delta(struct rd *in)
{
    return (int64_t)(u8(in) % 33u) - 16;
}

static uint64_t rng_state;

static uint8_t rng8(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint8_t)(rng_state >> 24);
}

/* ----------------------------------------------------- the world, model */

struct mreg {
    uint64_t gpa, size;
    unsigned flags;
    unsigned char *host;   /* odma's copy */
    unsigned char *bytes;  /* the model's copy */
    unsigned char *lo, *hi; /* the slot's data area, for canaries */
    bool logging;
    unsigned shift;        /* effective page shift */
    size_t words;
    unsigned char *pages;  /* model dirty bits, one byte per page */
    struct dma_dirty_log *log;
};

struct tentry {
    uint64_t bus;
    u128 end;         /* exclusive, at most 2^64 */
    uint64_t gpa;     /* target of bus; wraps modulo 2^64 */
    unsigned perm;    /* bit dir: allowed */
    unsigned gran;    /* spans end at multiples of 2^gran; 64: no cap */
    bool zero;        /* answers DMA_OK with span 0 */
    bool huge;        /* answers span UINT64_MAX (entry reaches 2^64, no granule) */
    dma_result err;   /* what it answers on a permission fault */
};

struct maprec {
    void *host;
    uint64_t len, bus, off;
    dma_dir dir;
    int reg;
};

struct world {
    struct dma_ctx ctx;
    struct dma_policy custom;
    const struct dma_policy *pol;  /* what dma_ctx_policy() must return */
    const struct dma_policy *rules; /* what the model orders by */
    struct mreg reg[NSLOTS];
    unsigned nreg;
    struct tentry ent[MAX_ENTRIES];
    unsigned nent;
    bool hook;
    unsigned long hook_bad;
    bool master;
    bool pend[2][2]; /* [earlier dir][later dir] still unordered */
    struct maprec maps[MAX_MAPREC];
    unsigned nmaps;
    unsigned long misuses;
    uint64_t points[2 * NSLOTS + 4 * MAX_ENTRIES + 4];
    unsigned npoints;
    void *allocs[MAX_ALLOCS];
    unsigned nallocs;
    unsigned op;
    const char *opname;
};

static struct world W;
static unsigned char *arena, *small_src;
static bool verbose;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_odma (%s): op %u (%s): check failed: %s\n  ", \
                    FUZZ_TRACE ? "traced" : "plain", W.op, W.opname, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            abort();                                                           \
        }                                                                      \
    } while (0)

static void *xalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    if (W.nallocs < MAX_ALLOCS)
        W.allocs[W.nallocs++] = p;
    else
        abort(); /* bounded by MAX_OPS */
    return p;
}

static unsigned char *slot_data(unsigned i)
{
    return arena + PAGE + (size_t)i * (SLOT_DATA + PAGE);
}

/* Slot bytes outside regions hold canary_img[offset in the slot]. */
static unsigned char canary_img[SLOT_DATA];

static void fill_canaries(unsigned char *slot)
{
    memcpy(slot, canary_img, SLOT_DATA);
}

static bool canaries_intact(const struct mreg *r, const unsigned char *p, size_t n)
{
    return memcmp(p, canary_img + (p - r->lo), n) == 0;
}

/* The checks themselves are not worth coverage feedback (clang). */
#if defined(__clang__)
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

static void arena_init(void)
{
    size_t total = PAGE + (size_t)NSLOTS * (SLOT_DATA + PAGE);
    unsigned i;
    unsigned char *s;
    if (arena)
        return;
    arena = (unsigned char *)mmap(NULL, total, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    s = (unsigned char *)mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (arena == MAP_FAILED || s == MAP_FAILED)
        abort();
    if (mprotect(arena, PAGE, PROT_NONE))
        abort();
    for (i = 0; i < NSLOTS; i++)
        if (mprotect(slot_data(i) + SLOT_DATA, PAGE, PROT_NONE))
            abort();
    if (mprotect(s + PAGE, PAGE, PROT_NONE))
        abort();
    for (i = 0; i < SLOT_DATA; i++)
        canary_img[i] = (unsigned char)(0xa5u ^ (i * 13u));
    small_src = s + PAGE - 64; /* 64 readable bytes, then a guard page */
    memset(small_src, 0x3c, 64);
    verbose = getenv("FUZZ_VERBOSE") != NULL;
}

/* The translate hook: the test's IOMMU, a pure function of the entries. */
static const struct tentry *entry_at(const struct world *w, uint64_t bus, int *idx)
{
    unsigned i;
    for (i = 0; i < w->nent; i++) {
        if (bus >= w->ent[i].bus && (u128)bus < w->ent[i].end) {
            if (idx)
                *idx = (int)i;
            return &w->ent[i];
        }
    }
    return NULL;
}

static dma_result hook(void *opaque, uint64_t addr, dma_dir dir, uint64_t *gpa,
                       uint64_t *span)
{
    struct world *w = (struct world *)opaque;
    const struct tentry *e;
    u128 s;
    if (dir != DMA_DIR_READ && dir != DMA_DIR_WRITE) {
        w->hook_bad++;
        return DMA_ERR_FAULT;
    }
    e = entry_at(w, addr, NULL);
    if (!e)
        return DMA_ERR_FAULT;
    if (!(e->perm & (1u << dir)))
        return e->err;
    *gpa = e->gpa + (addr - e->bus);
    if (e->zero) {
        *span = 0;
        return DMA_OK;
    }
    s = e->end - addr;
    if (e->gran < 64) {
        uint64_t g = (uint64_t)1 << e->gran;
        u128 to = g - (addr & (g - 1));
        if (to < s)
            s = to;
    }
    if (e->huge)
        s = UINT64_MAX;
    *span = s > UINT64_MAX ? UINT64_MAX : (uint64_t)s;
    return DMA_OK;
}

/* What the model knows about one bus byte. */
struct mbyte {
    dma_result err;
    int reg;      /* region index, -1 */
    uint64_t gpa;
    int ent;      /* translation entry, -1 without a hook */
    uint64_t blk; /* granule within the entry */
};

static void m_byte(const struct world *w, uint64_t bus, dma_dir dir, struct mbyte *b)
{
    uint64_t gpa = bus;
    unsigned i;
    b->ent = -1;
    b->blk = 0;
    b->reg = -1;
    b->gpa = bus;
    if (w->hook) {
        int idx = -1;
        const struct tentry *e = entry_at(w, bus, &idx);
        if (!e || !(e->perm & (1u << dir)) || e->zero) {
            b->err = DMA_ERR_FAULT;
            return;
        }
        gpa = e->gpa + (bus - e->bus);
        b->ent = idx;
        b->blk = e->gran < 64 ? bus >> e->gran : 0;
    }
    b->gpa = gpa;
    for (i = 0; i < w->nreg; i++) {
        const struct mreg *r = &w->reg[i];
        if (gpa >= r->gpa && (u128)gpa < (u128)r->gpa + r->size) {
            b->reg = (int)i;
            break;
        }
    }
    if (b->reg < 0)
        b->err = DMA_ERR_UNMAPPED;
    else if (dir == DMA_DIR_WRITE && (w->reg[b->reg].flags & DMA_REGION_READONLY))
        b->err = DMA_ERR_READONLY;
    else
        b->err = DMA_OK;
}

static bool dev_nonpref(const struct world *w, int reg)
{
    unsigned f = w->reg[reg].flags;
    return (f & DMA_REGION_DEVICE) && !(f & DMA_REGION_PREFETCHABLE);
}

static bool same_seg(const struct mbyte *a, const struct mbyte *b)
{
    return a->reg == b->reg && a->ent == b->ent && a->blk == b->blk;
}

/*
 * The documented checks of one range, after the argument checks: bus
 * mastering, overflow, the lowest failing byte, then (single: the access
 * promises atomicity) a range that is not one region and one span, or is
 * translated to a misaligned gpa, or a device access wider than 4 bytes.
 */
static dma_result m_check(const struct world *w, uint64_t addr, uint64_t len, dma_dir dir,
                          bool single)
{
    struct mbyte first, b;
    bool straddle = false;
    uint64_t i;
    if (!w->master)
        return DMA_ERR_DISABLED;
    if (!len)
        return DMA_OK;
    if ((u128)addr + len > TOP)
        return DMA_ERR_OVERFLOW;
    for (i = 0; i < len; i++) {
        m_byte(w, addr + i, dir, &b);
        if (b.err != DMA_OK)
            return b.err;
        if (i == 0)
            first = b;
        else if (!same_seg(&first, &b))
            straddle = true;
    }
    if (single && (straddle || (first.gpa & (len - 1)) || (dev_nonpref(w, first.reg) && len > 4)))
        return DMA_ERR_ALIGN;
    return DMA_OK;
}

static void m_dirty(struct world *w, int reg, uint64_t gpa)
{
    struct mreg *r = &w->reg[reg];
    if (r->logging && !(r->flags & DMA_REGION_DEVICE))
        r->pages[(gpa >> r->shift) - (r->gpa >> r->shift)] = 1;
}

/* Move the bytes of a checked range. src NULL: fill with set_byte. */
static void m_apply(struct world *w, uint64_t addr, uint64_t len, dma_dir dir,
                    const unsigned char *src, int set_byte, unsigned char *dst)
{
    uint64_t i;
    for (i = 0; i < len; i++) {
        struct mbyte b;
        struct mreg *r;
        m_byte(w, addr + i, dir, &b);
        if (b.err != DMA_OK)
            abort(); /* m_check passed: cannot happen */
        r = &w->reg[b.reg];
        if (dir == DMA_DIR_READ) {
            dst[i] = r->bytes[b.gpa - r->gpa];
        } else {
            r->bytes[b.gpa - r->gpa] = src ? src[i] : (unsigned char)set_byte;
            m_dirty(w, b.reg, b.gpa);
        }
    }
}

static bool m_touches_device(const struct world *w, uint64_t addr, uint64_t len, dma_dir dir)
{
    uint64_t i;
    for (i = 0; i < len; i++) {
        struct mbyte b;
        m_byte(w, addr + i, dir, &b);
        if (b.reg >= 0 && (w->reg[b.reg].flags & DMA_REGION_DEVICE))
            return true;
    }
    return false;
}

/* ------------------------------------------------ ordering model, trace */

enum { X_BARRIER, X_NOTIFY, X_MAP, X_UNMAP, X_GROUP };

struct xitem {
    int type;
    enum dma_barrier b;
    const struct dma_ctx *ctx;
    dma_dir dir;
    dma_variant v;
    uint64_t s[2];
    u128 e[2];
    int nr;
    bool one_event, device;
    uint64_t addr, len;
};

static struct xitem xs[16];
static int nx;

static void x_add(struct xitem it)
{
    if (nx >= 16)
        abort();
    xs[nx++] = it;
}

static void x_barrier(enum dma_barrier b, const struct dma_ctx *ctx)
{
    struct xitem it;
    memset(&it, 0, sizeof it);
    it.type = X_BARRIER;
    it.b = b;
    it.ctx = ctx;
    x_add(it);
}

static void x_group(dma_dir dir, dma_variant v, uint64_t a0, uint64_t l0, uint64_t a1,
                    uint64_t l1, bool one_event)
{
    struct xitem it;
    memset(&it, 0, sizeof it);
    it.type = X_GROUP;
    it.ctx = &W.ctx;
    it.dir = dir;
    it.v = v;
    if (l0) {
        it.s[it.nr] = a0;
        it.e[it.nr++] = (u128)a0 + l0;
    }
    if (l1) {
        it.s[it.nr] = a1;
        it.e[it.nr++] = (u128)a1 + l1;
    }
    if (!it.nr)
        return;
    it.one_event = one_event;
    it.device = m_touches_device(&W, a0, l0, dir) || m_touches_device(&W, a1, l1, dir);
    x_add(it);
}

/* Pairs a barrier orders: rmb earlier reads, wmb later writes, mb all. */
static void m_cover(struct world *w, enum dma_barrier b)
{
    if (b == DMA_BARRIER_MB) {
        memset(w->pend, 0, sizeof w->pend);
    } else if (b == DMA_BARRIER_RMB) {
        w->pend[DMA_DIR_READ][DMA_DIR_READ] = false;
        w->pend[DMA_DIR_READ][DMA_DIR_WRITE] = false;
    } else if (b == DMA_BARRIER_WMB) {
        w->pend[DMA_DIR_READ][DMA_DIR_WRITE] = false;
        w->pend[DMA_DIR_WRITE][DMA_DIR_WRITE] = false;
    }
}

static void m_mark(struct world *w, dma_dir d)
{
    w->pend[d][DMA_DIR_READ] = true;
    w->pend[d][DMA_DIR_WRITE] = true;
}

static void m_unknown(struct world *w)
{
    m_mark(w, DMA_DIR_READ);
    m_mark(w, DMA_DIR_WRITE);
}

/* An ordered access of direction d: the pairs (earlier kind k, d) still
 * pending whose table entry is not none must be ordered, by the weakest
 * barrier that covers them all: rmb covers R->R and R->W, wmb R->W and
 * W->W, mb everything. rmb wins a tie (R->W alone). The entry's own name
 * does not matter (a W->R entry of wmb still needs an mb). */
static void m_ordered(struct world *w, dma_dir d)
{
    bool after_r = w->pend[DMA_DIR_READ][d] &&
                   w->rules->order[DMA_DIR_READ][d] != DMA_BARRIER_NONE;
    bool after_w = w->pend[DMA_DIR_WRITE][d] &&
                   w->rules->order[DMA_DIR_WRITE][d] != DMA_BARRIER_NONE;
    enum dma_barrier b = DMA_BARRIER_NONE;
    if (after_w && d == DMA_DIR_READ)
        b = DMA_BARRIER_MB; /* W->R: only a full fence */
    else if (after_w)
        b = DMA_BARRIER_WMB; /* W->W, with or without R->W */
    else if (after_r)
        b = DMA_BARRIER_RMB; /* R->R, or R->W alone (rmb and wmb both cover it) */
    if (b != DMA_BARRIER_NONE) {
        x_barrier(b, &w->ctx);
        m_cover(w, b);
    }
    m_mark(w, d);
}

#if FUZZ_TRACE
static struct dma_trace_event tev[MAX_EVENTS];
static size_t tn, tdropped;
static bool trec;

void odma_trace(const struct dma_trace_event *ev)
{
    if (!trec)
        return;
    if (tn < MAX_EVENTS)
        tev[tn++] = *ev;
    else
        tdropped++;
}

static const char *tname(int t)
{
    static const char *const n[] = { "access", "barrier", "map", "unmap", "notify" };
    return t >= 0 && t < 5 ? n[t] : "?";
}

NO_COVERAGE static void check_group(const struct xitem *it, size_t *ep)
{
    size_t e = *ep, count = 0;
    int ri = 0;
    u128 cur = it->s[0];
    while (ri < it->nr) {
        const struct dma_trace_event *ev;
        struct mbyte b, last;
        CHECK(e < tn, "trace: access events end at 0x%llx, range not covered",
              (unsigned long long)cur);
        ev = &tev[e];
        CHECK(ev->type == DMA_TRACE_ACCESS && ev->dir == it->dir && ev->variant == it->v &&
                  ev->ctx == it->ctx,
              "trace event %zu: %s dir %d variant %d, want access dir %d variant %d", e,
              tname(ev->type), ev->dir, ev->variant, it->dir, it->v);
        CHECK(ev->addr == cur && ev->len > 0 && (u128)ev->addr + ev->len <= it->e[ri],
              "trace event %zu: 0x%llx+%llu, want it to start at 0x%llx within range", e,
              (unsigned long long)ev->addr, (unsigned long long)ev->len,
              (unsigned long long)cur);
        CHECK(!!(ev->flags & DMA_TRACE_CONTINUED) == (count > 0),
              "trace event %zu: CONTINUED flag %u, event %zu of its access", e, ev->flags,
              count);
        m_byte(&W, ev->addr, ev->dir, &b);
        m_byte(&W, ev->addr + ev->len - 1, ev->dir, &last);
        CHECK(b.reg >= 0, "trace event %zu: not in a region", e);
        if (W.reg[b.reg].flags & DMA_REGION_DEVICE) {
            CHECK(ev->flags & DMA_TRACE_DEVICE, "trace event %zu: device bytes, no DEVICE flag",
                  e);
            CHECK(same_seg(&b, &last), "trace event %zu: device access leaves its segment",
                  e);
            if (dev_nonpref(&W, b.reg))
                CHECK((ev->len == 1 || ev->len == 2 || ev->len == 4) &&
                          !(b.gpa & (ev->len - 1)),
                      "trace event %zu: device access gpa 0x%llx width %llu", e,
                      (unsigned long long)b.gpa, (unsigned long long)ev->len);
        } else {
            uint64_t i;
            CHECK(!(ev->flags & DMA_TRACE_DEVICE), "trace event %zu: RAM with DEVICE flag", e);
            for (i = 0; i < ev->len; i++) {
                m_byte(&W, ev->addr + i, ev->dir, &b);
                CHECK(b.reg >= 0 && !(W.reg[b.reg].flags & DMA_REGION_DEVICE),
                      "trace event %zu: RAM event covers device byte 0x%llx", e,
                      (unsigned long long)(ev->addr + i));
            }
        }
        cur += ev->len;
        e++;
        count++;
        if (cur == it->e[ri] && ++ri < it->nr)
            cur = it->s[ri];
    }
    CHECK(!it->one_event || count == 1, "trace: %zu events for one single-copy access",
          count);
    CHECK(it->device || count == (size_t)it->nr,
          "trace: %zu events for %d RAM ranges (want one per range)", count, it->nr);
    *ep = e;
}

NO_COVERAGE static void check_trace(void)
{
    size_t e = 0;
    int i;
    if (tdropped)
        return; /* too many events to hold: data checks still apply */
    for (i = 0; i < nx; i++) {
        const struct xitem *it = &xs[i];
        const struct dma_trace_event *ev = e < tn ? &tev[e] : NULL;
        if (it->type == X_GROUP) {
            check_group(it, &e);
            continue;
        }
        CHECK(ev, "trace: %zu events, expected item %d (type %d) missing", tn, i, it->type);
        switch (it->type) {
        case X_BARRIER:
            CHECK(ev->type == DMA_TRACE_BARRIER && ev->barrier == it->b && ev->ctx == it->ctx,
                  "trace event %zu: %s barrier %d ctx %p, want barrier %d ctx %p", e,
                  tname(ev->type), ev->barrier, (const void *)ev->ctx, it->b,
                  (const void *)it->ctx);
            break;
        case X_NOTIFY:
            CHECK(ev->type == DMA_TRACE_NOTIFY && ev->barrier == it->b && ev->ctx == &W.ctx,
                  "trace event %zu: %s, want notify %d", e, tname(ev->type), it->b);
            break;
        case X_MAP:
        case X_UNMAP:
            CHECK(ev->type == (it->type == X_MAP ? DMA_TRACE_MAP : DMA_TRACE_UNMAP) &&
                      ev->dir == it->dir && ev->addr == it->addr && ev->len == it->len &&
                      ev->ctx == &W.ctx,
                  "trace event %zu: %s dir %d 0x%llx+%llu, want type %d dir %d 0x%llx+%llu",
                  e, tname(ev->type), ev->dir, (unsigned long long)ev->addr,
                  (unsigned long long)ev->len, it->type, it->dir,
                  (unsigned long long)it->addr, (unsigned long long)it->len);
            break;
        }
        e++;
    }
    CHECK(e == tn, "trace: %zu events, only %zu expected (next: %s)", tn, e,
          e < tn ? tname(tev[e].type) : "-");
}
#endif

/* ------------------------------------------------------------- checks */

NO_COVERAGE static void check_memory(bool full)
{
    unsigned i;
    for (i = 0; i < W.nreg; i++) {
        const struct mreg *r = &W.reg[i];
        size_t before = (size_t)(r->host - r->lo), after = (size_t)(r->hi - r->host) - r->size;
        size_t nb = full || before < 64 ? before : 64, na = full || after < 64 ? after : 64;
        CHECK(memcmp(r->host, r->bytes, r->size) == 0,
              "guest bytes of region %u (gpa 0x%llx+%llu) differ from the model", i,
              (unsigned long long)r->gpa, (unsigned long long)r->size);
        CHECK(canaries_intact(r, r->host - nb, nb), "canary before region %u changed", i);
        CHECK(canaries_intact(r, r->host + r->size, na), "canary after region %u changed", i);
    }
}

static void check_state(void)
{
    CHECK(fuzz_misuses == W.misuses, "ODMA_ON_MISUSE called %lu times, want %lu",
          fuzz_misuses, W.misuses);
    CHECK(dma_ctx_maps_outstanding(&W.ctx) == W.nmaps, "%u maps outstanding, want %u",
          dma_ctx_maps_outstanding(&W.ctx), W.nmaps);
    CHECK(dma_ctx_bus_master(&W.ctx) == W.master, "bus master %d", W.master);
    CHECK(W.hook_bad == 0, "hook called with a bad direction");
    check_memory(false);
#if FUZZ_TRACE
    trec = false;
    check_trace();
#endif
}

static void begin(const char *name)
{
    W.opname = name;
    nx = 0;
#if FUZZ_TRACE
    tn = 0;
    tdropped = 0;
    trec = true;
#endif
}

#define CHECK_RES(got, want)                                                   \
    CHECK((got) == (want), "result %s (%d), want %s (%d)", dma_result_str(got), (int)(got), \
          dma_result_str(want), (int)(want))

/* ---------------------------------------------------------- generators */

static uint64_t gen_addr(struct rd *in)
{
    uint8_t k = u8(in);
    uint64_t p = W.npoints ? W.points[u8(in) % W.npoints] : 0;
    switch (k % 8) {
    case 0:
    case 1:
    case 2:
        return p + (uint64_t)delta(in);
    case 3:
        return UINT64_MAX - u8(in);
    case 4:
        return u64(in);
    case 5:
        if (W.nreg) {
            const struct mreg *r = &W.reg[u8(in) % W.nreg];
            return r->gpa + u16(in) % r->size;
        }
        return u16(in);
    case 6:
        if (W.nent) {
            const struct tentry *e = &W.ent[u8(in) % W.nent];
            u128 n = e->end - e->bus;
            return e->bus + u16(in) % (n > UINT64_MAX ? UINT64_MAX : (uint64_t)n);
        }
        return p;
    default:
        return p + (uint64_t)(int64_t)(int8_t)u8(in) * 8;
    }
}

/* A length; at most max unless huge lengths are allowed. */
static uint64_t gen_len(struct rd *in, uint64_t max, bool huge)
{
    static const uint64_t sizes[] = { 1, 2, 4, 8, 3, 16, 64, 4096 };
    uint8_t k = u8(in);
    uint64_t len;
    switch (k % 8) {
    case 0:
    case 1:
        len = u8(in) % 17;
        break;
    case 2:
        len = sizes[u8(in) % 8];
        break;
    case 3:
        len = u16(in) % 600;
        break;
    case 4:
        len = W.nreg ? W.reg[u8(in) % W.nreg].size + (uint64_t)delta(in) : u8(in);
        break;
    case 5:
        len = u16(in) % 16384;
        break;
    case 6:
        len = UINT64_MAX - u8(in);
        break;
    default:
        len = u64(in);
        break;
    }
    if (!huge && len > max)
        len %= max + 1;
    return len;
}

static void add_point(uint64_t p)
{
    if (W.npoints < sizeof W.points / sizeof W.points[0])
        W.points[W.npoints++] = p;
}

static uint64_t gen_region_size(struct rd *in, bool *wrap)
{
    static const uint64_t sizes[] = { 1, 2, 3, 4, 7, 8, 16, 4096 };
    uint8_t k = u8(in);
    *wrap = false;
    switch (k % 8) {
    case 0:
    case 1:
    case 2:
        return 1 + u8(in) % 64;
    case 3:
        return 1 + u16(in) % 600;
    case 4:
        return sizes[u8(in) % 8];
    case 5:
        return 1 + u16(in) % MAX_REG_SIZE;
    case 6:
        return (k & 0x80) ? 0 : 1 + u8(in) % 32;
    default:
        *wrap = true;
        return 1 + u8(in) % 64;
    }
}

/* Regions: odma's answer against the set of errors that apply. */
static void build_regions(struct rd *in)
{
    static const uint64_t anchors[] = { 0, 0x1000, 0x10000, 0xfffff000ull, 0x100000000ull,
                                        0x8000000000000000ull };
    unsigned n = u8(in) % 19, i;
    uint64_t prev_end = 0x1000;
    for (i = 0; i < n; i++) {
        struct mreg *r = &W.reg[W.nreg];
        unsigned char *data = slot_data(W.nreg < NSLOTS ? W.nreg : NSLOTS - 1);
        uint8_t k = u8(in), f = u8(in), m = u8(in);
        bool wrap;
        uint64_t size = gen_region_size(in, &wrap), gpa;
        unsigned flags = f & 7u, errs = 0;
        uintptr_t host;
        dma_result res;
        switch (k % 8) {
        case 0:
            gpa = anchors[u8(in) % 6] + (uint64_t)(u8(in) % 16);
            break;
        case 1:
            gpa = (uint64_t)0 - size - (uint64_t)(u8(in) % 4); /* ends at or near the top */
            break;
        case 2:
        case 3:
            gpa = prev_end; /* adjacent */
            break;
        case 4:
            gpa = prev_end + 1 + u8(in); /* a hole */
            break;
        case 5:
            gpa = prev_end - 1 - u8(in) % 16; /* overlaps */
            break;
        case 6:
            gpa = prev_end + (uint64_t)u16(in) * 8;
            break;
        default:
            gpa = u64(in);
            break;
        }
        if (wrap)
            size = gpa ? (uint64_t)0 - gpa + size : 0;
        if ((f & 0xc0) == 0xc0)
            flags |= 1u << 5; /* unknown flag */
        switch (m % 16) {
        case 14:
            host = (uintptr_t)data + ((gpa + 1 + m / 16 % 7) & 7); /* misaligned */
            break;
        case 15:
            if (m & 0x10) {
                host = 0;
            } else {
                host = (UINTPTR_MAX & ~(uintptr_t)7) - 16 + (gpa & 7); /* wraps */
                if (size < 64)
                    size = 64;
            }
            break;
        default:
            if (m % 16 < 7 || size > MAX_REG_SIZE) {
                host = (uintptr_t)data + (gpa & 7);
            } else {
                host = (uintptr_t)data + SLOT_DATA - size;
                host -= (host - gpa) & 7;
            }
            break;
        }
        /* Every reason this attempt must fail. */
        if (!host || !size || (flags & ~7u))
            errs |= 1u << DMA_ERR_INVALID;
        if ((flags & DMA_REGION_PREFETCHABLE) && !(flags & DMA_REGION_DEVICE))
            errs |= 1u << DMA_ERR_INVALID;
        if (size && (u128)gpa + size > TOP)
            errs |= 1u << DMA_ERR_OVERFLOW;
        if (host && size && (u128)host + size > (u128)UINTPTR_MAX + 1)
            errs |= 1u << DMA_ERR_INVALID;
        if ((host - gpa) & 7)
            errs |= 1u << DMA_ERR_INVALID;
        if (W.nreg >= ODMA_MAX_REGIONS)
            errs |= 1u << DMA_ERR_INVALID;
        for (unsigned j = 0; j < W.nreg; j++)
            if ((u128)gpa < (u128)W.reg[j].gpa + W.reg[j].size &&
                (u128)W.reg[j].gpa < (u128)gpa + size)
                errs |= 1u << DMA_ERR_INVALID;
        if (!errs && size > MAX_REG_SIZE)
            errs = 1u << 31; /* fine for odma, too big for the slot: skip */
        if (verbose)
            fprintf(stderr, "region 0x%llx+%llu flags %x host %p: errs %x\n",
                    (unsigned long long)gpa, (unsigned long long)size, flags, (void *)host,
                    errs);
        prev_end = gpa + size;
        if (errs >> 31)
            continue;
        res = dma_ctx_add_region(&W.ctx, gpa, size, (void *)host, flags);
        W.opname = "add_region";
        CHECK(errs ? (res != DMA_OK && ((errs >> res) & 1u)) : res == DMA_OK,
              "add_region(0x%llx, %llu, flags %x) = %s, errors that apply: %x",
              (unsigned long long)gpa, (unsigned long long)size, flags, dma_result_str(res),
              errs);
        if (res != DMA_OK)
            continue;
        memset(r, 0, sizeof *r);
        r->gpa = gpa;
        r->size = size;
        r->flags = flags;
        r->host = (unsigned char *)host;
        r->lo = data;
        r->hi = data + SLOT_DATA;
        r->bytes = (unsigned char *)xalloc(size);
        fill_canaries(data);
        for (uint64_t j = 0; j < size; j++)
            r->bytes[j] = r->host[j] = rng8();
        W.nreg++;
        add_point(gpa);
        add_point(gpa + size);
    }
}

static void build_translation(struct rd *in)
{
    uint8_t t = u8(in);
    u128 cursor = 0;
    unsigned n, i;
    static const dma_result errs[] = { DMA_ERR_FAULT, DMA_ERR_UNMAPPED, DMA_ERR_READONLY,
                                       DMA_ERR_INVALID };
    if (!(t & 1))
        return;
    n = 1 + (t >> 1) % MAX_ENTRIES;
    for (i = 0; i < n && cursor < TOP; i++) {
        struct tentry *e = &W.ent[W.nent];
        uint8_t k = u8(in), p = u8(in), g = u8(in), fl = u8(in);
        uint64_t target, len;
        u128 bus;
        if (W.nreg && (k & 0x30)) {
            const struct mreg *r = &W.reg[u8(in) % W.nreg];
            target = ((k & 0x40) ? r->gpa + r->size : r->gpa) + (uint64_t)delta(in);
        } else {
            target = (k & 0x40) ? u64(in) : 0 - (uint64_t)u8(in);
        }
        switch (k % 6) {
        case 0:
        case 1:
            bus = cursor;
            break;
        case 2:
            bus = cursor + 1 + u16(in) % 4096;
            break;
        case 3:
            bus = target; /* identity */
            break;
        case 4:
            bus = TOP - 1 - u16(in);
            break;
        default:
            bus = u64(in);
            break;
        }
        if (bus < cursor || bus >= TOP)
            bus = cursor;
        if (bus >= TOP)
            break;
        len = (fl & 0xe0) == 0xe0 ? 0 : 1 + u16(in) % 8192;
        e->bus = (uint64_t)bus;
        e->end = len ? bus + len : TOP;
        if (e->end > TOP)
            e->end = TOP;
        e->gpa = target;
        e->perm = p % 8 < 5 ? 3u : p % 3u;
        e->err = errs[p / 8 % 4];
        e->gran = g < 128 ? 64u : g % 13u;
        e->zero = (fl & 0x1f) == 1;
        e->huge = e->end == TOP && e->gran >= 64 && (fl & 0x1f) == 2; /* stays consistent */
        cursor = e->end;
        if (verbose)
            fprintf(stderr, "entry bus 0x%llx..0x%llx -> gpa 0x%llx perm %u gran %u%s%s\n",
                    (unsigned long long)e->bus, (unsigned long long)(e->end - 1),
                    (unsigned long long)e->gpa, e->perm, e->gran, e->zero ? " zero" : "",
                    e->huge ? " huge" : "");
        W.nent++;
        add_point(e->bus);
        add_point((uint64_t)e->end);
        if (e->gran < 64)
            add_point((e->bus | (((uint64_t)1 << e->gran) - 1)) + 1);
    }
    if (W.nent) {
        W.hook = true;
        dma_ctx_set_translate(&W.ctx, hook, &W);
    }
}

/* ----------------------------------------------------------------- ops */

static dma_variant pick_variant(bool relaxed)
{
    return relaxed ? DMA_VARIANT_RELAXED : DMA_VARIANT_ORDERED;
}

/* The model's side of a successful single-range access, for the trace. */
static void m_access_order(dma_dir dir, dma_variant v)
{
    if (v == DMA_VARIANT_ORDERED) {
        m_ordered(&W, dir);
    } else if (v == DMA_VARIANT_RELEASE) {
        x_barrier(DMA_BARRIER_WMB, &W.ctx);
        m_cover(&W, DMA_BARRIER_WMB);
        m_mark(&W, dir);
    } else {
        m_mark(&W, dir);
    }
}

static void m_access_post(dma_variant v)
{
    if (v == DMA_VARIANT_ACQUIRE) {
        x_barrier(DMA_BARRIER_RMB, &W.ctx);
        m_cover(&W, DMA_BARRIER_RMB);
    }
}

/* Does an n-byte (1/2/4) access at addr make exactly one device access? */
static bool one_device_access(uint64_t addr, uint64_t n, dma_dir dir)
{
    struct mbyte a, b;
    m_byte(&W, addr, dir, &a);
    m_byte(&W, addr + n - 1, dir, &b);
    return n <= 4 && !(a.gpa & (n - 1)) && same_seg(&a, &b);
}

static void op_read(struct rd *in)
{
    uint8_t sel = u8(in);
    bool relaxed = sel & 1;
    uint64_t addr = gen_addr(in), len = gen_len(in, MAX_BUF, false);
    unsigned char *buf = (unsigned char *)xalloc(len), *want = (unsigned char *)xalloc(len);
    dma_variant v = pick_variant(relaxed);
    dma_result res, exp;
    void *arg = (len == 0 && (sel & 0x80)) ? NULL : buf;
    begin(relaxed ? "read_relaxed" : "read");
    memset(buf, 0x5a, len);
    exp = m_check(&W, addr, len, DMA_DIR_READ, false);
    if (exp == DMA_OK) {
        m_apply(&W, addr, len, DMA_DIR_READ, NULL, -1, want);
        if (len) {
            m_access_order(DMA_DIR_READ, v);
            x_group(DMA_DIR_READ, v, addr, len, 0, 0, false);
        }
    } else {
        memset(want, 0xff, len);
    }
    if (sel & 2)
        res = relaxed ? dma_rw_relaxed(&W.ctx, addr, arg, len, DMA_DIR_READ)
                      : dma_rw(&W.ctx, addr, arg, len, DMA_DIR_READ);
    else
        res = relaxed ? dma_read_relaxed(&W.ctx, addr, arg, len)
                      : dma_read(&W.ctx, addr, arg, len);
    if (verbose)
        fprintf(stderr, "%u: read%s 0x%llx+%llu = %d (model %d)\n", W.op,
                relaxed ? "_relaxed" : "", (unsigned long long)addr,
                (unsigned long long)len, res, exp);
    CHECK_RES(res, exp);
    CHECK(memcmp(buf, want, len) == 0, "read 0x%llx+%llu: buffer differs from the model",
          (unsigned long long)addr, (unsigned long long)len);
    check_state();
}

static void op_write(struct rd *in, bool set)
{
    uint8_t sel = u8(in);
    bool relaxed = sel & 1;
    uint64_t addr = gen_addr(in), len = gen_len(in, MAX_BUF, true);
    int byte = (sel & 0x40) ? (int)(int8_t)u8(in) : (int)u16(in);
    unsigned char *src;
    dma_variant v = pick_variant(relaxed);
    dma_result res, exp;
    begin(set ? "set" : "write");
    if (len > MAX_BUF && len < ((uint64_t)1 << 32))
        len %= MAX_BUF + 1; /* could succeed: keep it within the buffer */
    if (len <= MAX_BUF) {
        src = (unsigned char *)xalloc(len);
        for (uint64_t i = 0; i < len; i++)
            src[i] = rng8();
    } else {
        src = small_src; /* 64 bytes before a guard page: odma must not read on */
    }
    exp = m_check(&W, addr, len, DMA_DIR_WRITE, false);
    CHECK(exp != DMA_OK || len <= MAX_BUF, "model accepts a %llu-byte write",
          (unsigned long long)len);
    if (exp == DMA_OK) {
        m_apply(&W, addr, len, DMA_DIR_WRITE, set ? NULL : src, byte & 0xff, NULL);
        if (len) {
            m_access_order(DMA_DIR_WRITE, v);
            x_group(DMA_DIR_WRITE, v, addr, len, 0, 0, false);
        }
    }
    if (set)
        res = relaxed ? dma_set_relaxed(&W.ctx, addr, byte, len)
                      : dma_set(&W.ctx, addr, byte, len);
    else if (sel & 2)
        res = relaxed ? dma_rw_relaxed(&W.ctx, addr, src, len, DMA_DIR_WRITE)
                      : dma_rw(&W.ctx, addr, src, len, DMA_DIR_WRITE);
    else
        res = relaxed ? dma_write_relaxed(&W.ctx, addr, src, len)
                      : dma_write(&W.ctx, addr, src, len);
    if (verbose)
        fprintf(stderr, "%u: %s%s 0x%llx+%llu = %d (model %d)\n", W.op, set ? "set" : "write",
                relaxed ? "_relaxed" : "", (unsigned long long)addr,
                (unsigned long long)len, res, exp);
    CHECK_RES(res, exp);
    check_state();
}

/* ld/st: 0 u8, 1 le16, 2 le32, 3 le64, 4 be16, 5 be32, 6 be64. */
static const char *const ldst_name[7] = { "u8", "le16", "le32", "le64", "be16", "be32", "be64" };
static const unsigned ldst_size[7] = { 1, 2, 4, 8, 2, 4, 8 };

static uint64_t m_decode(unsigned t, const unsigned char *b)
{
    unsigned n = ldst_size[t], i;
    uint64_t v = 0;
    bool be = t >= 4;
    for (i = 0; i < n; i++)
        v |= (uint64_t)b[be ? n - 1 - i : i] << (8 * i);
    return v;
}

static void m_encode(unsigned t, uint64_t v, unsigned char *b)
{
    unsigned n = ldst_size[t], i;
    bool be = t >= 4;
    for (i = 0; i < n; i++)
        b[be ? n - 1 - i : i] = (unsigned char)(v >> (8 * i));
}

#define LD_CALL(T, fn, c, a, out)                                              \
    do {                                                                       \
        T x_ = 0;                                                              \
        res = fn(c, a, &x_);                                                   \
        out = x_;                                                              \
    } while (0)

#define LD_VARIANTS(T, name)                                                   \
    if (var == 0)                                                              \
        LD_CALL(T, dma_ld_##name, c, addr, got);                               \
    else if (var == 1)                                                         \
        LD_CALL(T, dma_ld_##name##_relaxed, c, addr, got);                     \
    else                                                                       \
        LD_CALL(T, dma_ld_##name##_acquire, c, addr, got)

#define ST_VARIANTS(T, name)                                                   \
    res = var == 0   ? dma_st_##name(c, addr, (T)val)                          \
          : var == 1 ? dma_st_##name##_relaxed(c, addr, (T)val)                \
                     : dma_st_##name##_release(c, addr, (T)val)

static dma_result call_ld(struct dma_ctx *c, unsigned t, unsigned var, uint64_t addr,
                          uint64_t *out)
{
    dma_result res = DMA_OK;
    uint64_t got = 0;
    switch (t) {
    case 0: LD_VARIANTS(uint8_t, u8); break;
    case 1: LD_VARIANTS(uint16_t, le16); break;
    case 2: LD_VARIANTS(uint32_t, le32); break;
    case 3: LD_VARIANTS(uint64_t, le64); break;
    case 4: LD_VARIANTS(uint16_t, be16); break;
    case 5: LD_VARIANTS(uint32_t, be32); break;
    default: LD_VARIANTS(uint64_t, be64); break;
    }
    *out = got;
    return res;
}

static dma_result call_st(struct dma_ctx *c, unsigned t, unsigned var, uint64_t addr,
                          uint64_t val)
{
    dma_result res;
    switch (t) {
    case 0: ST_VARIANTS(uint8_t, u8); break;
    case 1: ST_VARIANTS(uint16_t, le16); break;
    case 2: ST_VARIANTS(uint32_t, le32); break;
    case 3: ST_VARIANTS(uint64_t, le64); break;
    case 4: ST_VARIANTS(uint16_t, be16); break;
    case 5: ST_VARIANTS(uint32_t, be32); break;
    default: ST_VARIANTS(uint64_t, be64); break;
    }
    return res;
}

static void op_ldst(struct rd *in, bool store)
{
    uint8_t sel = u8(in);
    unsigned t = sel % 7, var = sel / 7 % 3, n = ldst_size[t];
    uint64_t addr = gen_addr(in), val = u64(in), got = 0, want;
    uint64_t ones = n == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * n)) - 1;
    dma_dir dir = store ? DMA_DIR_WRITE : DMA_DIR_READ;
    dma_variant v = var == 0 ? DMA_VARIANT_ORDERED
                    : var == 1 ? DMA_VARIANT_RELAXED
                    : store ? DMA_VARIANT_RELEASE : DMA_VARIANT_ACQUIRE;
    unsigned char b[8];
    dma_result res, exp;
    begin(store ? "st" : "ld");
    if (var == 2 && (addr & (n - 1)))
        exp = DMA_ERR_ALIGN;
    else
        exp = m_check(&W, addr, n, dir, var == 2);
    want = ones;
    if (exp == DMA_OK) {
        if (store) {
            m_encode(t, val & ones, b);
            m_apply(&W, addr, n, dir, b, -1, NULL);
        } else {
            m_apply(&W, addr, n, dir, NULL, -1, b);
            want = m_decode(t, b);
        }
        m_access_order(dir, v);
        x_group(dir, v, addr, n, 0, 0, one_device_access(addr, n, dir));
        m_access_post(v);
    }
    if (store)
        res = call_st(&W.ctx, t, var, addr, val & ones);
    else
        res = call_ld(&W.ctx, t, var, addr, &got);
    if (verbose)
        fprintf(stderr, "%u: %s_%s/%u 0x%llx = %d (model %d)\n", W.op, store ? "st" : "ld",
                ldst_name[t], var, (unsigned long long)addr, res, exp);
    CHECK_RES(res, exp);
    if (!store)
        CHECK(got == want, "ld_%s 0x%llx: value 0x%llx, want 0x%llx", ldst_name[t],
              (unsigned long long)addr, (unsigned long long)got, (unsigned long long)want);
    check_state();
}

static void op_record(struct rd *in, bool publish)
{
    uint8_t sel = u8(in);
    uint64_t addr = gen_addr(in);
    size_t len = (sel & 0x80) ? (size_t)gen_len(in, 4096, false) : u8(in) % 65u;
    static const size_t widths[] = { 1, 2, 4, 8, 1, 2, 4, 8, 2, 4, 0, 3, 16, 8, 2, 4 };
    size_t flag_len = widths[u8(in) % 16];
    size_t flag_off = (sel & 0x40) ? u8(in) : (len ? (u8(in) % len) & ~(flag_len - 1) : 0);
    unsigned char *rec = (unsigned char *)xalloc(len), *want = (unsigned char *)xalloc(len);
    bool null_rec = (sel & 0x3f) == 0x3f;
    dma_dir dir = publish ? DMA_DIR_WRITE : DMA_DIR_READ;
    dma_variant v = publish ? DMA_VARIANT_PUBLISH : DMA_VARIANT_CONSUME;
    dma_result res, exp;
    begin(publish ? "publish" : "consume");
    for (size_t i = 0; i < len; i++)
        rec[i] = publish ? rng8() : 0x5a;
    if (null_rec || (flag_len != 1 && flag_len != 2 && flag_len != 4 && flag_len != 8) ||
        flag_off > len || flag_len > len - flag_off)
        exp = DMA_ERR_INVALID;
    else if ((addr + flag_off) & (flag_len - 1))
        exp = DMA_ERR_ALIGN;
    else if ((exp = m_check(&W, addr, len, dir, false)) == DMA_OK)
        exp = m_check(&W, addr + flag_off, flag_len, dir, true);
    if (exp == DMA_OK) {
        size_t tail = flag_off + flag_len;
        uint64_t flag_addr = addr + flag_off;
        m_ordered(&W, dir);
        if (publish) {
            /* Body, then flag: the order matters when the translation
             * aliases two bus bytes onto one guest byte. */
            m_apply(&W, addr, flag_off, dir, rec, -1, NULL);
            m_apply(&W, addr + tail, len - tail, dir, rec + tail, -1, NULL);
            m_apply(&W, flag_addr, flag_len, dir, rec + flag_off, -1, NULL);
            x_group(dir, v, addr, flag_off, addr + tail, len - tail, false);
            x_barrier(DMA_BARRIER_WMB, &W.ctx);
            m_cover(&W, DMA_BARRIER_WMB);
            x_group(dir, v, flag_addr, flag_len, 0, 0, true);
        } else {
            m_apply(&W, addr, len, dir, NULL, -1, want);
            x_group(dir, v, flag_addr, flag_len, 0, 0, true);
            x_barrier(DMA_BARRIER_RMB, &W.ctx);
            m_cover(&W, DMA_BARRIER_RMB);
            x_group(dir, v, addr, flag_off, addr + tail, len - tail, false);
        }
        m_mark(&W, dir);
    } else {
        memset(want, 0xff, len);
    }
    if (publish)
        res = dma_write_publish(&W.ctx, addr, null_rec ? NULL : rec, len, flag_off, flag_len);
    else
        res = dma_read_consume(&W.ctx, addr, null_rec ? NULL : rec, len, flag_off, flag_len);
    if (verbose)
        fprintf(stderr, "%u: %s 0x%llx+%zu flag %zu/%zu = %d (model %d)\n", W.op,
                W.opname, (unsigned long long)addr, len, flag_off, flag_len, res, exp);
    CHECK_RES(res, exp);
    if (!publish && !null_rec)
        CHECK(memcmp(rec, want, len) == 0, "consume: record differs from the model");
    check_state();
}

static void op_barrier(struct rd *in)
{
    uint8_t sel = u8(in);
    begin("barrier");
    if (sel % 7 == 6) {
        enum dma_barrier nb = W.rules->notify;
        struct xitem it;
        W.opname = "notify";
        memset(&it, 0, sizeof it);
        it.type = X_NOTIFY;
        it.b = nb;
        x_add(it);
        if (nb != DMA_BARRIER_NONE) {
            x_barrier(nb, &W.ctx);
            m_cover(&W, nb);
        }
        dma_notify_barrier(&W.ctx);
    } else {
        static const enum dma_barrier kinds[3] = { DMA_BARRIER_MB, DMA_BARRIER_WMB,
                                              DMA_BARRIER_RMB };
        enum dma_barrier b = kinds[sel % 7 % 3];
        x_barrier(b, NULL);
        m_cover(&W, b);
        switch (sel % 7) {
        case 0: odma_mb(); break;
        case 1: odma_wmb(); break;
        case 2: odma_rmb(); break;
        case 3: smp_mb(); break;
        case 4: smp_wmb(); break;
        default: smp_rmb(); break;
        }
    }
    check_state();
}

static void op_map(struct rd *in)
{
    uint8_t sel = u8(in);
    uint64_t addr = gen_addr(in), len = gen_len(in, 0, true), got_len = len, plen = 0;
    dma_dir dir = (sel & 0x30) == 0x30 ? (dma_dir)2 : (dma_dir)(sel & 1);
    bool relaxed = sel & 2, null_res = (sel & 0xc0) == 0xc0;
    dma_result exp = DMA_OK, res = (dma_result)-1;
    struct mbyte first;
    void *p, *want = NULL;
    begin(relaxed ? "map_relaxed" : "map");
    if (len == 0 || (dir != DMA_DIR_READ && dir != DMA_DIR_WRITE))
        exp = DMA_ERR_INVALID;
    else if (!W.master)
        exp = DMA_ERR_DISABLED;
    else if ((u128)addr + len > TOP)
        exp = DMA_ERR_OVERFLOW;
    else {
        m_byte(&W, addr, dir, &first);
        exp = first.err;
        if (exp == DMA_OK && (W.reg[first.reg].flags & DMA_REGION_DEVICE))
            exp = DMA_ERR_INVALID;
        if (exp == DMA_OK && W.nmaps >= ODMA_MAX_MAPS)
            exp = DMA_ERR_INVALID;
    }
    if (exp == DMA_OK) {
        const struct mreg *r = &W.reg[first.reg];
        struct mbyte b;
        for (plen = 1; plen < len; plen++) { /* the longest prefix in one segment */
            m_byte(&W, addr + plen, dir, &b);
            if (b.err != DMA_OK || !same_seg(&first, &b))
                break;
        }
        want = r->host + (first.gpa - r->gpa);
        if (!relaxed)
            x_barrier(DMA_BARRIER_MB, &W.ctx);
        {
            struct xitem it;
            memset(&it, 0, sizeof it);
            it.type = X_MAP;
            it.dir = dir;
            it.addr = addr;
            it.len = plen;
            x_add(it);
        }
        m_unknown(&W);
        if (W.nmaps < MAX_MAPREC) {
            struct maprec *m = &W.maps[W.nmaps++];
            m->host = want;
            m->len = plen;
            m->bus = addr;
            m->dir = dir;
            m->reg = first.reg;
            m->off = first.gpa - r->gpa;
        }
    }
    p = relaxed ? dma_map_relaxed(&W.ctx, addr, &got_len, dir, null_res ? NULL : &res)
                : dma_map(&W.ctx, addr, &got_len, dir, null_res ? NULL : &res);
    if (verbose)
        fprintf(stderr, "%u: map 0x%llx+%llu dir %d = %p+%llu (model %d, +%llu)\n", W.op,
                (unsigned long long)addr, (unsigned long long)len, dir, p,
                (unsigned long long)got_len, exp, (unsigned long long)plen);
    if (!null_res)
        CHECK_RES(res, exp);
    CHECK(p == want && got_len == plen, "map 0x%llx+%llu: %p+%llu, want %p+%llu",
          (unsigned long long)addr, (unsigned long long)len, p, (unsigned long long)got_len,
          want, (unsigned long long)plen);
    check_state();
}

static void op_unmap(struct rd *in)
{
    uint8_t sel = u8(in), a = u8(in);
    struct maprec rec = { NULL, 0, 0, 0, DMA_DIR_READ, -1 };
    struct dma_ctx *c = &W.ctx;
    uint64_t access_len, alen;
    int cand[MAX_MAPREC], ncand = 0, pick = -1;
    unsigned i;
    begin("unmap");
    if (W.nmaps)
        rec = W.maps[u8(in) % W.nmaps];
    else
        rec.host = slot_data(0);
    switch (sel % 12) {
    case 8: rec.len++; break;
    case 9: rec.dir = (dma_dir)!rec.dir; break;
    case 10: rec.host = (unsigned char *)rec.host + 1; break;
    case 11: if (sel & 0x80) rec.host = NULL; else c = NULL; break;
    default: break;
    }
    access_len = a < 200 ? (rec.len ? a % (rec.len + 1) : 0) : a < 240 ? rec.len : rec.len + a;
    if (c && rec.host) {
        for (i = 0; i < W.nmaps; i++)
            if (W.maps[i].host == rec.host && W.maps[i].len == rec.len &&
                W.maps[i].dir == rec.dir)
                cand[ncand++] = (int)i;
        if (!ncand) {
            W.misuses++;
        } else {
            struct xitem it;
            alen = access_len;
            if (alen > rec.len) {
                W.misuses++;
                alen = rec.len;
            }
            pick = cand[0];
            memset(&it, 0, sizeof it);
            it.type = X_UNMAP;
            it.dir = rec.dir;
            it.addr = W.maps[pick].bus;
            it.len = alen;
            x_add(it);
            m_unknown(&W);
            if (rec.dir == DMA_DIR_WRITE)
                for (uint64_t j = 0; j < alen; j++)
                    m_dirty(&W, W.maps[pick].reg,
                            W.reg[W.maps[pick].reg].gpa + W.maps[pick].off + j);
        }
    }
    dma_unmap(c, rec.host, rec.len, rec.dir, access_len);
#if FUZZ_TRACE
    /* Identical maps from different bus addresses: odma may remove any. */
    if (ncand > 1 && tn && tev[0].type == DMA_TRACE_UNMAP) {
        for (i = 0; i < (unsigned)ncand; i++)
            if (W.maps[cand[i]].bus == tev[0].addr)
                pick = cand[i];
        xs[nx - 1].addr = W.maps[pick].bus;
    }
#endif
    if (pick >= 0)
        W.maps[pick] = W.maps[--W.nmaps];
    if (verbose)
        fprintf(stderr, "%u: unmap %p+%llu dir %d access %llu (candidates %d)\n", W.op,
                rec.host, (unsigned long long)rec.len, rec.dir,
                (unsigned long long)access_len, ncand);
    check_state();
}

/* The device model's own accesses through a mapped pointer. */
static void op_map_io(struct rd *in)
{
    uint8_t sel = u8(in);
    const struct maprec *m;
    struct mreg *r;
    uint64_t off, n;
    begin("map_io");
    if (!W.nmaps)
        return;
    m = &W.maps[sel % W.nmaps];
    r = &W.reg[m->reg];
    off = u16(in) % m->len;
    n = 1 + u16(in) % (m->len - off);
    if (m->dir == DMA_DIR_WRITE) {
        unsigned char *p = (unsigned char *)m->host + off;
        for (uint64_t i = 0; i < n; i++)
            p[i] = r->bytes[m->off + off + i] = rng8();
    } else {
        CHECK(memcmp((unsigned char *)m->host + off, r->bytes + m->off + off, n) == 0,
              "bytes through a mapped pointer differ from the model");
    }
    check_state();
}

static void op_master(struct rd *in)
{
    bool on = u8(in) & 1;
    begin("bus_master");
    W.master = on;
    dma_ctx_set_bus_master(&W.ctx, on);
    check_state();
}

static const unsigned shifts[] = { 0, 12, 1, 2, 3, 4, 5, 6, 8, 10, 16, 63, 64, 70 };

static void op_dirty_set(struct rd *in)
{
    uint8_t sel = u8(in), s = u8(in);
    uint64_t gpa = gen_addr(in);
    unsigned shift = shifts[s % 14], eff = shift ? shift : 12;
    struct dma_dirty_log *log = NULL;
    dma_result res, exp = DMA_OK;
    struct mbyte b;
    bool had_hook = W.hook;
    size_t words = 0;
    int reg;
    begin("dirty_set");
    if (W.nreg && (sel & 1)) {
        const struct mreg *r = &W.reg[u8(in) % W.nreg];
        gpa = r->gpa + ((sel & 2) ? r->size - 1 : 0);
    }
    /* The log is set by guest-physical address: look it up without the hook. */
    W.hook = false;
    m_byte(&W, gpa, DMA_DIR_READ, &b);
    W.hook = had_hook;
    reg = b.reg;
    if (reg >= 0) {
        const struct mreg *r = &W.reg[reg];
        u128 pages = eff < 64 ? ((((u128)r->gpa + r->size - 1) >> eff) - (r->gpa >> eff) + 1) : 0;
        switch (sel / 4 % 4) {
        case 0: words = eff < 64 ? (size_t)DMA_DIRTY_WORDS(r->size, eff) : 1; break;
        case 1: words = eff < 64 ? (size_t)((pages + ULBITS - 1) / ULBITS) : 1; break;
        case 2: words = eff < 64 ? (size_t)((pages + ULBITS - 1) / ULBITS) - 1 : 0; break;
        default: words = (size_t)(u8(in) % 4); break;
        }
        if (!(sel & 0x80)) {
            log = (struct dma_dirty_log *)xalloc(sizeof *log);
            log->bits = (sel & 0x70) == 0x70 ? NULL : (unsigned long *)xalloc(words * sizeof(unsigned long));
            if (log->bits)
                memset(log->bits, 0, words * sizeof(unsigned long));
            log->words = words;
            log->page_shift = shift;
        }
        if ((r->flags & DMA_REGION_DEVICE) ||
            (log && (!log->bits || eff >= 64 || pages > (u128)words * ULBITS)))
            exp = DMA_ERR_INVALID;
        if ((sel / 4 % 4) < 2 && log && log->bits && eff < 64 && !(r->flags & DMA_REGION_DEVICE))
            CHECK(exp == DMA_OK, "DMA_DIRTY_WORDS/exact words refused");
    } else {
        exp = DMA_ERR_INVALID;
    }
    res = dma_ctx_set_dirty_log(&W.ctx, gpa, log);
    CHECK_RES(res, exp);
    if (res == DMA_OK) {
        struct mreg *r = &W.reg[reg];
        r->logging = log != NULL;
        r->log = log;
        if (log) {
            r->shift = eff;
            r->words = words;
            r->pages = (unsigned char *)xalloc(words * ULBITS);
            memset(r->pages, 0, words * ULBITS);
        }
    }
    check_state();
}

static void op_harvest(struct rd *in)
{
    uint8_t sel = u8(in);
    struct mreg *r;
    unsigned long *out;
    size_t n, want = 0, i;
    begin("harvest");
    if (!W.nreg)
        return;
    r = &W.reg[sel % W.nreg];
    if (!r->logging)
        return;
    out = (unsigned long *)xalloc(r->words * sizeof *out);
    n = dma_dirty_log_harvest(r->log, out);
    for (i = 0; i < r->words; i++) {
        unsigned long wbits = 0;
        unsigned j;
        for (j = 0; j < ULBITS; j++)
            if (r->pages[i * ULBITS + j])
                wbits |= 1ul << j;
        want += (size_t)__builtin_popcountl(wbits);
        CHECK(out[i] == wbits, "harvest word %zu: 0x%lx, want 0x%lx", i, out[i], wbits);
    }
    CHECK(n == want, "harvest: %zu pages, want %zu", n, want);
    memset(r->pages, 0, r->words * ULBITS);
    check_state();
}

/* NULL and nonsense arguments: INVALID, nothing touched, nothing traced. */
static void op_nulls(struct rd *in)
{
    uint8_t sel = u8(in);
    uint64_t addr = gen_addr(in), len = 1 + u8(in) % 32, l2 = len, v = 0;
    unsigned char buf[32];
    unsigned long out[1];
    dma_result res = DMA_OK, r2 = DMA_OK;
    begin("nulls");
    memset(buf, 0x5a, sizeof buf);
    switch (sel % 14) {
    case 0:
        CHECK_RES(dma_read(NULL, addr, buf, len), DMA_ERR_INVALID);
        for (unsigned i = 0; i < len; i++)
            CHECK(buf[i] == 0xff, "dma_read(NULL ctx) left byte %u", i);
        break;
    case 1: CHECK_RES(dma_write(&W.ctx, addr, NULL, len), DMA_ERR_INVALID); break;
    case 2: CHECK_RES(dma_read_relaxed(&W.ctx, addr, NULL, len), DMA_ERR_INVALID); break;
    case 3: CHECK_RES(dma_ld_le32(&W.ctx, addr, NULL), DMA_ERR_INVALID); break;
    case 4:
        v = 0;
        CHECK_RES(call_ld(NULL, sel / 16 % 7, sel / 128 ? 2 : 0, addr, &v), DMA_ERR_INVALID);
        CHECK(v == (ldst_size[sel / 16 % 7] == 8 ? UINT64_MAX
                    : ((uint64_t)1 << (8 * ldst_size[sel / 16 % 7])) - 1),
              "ld(NULL ctx) value 0x%llx", (unsigned long long)v);
        break;
    case 5: CHECK_RES(call_st(NULL, sel / 16 % 7, 2, addr, 0), DMA_ERR_INVALID); break;
    case 6: CHECK_RES(dma_write_publish(&W.ctx, addr, NULL, 16, 0, 4), DMA_ERR_INVALID); break;
    case 7:
        CHECK_RES(dma_read_consume(NULL, addr, buf, 16, 0, 4), DMA_ERR_INVALID);
        for (unsigned i = 0; i < 16; i++)
            CHECK(buf[i] == 0xff, "consume(NULL ctx) left byte %u", i);
        break;
    case 8:
        CHECK(dma_map(&W.ctx, addr, NULL, DMA_DIR_READ, &res) == NULL, "map(NULL len)");
        CHECK_RES(res, DMA_ERR_INVALID);
        break;
    case 9:
        CHECK(dma_map_relaxed(NULL, addr, &l2, DMA_DIR_WRITE, &res) == NULL && l2 == 0,
              "map(NULL ctx)");
        CHECK_RES(res, DMA_ERR_INVALID);
        break;
    case 10: CHECK_RES(dma_set_relaxed(NULL, addr, 0, len), DMA_ERR_INVALID); break;
    case 11:
        dma_ctx_set_bus_master(NULL, false);
        CHECK(!dma_ctx_bus_master(NULL), "bus_master(NULL)");
        dma_notify_barrier(NULL);
        dma_unmap(NULL, buf, 1, DMA_DIR_READ, 1);
        dma_unmap(&W.ctx, NULL, 1, DMA_DIR_READ, 1);
        CHECK(dma_dirty_log_harvest(NULL, out) == 0, "harvest(NULL)");
        CHECK_RES(dma_ctx_set_dirty_log(NULL, addr, NULL), DMA_ERR_INVALID);
        CHECK(dma_ctx_policy(NULL) == NULL, "policy(NULL)");
        CHECK(dma_ctx_maps_outstanding(NULL) == 0, "maps_outstanding(NULL)");
        CHECK(!dma_ctx_quiesce(NULL, 0), "quiesce(NULL)");
        CHECK_RES(dma_ctx_add_region(NULL, 0, 1, buf, 0), DMA_ERR_INVALID);
        break;
    case 12:
        res = dma_rw(&W.ctx, addr, buf, len, (dma_dir)2);
        r2 = dma_rw_relaxed(&W.ctx, addr, buf, len, (dma_dir)(-1));
        CHECK(res == DMA_ERR_INVALID && r2 == DMA_ERR_INVALID, "rw(bad dir)");
        for (unsigned i = 0; i < len; i++)
            CHECK(buf[i] == 0x5a, "rw(bad dir) touched the buffer");
        break;
    default:
        CHECK_RES(dma_rw(NULL, addr, buf, len, DMA_DIR_READ), DMA_ERR_INVALID);
        for (unsigned i = 0; i < len; i++)
            CHECK(buf[i] == 0xff, "rw(NULL ctx) left byte %u", i);
        break;
    }
    check_state();
}

static void op_quiesce(void)
{
    begin("quiesce");
    CHECK(dma_ctx_quiesce(&W.ctx, 0) == (W.nmaps == 0), "quiesce with %u maps", W.nmaps);
    CHECK(dma_ctx_policy(&W.ctx) == W.pol, "dma_ctx_policy");
    check_state();
}

/* ---------------------------------------------------------------- main */

/* The named policies as DESIGN.md states them, independent of odma's table. */
#define N_ DMA_BARRIER_NONE
#define R_ DMA_BARRIER_RMB
#define W_ DMA_BARRIER_WMB
#define M_ DMA_BARRIER_MB
static const struct dma_policy model_policies[4] = {
    /*             R->R R->W   W->R W->W   notify */
    { "strict", { { R_, R_ }, { M_, W_ } }, M_ },
    { "pcie", { { N_, N_ }, { M_, W_ } }, M_ },
    { "pcie-relaxed", { { N_, N_ }, { M_, N_ } }, M_ },
    { "none", { { N_, N_ }, { N_, N_ } }, N_ },
};
#undef N_
#undef R_
#undef W_
#undef M_

static void reset_world(void)
{
    unsigned i;
    for (i = 0; i < W.nallocs; i++)
        free(W.allocs[i]);
    memset(&W, 0, sizeof W);
}

/* A context of its own, used once per input to make the previous access
 * "unknown" through the public API (map, unmap). */
static void forget_previous_access(void)
{
    static struct dma_ctx scratch;
    static _Alignas(8) unsigned char ram[8];
    uint64_t len = 8;
    void *p;
    dma_ctx_init(&scratch, NULL);
    if (dma_ctx_add_region(&scratch, 0, 8, ram, 0) != DMA_OK)
        abort();
    p = dma_map_relaxed(&scratch, 0, &len, DMA_DIR_READ, NULL);
    if (!p)
        abort();
    dma_unmap(&scratch, p, len, DMA_DIR_READ, 0);
}

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    struct rd in = { data, size };
    uint8_t head = u8(&in), ps = u8(&in);
    static const enum dma_barrier bar[4] = { DMA_BARRIER_NONE, DMA_BARRIER_RMB, DMA_BARRIER_WMB,
                                        DMA_BARRIER_MB };
    const struct dma_policy *init_pol;
    arena_init();
    reset_world();
    fuzz_misuses = 0;
    rng_state = 0x9e3779b97f4a7c15ull ^ ((uint64_t)head << 32) ^ size;
    switch (ps % 6) {
    case 0: init_pol = DMA_POLICY_STRICT; W.rules = &model_policies[0]; break;
    case 1: init_pol = DMA_POLICY_PCIE; W.rules = &model_policies[1]; break;
    case 2: init_pol = DMA_POLICY_PCIE_RELAXED; W.rules = &model_policies[2]; break;
    case 3: init_pol = DMA_POLICY_NONE; W.rules = &model_policies[3]; break;
    case 4: init_pol = NULL; W.rules = &model_policies[0]; break;
    default: {
        uint8_t a = u8(&in), b = u8(&in);
        W.custom.name = "fuzz";
        W.custom.order[0][0] = bar[a & 3];
        W.custom.order[0][1] = bar[(a >> 2) & 3];
        W.custom.order[1][0] = bar[(a >> 4) & 3];
        W.custom.order[1][1] = bar[(a >> 6) & 3];
        W.custom.notify = bar[b & 3];
        init_pol = &W.custom;
        W.rules = &W.custom;
        break;
    }
    }
    W.pol = init_pol ? init_pol : DMA_POLICY_STRICT;
    dma_ctx_init(&W.ctx, init_pol);
    W.master = true;
    add_point(0);
    add_point(UINT64_MAX);
    build_regions(&in);
    build_translation(&in);
    if (head & 1) {
        forget_previous_access();
        m_unknown(&W);
    } else {
        odma_mb();
    }
    for (W.op = 0; W.op < MAX_OPS && in.n; W.op++) {
        uint8_t op = u8(&in);
        switch (op % 20) {
        case 0: case 1: op_read(&in); break;
        case 2: case 3: op_write(&in, false); break;
        case 4: op_write(&in, true); break;
        case 5: case 6: op_ldst(&in, false); break;
        case 7: case 8: op_ldst(&in, true); break;
        case 9: op_record(&in, true); break;
        case 10: op_record(&in, false); break;
        case 11: op_barrier(&in); break;
        case 12: op_map(&in); break;
        case 13: op_unmap(&in); break;
        case 14: op_map_io(&in); break;
        case 15: op_master(&in); break;
        case 16: op_dirty_set(&in); break;
        case 17: op_harvest(&in); break;
        case 18: op_nulls(&in); break;
        default: op_quiesce(); break;
        }
    }
    W.opname = "end";
    check_memory(true);
    for (int r = 0; r <= (int)DMA_ERR_INVALID + 1; r++)
        CHECK(dma_result_str((dma_result)r) != NULL, "dma_result_str(%d)", r);
#if FUZZ_TRACE
    trec = false;
#endif
    return 0;
}

#if FUZZ_TRACE
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Bit 7 of the first byte: check the untraced build instead. */
    if (size && (data[0] & 0x80))
        return fuzz_one_plain(data, size);
    return fuzz_one_traced(data, size);
}
#endif
