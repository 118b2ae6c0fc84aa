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
 * Errors: see odma/result.h. len 0 succeeds, issues no barrier and touches
 * nothing (buf may then be NULL). A failed read fills all of buf with 0xFF.
 */
#ifndef ODMA_ACCESS_H
#define ODMA_ACCESS_H

#include "order.h"

/*
 * Move len bytes between buf and RAM at host (guest address gpa). One
 * atomic access where the size and alignment allow; set_byte >= 0 fills.
 */
static inline __attribute__((always_inline)) void
odma__ram_move(unsigned char *host, void *buf, size_t len, dma_dir dir,
               uint64_t gpa, int set_byte)
{
    if (set_byte >= 0) {
        memset(host, set_byte, len);
        return;
    }
#define ODMA__MOVE_ATOMIC(T)                                                  \
    if (len == sizeof(T) && !(gpa & (sizeof(T) - 1))) {                       \
        ODMA__ATOMIC(T) *p_ = (ODMA__ATOMIC(T) *)(void *)host;                \
        T v_;                                                                 \
        if (dir == DMA_DIR_READ) {                                            \
            v_ = ODMA__LOAD(p_, ODMA__MO_RELAXED);                            \
            memcpy(buf, &v_, sizeof(T));                                      \
        } else {                                                              \
            memcpy(&v_, buf, sizeof(T));                                      \
            ODMA__STORE(p_, v_, ODMA__MO_RELAXED);                            \
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

/* Does [addr, addr + len) wrap past 2^64? (len > 0) */
static inline bool odma__wraps(uint64_t addr, uint64_t len)
{
    return len - 1 > UINT64_MAX - addr;
}

/*
 * Check every byte of [addr, addr + len) for an access of direction dir,
 * lowest address first. Nothing is touched. If `single` is set, the range
 * must also lie in one region (for accesses that promise atomicity).
 */
ODMA__SLOW dma_result odma__check_range(struct dma_ctx *ctx, uint64_t addr,
                                        uint64_t len, dma_dir dir, bool single)
{
    bool first = true;
    if (odma__wraps(addr, len))
        return DMA_ERR_OVERFLOW;
    while (len) {
        const struct dma_region *r = odma__find_region(ctx, addr, dir);
        uint64_t seg;
        if (!r)
            return DMA_ERR_UNMAPPED;
        if (dir == DMA_DIR_WRITE && (r->flags & DMA_REGION_READONLY))
            return DMA_ERR_READONLY;
        seg = r->size - (addr - r->gpa);
        if (seg > len)
            seg = len;
        if (single && !first)
            return DMA_ERR_ALIGN;
        first = false;
        addr += seg;
        len -= seg;
    }
    return DMA_OK;
}

/* Move a range that odma__check_range() accepted. No barrier, no trace. */
ODMA__SLOW void odma__move_range(struct dma_ctx *ctx, uint64_t addr, void *buf,
                                 uint64_t len, dma_dir dir, int set_byte)
{
    unsigned char *b = (unsigned char *)buf;
    while (len) {
        struct dma_region *r = odma__find_region(ctx, addr, dir);
        uint64_t off = addr - r->gpa;
        uint64_t seg = r->size - off;
        if (seg > len)
            seg = len;
        odma__ram_move(r->host + off, b, (size_t)seg, dir, addr, set_byte);
        if (b)
            b += seg;
        addr += seg;
        len -= seg;
    }
}

/* A failed read leaves master-abort bytes, never stale host data. */
static inline dma_result odma__fail(dma_result res, void *buf, size_t len, dma_dir dir)
{
    if (dir == DMA_DIR_READ && buf)
        memset(buf, 0xff, len);
    return res;
}

ODMA__SLOW dma_result odma__access_slow(struct dma_ctx *ctx, uint64_t addr, void *buf,
                                        size_t len, dma_dir dir, dma_variant v,
                                        int set_byte)
{
    bool single = v == DMA_VARIANT_ACQUIRE || v == DMA_VARIANT_RELEASE;
    dma_result res = odma__check_range(ctx, addr, len, dir, single);
    if (res != DMA_OK)
        return odma__fail(res, buf, len, dir);
    odma__order_pre(ctx, dir, v);
    odma__move_range(ctx, addr, buf, len, dir, set_byte);
    odma__trace(DMA_TRACE_ACCESS, dir, DMA_BARRIER_NONE, v, 0, ctx, addr, len);
    odma__order_post(ctx, v);
    return DMA_OK;
}

/*
 * Every single-range accessor comes here. Inlined into each caller, so a
 * constant len and variant fold away: the common case is the hinted
 * region's bounds check, the policy lookup, and the access itself.
 */
static inline __attribute__((always_inline)) dma_result
odma__access(struct dma_ctx *ctx, uint64_t addr, void *buf, size_t len, dma_dir dir,
             dma_variant v, int set_byte)
{
    struct dma_region *r;
    if (ODMA__UNLIKELY(!ctx))
        return odma__fail(DMA_ERR_INVALID, buf, len, dir);
    if (ODMA__UNLIKELY(len == 0))
        return DMA_OK;
    if (ODMA__UNLIKELY(!buf && set_byte < 0))
        return DMA_ERR_INVALID;
    r = odma__hot_region(ctx, addr, len, dir);
    if (ODMA__LIKELY(r != NULL)) {
        odma__order_pre(ctx, dir, v);
        odma__ram_move(r->host + (addr - r->gpa), buf, len, dir, addr, set_byte);
        odma__trace(DMA_TRACE_ACCESS, dir, DMA_BARRIER_NONE, v, 0, ctx, addr, len);
        odma__order_post(ctx, v);
        return DMA_OK;
    }
    return odma__access_slow(ctx, addr, buf, len, dir, v, set_byte);
}

static inline dma_result dma_read(struct dma_ctx *ctx, uint64_t addr, void *buf, size_t len)
{
    return odma__access(ctx, addr, buf, len, DMA_DIR_READ, DMA_VARIANT_ORDERED, -1);
}

static inline dma_result dma_read_relaxed(struct dma_ctx *ctx, uint64_t addr, void *buf,
                                          size_t len)
{
    return odma__access(ctx, addr, buf, len, DMA_DIR_READ, DMA_VARIANT_RELAXED, -1);
}

/* buf is not written through; the cast only shares one code path. */
static inline dma_result dma_write(struct dma_ctx *ctx, uint64_t addr, const void *buf,
                                   size_t len)
{
    return odma__access(ctx, addr, (void *)(uintptr_t)buf, len, DMA_DIR_WRITE,
                        DMA_VARIANT_ORDERED, -1);
}

static inline dma_result dma_write_relaxed(struct dma_ctx *ctx, uint64_t addr,
                                           const void *buf, size_t len)
{
    return odma__access(ctx, addr, (void *)(uintptr_t)buf, len, DMA_DIR_WRITE,
                        DMA_VARIANT_RELAXED, -1);
}

static inline dma_result dma_rw(struct dma_ctx *ctx, uint64_t addr, void *buf, size_t len,
                                dma_dir dir)
{
    if (dir == DMA_DIR_READ)
        return dma_read(ctx, addr, buf, len);
    if (dir == DMA_DIR_WRITE)
        return dma_write(ctx, addr, buf, len);
    return DMA_ERR_INVALID;
}

static inline dma_result dma_rw_relaxed(struct dma_ctx *ctx, uint64_t addr, void *buf,
                                        size_t len, dma_dir dir)
{
    if (dir == DMA_DIR_READ)
        return dma_read_relaxed(ctx, addr, buf, len);
    if (dir == DMA_DIR_WRITE)
        return dma_write_relaxed(ctx, addr, buf, len);
    return DMA_ERR_INVALID;
}

/* Fill with (unsigned char)byte. A write for ordering purposes. */
static inline dma_result dma_set(struct dma_ctx *ctx, uint64_t addr, int byte, size_t len)
{
    return odma__access(ctx, addr, NULL, len, DMA_DIR_WRITE, DMA_VARIANT_ORDERED,
                        (int)(unsigned char)byte);
}

static inline dma_result dma_set_relaxed(struct dma_ctx *ctx, uint64_t addr, int byte,
                                         size_t len)
{
    return odma__access(ctx, addr, NULL, len, DMA_DIR_WRITE, DMA_VARIANT_RELAXED,
                        (int)(unsigned char)byte);
}

#endif /* ODMA_ACCESS_H */
