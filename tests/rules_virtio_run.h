/* SPDX-License-Identifier: MIT */
/*
 * tests/rules_virtio_run.h - drive the device side of odma/virtio.h with a
 * small single-threaded driver, for the protocol-rule tests: the driver
 * writes the rings straight into guest memory (untraced, as a guest
 * would), the device side and a device model (dma_read of the readable
 * segments, dma_write of the writable ones) go through odma, and their
 * trace is recorded. One run: a few rounds of "driver adds 1 to 3
 * requests (2 segments each, or one indirect table), device pops them all,
 * pushes them (one by one, or filled and flushed as a batch), asks whether
 * to interrupt (notify barrier if so), re-enables notifications and, if
 * more arrived meanwhile, disables them and pops again; the driver then
 * takes the used buffers back".
 */
#ifndef ODMA_TEST_RULES_VIRTIO_RUN_H
#define ODMA_TEST_RULES_VIRTIO_RUN_H

#define VQ_NUM 8
#define VQ_DESC 0x1000ull
#define VQ_DRIVER 0x2000ull
#define VQ_DEVICE 0x3000ull
#define VQ_TABLES 0x4000ull   /* one 32-byte indirect table per id */
#define VQ_BUFS 0x10000ull    /* id * 0x1000: 0x800 readable, then 0x800 writable */
#define VQ_RAM 0x20000ull

struct vq_world {
    _Alignas(4096) unsigned char ram[VQ_RAM];
    struct dma_ctx ctx;
    struct dma_vq vq;
    struct dma_vq_chain chain;
    struct dma_vq_config cfg;
    /* driver */
    uint16_t avail_idx, last_used, next_id;
    uint16_t pos;            /* packed: next descriptor slot */
    bool wrap;               /* packed: driver's avail wrap counter */
    uint16_t used_pos;       /* packed: next used slot to look at */
    bool used_wrap;
    uint16_t ndesc[VQ_NUM];  /* packed: descriptors per id */
    int outstanding;
    int notifies, pops;
};

static inline void vq_put(unsigned char *p, uint64_t v, int n)
{
    int i;
    for (i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint64_t vq_get(const unsigned char *p, int n)
{
    uint64_t v = 0;
    while (n--)
        v = v << 8 | p[n];
    return v;
}

static inline void vq_world_init(struct vq_world *w, const struct dma_policy *policy,
                                 bool packed, bool event_idx, bool indirect)
{
    memset(w, 0, sizeof *w);
    w->cfg.num = VQ_NUM;
    w->cfg.packed = packed;
    w->cfg.event_idx = event_idx;
    w->cfg.indirect = indirect;
    w->cfg.desc = VQ_DESC;
    w->cfg.driver = VQ_DRIVER;
    w->cfg.device = VQ_DEVICE;
    w->wrap = w->used_wrap = true;
    dma_ctx_init(&w->ctx, policy);
    assert_int_equal(dma_ctx_add_region(&w->ctx, 0, VQ_RAM, w->ram, 0), DMA_OK);
    assert_int_equal(dma_vq_init(&w->vq, &w->ctx, &w->cfg), DMA_OK);
}

/* The driver makes one request available: id `id`, readable and writable
 * buffer, directly or through an indirect table. */
static inline void vq_driver_add(struct vq_world *w, uint16_t id, bool use_indirect)
{
    uint64_t rd = VQ_BUFS + id * 0x1000ull, wr = rd + 0x800;
    unsigned char *ram = w->ram;
    if (use_indirect) {
        unsigned char *t = ram + VQ_TABLES + id * 32ull;
        vq_put(t, rd, 8), vq_put(t + 8, 64 + id, 4), vq_put(t + 12, DMA_VQ_DESC_F_NEXT, 2);
        vq_put(t + 14, 1, 2);
        vq_put(t + 16, wr, 8), vq_put(t + 24, 0x800, 4), vq_put(t + 28, DMA_VQ_DESC_F_WRITE, 2);
        vq_put(t + 30, 0, 2);
    }
    if (!w->cfg.packed) {
        /* Descriptors 2 id and 2 id + 1 belong to request id. */
        unsigned char *d = ram + VQ_DESC + 32ull * id;
        if (use_indirect) {
            vq_put(d, VQ_TABLES + id * 32ull, 8), vq_put(d + 8, 32, 4);
            vq_put(d + 12, DMA_VQ_DESC_F_INDIRECT, 2), vq_put(d + 14, 0, 2);
        } else {
            vq_put(d, rd, 8), vq_put(d + 8, 64 + id, 4), vq_put(d + 12, DMA_VQ_DESC_F_NEXT, 2);
            vq_put(d + 14, 2u * id + 1, 2);
            vq_put(d + 16, wr, 8), vq_put(d + 24, 0x800, 4);
            vq_put(d + 28, DMA_VQ_DESC_F_WRITE, 2), vq_put(d + 30, 0, 2);
        }
        vq_put(ram + VQ_DRIVER + 4 + 2 * (w->avail_idx % VQ_NUM), 2u * id, 2);
        w->avail_idx++;
        vq_put(ram + VQ_DRIVER + 2, w->avail_idx, 2);
    } else {
        uint16_t n = use_indirect ? 1 : 2, k, head = w->pos;
        uint16_t av = w->wrap ? DMA_VQ_DESC_F_AVAIL : DMA_VQ_DESC_F_USED;
        uint16_t head_flags = 0;
        for (k = 0; k < n; k++) {
            unsigned char *d = ram + VQ_DESC + 16ull * w->pos;
            uint16_t f = av;
            if (use_indirect) {
                vq_put(d, VQ_TABLES + id * 32ull, 8), vq_put(d + 8, 32, 4);
                f |= DMA_VQ_DESC_F_INDIRECT;
            } else if (k == 0) {
                vq_put(d, rd, 8), vq_put(d + 8, 64 + id, 4);
                f |= DMA_VQ_DESC_F_NEXT;
            } else {
                vq_put(d, wr, 8), vq_put(d + 8, 0x800, 4);
                f |= DMA_VQ_DESC_F_WRITE;
            }
            vq_put(d + 12, id, 2);
            if (k == 0)
                head_flags = f;
            else
                vq_put(d + 14, f, 2);
            if (++w->pos == VQ_NUM) {
                w->pos = 0;
                w->wrap = !w->wrap;
                av = w->wrap ? DMA_VQ_DESC_F_AVAIL : DMA_VQ_DESC_F_USED;
            }
        }
        vq_put(ram + VQ_DESC + 16ull * head + 14, head_flags, 2); /* the head last */
        w->ndesc[id] = n;
    }
    w->outstanding++;
}

/* The driver takes back every used buffer. */
static inline void vq_driver_collect(struct vq_world *w)
{
    if (!w->cfg.packed) {
        uint16_t used = (uint16_t)vq_get(w->ram + VQ_DEVICE + 2, 2);
        while (w->last_used != used) {
            w->last_used++;
            w->outstanding--;
        }
        if (w->cfg.event_idx) /* interrupt me after the next one */
            vq_put(w->ram + VQ_DRIVER + 4 + 2 * VQ_NUM, w->last_used, 2);
    } else {
        for (;;) {
            const unsigned char *d = w->ram + VQ_DESC + 16ull * w->used_pos;
            uint16_t f = (uint16_t)vq_get(d + 14, 2), id = (uint16_t)vq_get(d + 12, 2);
            bool a = (f & DMA_VQ_DESC_F_AVAIL) != 0, u = (f & DMA_VQ_DESC_F_USED) != 0;
            if (a != w->used_wrap || u != w->used_wrap)
                break;
            assert_true(id < VQ_NUM);
            w->used_pos = (uint16_t)(w->used_pos + w->ndesc[id]);
            if (w->used_pos >= VQ_NUM) {
                w->used_pos = (uint16_t)(w->used_pos - VQ_NUM);
                w->used_wrap = !w->used_wrap;
            }
            w->outstanding--;
        }
        if (w->cfg.event_idx) /* DESC: the next used position */
            vq_put(w->ram + VQ_DRIVER, (uint32_t)DMA_VQ_EVENT_DESC << 16 | w->used_pos |
                   (uint32_t)w->used_wrap << 15, 4);
    }
}

/* The device model handles one chain: reads what it may read, writes what
 * it may write, returns the bytes written. */
static inline uint32_t vq_device_model(struct vq_world *w)
{
    unsigned char buf[0x800];
    uint32_t written = 0;
    uint16_t i;
    for (i = 0; i < w->chain.nseg; i++) {
        const struct dma_vq_seg *s = &w->chain.seg[i];
        uint32_t len = s->len < sizeof buf ? s->len : (uint32_t)sizeof buf;
        if (!s->device_writes) {
            assert_int_equal(dma_read(&w->ctx, s->addr, buf, len), DMA_OK);
        } else {
            memset(buf, 0x3c, len);
            len = len > 100 ? 100 : len;
            assert_int_equal(dma_write(&w->ctx, s->addr, buf, len), DMA_OK);
            written += len;
        }
    }
    return written;
}

/* One run; the trace of the device side is recorded from its start. */
static inline void vq_run(struct vq_world *w, int rounds)
{
    int round, k, n;
    for (round = 0; round < rounds; round++) {
        bool batch = round % 3 == 2;
        int want = round % 3 + 1;
        for (k = 0; k < want && w->outstanding < VQ_NUM / 2; k++) {
            vq_driver_add(w, w->next_id, w->cfg.indirect && (round + k) % 2);
            w->next_id = (uint16_t)((w->next_id + 1) % (VQ_NUM / 2));
        }
        for (;;) {
            while ((n = dma_vq_pop(&w->vq, &w->chain)) > 0) {
                uint32_t written = vq_device_model(w);
                w->pops++;
                if (batch)
                    assert_int_equal(dma_vq_fill(&w->vq, &w->chain, written), DMA_OK);
                else
                    assert_int_equal(dma_vq_push(&w->vq, &w->chain, written), DMA_OK);
            }
            assert_int_equal(n, 0);
            if (batch)
                assert_int_equal(dma_vq_flush(&w->vq), DMA_OK);
            if (dma_vq_should_notify(&w->vq)) {
                dma_notify_barrier(&w->ctx);
                w->notifies++;
            }
            if (!dma_vq_enable_notify(&w->vq))
                break;
            dma_vq_disable_notify(&w->vq);
        }
        vq_driver_collect(w);
        if (round % 4 == 3)
            dma_vq_disable_notify(&w->vq); /* and the next pop without a kick */
    }
    assert_int_equal(dma_vq_error(&w->vq), DMA_OK);
}

#endif /* ODMA_TEST_RULES_VIRTIO_RUN_H */
