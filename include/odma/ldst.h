/* SPDX-License-Identifier: MIT */
/*
 * odma/ldst.h - typed loads and stores in an explicit guest byte order.
 *
 *   dma_ld_u8, dma_ld_{le,be}{16,32,64}(ctx, addr, &val)
 *   dma_st_u8, dma_st_{le,be}{16,32,64}(ctx, addr, val)
 *   each + _relaxed; loads + _acquire (load, then rmb);
 *   stores + _release (wmb, then store)
 *
 * Values are converted between the named guest byte order and the host's.
 * Aligned loads and stores inside one RAM region are single-copy atomic
 * (one relaxed C11 atomic access; on x86 one volatile `mov`, which the
 * hardware makes atomic when aligned: see odma__ram_move()); unaligned
 * ones are allowed but not atomic, and may cross into an adjacent region. _acquire and _release
 * promise atomicity, so they fail with DMA_ERR_ALIGN when the address is
 * not naturally aligned or the access would straddle two regions (or
 * translation spans, or be translated to a misaligned guest address).
 *
 * A failed load stores all-ones in *val (the master-abort value).
 */
#ifndef ODMA_LDST_H
#define ODMA_LDST_H

#include "access.h"

static inline uint8_t odma__order_u8(uint8_t v) { return v; }
#if ODMA__HOST_BIG_ENDIAN
static inline uint16_t odma__order_le16(uint16_t v) { return __builtin_bswap16(v); }
static inline uint32_t odma__order_le32(uint32_t v) { return __builtin_bswap32(v); }
static inline uint64_t odma__order_le64(uint64_t v) { return __builtin_bswap64(v); }
static inline uint16_t odma__order_be16(uint16_t v) { return v; }
static inline uint32_t odma__order_be32(uint32_t v) { return v; }
static inline uint64_t odma__order_be64(uint64_t v) { return v; }
#else
static inline uint16_t odma__order_le16(uint16_t v) { return v; }
static inline uint32_t odma__order_le32(uint32_t v) { return v; }
static inline uint64_t odma__order_le64(uint64_t v) { return v; }
static inline uint16_t odma__order_be16(uint16_t v) { return __builtin_bswap16(v); }
static inline uint32_t odma__order_be32(uint32_t v) { return __builtin_bswap32(v); }
static inline uint64_t odma__order_be64(uint64_t v) { return __builtin_bswap64(v); }
#endif

/*
 * The typed accessors' slow paths take and return the value itself, not
 * a pointer to it: the caller's copy then never has its address taken and
 * stays in a register on the fast path (no stack frame, no store and
 * reload of the value around the access).
 */
static inline __attribute__((__always_inline__)) uint64_t odma__raw_get(const void *raw, size_t n)
{
    uint8_t b;
    uint16_t h;
    uint32_t w;
    uint64_t q;
    if (n == 1)
        return memcpy(&b, raw, 1), b;
    if (n == 2)
        return memcpy(&h, raw, 2), h;
    if (n == 4)
        return memcpy(&w, raw, 4), w;
    return memcpy(&q, raw, 8), q;
}

static inline __attribute__((__always_inline__)) void odma__raw_put(void *raw, uint64_t v, size_t n)
{
    uint8_t b = (uint8_t)v;
    uint16_t h = (uint16_t)v;
    uint32_t w = (uint32_t)v;
    if (n == 1)
        memcpy(raw, &b, 1);
    else if (n == 2)
        memcpy(raw, &h, 2);
    else if (n == 4)
        memcpy(raw, &w, 4);
    else
        memcpy(raw, &v, 8);
}

struct odma__ld_slow {
    uint64_t val;
    dma_result res;
};

/*
 * A typed access's slow call gets the address as the fast path left it:
 * the hinted region r and the offset off into it (r NULL: off is the
 * address). See odma__access_fast_unlogged() for why not the address
 * itself. how packs the constants: bytes, variant, and for a store
 * whether it already happened (ODMA__HOW_DONE).
 */
#define ODMA__HOW(n, v) ((unsigned)(n) | ((unsigned)(v) << 4))
#define ODMA__HOW_DONE 0x100u

static inline uint64_t odma__slow_addr(const struct dma_region *r, uint64_t off)
{
    return r ? r->gpa + off : off;
}

ODMA__SLOW struct odma__ld_slow odma__load_slow(struct dma_ctx *ctx, uint64_t off,
                                                unsigned how, const struct dma_region *r)
{
    struct odma__ld_slow out;
    uint64_t raw = 0;
    size_t n = how & 15u;
    out.res = odma__access(ctx, odma__slow_addr(r, off), &raw, n, DMA_DIR_READ,
                           (dma_variant)((how >> 4) & 15u), -1);
    out.val = odma__raw_get(&raw, n);
    return out;
}

/*
 * A typed store's one out-of-line call, for two cases: the fast path
 * could not serve the store (the whole slow path), or it stored into
 * region r and then found its dirty log on (ODMA__HOW_DONE: the
 * marking). One call site is what lets the compiler set up the stack
 * frame for the call only on that unlikely branch, not on every store.
 * (off and val come second and third, where a caller's addr and val
 * arrive: no register moves on the way.)
 */
ODMA__SLOW dma_result odma__store_slow(struct dma_ctx *ctx, uint64_t off, uint64_t val,
                                       unsigned how, struct dma_region *r)
{
    uint64_t raw = 0, addr = odma__slow_addr(r, off);
    size_t n = how & 15u;
    if (how & ODMA__HOW_DONE) {
        odma__mark_dirty_slow(r, addr, n);
        return DMA_OK;
    }
    odma__raw_put(&raw, val, n);
    return odma__access(ctx, addr, &raw, n, DMA_DIR_WRITE, (dma_variant)((how >> 4) & 15u),
                        -1);
}

static inline __attribute__((__always_inline__)) dma_result
odma__load(struct dma_ctx *ctx, uint64_t addr, void *raw, size_t n, dma_variant v)
{
    struct odma__ld_slow s;
    struct dma_region *r = NULL;
    uint64_t off = addr;
    if (ctx && v == DMA_VARIANT_ACQUIRE && (addr & (n - 1)))
        return odma__fail(DMA_ERR_ALIGN, raw, n, DMA_DIR_READ);
    if (ODMA__LIKELY(ctx != NULL) &&
        ODMA__LIKELY(odma__access_fast_unlogged(ctx, addr, raw, n, DMA_DIR_READ, v, -1, &r,
                                                &off)))
        return DMA_OK;
    s = odma__load_slow(ctx, off, ODMA__HOW(n, v), r);
    odma__raw_put(raw, s.val, n);
    return s.res;
}

static inline __attribute__((__always_inline__)) dma_result
odma__store(struct dma_ctx *ctx, uint64_t addr, void *raw, size_t n, dma_variant v)
{
    struct dma_region *r = NULL;
    uint64_t off = addr;
    unsigned how = ODMA__HOW(n, v);
    if (ctx && v == DMA_VARIANT_RELEASE && (addr & (n - 1)))
        return DMA_ERR_ALIGN;
    if (ODMA__LIKELY(ctx != NULL) &&
        ODMA__LIKELY(odma__access_fast_unlogged(ctx, addr, raw, n, DMA_DIR_WRITE, v, -1, &r,
                                                &off))) {
        if (ODMA__LIKELY(!odma__dirty_on(r)))
            return DMA_OK;
        how |= ODMA__HOW_DONE;
    }
    return odma__store_slow(ctx, off, odma__raw_get(raw, n), how, r);
}

#define ODMA__LD(name, T, sfx, variant)                                       \
    ODMA__ACCESSOR dma_result odma_ld_##name##sfx(struct dma_ctx *ctx,        \
                                                  uint64_t addr, T *val)      \
    {                                                                         \
        T raw_;                                                               \
        dma_result res_;                                                      \
        if (!val)                                                             \
            return DMA_ERR_INVALID;                                           \
        res_ = odma__load(ctx, addr, &raw_, sizeof(T), variant);              \
        *val = odma__order_##name(raw_);                                      \
        return res_;                                                          \
    }                                                                         \
    ODMA__SHORT_NAME(dma_result dma_ld_##name##sfx(struct dma_ctx *ctx,       \
                                                   uint64_t addr, T *val)     \
                     { return odma_ld_##name##sfx(ctx, addr, val); })
#define ODMA__ST(name, T, sfx, variant)                                       \
    ODMA__ACCESSOR dma_result odma_st_##name##sfx(struct dma_ctx *ctx,        \
                                                  uint64_t addr, T val)       \
    {                                                                         \
        T raw_ = odma__order_##name(val);                                     \
        return odma__store(ctx, addr, &raw_, sizeof(T), variant);             \
    }                                                                         \
    ODMA__SHORT_NAME(dma_result dma_st_##name##sfx(struct dma_ctx *ctx,       \
                                                   uint64_t addr, T val)      \
                     { return odma_st_##name##sfx(ctx, addr, val); })
#define ODMA__LDST_FAMILY(name, T)                                            \
    ODMA__LD(name, T, , DMA_VARIANT_ORDERED)                                  \
    ODMA__LD(name, T, _relaxed, DMA_VARIANT_RELAXED)                          \
    ODMA__LD(name, T, _acquire, DMA_VARIANT_ACQUIRE)                          \
    ODMA__ST(name, T, , DMA_VARIANT_ORDERED)                                  \
    ODMA__ST(name, T, _relaxed, DMA_VARIANT_RELAXED)                          \
    ODMA__ST(name, T, _release, DMA_VARIANT_RELEASE)

ODMA__LDST_FAMILY(u8, uint8_t)
ODMA__LDST_FAMILY(le16, uint16_t)
ODMA__LDST_FAMILY(le32, uint32_t)
ODMA__LDST_FAMILY(le64, uint64_t)
ODMA__LDST_FAMILY(be16, uint16_t)
ODMA__LDST_FAMILY(be32, uint32_t)
ODMA__LDST_FAMILY(be64, uint64_t)

#undef ODMA__LDST_FAMILY
#undef ODMA__ST
#undef ODMA__LD

#endif /* ODMA_LDST_H */
