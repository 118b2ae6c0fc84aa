/* SPDX-License-Identifier: MIT */
/*
 * odma-qemu.h - glue between QEMU's memory API and an odma context.
 *
 * One OdmaQemuBus per bus master (a PCI function). It owns a struct
 * dma_ctx and keeps it equal to the device's bus-master AddressSpace:
 *
 *   - a MemoryListener on that AddressSpace collects the RAM sections of
 *     every new flat view (begin, region_add/region_nop, commit) and
 *     installs them with one dma_ctx_set_regions() call, so a device
 *     thread running meanwhile sees the old or the new table, never a mix;
 *   - every MemoryRegion in the installed table holds a reference, dropped
 *     by an RCU callback queued after the table was replaced, which also
 *     frees odma's retired table (odma_ctx_reclaim()): a device thread
 *     that accesses guest memory inside rcu_read_lock() never touches RAM
 *     or a table that has been freed;
 *   - odma_qemu_bus_config_write() wraps pci_default_write_config() so
 *     the command register's Bus Master Enable bit drives
 *     dma_ctx_set_bus_master() (off before QEMU disables the bus-master
 *     alias, on after it enabled it);
 *   - odma_qemu_bus_reset() turns bus mastering off and waits for
 *     outstanding maps (dma_ctx_quiesce()).
 *
 * Also the small conversions a QEMU device needs: dma_result to
 * MemTxResult, DMADirection to dma_dir, MemTxAttrs to dma_attrs and back.
 *
 * Include this after "qemu/osdep.h" (QEMU's rule for every file).
 */
#ifndef ODMA_QEMU_H
#define ODMA_QEMU_H

/* QEMU's own names come first; odma's short dma_X function names stay out
 * of its namespace (QEMU has dma_memory_rw(), dma_barrier(), ...). */
#define ODMA_NO_SHORT_NAMES
#define ODMA_NO_SMP_NAMES
#ifndef ODMA_MAX_REGIONS
#define ODMA_MAX_REGIONS 256 /* a q35 bus-master view has ~30 sections */
#endif
#include "odma.h"

#include "exec/memory.h"
#include "exec/memattrs.h"
#include "hw/pci/pci.h"
#include "sysemu/dma.h"

typedef struct OdmaQemuBus {
    struct dma_ctx ctx;          /* what the device's threads use */
    MemoryListener listener;
    AddressSpace *as;            /* the bus-master address space */
    PCIDevice *pdev;
    bool listening;
    /* The table being built between begin and commit (under the BQL). */
    struct dma_region_desc *next;
    unsigned nnext, cap;
    MemoryRegion **next_mr;      /* one reference per section in next[] */
    unsigned nrefs, refcap;
    bool overflow;
    /* The references held for the installed table. */
    MemoryRegion **cur_mr;
    unsigned ncur;
    /* Statistics the device may expose. */
    unsigned commits;            /* tables installed */
    unsigned nregions;           /* ranges in the installed table */
    dma_result last_error;       /* of the last failed install, else DMA_OK */
} OdmaQemuBus;

/*
 * Set up `bus` for `pdev` (call from realize): initialise the context
 * with `policy` (NULL: STRICT), start listening to the device's
 * bus-master address space, and set the context's bus-master state from
 * the command register.
 */
void odma_qemu_bus_init(OdmaQemuBus *bus, PCIDevice *pdev,
                        const struct dma_policy *policy);
/* Stop listening and drop every reference (call from unrealize, after the
 * device's threads have stopped). */
void odma_qemu_bus_cleanup(OdmaQemuBus *bus);

/* A PCIDeviceClass::config_write for devices that need no other hook, or
 * to call from one: pci_default_write_config() plus the bus-master bit. */
void odma_qemu_bus_config_write(OdmaQemuBus *bus, PCIDevice *pdev,
                                uint32_t addr, uint32_t val, int len);

/*
 * Device reset: bus mastering off in the context (a reset function has
 * BME clear), then wait up to `timeout_ns` for outstanding maps. Returns
 * false (and reports) if maps were still outstanding. The caller must
 * first stop its own threads from starting new work; accesses already
 * past their bus-master check complete, as in-flight DMA does in QEMU.
 */
bool odma_qemu_bus_reset(OdmaQemuBus *bus, uint64_t timeout_ns);

/* After a device-internal (not PCI) reset: bus mastering back to what the
 * command register says. */
void odma_qemu_bus_sync_master(OdmaQemuBus *bus);

/* Conversions. */
MemTxResult odma_qemu_memtx(dma_result r);
dma_dir odma_qemu_dir(DMADirection dir);
dma_attrs odma_qemu_attrs(MemTxAttrs attrs);
MemTxAttrs odma_qemu_memtxattrs(dma_attrs attrs);

#endif /* ODMA_QEMU_H */
