/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for a QEMU tree's DMA helpers (sysemu/dma.h, exec/memory.h),
 * written for this test: QEMU's type and function names that sit next to
 * odma's: dma_addr_t, DMADirection, MemTxResult, a dma_barrier()
 * *function*, dma_memory_rw()/dma_memory_read()/dma_memory_write() over an
 * AddressSpace. Here an AddressSpace is one flat block of host memory.
 */
#ifndef SYSEMU_DMA_H
#define SYSEMU_DMA_H

#include "qemu/atomic.h"

typedef uint64_t dma_addr_t;
#define DMA_ADDR_FMT "%" PRIx64

typedef enum DMADirection {
    DMA_DIRECTION_TO_DEVICE = 0,
    DMA_DIRECTION_FROM_DEVICE = 1,
} DMADirection;

typedef unsigned MemTxResult;
#define MEMTX_OK 0u
#define MEMTX_ERROR (1u << 0)
#define MEMTX_DECODE_ERROR (1u << 1)

typedef struct MemTxAttrs {
    unsigned secure : 1;
    unsigned requester_id : 16;
} MemTxAttrs;
#define MEMTXATTRS_UNSPECIFIED ((MemTxAttrs){ 0 })

typedef struct AddressSpace {
    const char *name;
    unsigned char *ram;
    uint64_t base, size;
} AddressSpace;

static inline void dma_barrier(AddressSpace *as, DMADirection dir)
{
    (void)as;
    (void)dir;
    smp_mb();
}

static inline MemTxResult dma_memory_rw(AddressSpace *as, dma_addr_t addr, void *buf,
                                        dma_addr_t len, DMADirection dir, MemTxAttrs attrs)
{
    (void)attrs;
    if (addr < as->base || len > as->size || addr - as->base > as->size - len)
        return MEMTX_DECODE_ERROR;
    dma_barrier(as, dir);
    if (dir == DMA_DIRECTION_FROM_DEVICE)
        memcpy(as->ram + (addr - as->base), buf, (size_t)len);
    else
        memcpy(buf, as->ram + (addr - as->base), (size_t)len);
    return MEMTX_OK;
}

static inline MemTxResult dma_memory_read(AddressSpace *as, dma_addr_t addr, void *buf,
                                          dma_addr_t len, MemTxAttrs attrs)
{
    return dma_memory_rw(as, addr, buf, len, DMA_DIRECTION_TO_DEVICE, attrs);
}

static inline MemTxResult dma_memory_write(AddressSpace *as, dma_addr_t addr,
                                           const void *buf, dma_addr_t len, MemTxAttrs attrs)
{
    return dma_memory_rw(as, addr, (void *)(uintptr_t)buf, len, DMA_DIRECTION_FROM_DEVICE,
                         attrs);
}

#endif
