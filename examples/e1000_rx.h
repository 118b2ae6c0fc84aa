/* SPDX-License-Identifier: MIT */
/*
 * e1000_rx.h - the receive side of an e1000-style NIC as an odma device
 * model: legacy 16-byte RX descriptors with a write-back status byte.
 *
 * The guest driver fills a ring of descriptors with buffer addresses and
 * gives them to the device by writing the tail register RDT (MMIO; passed
 * to e1000_receive() here). The device owns descriptors RDH .. RDT-1. For
 * each packet it
 *
 *   1. reads the descriptor at RDH          dma_read
 *   2. writes the packet into its buffer    dma_write
 *   3. writes back length, checksum, status (DD|EOP), errors, special
 *
 * then advances RDH, sets ICR.RXT0, issues dma_notify_barrier() and raises
 * the interrupt. The guest polls the status byte: once it sees DD it reads
 * the length and the packet. So DD must become visible last:
 *
 *   fixed  dma_write_publish(desc + 8, wb, 8, 4, 1): the policy barrier
 *          (orders the packet before the write-back), length / checksum /
 *          errors / special, wmb, then the status byte.
 *   buggy  dma_st_u8_relaxed(status = DD|EOP), then
 *          dma_st_le16_relaxed(length): DD goes first and no barrier
 *          separates anything. A guest that sees DD can read the old
 *          length, and on Arm or POWER even old packet bytes.
 *
 * Descriptor: le64 buffer @0, le16 length @8, le16 checksum @10, u8 status
 * @12 (DD bit 0, EOP bit 1), u8 errors @13, le16 special @14. One buffer
 * of buf_size bytes per packet (no multi-descriptor packets).
 */
#ifndef E1000_RX_H
#define E1000_RX_H

#include <odma.h>

#define E1000_DESC_SIZE 16
#define E1000_RXD_STAT_DD 0x01
#define E1000_RXD_STAT_EOP 0x02
#define E1000_ICR_RXT0 0x80

struct e1000_rx {
    struct dma_ctx dma; /* the NIC's view of guest memory */
    uint64_t rdba;      /* guest address of the descriptor ring */
    uint32_t count;     /* descriptors in the ring */
    uint32_t rdh;       /* head: the next descriptor the device fills */
    uint32_t buf_size;  /* receive buffer size (RCTL.BSIZE), e.g. 2048 */
    uint32_t icr;       /* interrupt cause register */
    int buggy;          /* write DD with relaxed stores before the length */
    void (*raise_irq)(void *opaque);
    void *irq_opaque;
};

static inline void e1000_rx_init(struct e1000_rx *d, const struct dma_policy *policy,
                                 uint64_t rdba, uint32_t count, uint32_t buf_size)
{
    memset(d, 0, sizeof *d);
    dma_ctx_init(&d->dma, policy);
    d->rdba = rdba;
    d->count = count;
    d->buf_size = buf_size;
}

/*
 * A packet arrived from the wire; `rdt` is the tail register's value.
 * Returns 1 if delivered, 0 if no descriptor is free (the caller may retry
 * later, or drop it), -1 if it cannot be delivered (too long, DMA error).
 */
static inline int e1000_receive(struct e1000_rx *d, uint32_t rdt, const void *pkt,
                                size_t len)
{
    unsigned char desc[E1000_DESC_SIZE], wb[8];
    uint64_t at = d->rdba + (uint64_t)d->rdh * E1000_DESC_SIZE, buf = 0;
    int i;
    if (rdt >= d->count || len > d->buf_size || len > 0xffff)
        return -1;
    if (d->rdh == rdt)
        return 0; /* the ring is full: RDH caught up with RDT */
    if (dma_read(&d->dma, at, desc, sizeof desc) != DMA_OK)
        return -1;
    for (i = 7; i >= 0; i--)
        buf = buf << 8 | desc[i]; /* le64 buffer address */
    if (dma_write(&d->dma, buf, pkt, len) != DMA_OK)
        return -1;
    if (d->buggy) {
        if (dma_st_u8_relaxed(&d->dma, at + 12, E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP) ||
            dma_st_le16_relaxed(&d->dma, at + 8, (uint16_t)len))
            return -1;
    } else {
        memset(wb, 0, sizeof wb);  /* checksum, errors, special: 0 */
        wb[0] = (unsigned char)len; /* length, le16 */
        wb[1] = (unsigned char)(len >> 8);
        wb[4] = E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP;
        if (dma_write_publish(&d->dma, at + 8, wb, sizeof wb, 4, 1) != DMA_OK)
            return -1;
    }
    d->rdh = (d->rdh + 1) % d->count;
    d->icr |= E1000_ICR_RXT0;
    dma_notify_barrier(&d->dma); /* the write-back visible before the IRQ */
    if (d->raise_irq)
        d->raise_irq(d->irq_opaque);
    return 1;
}

#endif /* E1000_RX_H */
