/* SPDX-License-Identifier: MIT */
/*
 * odma/publish.h - handing records over with an ownership/phase field,
 * and the barrier before an interrupt.
 *
 *   dma_write_publish(ctx, addr, rec, len, flag_off, flag_len)
 *       The body (every byte of rec but the flag), then wmb, then the flag
 *       (1/2/4/8 bytes, naturally aligned) as one atomic store. A guest
 *       that sees the flag, and then issues its read barrier, sees the
 *       whole body: NVMe phase bit, e1000 DD bit, virtio used element,
 *       Xen ioreq state.
 *   dma_read_consume(ctx, addr, rec, len, flag_off, flag_len)
 *       The flag first, as one atomic load, then rmb, then the body. The
 *       caller checks the flag in rec; if it says "not ours", the body is
 *       meaningless. The guest must have written body, wmb, flag.
 *   dma_notify_barrier(ctx)
 *       The policy's barrier before raising an interrupt (mb for every
 *       named policy but NONE): the guest's interrupt handler must see
 *       every write made before it, and the device's next read of a guest
 *       flag must not be satisfied before those writes are visible.
 *
 * Both record calls are ordered accessors: the policy's barrier comes
 * before their first access. Rules beyond the design contract:
 * - flag_len other than 1, 2, 4, 8, or a flag not inside [0, len):
 *   DMA_ERR_INVALID. A flag at a misaligned address, one that would
 *   straddle two regions or translation spans or that the translate hook
 *   maps to a misaligned guest address, or an 8-byte flag in a
 *   non-prefetchable device region (which takes at most 4 bytes at a
 *   time): DMA_ERR_ALIGN.
 * - The whole record is checked before any of it is touched. The body is
 *   one logical access (its two halves around the flag, if the flag is in
 *   the middle, are not ordered between themselves).
 * - dma_notify_barrier() with a policy whose notify entry is none issues
 *   no fence and leaves the pending state alone; with mb nothing is
 *   pending afterwards.
 */
#ifndef ODMA_PUBLISH_H
#define ODMA_PUBLISH_H

#include "access.h"

/* The arguments of publish/consume (nothing touched yet). */
static inline __attribute__((__always_inline__)) dma_result
odma__record_args(struct dma_ctx *ctx, uint64_t addr, const void *rec, size_t len,
                  size_t flag_off, size_t flag_len)
{
    if (!ctx || !rec)
        return DMA_ERR_INVALID;
    if (flag_len != 1 && flag_len != 2 && flag_len != 4 && flag_len != 8)
        return DMA_ERR_INVALID;
    if (flag_off > len || flag_len > len - flag_off)
        return DMA_ERR_INVALID;
    if ((addr + flag_off) & (flag_len - 1))
        return DMA_ERR_ALIGN;
    return DMA_OK;
}

/* The whole range, off the fast path; *dev as odma__check_range()'s. */
ODMA__SLOW dma_result odma__record_range(struct dma_ctx *ctx, struct odma__view *v,
                                         uint64_t addr, size_t len, size_t flag_off,
                                         size_t flag_len, dma_dir dir, bool *dev)
{
    dma_result res;
    if (odma__disabled(ctx))
        return DMA_ERR_DISABLED;
    res = odma__check_in(ctx, v, addr, len, dir, ctx->attrs, false, dev);
    if (res == DMA_OK)
        res = odma__check_in(ctx, v, addr + flag_off, flag_len, dir, ctx->attrs, true, NULL);
    return res;
}

/*
 * One piece of a record: in place if it lies in the hot region (what
 * odma__move_range() does for a single RAM segment: move, mark dirty, one
 * trace event), else through the segment walk.
 */
static inline __attribute__((__always_inline__)) void
odma__record_piece(struct dma_ctx *ctx, struct odma__view *view, struct dma_region *hot,
                   uint64_t addr,
                   unsigned char *buf, size_t len, dma_dir dir, dma_variant v, unsigned tflags)
{
    if (!hot) {
        odma__move_range(ctx, view, addr, buf, len, dir, ctx->attrs, -1, v, tflags);
        return;
    }
    odma__ram_move(hot->host + (addr - hot->gpa), buf, len, dir, addr, -1);
    if (dir == DMA_DIR_WRITE)
        odma__mark_dirty(hot, addr, len);
    odma__trace(DMA_TRACE_ACCESS, dir, DMA_BARRIER_NONE, v, tflags, ctx, addr, len);
}

/* One or both body pieces around the flag; the second is a continuation. */
static inline __attribute__((__always_inline__)) void
odma__record_body(struct dma_ctx *ctx, struct odma__view *view, struct dma_region *hot,
                  uint64_t addr,
                  unsigned char *rec, size_t len, size_t flag_off, size_t flag_len,
                  dma_dir dir, dma_variant v)
{
    size_t tail = flag_off + flag_len;
    if (flag_off)
        odma__record_piece(ctx, view, hot, addr, rec, flag_off, dir, v, 0);
    if (len > tail)
        odma__record_piece(ctx, view, hot, addr + tail, rec + tail, len - tail, dir, v,
                           flag_off ? DMA_TRACE_CONTINUED : 0);
}

/*
 * The body, wmb, the flag (checked already). dev: the record touches a
 * device region (then not hot); a constant at each call below, so the
 * common case (hot, RAM) carries no device test.
 */
static inline __attribute__((__always_inline__)) void
odma__publish(struct dma_ctx *ctx, struct odma__view *view, struct dma_region *hot,
              uint64_t addr, unsigned char *r,
              size_t len, size_t flag_off, size_t flag_len, bool dev)
{
    unsigned s, b;
    odma__order_pre(ctx, DMA_DIR_WRITE, DMA_VARIANT_ORDERED, dev);
    odma__record_body(ctx, view, hot, addr, r, len, flag_off, flag_len, DMA_DIR_WRITE,
                      DMA_VARIANT_PUBLISH);
    s = odma__thread_done;
    b = odma__io_if(DMA_BARRIER_WMB, s);
    odma__fence(b, ctx, DMA_VARIANT_PUBLISH);
    /* Checked: aligned and in one segment, so one atomic access. */
    odma__record_piece(ctx, view, hot, addr + flag_off, r + flag_off, flag_len, DMA_DIR_WRITE,
                       DMA_VARIANT_PUBLISH, 0);
    /* The wmb ordered everything before it; the flag is now pending. One
     * state update for both (no store at all in a stream of publishes). */
    odma__mark_after_barrier(s, b, DMA_DIR_WRITE);
    if (dev)
        odma__thread_done = (uint8_t)(odma__thread_done | ODMA__S_DEV);
}

/* The flag, rmb, the body (checked already); dev as for odma__publish(). */
static inline __attribute__((__always_inline__)) void
odma__consume(struct dma_ctx *ctx, struct odma__view *view, struct dma_region *hot,
              uint64_t addr, unsigned char *r,
              size_t len, size_t flag_off, size_t flag_len, bool dev)
{
    unsigned s, b;
    odma__order_pre(ctx, DMA_DIR_READ, DMA_VARIANT_ORDERED, dev);
    odma__record_piece(ctx, view, hot, addr + flag_off, r + flag_off, flag_len, DMA_DIR_READ,
                       DMA_VARIANT_CONSUME, 0);
    s = odma__thread_done;
    b = odma__io_if(DMA_BARRIER_RMB, s);
    odma__fence(b, ctx, DMA_VARIANT_CONSUME);
    odma__record_body(ctx, view, hot, addr, r, len, flag_off, flag_len, DMA_DIR_READ,
                      DMA_VARIANT_CONSUME);
    /* The rmb ordered the flag (and earlier reads); the body is pending. */
    odma__mark_after_barrier(s, b, DMA_DIR_READ);
    if (dev)
        odma__thread_done = (uint8_t)(odma__thread_done | ODMA__S_DEV);
}

/* Records not wholly in the hinted region: checked piece by piece. */
ODMA__SLOW dma_result odma__publish_slow(struct dma_ctx *ctx, uint64_t addr, unsigned char *r,
                                         size_t len, size_t flag_off, size_t flag_len)
{
    bool dev = false;
    struct odma__view *view = odma__view_now(ctx);
    dma_result res = odma__record_range(ctx, view, addr, len, flag_off, flag_len, DMA_DIR_WRITE,
                                        &dev);
    if (res != DMA_OK)
        return res;
    if (dev)
        odma__publish(ctx, view, NULL, addr, r, len, flag_off, flag_len, true);
    else
        odma__publish(ctx, view, NULL, addr, r, len, flag_off, flag_len, false);
    return DMA_OK;
}

ODMA__SLOW dma_result odma__consume_slow(struct dma_ctx *ctx, uint64_t addr, unsigned char *r,
                                         size_t len, size_t flag_off, size_t flag_len)
{
    bool dev = false;
    struct odma__view *view = odma__view_now(ctx);
    dma_result res = odma__record_range(ctx, view, addr, len, flag_off, flag_len, DMA_DIR_READ,
                                        &dev);
    if (res != DMA_OK)
        return odma__fail(res, r, len, DMA_DIR_READ);
    if (dev)
        odma__consume(ctx, view, NULL, addr, r, len, flag_off, flag_len, true);
    else
        odma__consume(ctx, view, NULL, addr, r, len, flag_off, flag_len, false);
    return DMA_OK;
}

static inline dma_result odma_write_publish(struct dma_ctx *ctx, uint64_t addr,
                                            const void *rec, size_t len, size_t flag_off,
                                            size_t flag_len)
{
    unsigned char *r = (unsigned char *)(uintptr_t)rec;
    struct dma_region *hot;
    dma_result res = odma__record_args(ctx, addr, rec, len, flag_off, flag_len);
    if (res != DMA_OK)
        return res;
    if (!odma__hot_region(ctx, addr, len, DMA_DIR_WRITE, &hot))
        hot = NULL; /* the record helpers test hot: a visible NULL folds their tests */
    if (ODMA__UNLIKELY(!hot))
        return odma__publish_slow(ctx, addr, r, len, flag_off, flag_len);
    odma__publish(ctx, NULL, hot, addr, r, len, flag_off, flag_len, false);
    return DMA_OK;
}

static inline dma_result odma_read_consume(struct dma_ctx *ctx, uint64_t addr, void *rec,
                                           size_t len, size_t flag_off, size_t flag_len)
{
    unsigned char *r = (unsigned char *)rec;
    struct dma_region *hot;
    dma_result res = odma__record_args(ctx, addr, rec, len, flag_off, flag_len);
    if (res != DMA_OK)
        return odma__fail(res, rec, len, DMA_DIR_READ);
    if (!odma__hot_region(ctx, addr, len, DMA_DIR_READ, &hot))
        hot = NULL; /* as in odma_write_publish() */
    if (ODMA__UNLIKELY(!hot))
        return odma__consume_slow(ctx, addr, r, len, flag_off, flag_len);
    odma__consume(ctx, NULL, hot, addr, r, len, flag_off, flag_len, false);
    return DMA_OK;
}

static inline void odma_notify_barrier(struct dma_ctx *ctx)
{
    enum dma_barrier b;
    unsigned s;
    if (!ctx)
        return;
    b = ctx->policy->notify;
    odma__trace(DMA_TRACE_NOTIFY, DMA_DIR_READ, b, DMA_VARIANT_ORDERED, 0, ctx, 0, 0);
    if (b != DMA_BARRIER_NONE) {
        s = odma__thread_done;
        odma__fence(odma__io_if(b, s), ctx, DMA_VARIANT_ORDERED);
        odma__thread_done = (uint8_t)odma__state_cover(s, odma__covered_by(b));
    }
}

#endif /* ODMA_PUBLISH_H */
