/* SPDX-License-Identifier: MIT */
/*
 * odma/virtio.h - the device side of a virtio 1.x virtqueue in guest
 * memory: split and packed layouts, every guest access through odma.
 * Not included by odma.h; include it yourself (it includes odma.h).
 *
 *     struct dma_vq vq;
 *     struct dma_vq_config cfg = { .num = 256, .event_idx = true,
 *                                  .desc = d, .driver = a, .device = u };
 *     struct dma_vq_chain c;        // large (ODMA_VQ_MAX_SEGS segments)
 *     dma_vq_init(&vq, &ctx, &cfg);
 *     for (;;) {
 *         int n;
 *         while ((n = dma_vq_pop(&vq, &c)) > 0) {
 *             ... dma_read() the readable segments, dma_write() the
 *             writable ones ...
 *             dma_vq_push(&vq, &c, bytes_written);
 *         }
 *         if (n < 0) { log(dma_vq_why_str(dma_vq_why(&vq))); break; }
 *         if (dma_vq_should_notify(&vq)) raise the interrupt;
 *         if (dma_vq_enable_notify(&vq)) { dma_vq_disable_notify(&vq); continue; }
 *         wait for a kick; dma_vq_disable_notify(&vq);
 *     }
 *
 * Names (pinned by DESIGN "Virtio"): struct dma_vq_config, dma_vq_seg,
 * dma_vq_chain, dma_vq; functions odma_vq_X, each with a one-line
 * dma_vq_X wrapper that ODMA_NO_SHORT_NAMES leaves out. Beyond the
 * contract: dma_vq_fill/dma_vq_flush (batched push: several used elements,
 * one index update), dma_vq_why/dma_vq_why_str (the protocol rule a broken
 * queue's driver broke), dma_vq_set_state/dma_vq_get_state (next avail and
 * used positions, for vhost-user SET/GET_VRING_BASE and migration).
 * Little-endian rings only (VIRTIO_F_VERSION_1).
 *
 * Spec references use virtio 1.2 (cs01) numbering: split virtqueues are
 * section 2.7, packed 2.8. (In 1.1, which has no "Device Reset" section,
 * the second number is one less: split 2.6.x, packed 2.7.x.)
 *
 * Which barrier goes where, and why:
 *
 * Split ring.
 *  1. pop: the avail idx is loaded with _acquire (load, then rmb), and
 *     the ring entry and descriptors (and indirect tables) after it with
 *     _relaxed loads. The driver writes descriptors and the ring entry,
 *     then a write barrier, then idx (2.7.13.3 "Updating idx", and the
 *     driver requirement of 2.7.13.3.1); without the device's read
 *     barrier the ring entry or a descriptor can be read before the idx
 *     that published it (Arm, POWER: loads reorder). The acquire orders
 *     every later access of this thread, so the reads after it need no
 *     barrier of their own; a cached avail idx was loaded with acquire by
 *     an earlier pop in program order, so that still holds.
 *  2. push: the used element is written _relaxed, then the used idx with
 *     _release (wmb, then the store). The device must set the used
 *     element before it updates idx (2.7.8 "The Virtqueue Used Ring",
 *     device requirement 2.7.8.2; 2.7.14); the wmb also orders the device
 *     model's earlier writes into the buffers before the idx, so the driver
 *     sees the data it is told about. dma_vq_fill + dma_vq_flush write many
 *     elements and then one idx: one barrier for the batch.
 *  3. should_notify: full barrier (odma_mb), then read used_event
 *     (event_idx, 2.7.7 "Used Buffer Notification Suppression", device
 *     requirement 2.7.7.2) or the avail ring's flags (NO_INTERRUPT). This
 *     is a store (used idx) then a load (used_event/flags) on the device
 *     against the driver's store (used_event/flags) then load (used idx):
 *     the store-buffering shape. With anything weaker than a full barrier
 *     on both sides both can read the old value: the device does not
 *     interrupt, the driver goes to sleep, the wake-up is lost. A release
 *     or acquire fence does not forbid it (it is observable on x86).
 *  4. enable_notify: write avail_event (event_idx) or clear the used
 *     ring's NO_NOTIFY flag, full barrier, then re-read the avail idx with
 *     acquire (2.7.10 "Available Buffer Notification Suppression",
 *     2.7.10.2). The same store-buffering shape against the driver's
 *     "write avail idx, mb, read avail_event/flags" (2.7.13.4 "Notifying
 *     The Device"), so a full barrier: else the device sleeps while the
 *     driver decides not to kick.
 *  5. disable_notify: in flags mode, set NO_NOTIFY (a plain store; a
 *     late-seen NO_NOTIFY only costs a spurious kick). With event_idx it
 *     writes nothing: avail_event keeps its last value, so the driver kicks
 *     at most once more.
 *
 * Packed ring.
 *  6. pop: the head descriptor's flags are loaded with _acquire, the
 *     rest of the head and the chained descriptors after it _relaxed. The
 *     driver writes the whole chain, then a write barrier, then the head's
 *     flags (2.8.6 "Next Flag: Descriptor Chaining", 2.8.21.1 "Placing
 *     Available Buffers Into The Descriptor Ring"); a descriptor is
 *     available when its AVAIL bit equals the device's wrap counter and
 *     its USED bit does not (2.8.1 "Driver and Device Ring Wrap
 *     Counters").
 *  7. push: the used descriptor's id and length _relaxed, then its flags
 *     (AVAIL = USED = the device's used wrap counter) with _release: the
 *     driver reads the flags, then (after its read barrier) the id and
 *     length (2.8.22 "Receiving Used Buffers From The Device"). The used
 *     position then skips the chain's descriptors (2.8.6). In a batch
 *     (fill + flush) the flags of the batch's first element are written
 *     last, so the driver, which consumes in ring order, sees the batch at
 *     once; each later element still gets its own release.
 *  8. should_notify: full barrier, then one 32-bit load of the driver
 *     event suppression structure (off_wrap and flags, 2.8.10 "Driver and
 *     Device Event Suppression", 2.8.14 "Event Suppression Structure
 *     Format"): the same store-buffering shape as 3.
 *  9. enable_notify: one 32-bit store of the device event suppression
 *     structure (ENABLE, or DESC with the next avail position and wrap),
 *     full barrier, then the next descriptor's flags with acquire
 *     (2.8.21.2 "Sending Available Buffer Notifications"): as 4.
 *     disable_notify stores DISABLE.
 *
 * The full barriers of 3, 4, 8 and 9 are the protocol's requirement, not
 * the bus's: virtio.h issues them itself, whatever the context's policy
 * (DMA_POLICY_NONE included). ODMA_VQ_TEST_NO_SUPPRESSION_MB, a TEST-ONLY
 * switch defined before the include, removes exactly these barriers (a
 * compiler barrier stays) so that tests can show the lost wake-up they
 * prevent. Never define it in a real build.
 *
 * Errors. A driver that breaks the protocol makes dma_vq_pop return -1
 * and breaks the queue: every later pop returns -1, push/fill/flush and
 * the notify calls write nothing, until dma_vq_init again. The failing pop
 * writes no guest byte (no pop ever writes one), and the caller's chain is
 * left with nseg 0. dma_vq_error says DMA_ERR_INVALID for a protocol
 * violation or the accessor's own result (DMA_ERR_UNMAPPED ...) when ring
 * memory could not be accessed; dma_vq_why says which rule:
 *   DMA_VQ_WHY_BAD_INDEX           descriptor index >= num (split), or
 *                                  >= the indirect table's entries
 *   DMA_VQ_WHY_CHAIN_TOO_LONG      a loop, or a chain (direct or indirect
 *                                  descriptors, counted together) longer
 *                                  than num (2.7.5.3.1, 2.8.19)
 *   DMA_VQ_WHY_READ_AFTER_WRITE    a device-readable segment after a
 *                                  device-writable one (2.7.4.2)
 *   DMA_VQ_WHY_NESTED_INDIRECT     INDIRECT inside an indirect table
 *   DMA_VQ_WHY_INDIRECT_NOT_NEGOTIATED  INDIRECT without indirect
 *   DMA_VQ_WHY_INDIRECT_LEN        an indirect table length that is 0 or
 *                                  not a multiple of 16
 *   DMA_VQ_WHY_INDIRECT_IN_CHAIN   split: INDIRECT with NEXT; packed:
 *                                  INDIRECT on a descriptor of a chain
 *                                  linked by NEXT (2.7.5.3.1, 2.8.19)
 *   DMA_VQ_WHY_AVAIL_AHEAD         avail idx more than num ahead of the
 *                                  device, or moved backwards (16 bits)
 *   DMA_VQ_WHY_LEN_OVERFLOW        readable or writable total > 2^32 - 1
 *   DMA_VQ_WHY_TOO_MANY_SEGS       more than ODMA_VQ_MAX_SEGS segments
 *   DMA_VQ_WHY_RING_MEMORY         ring, event area or indirect table not
 *                                  accessible (dma_vq_error says how)
 *   DMA_VQ_WHY_BAD_CONFIG          dma_vq_init refused the configuration
 * Decisions: zero-length descriptors are accepted (a segment of length 0);
 * buffer addresses are not checked by pop (the device model's dma_read /
 * dma_write of a segment reports them); in packed indirect tables the
 * flags other than WRITE and INDIRECT, and the buffer ids, are ignored
 * (2.8.7); the WRITE flag of a descriptor that points to an indirect
 * table is ignored (2.7.5.3.2); an unknown packed event flags value (3)
 * counts as ENABLE.
 *
 * dma_vq_init checks its arguments (num: 1..32768, and a power of two for
 * split; desc 16-aligned; split avail 2-, used 4-aligned; packed event
 * areas 4-aligned) and that every byte of the rings and event areas lies
 * in a region with the right permission (read for what the driver writes,
 * write for what the device writes); else it returns the error, and the
 * queue is broken (DMA_VQ_WHY_BAD_CONFIG or _RING_MEMORY). Regions that
 * change later are caught by the accessors: the queue breaks with
 * DMA_VQ_WHY_RING_MEMORY. It writes no guest memory: the driver set the
 * rings up.
 *
 * Notification calls:
 *   should_notify  after pushes (flushes): true if the driver wants an
 *                  interrupt for what was published since the last call.
 *                  False if nothing was. If the event area cannot be read
 *                  the queue breaks and the answer is true (a spurious
 *                  interrupt is harmless, a lost one is not).
 *   enable_notify  ask for kicks; true if buffers arrived meanwhile (pop
 *                  again; call disable_notify if you go on polling). With
 *                  event_idx, a split enable_notify that returns false
 *                  leaves avail_event equal to the avail idx it read. On a
 *                  broken queue: true (the next pop reports -1).
 *   disable_notify ask for no kicks (see 5 above).
 *
 * Threads: one dma_vq is used by one thread at a time.
 */
#ifndef ODMA_VIRTIO_H
#define ODMA_VIRTIO_H

#include "../odma.h"

#ifndef ODMA_VQ_MAX_SEGS
#define ODMA_VQ_MAX_SEGS 64 /* segments per chain */
#endif
#if ODMA_VQ_MAX_SEGS < 1 || ODMA_VQ_MAX_SEGS > 65535
#error "ODMA_VQ_MAX_SEGS must be in 1..65535"
#endif

/* Descriptor flags (2.7.5, 2.8.13) and ring flags (2.7.6, 2.7.8, 2.8.14). */
enum {
    DMA_VQ_DESC_F_NEXT = 1,
    DMA_VQ_DESC_F_WRITE = 2,
    DMA_VQ_DESC_F_INDIRECT = 4,
    DMA_VQ_DESC_F_AVAIL = 1 << 7,
    DMA_VQ_DESC_F_USED = 1 << 15,
    DMA_VQ_AVAIL_F_NO_INTERRUPT = 1,
    DMA_VQ_USED_F_NO_NOTIFY = 1,
    DMA_VQ_EVENT_ENABLE = 0,
    DMA_VQ_EVENT_DISABLE = 1,
    DMA_VQ_EVENT_DESC = 2
};

struct dma_vq_config {
    uint16_t num;    /* queue size; split: power of two */
    bool packed;     /* VIRTIO_F_RING_PACKED */
    bool event_idx;  /* VIRTIO_F_EVENT_IDX */
    bool indirect;   /* VIRTIO_F_INDIRECT_DESC */
    uint64_t desc;   /* descriptor table (packed: descriptor ring) */
    uint64_t driver; /* split: available ring; packed: driver event suppression */
    uint64_t device; /* split: used ring; packed: device event suppression */
};

struct dma_vq_seg {
    uint64_t addr;
    uint32_t len;
    bool device_writes;
};

struct dma_vq_chain {
    uint16_t id;                 /* head index (split) / buffer id (packed) */
    uint16_t nseg;               /* segments in seg[], driver-readable ones first */
    uint32_t readable, writable; /* total bytes of each kind */
    struct dma_vq_seg seg[ODMA_VQ_MAX_SEGS];
    uint16_t ndesc;              /* private: ring descriptors the chain used
                                    (packed: the used position skips them) */
};

/* Why a queue is broken (dma_vq_why); see the top comment. */
enum dma_vq_why {
    DMA_VQ_WHY_OK = 0,
    DMA_VQ_WHY_BAD_CONFIG,
    DMA_VQ_WHY_RING_MEMORY,
    DMA_VQ_WHY_BAD_INDEX,
    DMA_VQ_WHY_CHAIN_TOO_LONG,
    DMA_VQ_WHY_READ_AFTER_WRITE,
    DMA_VQ_WHY_NESTED_INDIRECT,
    DMA_VQ_WHY_INDIRECT_NOT_NEGOTIATED,
    DMA_VQ_WHY_INDIRECT_LEN,
    DMA_VQ_WHY_INDIRECT_IN_CHAIN,
    DMA_VQ_WHY_AVAIL_AHEAD,
    DMA_VQ_WHY_LEN_OVERFLOW,
    DMA_VQ_WHY_TOO_MANY_SEGS
};

struct dma_vq {
    struct dma_ctx *ctx;
    struct dma_vq_config cfg;
    dma_result error;         /* DMA_OK while the queue works */
    enum dma_vq_why why;
    /* Split: free-running 16-bit indexes. Packed: ring positions. */
    uint16_t last_avail;      /* split: next avail idx to pop; packed: next position */
    uint16_t avail_shadow;    /* split: last avail idx read */
    uint16_t used;            /* split: used idx published; packed: used position published */
    uint16_t fill;            /* next used element to fill (= used when none pending) */
    uint16_t pending;         /* elements filled but not flushed */
    uint32_t pending_descs;   /* their descriptors (split: one per element) */
    bool avail_wrap;          /* packed: device's avail wrap counter */
    bool used_wrap;           /* packed: wrap counter at `used` */
    bool fill_wrap;           /* packed: wrap counter at `fill` */
    uint16_t head_flags;      /* packed: flags held back for the batch's first element */
    uint16_t head_pos;        /* packed: its position */
    uint16_t signalled;       /* used (split idx / packed position) at the last should_notify */
    bool signalled_wrap;
    bool signalled_valid;     /* false: the next should_notify after a push says true */
    uint32_t span;            /* descriptors published since the last should_notify */
    int notify_state;         /* -1 unknown, 0 disabled, 1 enabled (what we last wrote) */
};

/* ---- guest accesses: every one through odma -------------------------- */

static inline dma_result odma__vq_ld16_acquire(struct dma_vq *vq, uint64_t a, uint16_t *v)
{
    return odma_ld_le16_acquire(vq->ctx, a, v);
}
static inline dma_result odma__vq_ld16(struct dma_vq *vq, uint64_t a, uint16_t *v)
{
    return odma_ld_le16_relaxed(vq->ctx, a, v);
}
static inline dma_result odma__vq_ld32(struct dma_vq *vq, uint64_t a, uint32_t *v)
{
    return odma_ld_le32_relaxed(vq->ctx, a, v);
}
static inline dma_result odma__vq_st16(struct dma_vq *vq, uint64_t a, uint16_t v)
{
    return odma_st_le16_relaxed(vq->ctx, a, v);
}
static inline dma_result odma__vq_st16_release(struct dma_vq *vq, uint64_t a, uint16_t v)
{
    return odma_st_le16_release(vq->ctx, a, v);
}
static inline dma_result odma__vq_st32(struct dma_vq *vq, uint64_t a, uint32_t v)
{
    return odma_st_le32_relaxed(vq->ctx, a, v);
}
static inline dma_result odma__vq_read(struct dma_vq *vq, uint64_t a, void *buf, size_t n)
{
    return odma_read_relaxed(vq->ctx, a, buf, n);
}
static inline dma_result odma__vq_write(struct dma_vq *vq, uint64_t a, const void *buf, size_t n)
{
    return odma_write_relaxed(vq->ctx, a, buf, n);
}

/* The full barrier of notification suppression (see the top comment). */
static inline void odma__vq_suppression_mb(void)
{
#ifdef ODMA_VQ_TEST_NO_SUPPRESSION_MB
    ODMA__COMPILER_BARRIER(); /* TEST ONLY: the lost-wake-up bug, on purpose */
#else
    odma_mb();
#endif
}

static inline uint16_t odma__vq_get16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}
static inline uint32_t odma__vq_get32(const unsigned char *p)
{
    return (uint32_t)odma__vq_get16(p) | (uint32_t)odma__vq_get16(p + 2) << 16;
}
static inline uint64_t odma__vq_get64(const unsigned char *p)
{
    return (uint64_t)odma__vq_get32(p) | (uint64_t)odma__vq_get32(p + 4) << 32;
}
static inline void odma__vq_put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static inline void odma__vq_put32(unsigned char *p, uint32_t v)
{
    odma__vq_put16(p, (uint16_t)v);
    odma__vq_put16(p + 2, (uint16_t)(v >> 16));
}

/* ---- errors --------------------------------------------------------------- */

static inline const char *odma_vq_why_str(enum dma_vq_why w)
{
    switch (w) {
    case DMA_VQ_WHY_OK: return "queue works";
    case DMA_VQ_WHY_BAD_CONFIG: return "bad queue configuration";
    case DMA_VQ_WHY_RING_MEMORY: return "ring memory not accessible";
    case DMA_VQ_WHY_BAD_INDEX: return "descriptor index out of range";
    case DMA_VQ_WHY_CHAIN_TOO_LONG: return "descriptor loop or chain longer than the queue";
    case DMA_VQ_WHY_READ_AFTER_WRITE: return "device-readable descriptor after a device-writable one";
    case DMA_VQ_WHY_NESTED_INDIRECT: return "indirect descriptor inside an indirect table";
    case DMA_VQ_WHY_INDIRECT_NOT_NEGOTIATED: return "indirect descriptor without VIRTIO_F_INDIRECT_DESC";
    case DMA_VQ_WHY_INDIRECT_LEN: return "indirect table length zero or not a multiple of 16";
    case DMA_VQ_WHY_INDIRECT_IN_CHAIN: return "indirect descriptor chained with NEXT";
    case DMA_VQ_WHY_AVAIL_AHEAD: return "avail idx more than the queue size ahead (or backwards)";
    case DMA_VQ_WHY_LEN_OVERFLOW: return "chain length overflows 32 bits";
    case DMA_VQ_WHY_TOO_MANY_SEGS: return "more than ODMA_VQ_MAX_SEGS segments";
    }
    return "unknown dma_vq_why";
}

/* Break the queue: sticky until dma_vq_init. Returns -1 for pop. */
static inline int odma__vq_break(struct dma_vq *vq, dma_result r, enum dma_vq_why w)
{
    vq->error = r;
    vq->why = w;
    return -1;
}

static inline dma_result odma_vq_error(const struct dma_vq *vq)
{
    return vq ? vq->error : DMA_ERR_INVALID;
}

static inline enum dma_vq_why odma_vq_why(const struct dma_vq *vq)
{
    return vq ? vq->why : DMA_VQ_WHY_BAD_CONFIG;
}

/* ---- set-up --------------------------------------------------------------- */

static inline dma_result odma__vq_check_area(struct dma_ctx *ctx, uint64_t addr,
                                             uint64_t len, bool device_writes)
{
    dma_result r = odma__check_range(ctx, addr, len, DMA_DIR_READ, ctx->attrs, false, NULL);
    if (r == DMA_OK && device_writes)
        r = odma__check_range(ctx, addr, len, DMA_DIR_WRITE, ctx->attrs, false, NULL);
    return r;
}

static inline dma_result odma_vq_init(struct dma_vq *vq, struct dma_ctx *ctx,
                                      const struct dma_vq_config *cfg)
{
    uint64_t n;
    dma_result r;
    if (!vq)
        return DMA_ERR_INVALID;
    memset(vq, 0, sizeof *vq);
    vq->ctx = ctx;
    vq->avail_wrap = vq->used_wrap = vq->fill_wrap = vq->signalled_wrap = true;
    vq->signalled_valid = true;
    vq->notify_state = -1;
    if (!ctx || !cfg) {
        odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_BAD_CONFIG);
        return DMA_ERR_INVALID;
    }
    vq->cfg = *cfg;
    n = cfg->num;
    if (n == 0 || n > 32768 || (!cfg->packed && (n & (n - 1)))) {
        odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_BAD_CONFIG);
        return DMA_ERR_INVALID;
    }
    if ((cfg->desc & 15) || (cfg->packed ? ((cfg->driver | cfg->device) & 3)
                                         : ((cfg->driver & 1) || (cfg->device & 3)))) {
        odma__vq_break(vq, DMA_ERR_ALIGN, DMA_VQ_WHY_BAD_CONFIG);
        return DMA_ERR_ALIGN;
    }
    if (cfg->packed) {
        r = odma__vq_check_area(ctx, cfg->desc, 16 * n, true);
        if (r == DMA_OK)
            r = odma__vq_check_area(ctx, cfg->driver, 4, false);
        if (r == DMA_OK)
            r = odma__vq_check_area(ctx, cfg->device, 4, true);
    } else {
        r = odma__vq_check_area(ctx, cfg->desc, 16 * n, false);
        if (r == DMA_OK)
            r = odma__vq_check_area(ctx, cfg->driver, 6 + 2 * n, false);
        if (r == DMA_OK)
            r = odma__vq_check_area(ctx, cfg->device, 6 + 8 * n, true);
    }
    if (r != DMA_OK)
        odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY);
    return r;
}

/*
 * Where the device starts: split, the next avail idx to pop and the used
 * idx (both free-running); packed, each a position with its wrap counter
 * in bit 15 (as vhost-user's SET_VRING_BASE carries them). The next
 * should_notify after a push says true. Not on a broken queue.
 */
static inline dma_result odma_vq_set_state(struct dma_vq *vq, uint16_t next_avail,
                                           uint16_t next_used)
{
    if (!vq || vq->error != DMA_OK)
        return vq ? vq->error : DMA_ERR_INVALID;
    if (vq->pending)
        return DMA_ERR_INVALID;
    if (vq->cfg.packed) {
        if ((next_avail & 0x7fff) >= vq->cfg.num || (next_used & 0x7fff) >= vq->cfg.num)
            return DMA_ERR_INVALID;
        vq->last_avail = next_avail & 0x7fff;
        vq->avail_wrap = next_avail >> 15;
        vq->used = vq->fill = next_used & 0x7fff;
        vq->used_wrap = vq->fill_wrap = next_used >> 15;
    } else {
        vq->last_avail = vq->avail_shadow = next_avail;
        vq->used = vq->fill = next_used;
    }
    vq->signalled = vq->used;
    vq->signalled_wrap = vq->used_wrap;
    vq->signalled_valid = false;
    vq->span = 0;
    return DMA_OK;
}

static inline void odma_vq_get_state(const struct dma_vq *vq, uint16_t *next_avail,
                                     uint16_t *next_used)
{
    if (vq && vq->cfg.packed) {
        *next_avail = (uint16_t)(vq->last_avail | (unsigned)vq->avail_wrap << 15);
        *next_used = (uint16_t)(vq->used | (unsigned)vq->used_wrap << 15);
    } else if (vq) {
        *next_avail = vq->last_avail;
        *next_used = vq->used;
    }
}

/* ---- pop ----------------------------------------------------------------- */

/* Add one buffer descriptor to the chain being built. */
static inline int odma__vq_add_seg(struct dma_vq *vq, struct dma_vq_chain *c, uint64_t addr,
                                   uint32_t len, bool writes)
{
    if (writes) {
        if (len > UINT32_MAX - c->writable)
            return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_LEN_OVERFLOW);
        c->writable += len;
    } else {
        if (c->writable || (c->nseg && c->seg[c->nseg - 1].device_writes))
            return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_READ_AFTER_WRITE);
        if (len > UINT32_MAX - c->readable)
            return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_LEN_OVERFLOW);
        c->readable += len;
    }
    if (c->nseg >= ODMA_VQ_MAX_SEGS)
        return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_TOO_MANY_SEGS);
    c->seg[c->nseg].addr = addr;
    c->seg[c->nseg].len = len;
    c->seg[c->nseg].device_writes = writes;
    c->nseg++;
    return 0;
}

static inline void odma__vq_chain_reset(struct dma_vq_chain *c)
{
    c->id = 0;
    c->nseg = 0;
    c->readable = c->writable = 0;
    c->ndesc = 0;
}

/* A failed pop leaves the caller's chain empty. */
static inline int odma__vq_pop_fail(struct dma_vq_chain *c)
{
    odma__vq_chain_reset(c);
    return -1;
}

static inline int odma__vq_pop_split(struct dma_vq *vq, struct dma_vq_chain *c)
{
    const uint16_t num = vq->cfg.num;
    uint64_t table = vq->cfg.desc;
    uint32_t size = num, count = 0, tcount = 0;
    bool in_table = false;
    uint16_t head, i;
    dma_result r;

    if (vq->last_avail == vq->avail_shadow) {
        uint16_t idx;
        r = odma__vq_ld16_acquire(vq, vq->cfg.driver + 2, &idx);
        if (r != DMA_OK)
            return odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY);
        if ((uint16_t)(idx - vq->last_avail) > num)
            return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_AVAIL_AHEAD);
        vq->avail_shadow = idx;
        if (idx == vq->last_avail)
            return 0;
    }
    r = odma__vq_ld16(vq, vq->cfg.driver + 4 + 2u * (vq->last_avail & (num - 1u)), &head);
    if (r != DMA_OK)
        return odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY);
    odma__vq_chain_reset(c);
    c->id = head;
    i = head;
    for (;;) {
        unsigned char d[16];
        uint64_t addr;
        uint32_t len;
        uint16_t flags;
        if (i >= size)
            return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_BAD_INDEX);
        if (++count > num || (in_table && ++tcount > size))
            return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_CHAIN_TOO_LONG);
        r = odma__vq_read(vq, table + 16u * i, d, 16);
        if (r != DMA_OK)
            return odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY);
        addr = odma__vq_get64(d);
        len = odma__vq_get32(d + 8);
        flags = odma__vq_get16(d + 12);
        if (flags & DMA_VQ_DESC_F_INDIRECT) {
            if (in_table)
                return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_NESTED_INDIRECT);
            if (!vq->cfg.indirect)
                return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_INDIRECT_NOT_NEGOTIATED);
            if (flags & DMA_VQ_DESC_F_NEXT)
                return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_INDIRECT_IN_CHAIN);
            if (len == 0 || (len & 15))
                return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_INDIRECT_LEN);
            /* The descriptor that points to the table is not a segment
             * (and does not count towards the chain's length). */
            count--;
            table = addr;
            size = len / 16;
            in_table = true;
            i = 0;
            continue;
        }
        if (odma__vq_add_seg(vq, c, addr, len, (flags & DMA_VQ_DESC_F_WRITE) != 0) < 0)
            return -1;
        if (!(flags & DMA_VQ_DESC_F_NEXT))
            break;
        i = odma__vq_get16(d + 14);
    }
    c->ndesc = 1;
    vq->last_avail++;
    return 1;
}

static inline bool odma__vq_packed_avail(uint16_t flags, bool wrap)
{
    return ((flags & DMA_VQ_DESC_F_AVAIL) != 0) == wrap &&
           ((flags & DMA_VQ_DESC_F_USED) != 0) != wrap;
}

static inline int odma__vq_pop_packed(struct dma_vq *vq, struct dma_vq_chain *c)
{
    const uint16_t num = vq->cfg.num;
    uint16_t pos = vq->last_avail, flags;
    bool wrap = vq->avail_wrap;
    uint32_t ndesc = 0;
    dma_result r;

    r = odma__vq_ld16_acquire(vq, vq->cfg.desc + 16u * pos + 14, &flags);
    if (r != DMA_OK)
        return odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY);
    if (!odma__vq_packed_avail(flags, wrap))
        return 0;
    odma__vq_chain_reset(c);
    for (;;) {
        unsigned char d[16];
        uint64_t addr;
        uint32_t len;
        if (++ndesc > num)
            return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_CHAIN_TOO_LONG);
        r = odma__vq_read(vq, vq->cfg.desc + 16u * pos, d, 16);
        if (r != DMA_OK)
            return odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY);
        addr = odma__vq_get64(d);
        len = odma__vq_get32(d + 8);
        c->id = odma__vq_get16(d + 12); /* the last descriptor's id counts */
        flags = odma__vq_get16(d + 14);
        if (++pos == num) {
            pos = 0;
            wrap = !wrap;
        }
        if (flags & DMA_VQ_DESC_F_INDIRECT) {
            uint32_t k, entries;
            if (!vq->cfg.indirect)
                return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_INDIRECT_NOT_NEGOTIATED);
            if ((flags & DMA_VQ_DESC_F_NEXT) || ndesc > 1)
                return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_INDIRECT_IN_CHAIN);
            if (len == 0 || (len & 15))
                return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_INDIRECT_LEN);
            entries = len / 16;
            if (entries > num)
                return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_CHAIN_TOO_LONG);
            for (k = 0; k < entries; k++) {
                unsigned char t[16];
                uint16_t tf;
                r = odma__vq_read(vq, addr + 16u * k, t, 16);
                if (r != DMA_OK)
                    return odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY);
                tf = odma__vq_get16(t + 14);
                if (tf & DMA_VQ_DESC_F_INDIRECT)
                    return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_NESTED_INDIRECT);
                if (odma__vq_add_seg(vq, c, odma__vq_get64(t), odma__vq_get32(t + 8),
                                     (tf & DMA_VQ_DESC_F_WRITE) != 0) < 0)
                    return -1;
            }
            break;
        }
        if (odma__vq_add_seg(vq, c, addr, len, (flags & DMA_VQ_DESC_F_WRITE) != 0) < 0)
            return -1;
        if (!(flags & DMA_VQ_DESC_F_NEXT))
            break;
    }
    c->ndesc = (uint16_t)ndesc;
    vq->last_avail = pos;
    vq->avail_wrap = wrap;
    return 1;
}

/* 1: a chain in *c; 0: none available; -1: the queue is broken. */
static inline int odma_vq_pop(struct dma_vq *vq, struct dma_vq_chain *c)
{
    int n;
    if (!vq)
        return -1;
    if (!c) /* the device model's bug: the queue breaks (DMA_ERR_INVALID) */
        return vq->error != DMA_OK ? -1 : odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_BAD_CONFIG);
    if (vq->error != DMA_OK)
        return odma__vq_pop_fail(c);
    n = vq->cfg.packed ? odma__vq_pop_packed(vq, c) : odma__vq_pop_split(vq, c);
    if (n < 0)
        odma__vq_chain_reset(c);
    return n;
}

/* ---- push ---------------------------------------------------------------- */

/*
 * Write one used element, not yet visible to the driver (split: before
 * the used idx; packed: the batch's first element's flags are held back).
 * `written` is the number of bytes the device wrote into the chain's
 * writable segments (at most chain->writable, else DMA_ERR_INVALID). At
 * most num elements may be pending.
 */
static inline dma_result odma_vq_fill(struct dma_vq *vq, const struct dma_vq_chain *c,
                                      uint32_t written)
{
    const uint16_t num = vq ? vq->cfg.num : 0;
    unsigned char e[8];
    dma_result r;
    if (!vq || !c)
        return DMA_ERR_INVALID;
    if (vq->error != DMA_OK)
        return vq->error;
    if (written > c->writable || vq->pending >= num ||
        (vq->cfg.packed ? (c->ndesc == 0 || c->ndesc > num) : c->id >= num))
        return DMA_ERR_INVALID;
    if (!vq->cfg.packed) {
        odma__vq_put32(e, c->id);
        odma__vq_put32(e + 4, written);
        r = odma__vq_write(vq, vq->cfg.device + 4 + 8u * (vq->fill & (num - 1u)), e, 8);
        if (r != DMA_OK) {
            odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY);
            return r;
        }
        vq->fill++;
        vq->pending_descs++;
    } else {
        uint64_t d = vq->cfg.desc + 16u * vq->fill;
        uint16_t f = vq->fill_wrap ? (DMA_VQ_DESC_F_AVAIL | DMA_VQ_DESC_F_USED) : 0;
        odma__vq_put32(e, written);
        odma__vq_put16(e + 4, c->id);
        r = odma__vq_write(vq, d + 8, e, 6);
        if (r == DMA_OK && vq->pending)
            r = odma__vq_st16_release(vq, d + 14, f);
        if (r != DMA_OK) {
            odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY);
            return r;
        }
        if (!vq->pending) {
            vq->head_pos = vq->fill;
            vq->head_flags = f;
        }
        vq->pending_descs += c->ndesc;
        vq->fill = (uint16_t)(vq->fill + c->ndesc);
        if (vq->fill >= num) {
            vq->fill = (uint16_t)(vq->fill - num);
            vq->fill_wrap = !vq->fill_wrap;
        }
    }
    vq->pending++;
    return DMA_OK;
}

/* Make every filled element visible: one used idx store (split), or the
 * held-back flags of the batch's first element (packed). */
static inline dma_result odma_vq_flush(struct dma_vq *vq)
{
    dma_result r;
    if (!vq)
        return DMA_ERR_INVALID;
    if (vq->error != DMA_OK)
        return vq->error;
    if (!vq->pending)
        return DMA_OK;
    if (!vq->cfg.packed)
        r = odma__vq_st16_release(vq, vq->cfg.device + 2, vq->fill);
    else
        r = odma__vq_st16_release(vq, vq->cfg.desc + 16u * vq->head_pos + 14, vq->head_flags);
    if (r != DMA_OK) {
        odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY);
        return r;
    }
    /* Counted from the chains, not from positions: a driver that offers
     * descriptors the device still holds can make a batch wrap the ring. */
    vq->span = vq->span + vq->pending_descs < vq->span ? UINT32_MAX : vq->span + vq->pending_descs;
    vq->pending_descs = 0;
    vq->used = vq->fill;
    vq->used_wrap = vq->fill_wrap;
    vq->pending = 0;
    return DMA_OK;
}

static inline dma_result odma_vq_push(struct dma_vq *vq, const struct dma_vq_chain *c,
                                      uint32_t written)
{
    dma_result r = odma_vq_fill(vq, c, written);
    return r != DMA_OK ? r : odma_vq_flush(vq);
}

/* ---- notifications ------------------------------------------------------- */

/* The spec's event test: is `event` in [old, new) (16-bit arithmetic)? */
static inline bool odma__vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

static inline bool odma_vq_should_notify(struct dma_vq *vq)
{
    const uint16_t num = vq ? vq->cfg.num : 0;
    uint16_t old, old_wrap_pos;
    uint32_t span;
    bool valid;
    dma_result r;
    if (!vq || vq->error != DMA_OK)
        return false;
    if (!vq->span)
        return false;
    /* Protocol barrier: our used idx / used flags store, then the load of
     * the driver's used_event / flags (store buffering; see above). */
    odma__vq_suppression_mb();
    old = vq->signalled;
    old_wrap_pos = vq->signalled_wrap ? old : (uint16_t)(old + num);
    span = vq->span;
    valid = vq->signalled_valid;
    vq->signalled = vq->used;
    vq->signalled_wrap = vq->used_wrap;
    vq->signalled_valid = true;
    vq->span = 0;
    if (!vq->cfg.packed) {
        uint16_t v;
        if (vq->cfg.event_idx) {
            r = odma__vq_ld16(vq, vq->cfg.driver + 4 + 2u * num, &v);
            if (r != DMA_OK)
                return odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY), true;
            return !valid || span >= 65536u || odma__vq_need_event(v, vq->used, old);
        }
        r = odma__vq_ld16(vq, vq->cfg.driver, &v);
        if (r != DMA_OK)
            return odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY), true;
        return !(v & DMA_VQ_AVAIL_F_NO_INTERRUPT);
    } else {
        uint32_t ev, m = 2u * num;
        uint16_t flags, off;
        uint32_t e, o, n;
        r = odma__vq_ld32(vq, vq->cfg.driver, &ev);
        if (r != DMA_OK)
            return odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY), true;
        flags = (uint16_t)((ev >> 16) & 3u);
        if (flags == DMA_VQ_EVENT_DISABLE)
            return false;
        if (flags != DMA_VQ_EVENT_DESC || !vq->cfg.event_idx || !valid || span >= m)
            return true;
        off = (uint16_t)(ev & 0x7fffu);
        if (off >= num)
            return true;
        /* Positions with their wrap counter as one counter modulo 2 num
         * (wrap 1: 0..num-1, wrap 0: num..2num-1); notify if the event
         * position is in [old, new) along that circle. */
        e = off + ((ev & 0x8000u) ? 0u : num);
        o = old_wrap_pos;
        n = vq->used + (vq->used_wrap ? 0u : num);
        return (e + m - o) % m < (n + m - o) % m;
    }
}

static inline bool odma_vq_enable_notify(struct dma_vq *vq)
{
    dma_result r;
    if (!vq || vq->error != DMA_OK)
        return true;
    if (!vq->cfg.packed) {
        uint16_t idx;
        if (vq->avail_shadow != vq->last_avail)
            return true; /* popped fewer than we know of: nothing to ask for */
        if (vq->cfg.event_idx)
            r = odma__vq_st16(vq, vq->cfg.device + 4 + 8u * vq->cfg.num, vq->last_avail);
        else
            r = odma__vq_st16(vq, vq->cfg.device, 0);
        if (r != DMA_OK)
            return odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY), true;
        vq->notify_state = 1;
        /* Protocol barrier: our avail_event / flags store, then the load
         * of the driver's avail idx. */
        odma__vq_suppression_mb();
        r = odma__vq_ld16_acquire(vq, vq->cfg.driver + 2, &idx);
        if (r != DMA_OK)
            return odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY), true;
        if ((uint16_t)(idx - vq->last_avail) > vq->cfg.num)
            return odma__vq_break(vq, DMA_ERR_INVALID, DMA_VQ_WHY_AVAIL_AHEAD), true;
        vq->avail_shadow = idx;
        return idx != vq->last_avail;
    } else {
        uint16_t flags;
        uint32_t ev = vq->cfg.event_idx
                          ? (uint32_t)DMA_VQ_EVENT_DESC << 16 | vq->last_avail |
                                (uint32_t)vq->avail_wrap << 15
                          : (uint32_t)DMA_VQ_EVENT_ENABLE << 16;
        r = odma__vq_st32(vq, vq->cfg.device, ev);
        if (r != DMA_OK)
            return odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY), true;
        vq->notify_state = 1;
        odma__vq_suppression_mb();
        r = odma__vq_ld16_acquire(vq, vq->cfg.desc + 16u * vq->last_avail + 14, &flags);
        if (r != DMA_OK)
            return odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY), true;
        return odma__vq_packed_avail(flags, vq->avail_wrap);
    }
}

static inline void odma_vq_disable_notify(struct dma_vq *vq)
{
    dma_result r;
    if (!vq || vq->error != DMA_OK || vq->notify_state == 0)
        return;
    if (!vq->cfg.packed) {
        if (vq->cfg.event_idx)
            return; /* avail_event stays: at most one more kick */
        r = odma__vq_st16(vq, vq->cfg.device, DMA_VQ_USED_F_NO_NOTIFY);
    } else {
        r = odma__vq_st32(vq, vq->cfg.device, (uint32_t)DMA_VQ_EVENT_DISABLE << 16);
    }
    if (r != DMA_OK)
        odma__vq_break(vq, r, DMA_VQ_WHY_RING_MEMORY);
    else
        vq->notify_state = 0;
}

/* ---- short names ------------------------------------------------------- */

#ifndef ODMA_NO_SHORT_NAMES
static inline dma_result dma_vq_init(struct dma_vq *vq, struct dma_ctx *ctx, const struct dma_vq_config *cfg) { return odma_vq_init(vq, ctx, cfg); }
static inline int dma_vq_pop(struct dma_vq *vq, struct dma_vq_chain *c) { return odma_vq_pop(vq, c); }
static inline dma_result dma_vq_push(struct dma_vq *vq, const struct dma_vq_chain *c, uint32_t written) { return odma_vq_push(vq, c, written); }
static inline dma_result dma_vq_fill(struct dma_vq *vq, const struct dma_vq_chain *c, uint32_t written) { return odma_vq_fill(vq, c, written); }
static inline dma_result dma_vq_flush(struct dma_vq *vq) { return odma_vq_flush(vq); }
static inline bool dma_vq_should_notify(struct dma_vq *vq) { return odma_vq_should_notify(vq); }
static inline bool dma_vq_enable_notify(struct dma_vq *vq) { return odma_vq_enable_notify(vq); }
static inline void dma_vq_disable_notify(struct dma_vq *vq) { odma_vq_disable_notify(vq); }
static inline dma_result dma_vq_error(const struct dma_vq *vq) { return odma_vq_error(vq); }
static inline enum dma_vq_why dma_vq_why(const struct dma_vq *vq) { return odma_vq_why(vq); }
static inline const char *dma_vq_why_str(enum dma_vq_why w) { return odma_vq_why_str(w); }
static inline dma_result dma_vq_set_state(struct dma_vq *vq, uint16_t next_avail, uint16_t next_used) { return odma_vq_set_state(vq, next_avail, next_used); }
static inline void dma_vq_get_state(const struct dma_vq *vq, uint16_t *next_avail, uint16_t *next_used) { odma_vq_get_state(vq, next_avail, next_used); }
#endif

#endif /* ODMA_VIRTIO_H */
