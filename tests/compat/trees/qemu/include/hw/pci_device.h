/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for a QEMU tree's PCI device header, written for this test:
 * a PCIDevice with its bus-master AddressSpace and QEMU-style pci_dma_*
 * helpers on top of sysemu/dma.h.
 */
#ifndef HW_PCI_DEVICE_H
#define HW_PCI_DEVICE_H

#include "sysemu/dma.h"

typedef struct PCIDevice {
    const char *name;
    AddressSpace bus_master_as;
    bool bus_master_enabled;
} PCIDevice;

static inline MemTxResult pci_dma_read(PCIDevice *dev, dma_addr_t addr, void *buf,
                                       dma_addr_t len)
{
    return dma_memory_read(&dev->bus_master_as, addr, buf, len, MEMTXATTRS_UNSPECIFIED);
}

static inline MemTxResult pci_dma_write(PCIDevice *dev, dma_addr_t addr, const void *buf,
                                        dma_addr_t len)
{
    return dma_memory_write(&dev->bus_master_as, addr, buf, len, MEMTXATTRS_UNSPECIFIED);
}

#endif
