/* SPDX-License-Identifier: MIT */
/*
 * tests/virtio_driver.h - the driver side of a virtio 1.x virtqueue,
 * written from the spec (virtio 1.2 cs01: split rings 2.7, packed rings
 * 2.8), for tests that drive odma/virtio.h (or any device side) from
 * another thread. Reusable: it depends only on C11 atomics and on
 * struct dma_vq_config / the DMA_VQ_* constants of odma/virtio.h.
 *
 * The driver plays the guest: it touches ring memory directly through a
 * host pointer (one linear mapping of guest memory, `mem` at guest address
 * `mem_gpa`) with C11 atomics:
 *   - publishing:   descriptors and the ring entry written plainly, then
 *                   the avail idx (split) or the head descriptor's flags
 *                   (packed) with a release store (2.7.13.3, 2.8.21.1);
 *   - consuming:    the used idx (split) or the next used descriptor's
 *                   flags (packed) with an acquire load, then the element
 *                   (2.7.14, 2.8.22);
 *   - suppression:  a seq_cst fence between "publish" and "read the
 *                   device's avail_event / flags" before a kick
 *                   (vdrv_kick_prepare, 2.7.13.4, 2.8.21.2), and between
 *                   "write used_event / flags" and "re-read the used
 *                   index" when re-enabling interrupts (vdrv_enable_cb,
 *                   2.7.7, 2.8.10). vring_need_event decides with
 *                   event_idx.
 * `test_no_mb` (TEST ONLY) drops those two seq_cst fences, to show that a
 * test catches the lost wake-up that follows.
 *
 * Use:
 *     struct vdrv d;
 *     vdrv_layout(&cfg, num, packed, base);     // or set cfg yourself
 *     vdrv_init(&d, &cfg, mem, mem_gpa, mem_size, indirect_area);  // zeroes the rings
 *     id = vdrv_next_id(&d);                     // where to put its data
 *     vdrv_add(&d, bufs, n, cookie, use_indirect);  // 0, or -1 if full
 *     if (vdrv_kick_prepare(&d)) kick the device;
 *     while (vdrv_get_used(&d, &cookie, &len) > 0) ...
 *     vdrv_enable_cb(&d) / vdrv_disable_cb(&d);
 *     vdrv_destroy(&d);
 * Buffers must be device-readable ones first (the driver does not sort).
 * Indirect tables (use_indirect with cfg.indirect): one table of
 * VDRV_TABLE_BYTES per id at indirect_area + id * VDRV_TABLE_BYTES
 * (num tables), in guest memory the device can read.
 * vdrv_get_used returns -1 (and the driver is then unusable) if the
 * device returned an id that is not in flight.
 */
#ifndef ODMA_TEST_VIRTIO_DRIVER_H
#define ODMA_TEST_VIRTIO_DRIVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <odma/virtio.h>

#define VDRV_MAX_SEGS ODMA_VQ_MAX_SEGS
#define VDRV_TABLE_BYTES (16u * VDRV_MAX_SEGS)

struct vdrv_buf {
    uint64_t addr;
    uint32_t len;
    bool device_writes;
};

struct vdrv {
    struct dma_vq_config cfg;
    unsigned char *mem;
    uint64_t mem_gpa, mem_size;
    uint64_t indirect_area;
    bool test_no_mb; /* TEST ONLY: no seq_cst fence in kick_prepare/enable_cb */
    bool broken;
    uint16_t num;
    uint16_t num_free;   /* free descriptors (ring slots, packed) */
    /* split */
    uint16_t free_head;  /* first free descriptor */
    uint16_t avail_idx;  /* next avail idx to publish */
    uint16_t last_used;  /* next used idx to consume */
    uint16_t kick_old;   /* avail idx at the last kick decision */
    uint16_t *next;      /* free list and chain links, per descriptor */
    /* packed */
    uint16_t next_avail; /* next ring position to fill */
    bool avail_wrap;
    uint16_t used_pos;   /* next ring position to consume */
    bool used_wrap;
    uint16_t kick_pos;   /* next_avail (+ wrap) at the last kick decision */
    bool kick_wrap;
    uint16_t *free_ids;  /* stack of free buffer ids */
    uint16_t nfree_ids;
    /* per id (split: head descriptor; packed: buffer id) */
    uint16_t *ndesc;     /* descriptors the buffer uses (0: not in flight) */
    uint16_t *tail;      /* split: last descriptor of the chain */
    uint64_t *cookie;
};

/* ---- little-endian guest fields, host atomics --------------------------- */

static inline uint16_t vdrv_le16(uint16_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap16(v);
#else
    return v;
#endif
}
static inline uint32_t vdrv_le32(uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap32(v);
#else
    return v;
#endif
}
static inline uint64_t vdrv_le64(uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(v);
#else
    return v;
#endif
}

static inline unsigned char *vdrv_host(const struct vdrv *d, uint64_t gpa)
{
    return d->mem + (gpa - d->mem_gpa);
}

static inline uint16_t vdrv_load16(const struct vdrv *d, uint64_t gpa, memory_order mo)
{
    return vdrv_le16(atomic_load_explicit((_Atomic uint16_t *)(void *)vdrv_host(d, gpa), mo));
}
static inline uint32_t vdrv_load32(const struct vdrv *d, uint64_t gpa, memory_order mo)
{
    return vdrv_le32(atomic_load_explicit((_Atomic uint32_t *)(void *)vdrv_host(d, gpa), mo));
}
static inline void vdrv_store16(const struct vdrv *d, uint64_t gpa, uint16_t v, memory_order mo)
{
    atomic_store_explicit((_Atomic uint16_t *)(void *)vdrv_host(d, gpa), vdrv_le16(v), mo);
}
static inline void vdrv_store32(const struct vdrv *d, uint64_t gpa, uint32_t v, memory_order mo)
{
    atomic_store_explicit((_Atomic uint32_t *)(void *)vdrv_host(d, gpa), vdrv_le32(v), mo);
}

/* A whole descriptor, written plainly (before the release that publishes it). */
static inline void vdrv_put_desc(const struct vdrv *d, uint64_t gpa, uint64_t addr, uint32_t len,
                                 uint16_t w12, uint16_t w14)
{
    unsigned char *p = vdrv_host(d, gpa);
    uint64_t a = vdrv_le64(addr);
    uint32_t l = vdrv_le32(len);
    uint16_t x = vdrv_le16(w12), y = vdrv_le16(w14);
    memcpy(p, &a, 8);
    memcpy(p + 8, &l, 4);
    memcpy(p + 12, &x, 2);
    memcpy(p + 14, &y, 2);
}

/* The spec's helper (2.7.10): is event in [old, new)? */
static inline bool vdrv_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

static inline void vdrv_fence(const struct vdrv *d)
{
    if (!d->test_no_mb)
        atomic_thread_fence(memory_order_seq_cst);
    else
        atomic_signal_fence(memory_order_seq_cst); /* compiler barrier only */
}

/* ---- layout and set-up -------------------------------------------------- */

/* Bytes of the three areas. */
static inline uint64_t vdrv_desc_bytes(uint16_t num) { return 16ull * num; }
static inline uint64_t vdrv_driver_bytes(uint16_t num, bool packed)
{
    return packed ? 4 : 6ull + 2ull * num;
}
static inline uint64_t vdrv_device_bytes(uint16_t num, bool packed)
{
    return packed ? 4 : 6ull + 8ull * num;
}

/* Lay the three areas out from `base` (16-aligned); returns the first free
 * guest address after them (16-aligned). Features are left false. */
static inline uint64_t vdrv_layout(struct dma_vq_config *cfg, uint16_t num, bool packed,
                                   uint64_t base)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->num = num;
    cfg->packed = packed;
    cfg->desc = base;
    base += vdrv_desc_bytes(num);
    cfg->driver = base;
    base = (base + vdrv_driver_bytes(num, packed) + 3) & ~3ull;
    cfg->device = base;
    base += vdrv_device_bytes(num, packed);
    return (base + 15) & ~15ull;
}

static inline void vdrv_destroy(struct vdrv *d)
{
    free(d->next);
    free(d->free_ids);
    free(d->ndesc);
    free(d->tail);
    free(d->cookie);
    d->next = d->free_ids = d->ndesc = d->tail = NULL;
    d->cookie = NULL;
}

/* Zeroes the rings (as a driver does before DRIVER_OK). 0, or -1 (no memory). */
static inline int vdrv_init(struct vdrv *d, const struct dma_vq_config *cfg, unsigned char *mem,
                            uint64_t mem_gpa, uint64_t mem_size, uint64_t indirect_area)
{
    uint16_t i, num = cfg->num;
    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
    d->mem = mem;
    d->mem_gpa = mem_gpa;
    d->mem_size = mem_size;
    d->indirect_area = indirect_area;
    d->num = num;
    d->num_free = num;
    d->avail_wrap = d->used_wrap = d->kick_wrap = true;
    d->next = (uint16_t *)calloc(num, sizeof *d->next);
    d->free_ids = (uint16_t *)calloc(num, sizeof *d->free_ids);
    d->ndesc = (uint16_t *)calloc(num, sizeof *d->ndesc);
    d->tail = (uint16_t *)calloc(num, sizeof *d->tail);
    d->cookie = (uint64_t *)calloc(num, sizeof *d->cookie);
    if (!d->next || !d->free_ids || !d->ndesc || !d->tail || !d->cookie) {
        vdrv_destroy(d);
        return -1;
    }
    for (i = 0; i < num; i++) {
        d->next[i] = (uint16_t)(i + 1);
        d->free_ids[i] = (uint16_t)(num - 1 - i); /* pop gives 0, 1, 2 ... */
    }
    d->nfree_ids = num;
    memset(vdrv_host(d, cfg->desc), 0, vdrv_desc_bytes(num));
    memset(vdrv_host(d, cfg->driver), 0, vdrv_driver_bytes(num, cfg->packed));
    memset(vdrv_host(d, cfg->device), 0, vdrv_device_bytes(num, cfg->packed));
    return 0;
}

/* ---- supplying buffers -------------------------------------------------- */

/* The id the next vdrv_add will use (split: head descriptor; packed:
 * buffer id), so a test can place that buffer's data by id. */
static inline uint16_t vdrv_next_id(const struct vdrv *d)
{
    return d->cfg.packed ? (d->nfree_ids ? d->free_ids[d->nfree_ids - 1] : 0) : d->free_head;
}

/* One buffer of n segments. 0, or -1 if the ring has no room (or n is 0,
 * or more than VDRV_MAX_SEGS). */
static inline int vdrv_add(struct vdrv *d, const struct vdrv_buf *b, unsigned n,
                           uint64_t cookie, bool use_indirect)
{
    unsigned k, need;
    uint64_t table = 0;
    if (d->broken || n == 0 || n > VDRV_MAX_SEGS)
        return -1;
    use_indirect = use_indirect && d->cfg.indirect && d->indirect_area && n > 1;
    need = use_indirect ? 1 : n;
    if (need > d->num_free)
        return -1;
    if (!d->cfg.packed) {
        uint16_t head = d->free_head, i = head, last = head;
        if (use_indirect) {
            table = d->indirect_area + (uint64_t)head * VDRV_TABLE_BYTES;
            for (k = 0; k < n; k++)
                vdrv_put_desc(d, table + 16u * k, b[k].addr, b[k].len,
                              (uint16_t)((k + 1 < n ? DMA_VQ_DESC_F_NEXT : 0) |
                                         (b[k].device_writes ? DMA_VQ_DESC_F_WRITE : 0)),
                              (uint16_t)(k + 1 < n ? k + 1 : 0));
            d->free_head = d->next[head];
            vdrv_put_desc(d, d->cfg.desc + 16u * head, table, 16u * n,
                          DMA_VQ_DESC_F_INDIRECT, 0);
        } else {
            for (k = 0; k < n; k++) {
                uint16_t nx = d->next[i];
                vdrv_put_desc(d, d->cfg.desc + 16u * i, b[k].addr, b[k].len,
                              (uint16_t)((k + 1 < n ? DMA_VQ_DESC_F_NEXT : 0) |
                                         (b[k].device_writes ? DMA_VQ_DESC_F_WRITE : 0)),
                              (uint16_t)(k + 1 < n ? nx : 0));
                last = i;
                i = nx;
            }
            d->free_head = i;
        }
        d->num_free = (uint16_t)(d->num_free - need);
        d->ndesc[head] = (uint16_t)need;
        d->tail[head] = last;
        d->cookie[head] = cookie;
        vdrv_store16(d, d->cfg.driver + 4 + 2u * (d->avail_idx & (d->num - 1u)), head,
                     memory_order_relaxed);
        d->avail_idx++;
        /* 2.7.13.3: the ring entry (and descriptors) before idx. */
        vdrv_store16(d, d->cfg.driver + 2, d->avail_idx, memory_order_release);
    } else {
        uint16_t id = d->free_ids[--d->nfree_ids];
        uint16_t pos = d->next_avail, head = pos;
        bool wrap = d->avail_wrap;
        uint16_t head_flags = 0;
        uint16_t av = (uint16_t)(wrap ? DMA_VQ_DESC_F_AVAIL : DMA_VQ_DESC_F_USED);
        if (use_indirect) {
            table = d->indirect_area + (uint64_t)id * VDRV_TABLE_BYTES;
            for (k = 0; k < n; k++)
                vdrv_put_desc(d, table + 16u * k, b[k].addr, b[k].len, 0,
                              b[k].device_writes ? DMA_VQ_DESC_F_WRITE : 0);
            head_flags = (uint16_t)(DMA_VQ_DESC_F_INDIRECT | av);
            vdrv_put_desc(d, d->cfg.desc + 16u * pos, table, 16u * n, id, 0);
            if (++pos == d->num) {
                pos = 0;
                wrap = !wrap;
            }
        } else {
            for (k = 0; k < n; k++) {
                uint16_t f = (uint16_t)((k + 1 < n ? DMA_VQ_DESC_F_NEXT : 0) |
                                        (b[k].device_writes ? DMA_VQ_DESC_F_WRITE : 0) |
                                        (wrap ? DMA_VQ_DESC_F_AVAIL : DMA_VQ_DESC_F_USED));
                if (k == 0) {
                    head_flags = f;
                    vdrv_put_desc(d, d->cfg.desc + 16u * pos, b[k].addr, b[k].len, id, 0);
                } else {
                    vdrv_put_desc(d, d->cfg.desc + 16u * pos, b[k].addr, b[k].len, id, f);
                }
                if (++pos == d->num) {
                    pos = 0;
                    wrap = !wrap;
                }
            }
        }
        d->num_free = (uint16_t)(d->num_free - need);
        d->ndesc[id] = (uint16_t)need;
        d->cookie[id] = cookie;
        d->next_avail = pos;
        d->avail_wrap = wrap;
        /* 2.8.6 / 2.8.21.1: the rest of the list before the head's flags. */
        vdrv_store16(d, d->cfg.desc + 16u * head + 14, head_flags, memory_order_release);
    }
    return 0;
}

/* After adding: should the device be kicked? (The seq_cst fence orders our
 * publishing store before the load of the device's suppression field.) */
static inline bool vdrv_kick_prepare(struct vdrv *d)
{
    vdrv_fence(d);
    if (!d->cfg.packed) {
        uint16_t old = d->kick_old, new_idx = d->avail_idx;
        d->kick_old = new_idx;
        if (old == new_idx)
            return false;
        if (d->cfg.event_idx)
            return vdrv_need_event(vdrv_load16(d, d->cfg.device + 4 + 8u * d->num,
                                               memory_order_relaxed),
                                   new_idx, old);
        return !(vdrv_load16(d, d->cfg.device, memory_order_relaxed) & DMA_VQ_USED_F_NO_NOTIFY);
    } else {
        uint32_t ev = vdrv_load32(d, d->cfg.device, memory_order_relaxed);
        uint32_t m = 2u * d->num, o, n, e;
        unsigned flags = (ev >> 16) & 3u;
        o = d->kick_pos + (d->kick_wrap ? 0u : d->num);
        n = d->next_avail + (d->avail_wrap ? 0u : d->num);
        d->kick_pos = d->next_avail;
        d->kick_wrap = d->avail_wrap;
        if (o == n)
            return false;
        if (flags == DMA_VQ_EVENT_DISABLE)
            return false;
        if (flags != DMA_VQ_EVENT_DESC || !d->cfg.event_idx)
            return true;
        e = (ev & 0x7fffu) + ((ev & 0x8000u) ? 0u : d->num);
        return (e + m - o) % m < (n + m - o) % m;
    }
}

/* ---- used buffers ------------------------------------------------------- */

/* Is a used buffer waiting? (acquire: its element is readable after.) */
static inline bool vdrv_more_used(const struct vdrv *d)
{
    if (!d->cfg.packed)
        return vdrv_load16(d, d->cfg.device + 2, memory_order_acquire) != d->last_used;
    {
        uint16_t f = vdrv_load16(d, d->cfg.desc + 16u * d->used_pos + 14, memory_order_acquire);
        bool a = (f & DMA_VQ_DESC_F_AVAIL) != 0, u = (f & DMA_VQ_DESC_F_USED) != 0;
        return a == u && u == d->used_wrap;
    }
}

/* 1: a used buffer (its cookie and used length); 0: none; -1: the device
 * returned an id that is not in flight. */
static inline int vdrv_get_used(struct vdrv *d, uint64_t *cookie, uint32_t *len)
{
    uint16_t id, n;
    if (d->broken)
        return -1;
    if (!vdrv_more_used(d))
        return 0;
    if (!d->cfg.packed) {
        uint64_t e = d->cfg.device + 4 + 8u * (d->last_used & (d->num - 1u));
        uint32_t id32 = vdrv_load32(d, e, memory_order_relaxed);
        *len = vdrv_load32(d, e + 4, memory_order_relaxed);
        if (id32 >= d->num || !d->ndesc[id32]) {
            d->broken = true;
            return -1;
        }
        id = (uint16_t)id32;
        n = d->ndesc[id];
        d->next[d->tail[id]] = d->free_head;
        d->free_head = id;
        d->last_used++;
    } else {
        uint64_t e = d->cfg.desc + 16u * d->used_pos;
        id = vdrv_load16(d, e + 12, memory_order_relaxed);
        *len = vdrv_load32(d, e + 8, memory_order_relaxed);
        if (id >= d->num || !d->ndesc[id]) {
            d->broken = true;
            return -1;
        }
        n = d->ndesc[id];
        d->used_pos = (uint16_t)(d->used_pos + n);
        if (d->used_pos >= d->num) {
            d->used_pos = (uint16_t)(d->used_pos - d->num);
            d->used_wrap = !d->used_wrap;
        }
        d->free_ids[d->nfree_ids++] = id;
    }
    *cookie = d->cookie[id];
    d->ndesc[id] = 0;
    d->num_free = (uint16_t)(d->num_free + n);
    return 1;
}

/* Ask for interrupts; true if used buffers arrived meanwhile (poll again).
 * The fence orders our used_event / flags store before the used re-read. */
static inline bool vdrv_enable_cb(struct vdrv *d)
{
    if (!d->cfg.packed) {
        if (d->cfg.event_idx)
            vdrv_store16(d, d->cfg.driver + 4 + 2u * d->num, d->last_used, memory_order_relaxed);
        else
            vdrv_store16(d, d->cfg.driver, 0, memory_order_relaxed);
    } else {
        uint32_t ev = d->cfg.event_idx
                          ? (uint32_t)DMA_VQ_EVENT_DESC << 16 | d->used_pos |
                                (uint32_t)d->used_wrap << 15
                          : (uint32_t)DMA_VQ_EVENT_ENABLE << 16;
        vdrv_store32(d, d->cfg.driver, ev, memory_order_relaxed);
    }
    vdrv_fence(d);
    return vdrv_more_used(d);
}

static inline void vdrv_disable_cb(struct vdrv *d)
{
    if (!d->cfg.packed) {
        if (!d->cfg.event_idx)
            vdrv_store16(d, d->cfg.driver, DMA_VQ_AVAIL_F_NO_INTERRUPT, memory_order_relaxed);
    } else {
        vdrv_store32(d, d->cfg.driver, (uint32_t)DMA_VQ_EVENT_DISABLE << 16, memory_order_relaxed);
    }
}

#endif /* ODMA_TEST_VIRTIO_DRIVER_H */
