/* SPDX-License-Identifier: MIT */
/*
 * odma-ring.h - the programming interface of the odma-ring PCI device:
 * register offsets in BAR0 and the descriptor layout in guest memory.
 * Shared by the device model (odma-ring.c) and the qtest scenarios
 * (tests/qemu/scenarios.c); plain C, no QEMU header.
 *
 * PCI 1234:11ea, class "other system peripheral". BAR0: 8 KiB MMIO,
 * little-endian. 0x0000-0x0fff registers (32-bit accesses), 0x1000-0x1fff
 * a 4 KiB scratch buffer inside the device (any access of 1..8 bytes).
 *
 * The guest puts a ring of ODMA_RING_DESC_SIZE-byte descriptors in its
 * memory, writes its address and size, sets CTRL.RUN, then writes the
 * index after its last new descriptor to TAIL (the doorbell). A device
 * thread takes descriptors from HEAD to TAIL, each:
 *   COPY         len bytes guest src -> guest dst (through dma_map)
 *   TO_DEVICE    len bytes guest src -> scratch[0..len)   (dma_read)
 *   FROM_DEVICE  scratch[0..len) -> guest dst             (dma_write)
 *   FILL         len bytes at guest dst := low byte of src (dma_set)
 * then writes the descriptor's status word with a release store: bit 15
 * the phase (1 on the first pass over the ring, flipped on each wrap),
 * bits 0..7 the dma_result of the transfer (0 = done). A failed transfer
 * completes its descriptor with the error and the engine goes on.
 * After each descriptor: IRQ_STATUS.DONE, an odma notify barrier, and
 * INTx if IRQ_MASK allows (PCI status register bit 3 shows it).
 *
 * If the device cannot read a descriptor or write its status (bus
 * mastering off, ring outside RAM) it halts: STATUS.HALTED, ERROR = the
 * dma_result, IRQ_STATUS.ERROR, HEAD stays at that descriptor. Writing
 * CTRL.RUN 0 then 1 clears the halt and retries it.
 *
 * Property iommu-window=W (default 0: off) puts a toy IOMMU in front of
 * the device, for the tests: bus address A >= W reaches guest-physical
 * A - W, anything below W faults (DMA_ERR_FAULT), and so does an access
 * whose attributes do not carry this function's requester id. It is an
 * odma translate hook with attributes, the place a real vIOMMU glue
 * would call address_space_get_iotlb_entry().
 *
 * CTRL.RESET (write 1) resets the device: the engine stops, bus
 * mastering is off in the odma context until the driver's next command
 * register write (or, for this device-internal reset, it is taken from
 * the command register again once the engine is idle), outstanding maps
 * are waited for, registers go back to 0. A PCI or system reset does the
 * same through the device's reset method.
 */
#ifndef ODMA_RING_H
#define ODMA_RING_H

#define ODMA_RING_VENDOR 0x1234
#define ODMA_RING_DEVICE 0x11ea
#define ODMA_RING_BAR_SIZE 0x2000
#define ODMA_RING_SCRATCH 0x1000     /* scratch buffer offset in BAR0 */
#define ODMA_RING_SCRATCH_SIZE 0x1000
#define ODMA_RING_MAX_NUM 4096       /* descriptors per ring, power of two */
#define ODMA_RING_MAX_DELAY_US 100000

enum odma_ring_reg {
    ODMA_RING_ID = 0x00,          /* RO  0x414d444f ("ODMA") */
    ODMA_RING_CTRL = 0x04,        /* RW  bit 0 RUN; bit 1 RESET (write 1, reads 0) */
    ODMA_RING_STATUS = 0x08,      /* RO  bit 0 RUNNING, 1 HALTED, 2 BUS_MASTER, 3 BUSY */
    ODMA_RING_ERROR = 0x0c,       /* RO  dma_result that halted the engine */
    ODMA_RING_BASE_LO = 0x10,     /* RW  ring guest address */
    ODMA_RING_BASE_HI = 0x14,
    ODMA_RING_NUM = 0x18,         /* RW  descriptors in the ring (power of two) */
    ODMA_RING_TAIL = 0x1c,        /* RW  doorbell: index after the last posted */
    ODMA_RING_HEAD = 0x20,        /* RO  next descriptor the device takes */
    ODMA_RING_IRQ_STATUS = 0x24,  /* RW1C bit 0 DONE, bit 1 ERROR */
    ODMA_RING_IRQ_MASK = 0x28,    /* RW  which IRQ_STATUS bits raise INTx */
    ODMA_RING_DONE = 0x2c,        /* RO  descriptors completed with status 0 */
    ODMA_RING_FAILED = 0x30,      /* RO  descriptors completed with an error */
    ODMA_RING_DELAY_US = 0x34,    /* RW  pause after each descriptor (tests) */
    ODMA_RING_REGIONS = 0x38,     /* RO  ranges in the odma context's table */
    ODMA_RING_COMMITS = 0x3c,     /* RO  tables the listener has installed */
    ODMA_RING_MEMTX = 0x40,       /* RO  ERROR as QEMU's MemTxResult (2 decode, 4 access) */
    ODMA_RING_ATTRS = 0x44,       /* RO  low 32 bits of the dma_attrs the toy IOMMU last saw */
};

#define ODMA_RING_ID_VALUE 0x414d444fu
#define ODMA_RING_CTRL_RUN 1u
#define ODMA_RING_CTRL_RESET 2u
#define ODMA_RING_STATUS_RUNNING 1u
#define ODMA_RING_STATUS_HALTED 2u
#define ODMA_RING_STATUS_BUS_MASTER 4u
#define ODMA_RING_STATUS_BUSY 8u
#define ODMA_RING_IRQ_DONE 1u
#define ODMA_RING_IRQ_ERROR 2u

/* Descriptor, 32 bytes, little-endian, naturally aligned in the ring. */
#define ODMA_RING_DESC_SIZE 32
#define ODMA_RING_D_SRC 0     /* u64 */
#define ODMA_RING_D_DST 8     /* u64 */
#define ODMA_RING_D_LEN 16    /* u32, at most 4096 for TO/FROM_DEVICE */
#define ODMA_RING_D_OP 20     /* u16 */
#define ODMA_RING_D_STATUS 22 /* u16, written by the device */
#define ODMA_RING_D_COOKIE 24 /* u64, the driver's, untouched */

enum odma_ring_op {
    ODMA_RING_OP_COPY = 1,
    ODMA_RING_OP_TO_DEVICE = 2,
    ODMA_RING_OP_FROM_DEVICE = 3,
    ODMA_RING_OP_FILL = 4,
};
#define ODMA_RING_ST_PHASE 0x8000u
#define ODMA_RING_ST_RESULT 0x00ffu

#endif /* ODMA_RING_H */
