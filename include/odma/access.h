/* SPDX-License-Identifier: MIT */
/*
 * odma/access.h - bulk guest memory accessors.
 *
 *   dma_read (ctx, addr, buf, len)        guest -> buf, raw bytes
 *   dma_write(ctx, addr, buf, len)        buf -> guest
 *   dma_rw   (ctx, addr, buf, len, dir)   either, by direction
 *   dma_set  (ctx, addr, byte, len)       fill guest memory
 *   ..._relaxed                           same, no barrier (still tracked)
 *
 * Ordered forms issue the policy's barrier before the access (odma/order.h).
 *
 * A read or write of exactly 1, 2, 4 or 8 bytes at a naturally aligned
 * address inside one RAM region is single-copy atomic: one host access,
 * never torn (a relaxed C11 atomic). Anything else is a memcpy, with no
 * promise about the order in which its bytes land; treat it as one access.
 *
 * In a DMA_REGION_DEVICE region (see odma/ctx.h) a bulk access becomes
 * naturally aligned accesses of at most 4 bytes, each done once, in
 * ascending address order; with DMA_REGION_PREFETCHABLE, of at most 8.
 * Each is one plain volatile access, and the barriers between them and
 * any other access are I/O barriers (odma/barrier.h).
 *
 * Errors: see odma/result.h. len 0 succeeds, issues no barrier and touches
 * nothing (buf may then be NULL); with bus mastering off it fails too.
 * A failed read fills all of buf with 0xFF.
 */
#ifndef ODMA_ACCESS_H
#define ODMA_ACCESS_H

#include "dirty.h"
#include "order.h"

/*
 * x86: a 1, 2, 4 or 8-byte access is one volatile access of an unaligned
 * type, whatever the address: one `mov`, single-copy atomic when aligned
 * (Intel SDM vol. 3 8.1.1, AMD APM vol. 2 7.3.2) and an ordinary unaligned
 * access otherwise - what the relaxed atomic below compiles to, without
 * the alignment test and the second copy of the access that the test
 * costs on the fast path. It is also what QEMU's and Linux's READ_ONCE-
 * style accessors do. ThreadSanitizer builds keep the C11 atomics (TSan
 * knows those); so does every other architecture, where an unaligned
 * access is several instructions or a trap.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/* gcc: the same `mov`, spelled as a relaxed __atomic builtin on the
 * unaligned type. gcc expands those inline for 1-8 bytes on x86-64 (one
 * `mov`, any alignment), and, unlike a volatile access, lets the address
 * arithmetic fold into the instruction's addressing mode: its combiner
 * leaves volatile memory operands alone, which costs one `add` per access
 * (measured: a loop of relaxed 4-byte stores, 18 -> 17 instructions). Not
 * for clang, which would call libatomic for an under-aligned type, and
 * folds the volatile access anyway. */
#define ODMA__X86_LOAD(p) __atomic_load_n(p, __ATOMIC_RELAXED)
#define ODMA__X86_STORE(p, v) __atomic_store_n(p, v, __ATOMIC_RELAXED)
#define ODMA__X86_QUAL
#else
#define ODMA__X86_LOAD(p) (*(p))
#define ODMA__X86_STORE(p, v) (*(p) = (v))
#define ODMA__X86_QUAL volatile
#endif
#define ODMA__MOVE_VOLATILE(T)                                                \
    if (len == sizeof(T)) {                                                   \
        typedef T __attribute__((__aligned__(1), __may_alias__)) odma__u_;    \
        ODMA__X86_QUAL odma__u_ *p_ = (ODMA__X86_QUAL odma__u_ *)(void *)host; \
        T v_;                                                                 \
        if (dir == DMA_DIR_READ) {                                            \
            v_ = ODMA__X86_LOAD(p_);                                          \
            memcpy(buf, &v_, sizeof(T));                                      \
        } else {                                                              \
            memcpy(&v_, buf, sizeof(T));                                      \
            ODMA__X86_STORE(p_, v_);                                          \
        }                                                                     \
        return;                                                               \
    }

/*
 * Move len bytes between buf and RAM at host (guest address gpa). One
 * atomic access where the size and alignment allow; set_byte >= 0 fills.
 */
static inline __attribute__((__always_inline__)) void
odma__ram_move(unsigned char *host, void *buf, size_t len, dma_dir dir,
               uint64_t gpa, int set_byte)
{
    if (set_byte >= 0) {
        memset(host, set_byte, len);
        return;
    }
#if (defined(__x86_64__) || defined(__i386__)) && !defined(ODMA__TSAN)
    (void)gpa;
    ODMA__MOVE_VOLATILE(uint8_t)
    ODMA__MOVE_VOLATILE(uint16_t)
    ODMA__MOVE_VOLATILE(uint32_t)
    ODMA__MOVE_VOLATILE(uint64_t)
#endif
#undef ODMA__MOVE_VOLATILE
#undef ODMA__X86_LOAD
#undef ODMA__X86_STORE
#undef ODMA__X86_QUAL
#define ODMA__MOVE_ATOMIC(T)                                                  \
    if (len == sizeof(T) && !(gpa & (sizeof(T) - 1))) {                       \
        ODMA__ATOMIC(T) *p_ = (ODMA__ATOMIC(T) *)(void *)host;                \
        T v_;                                                                 \
        if (dir == DMA_DIR_READ) {                                            \
            v_ = ODMA__LOAD(p_, ODMA__MO_GUEST_LOAD);                         \
            memcpy(buf, &v_, sizeof(T));                                      \
        } else {                                                              \
            memcpy(&v_, buf, sizeof(T));                                      \
            ODMA__STORE(p_, v_, ODMA__MO_GUEST_STORE);                        \
        }                                                                     \
        return;                                                               \
    }
    ODMA__MOVE_ATOMIC(uint8_t)
    ODMA__MOVE_ATOMIC(uint16_t)
    ODMA__MOVE_ATOMIC(uint32_t)
    ODMA__MOVE_ATOMIC(uint64_t)
#undef ODMA__MOVE_ATOMIC
    if (dir == DMA_DIR_READ)
        memcpy(buf, host, len);
    else
        memcpy(host, buf, len);
}

/*
 * One access to device memory: a plain volatile load or store of exactly
 * w (1, 2, 4 or 8) bytes, naturally aligned. Never an atomic: compilers
 * turn some of those into AMOs (riscv64 gcc: amoswap.w for a 4-byte
 * store) or exclusive pairs (armhf: ldrexd/strexd for 8 bytes), which
 * fault or read-modify-write on device memory; never a library copy
 * (memcpy/memset use unaligned or cache-zeroing instructions: SIGBUS on
 * Device-nGnRnE, which is how VFIO maps BARs on Arm). make codegen checks
 * the instructions on every architecture and compiler.
 */
static inline uint64_t odma__dev_load(const unsigned char *host, unsigned w)
{
    if (w == 8)
        return *(const volatile uint64_t *)(const void *)host;
    if (w == 4)
        return *(const volatile uint32_t *)(const void *)host;
    if (w == 2)
        return *(const volatile uint16_t *)(const void *)host;
    return *(const volatile uint8_t *)host;
}

static inline void odma__dev_store(unsigned char *host, uint64_t x, unsigned w)
{
    if (w == 8)
        *(volatile uint64_t *)(void *)host = x;
    else if (w == 4)
        *(volatile uint32_t *)(void *)host = (uint32_t)x;
    else if (w == 2)
        *(volatile uint16_t *)(void *)host = (uint16_t)x;
    else
        *(volatile uint8_t *)host = (uint8_t)x;
}

/* w bytes of buf as the value a w-byte access stores, and back (host order). */
static inline uint64_t odma__buf_get(const unsigned char *buf, unsigned w)
{
    uint64_t q;
    uint32_t l;
    uint16_t h;
    if (w == 8)
        return memcpy(&q, buf, 8), q;
    if (w == 4)
        return memcpy(&l, buf, 4), l;
    if (w == 2)
        return memcpy(&h, buf, 2), h;
    return buf[0];
}

static inline void odma__buf_put(unsigned char *buf, uint64_t x, unsigned w)
{
    uint32_t l = (uint32_t)x;
    uint16_t h = (uint16_t)x;
    if (w == 8)
        memcpy(buf, &x, 8);
    else if (w == 4)
        memcpy(buf, &l, 4);
    else if (w == 2)
        memcpy(buf, &h, 2);
    else
        buf[0] = (unsigned char)x;
}

/*
 * A device region: naturally aligned accesses of at most `max` bytes (4;
 * 8 where PREFETCHABLE allows merging), each exactly once, in ascending
 * order. A plain region reports each as one trace event; a prefetchable
 * one reports the whole segment as one.
 */
ODMA__SLOW void odma__device_move(const struct dma_ctx *ctx, unsigned char *host,
                                  unsigned char *buf, uint64_t len, dma_dir dir,
                                  uint64_t addr, uint64_t gpa, int set_byte, dma_variant v,
                                  unsigned *tflags, unsigned max)
{
    uint64_t fill = set_byte >= 0 ? (uint8_t)set_byte * 0x0101010101010101ull : 0;
    uint64_t first = addr, total = len;
    while (len) {
        unsigned w = max;
        while (w > len || (gpa & (w - 1)))
            w >>= 1;
        if (dir == DMA_DIR_READ)
            odma__buf_put(buf, odma__dev_load(host, w), w);
        else
            odma__dev_store(host, set_byte >= 0 ? fill : odma__buf_get(buf, w), w);
        if (max <= 4) {
            odma__trace(DMA_TRACE_ACCESS, dir, DMA_BARRIER_NONE, v,
                        *tflags | DMA_TRACE_DEVICE, ctx, addr, w);
            *tflags = DMA_TRACE_CONTINUED;
        }
        host += w;
        if (set_byte < 0)
            buf += w;
        addr += w;
        gpa += w;
        len -= w;
    }
    if (max > 4) {
        odma__trace(DMA_TRACE_ACCESS, dir, DMA_BARRIER_NONE, v, *tflags | DMA_TRACE_DEVICE,
                    ctx, first, total);
        *tflags = DMA_TRACE_CONTINUED;
    }
}

/* Does [addr, addr + len) wrap past 2^64? (len > 0) */
static inline bool odma__wraps(uint64_t addr, uint64_t len)
{
    return len - 1 > UINT64_MAX - addr;
}

/*
 * Check every byte of bus range [addr, addr + len) for an access of
 * direction dir, lowest address first. Nothing is touched. With `single`,
 * the access promises atomicity, so it must be one segment, naturally
 * aligned in guest-physical space too (a translate hook may move it) and,
 * in a device region, one device access (at most 4 bytes unless
 * prefetchable); if not, DMA_ERR_ALIGN, but only once every byte passed
 * (odma/result.h). *dev (if not NULL) is set when a segment lies in a
 * device region: the access's barriers are then the I/O form.
 */
ODMA__SLOW dma_result odma__check_in(struct dma_ctx *ctx, struct odma__view *v, uint64_t addr,
                                     uint64_t len, dma_dir dir, dma_attrs attrs, bool single,
                                     bool *dev)
{
    uint64_t total = len;
    bool straddles = false; /* reported after every byte's own error */
    if (odma__wraps(addr, len))
        return DMA_ERR_OVERFLOW;
    while (len) {
        struct odma__seg seg;
        dma_result res = odma__segment(ctx, v, addr, len, dir, attrs, &seg);
        if (res != DMA_OK)
            return res;
        if (dev && (seg.region->flags & DMA_REGION_DEVICE))
            *dev = true;
        if (single && (seg.len != total || (seg.gpa & (total - 1)) ||
                       ((seg.region->flags & DMA_REGION_DEVICE) &&
                        !(seg.region->flags & DMA_REGION_PREFETCHABLE) && total > 4)))
            straddles = true;
        addr += seg.len;
        len -= seg.len;
    }
    return straddles ? DMA_ERR_ALIGN : DMA_OK;
}

/* The same in the current table (a check with no move after it). */
static inline dma_result odma__check_range(struct dma_ctx *ctx, uint64_t addr, uint64_t len,
                                           dma_dir dir, dma_attrs attrs, bool single, bool *dev)
{
    return odma__check_in(ctx, odma__view_now(ctx), addr, len, dir, attrs, single, dev);
}

/*
 * Move a range that odma__check_in() accepted in table v, segment by segment, and
 * report it: one event per run of RAM segments (contiguous in bus space),
 * one per device access. The first event carries `tflags`, later ones
 * DMA_TRACE_CONTINUED. Written RAM pages are marked dirty as they land.
 */
ODMA__SLOW void odma__move_range(struct dma_ctx *ctx, struct odma__view *view, uint64_t addr,
                                 void *buf, uint64_t len, dma_dir dir, dma_attrs attrs,
                                 int set_byte, dma_variant v, unsigned tflags)
{
    unsigned char *b = (unsigned char *)buf;
    uint64_t run_addr = addr, run_len = 0;
    while (len) {
        struct odma__seg seg;
        if (odma__segment(ctx, view, addr, len, dir, attrs, &seg) != DMA_OK)
            break; /* the translate hook changed its answer since the check */
        if (seg.region->flags & DMA_REGION_DEVICE) {
            if (run_len)
                odma__trace(DMA_TRACE_ACCESS, dir, DMA_BARRIER_NONE, v, tflags, ctx,
                            run_addr, run_len);
            if (run_len)
                tflags = DMA_TRACE_CONTINUED;
            run_len = 0;
            odma__device_move(ctx, seg.host, b, seg.len, dir, addr, seg.gpa, set_byte, v,
                              &tflags,
                              seg.region->flags & DMA_REGION_PREFETCHABLE ? 8u : 4u);
        } else {
            odma__ram_move(seg.host, b, (size_t)seg.len, dir, seg.gpa, set_byte);
            if (dir == DMA_DIR_WRITE)
                odma__mark_dirty(seg.region, seg.gpa, seg.len);
            if (!run_len)
                run_addr = addr;
            run_len += seg.len;
        }
        if (b)
            b += seg.len;
        addr += seg.len;
        len -= seg.len;
    }
    if (run_len)
        odma__trace(DMA_TRACE_ACCESS, dir, DMA_BARRIER_NONE, v, tflags, ctx, run_addr, run_len);
}

/* A failed read leaves master-abort bytes, never stale host data. */
static inline dma_result odma__fail(dma_result res, void *buf, size_t len, dma_dir dir)
{
    if (dir == DMA_DIR_READ && buf)
        memset(buf, 0xff, len);
    return res;
}

/* Bus mastering off? (Checked by every slow path; the fast path's gate
 * test already covers it.) */
static inline bool odma__disabled(const struct dma_ctx *ctx)
{
    return !(ODMA__LOAD(&ctx->gate, ODMA__MO_RELAXED) & ODMA__GATE_MASTER);
}

ODMA__SLOW dma_result odma__access_slow_attrs(struct dma_ctx *ctx, uint64_t addr, void *buf,
                                              size_t len, dma_dir dir, dma_variant v,
                                              int set_byte, dma_attrs attrs)
{
    bool single = v == DMA_VARIANT_ACQUIRE || v == DMA_VARIANT_RELEASE, dev = false;
    struct odma__view *view = odma__view_now(ctx);
    dma_result res = odma__disabled(ctx) ? DMA_ERR_DISABLED
                     : len == 0          ? DMA_OK
                                         : odma__check_in(ctx, view, addr, len, dir, attrs,
                                                          single, &dev);
    if (res != DMA_OK || len == 0)
        return odma__fail(res, buf, len, dir);
    odma__order_pre(ctx, dir, v, dev);
    odma__move_range(ctx, view, addr, buf, len, dir, attrs, set_byte, v, 0);
    odma__order_post(ctx, v, dev);
    return DMA_OK;
}

ODMA__SLOW dma_result odma__access_slow(struct dma_ctx *ctx, uint64_t addr, void *buf,
                                        size_t len, dma_dir dir, dma_variant v,
                                        int set_byte)
{
    return odma__access_slow_attrs(ctx, addr, buf, len, dir, v, set_byte, ctx->attrs);
}

/*
 * The fast path alone: the hinted region holds the whole access, which is
 * then done here (true); else nothing happened (false) and the caller
 * takes a slow path. Either way *rp is the hinted region and *offp is
 * addr's offset into it (modulo 2^64): rp->gpa + *offp is addr again.
 * The typed accessors hand those two, not addr, to their slow calls, so
 * that addr is dead once the offset is computed and x86 can subtract in
 * place (keeping addr alive costs a register copy per access). ctx is
 * not NULL.
 */
static inline __attribute__((__always_inline__)) bool
odma__access_fast_unlogged(struct dma_ctx *ctx, uint64_t addr, void *buf, size_t len,
                           dma_dir dir, dma_variant v, int set_byte, struct dma_region **rp,
                           uint64_t *offp)
{
    struct dma_region *r;
    unsigned char *base;
    bool hit = odma__hot_region(ctx, addr, len, dir, &r);
    *rp = r;
    *offp = addr - r->gpa;
    if (ODMA__UNLIKELY(!hit || len == 0))
        return false;
    /* Loaded before the barrier, which is also a compiler barrier: after
     * it, the region's fields would be loaded a second time. The add is
     * left until after it, where it can fold into the access's address. */
    base = r->host;
    odma__order_pre(ctx, dir, v, false);
    odma__ram_move(base + *offp, buf, len, dir, addr, set_byte);
    odma__trace(DMA_TRACE_ACCESS, dir, DMA_BARRIER_NONE, v, 0, ctx, addr, len);
    odma__order_post(ctx, v, false);
    return true;
}

/* The fast path: false where the slow path must serve the access. A
 * write marks the dirty log after its data landed (odma/dirty.h). */
static inline __attribute__((__always_inline__)) bool
odma__access_fast(struct dma_ctx *ctx, uint64_t addr, void *buf, size_t len, dma_dir dir,
                  dma_variant v, int set_byte)
{
    struct dma_region *r;
    uint64_t off;
    if (!odma__access_fast_unlogged(ctx, addr, buf, len, dir, v, set_byte, &r, &off))
        return false;
    if (dir == DMA_DIR_WRITE)
        odma__mark_dirty(r, addr, len);
    return true;
}

/*
 * Every single-range accessor comes here. Inlined into each caller, so a
 * constant len and variant fold away: the common case is the gate and
 * hinted region's bounds check, the policy lookup, and the access itself.
 */
static inline __attribute__((__always_inline__)) dma_result
odma__access(struct dma_ctx *ctx, uint64_t addr, void *buf, size_t len, dma_dir dir,
             dma_variant v, int set_byte)
{
    if (ODMA__UNLIKELY(!ctx))
        return odma__fail(DMA_ERR_INVALID, buf, len, dir);
    if (ODMA__UNLIKELY(!buf && set_byte < 0 && len))
        return DMA_ERR_INVALID;
    if (ODMA__LIKELY(odma__access_fast(ctx, addr, buf, len, dir, v, set_byte)))
        return DMA_OK;
    return odma__access_slow(ctx, addr, buf, len, dir, v, set_byte);
}

ODMA__ACCESSOR dma_result odma_read(struct dma_ctx *ctx, uint64_t addr, void *buf, size_t len)
{
    return odma__access(ctx, addr, buf, len, DMA_DIR_READ, DMA_VARIANT_ORDERED, -1);
}

ODMA__ACCESSOR dma_result odma_read_relaxed(struct dma_ctx *ctx, uint64_t addr, void *buf,
                                          size_t len)
{
    return odma__access(ctx, addr, buf, len, DMA_DIR_READ, DMA_VARIANT_RELAXED, -1);
}

/* buf is not written through; the cast only shares one code path. */
ODMA__ACCESSOR dma_result odma_write(struct dma_ctx *ctx, uint64_t addr, const void *buf,
                                   size_t len)
{
    return odma__access(ctx, addr, (void *)(uintptr_t)buf, len, DMA_DIR_WRITE,
                        DMA_VARIANT_ORDERED, -1);
}

ODMA__ACCESSOR dma_result odma_write_relaxed(struct dma_ctx *ctx, uint64_t addr,
                                           const void *buf, size_t len)
{
    return odma__access(ctx, addr, (void *)(uintptr_t)buf, len, DMA_DIR_WRITE,
                        DMA_VARIANT_RELAXED, -1);
}

ODMA__ACCESSOR dma_result odma_rw(struct dma_ctx *ctx, uint64_t addr, void *buf, size_t len,
                                dma_dir dir)
{
    if (dir == DMA_DIR_READ)
        return odma_read(ctx, addr, buf, len);
    if (dir == DMA_DIR_WRITE)
        return odma_write(ctx, addr, buf, len);
    return DMA_ERR_INVALID;
}

ODMA__ACCESSOR dma_result odma_rw_relaxed(struct dma_ctx *ctx, uint64_t addr, void *buf,
                                        size_t len, dma_dir dir)
{
    if (dir == DMA_DIR_READ)
        return odma_read_relaxed(ctx, addr, buf, len);
    if (dir == DMA_DIR_WRITE)
        return odma_write_relaxed(ctx, addr, buf, len);
    return DMA_ERR_INVALID;
}

/* One ordered access with attributes other than the context's (they
 * reach a translate hook; without one this is dma_rw()). */
static inline dma_result odma_rw_attrs(struct dma_ctx *ctx, uint64_t addr, void *buf,
                                       size_t len, dma_dir dir, dma_attrs attrs)
{
    if (!ctx || (dir != DMA_DIR_READ && dir != DMA_DIR_WRITE))
        return odma__fail(DMA_ERR_INVALID, buf, len, dir);
    if (!buf && len)
        return DMA_ERR_INVALID;
    if (!ctx->translate_attrs)
        return odma__access(ctx, addr, buf, len, dir, DMA_VARIANT_ORDERED, -1);
    return odma__access_slow_attrs(ctx, addr, buf, len, dir, DMA_VARIANT_ORDERED, -1, attrs);
}

/* Fill with (unsigned char)byte. A write for ordering purposes. */
ODMA__ACCESSOR dma_result odma_set(struct dma_ctx *ctx, uint64_t addr, int byte, size_t len)
{
    return odma__access(ctx, addr, NULL, len, DMA_DIR_WRITE, DMA_VARIANT_ORDERED,
                        (int)(unsigned char)byte);
}

ODMA__ACCESSOR dma_result odma_set_relaxed(struct dma_ctx *ctx, uint64_t addr, int byte,
                                         size_t len)
{
    return odma__access(ctx, addr, NULL, len, DMA_DIR_WRITE, DMA_VARIANT_RELAXED,
                        (int)(unsigned char)byte);
}

#endif /* ODMA_ACCESS_H */
