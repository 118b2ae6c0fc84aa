/* SPDX-License-Identifier: MIT */
/*
 * odma-qemu.c - keeps an odma context equal to a PCI device's bus-master
 * address space; see odma-qemu.h for the contract and README.md for the
 * reasoning.
 */
#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/rcu.h"
#include "qemu/main-loop.h"
#include "odma-qemu.h"

/* ---- conversions ------------------------------------------------------ */

/*
 * What QEMU's own dma_memory_rw() would have answered in the same case:
 * nothing mapped, bus mastering off (the bus-master alias is disabled, the
 * address space is empty) and an IOMMU fault (the translation leads to
 * the unassigned region) are decode errors; a write to ROM, a misaligned
 * atomic or a bad argument is the device's own mistake: access error.
 */
MemTxResult odma_qemu_memtx(dma_result r)
{
    switch (r) {
    case DMA_OK:
        return MEMTX_OK;
    case DMA_ERR_UNMAPPED:
    case DMA_ERR_OVERFLOW:
    case DMA_ERR_DISABLED:
    case DMA_ERR_FAULT:
        return MEMTX_DECODE_ERROR;
    case DMA_ERR_READONLY:
    case DMA_ERR_ALIGN:
    case DMA_ERR_INVALID:
    default:
        return MEMTX_ACCESS_ERROR;
    }
}

/* TO_DEVICE: the device reads guest memory; FROM_DEVICE: it writes it. */
dma_dir odma_qemu_dir(DMADirection dir)
{
    return dir == DMA_DIRECTION_FROM_DEVICE ? DMA_DIR_WRITE : DMA_DIR_READ;
}

/*
 * MemTxAttrs is a bit-field struct whose layout the compiler picks, so it
 * is packed field by field into a fixed layout that a translate hook can
 * decode with odma_qemu_memtxattrs():
 *   bit 0 unspecified, 1 secure, 2 user, 3 memory, 4 byte_swap,
 *   bits 16..31 requester_id.
 */
dma_attrs odma_qemu_attrs(MemTxAttrs a)
{
    return (dma_attrs)a.unspecified | (dma_attrs)a.secure << 1 |
           (dma_attrs)a.user << 2 | (dma_attrs)a.memory << 3 |
           (dma_attrs)a.byte_swap << 4 | (dma_attrs)a.requester_id << 16;
}

MemTxAttrs odma_qemu_memtxattrs(dma_attrs v)
{
    MemTxAttrs a = { 0 };
    a.unspecified = v & 1;
    a.secure = (v >> 1) & 1;
    a.user = (v >> 2) & 1;
    a.memory = (v >> 3) & 1;
    a.byte_swap = (v >> 4) & 1;
    a.requester_id = (v >> 16) & 0xffff;
    return a;
}

/* ---- the listener ----------------------------------------------------- */

/*
 * What a replaced table leaves behind, released after an RCU grace period
 * that starts once the new table is installed: the references to its
 * MemoryRegions, and odma's retired copy of it (odma_ctx_reclaim()).
 *
 * odma_ctx_reclaim() frees every table retired so far, and a table
 * retired by a later commit may still be in use by a reader whose grace
 * period has not ended. So only the callback of the latest commit
 * reclaims (gen == bus->commits; callbacks and commits both run under the
 * BQL); an older one leaves it to that one. The callback holds a
 * reference to the device, so a pending one never outlives it.
 */
typedef struct OdmaQemuRefs {
    struct rcu_head rcu;
    OdmaQemuBus *bus;
    unsigned gen;
    MemoryRegion **mr;
    unsigned n;
} OdmaQemuRefs;

static void odma_qemu_refs_free(OdmaQemuRefs *refs)
{
    unsigned i;

    for (i = 0; i < refs->n; i++) {
        memory_region_unref(refs->mr[i]);
    }
    if (refs->bus && refs->gen == refs->bus->commits) {
        odma_ctx_reclaim(&refs->bus->ctx);
    }
    if (refs->bus) {
        object_unref(OBJECT(refs->bus->pdev));
    }
    g_free(refs->mr);
    g_free(refs);
}

static void odma_qemu_drop_later(OdmaQemuBus *bus, MemoryRegion **mr, unsigned n)
{
    OdmaQemuRefs *refs = g_new0(OdmaQemuRefs, 1);

    refs->bus = bus;
    refs->gen = bus ? bus->commits : 0;
    refs->mr = mr;
    refs->n = n;
    if (bus) {
        object_ref(OBJECT(bus->pdev));
    }
    call_rcu(refs, odma_qemu_refs_free, rcu);
}

static void odma_qemu_begin(MemoryListener *l)
{
    OdmaQemuBus *bus = container_of(l, OdmaQemuBus, listener);

    bus->nnext = 0;
    bus->overflow = false;
}

static void odma_qemu_addnop(MemoryListener *l, MemoryRegionSection *sec)
{
    OdmaQemuBus *bus = container_of(l, OdmaQemuBus, listener);
    MemoryRegion *mr = sec->mr;
    struct dma_region_desc *d;
    uint64_t gpa, size;
    uint8_t *host;
    unsigned flags = 0;

    /*
     * Only memory the device can reach with a load or a store: RAM, ROM
     * and RAM devices (a vfio BAR mmap). MMIO regions, ROM devices in
     * MMIO mode and IOMMU regions are not in the table: an access there
     * fails with DMA_ERR_UNMAPPED (see README.md, "What is missing").
     */
    if (!memory_region_is_ram(mr) || memory_region_is_iommu(mr)) {
        return;
    }
    if (sec->readonly || mr->readonly) {
        flags |= DMA_REGION_READONLY;
    }
    if (memory_region_is_ram_device(mr)) {
        flags |= DMA_REGION_DEVICE;
    }
    gpa = sec->offset_within_address_space;
    size = int128_get64(sec->size);
    host = (uint8_t *)memory_region_get_ram_ptr(mr) + sec->offset_within_region;

    /* Sections of one RAMBlock that follow each other (PAM segments in
     * RAM mode, for one) become one region; the references stay one per
     * section. */
    d = bus->nnext ? &bus->next[bus->nnext - 1] : NULL;
    if (d && d->gpa + d->size == gpa && (uint8_t *)d->host + d->size == host &&
        d->flags == flags) {
        d->size += size;
    } else {
        if (bus->nnext == ODMA_MAX_REGIONS) {
            bus->overflow = true;
            return;
        }
        if (bus->nnext == bus->cap) {
            bus->cap = bus->cap ? bus->cap * 2 : 16;
            bus->next = g_renew(struct dma_region_desc, bus->next, bus->cap);
        }
        d = &bus->next[bus->nnext++];
        d->gpa = gpa;
        d->size = size;
        d->host = host;
        d->flags = flags;
    }
    if (bus->nrefs == bus->refcap) {
        bus->refcap = bus->refcap ? bus->refcap * 2 : 16;
        bus->next_mr = g_renew(MemoryRegion *, bus->next_mr, bus->refcap);
    }
    memory_region_ref(mr);
    bus->next_mr[bus->nrefs++] = mr;
}

/*
 * Install the collected table. The old table's references are dropped
 * only after a grace period that starts after the new table is visible:
 * a device thread inside rcu_read_lock() that still uses an old region
 * keeps its RAM alive. (QEMU's own flat view is released by call_rcu
 * before the listeners' commit runs, so the flat view's references alone
 * would not be enough.)
 */
static void odma_qemu_commit(MemoryListener *l)
{
    OdmaQemuBus *bus = container_of(l, OdmaQemuBus, listener);
    dma_result r;

    if (bus->overflow) {
        error_report("odma: bus-master view of %s has more than %d ranges; "
                     "the ones above the limit are left out (ODMA_MAX_REGIONS)",
                     bus->pdev->name, ODMA_MAX_REGIONS);
    }
    r = odma_ctx_set_regions(&bus->ctx, bus->next, bus->nnext);
    if (r != DMA_OK) {
        /* The old table stays (all or nothing); keep its references. */
        error_report("odma: %s: new bus-master table refused: %s",
                     bus->pdev->name, odma_result_str(r));
        bus->last_error = r;
        odma_qemu_drop_later(NULL, bus->next_mr, bus->nrefs);
    } else {
        bus->commits++;
        odma_qemu_drop_later(bus, bus->cur_mr, bus->ncur);
        bus->cur_mr = bus->next_mr;
        bus->ncur = bus->nrefs;
        bus->nregions = odma_ctx_region_count(&bus->ctx);
    }
    bus->next_mr = NULL;
    bus->nrefs = bus->refcap = 0;
}

/* ---- set-up, bus master, reset ----------------------------------------- */

static bool odma_qemu_bme(PCIDevice *pdev)
{
    return pci_get_word(pdev->config + PCI_COMMAND) & PCI_COMMAND_MASTER;
}

void odma_qemu_bus_init(OdmaQemuBus *bus, PCIDevice *pdev,
                        const struct dma_policy *policy)
{
    memset(bus, 0, sizeof(*bus));
    odma_ctx_init(&bus->ctx, policy);
    bus->pdev = pdev;
    bus->as = pci_get_address_space(pdev);
    odma_ctx_set_attrs(&bus->ctx,
                       odma_qemu_attrs((MemTxAttrs){ .requester_id =
                                                         pci_requester_id(pdev) }));
    odma_ctx_set_bus_master(&bus->ctx, odma_qemu_bme(pdev));
    bus->listener = (MemoryListener){
        .name = "odma",
        .begin = odma_qemu_begin,
        .region_add = odma_qemu_addnop,
        .region_nop = odma_qemu_addnop,
        .commit = odma_qemu_commit,
        .priority = 10,
    };
    /* Replays the current flat view: begin, region_add..., commit. */
    memory_listener_register(&bus->listener, bus->as);
    bus->listening = true;
}

void odma_qemu_bus_cleanup(OdmaQemuBus *bus)
{
    if (bus->listening) {
        memory_listener_unregister(&bus->listener);
        bus->listening = false;
    }
    odma_ctx_set_bus_master(&bus->ctx, false);
    /* The device's threads have stopped: nothing reads the tables now. */
    odma_ctx_destroy(&bus->ctx);
    odma_qemu_drop_later(NULL, bus->cur_mr, bus->ncur);
    bus->cur_mr = NULL;
    bus->ncur = 0;
    g_free(bus->next);
    bus->next = NULL;
    bus->nnext = bus->cap = 0;
}

void odma_qemu_bus_config_write(OdmaQemuBus *bus, PCIDevice *pdev,
                                uint32_t addr, uint32_t val, int len)
{
    bool was = odma_qemu_bme(pdev);
    bool now;

    /* Turning it off: the context first, so no access of a device thread
     * runs against a half-updated view (it fails DISABLED, not UNMAPPED). */
    if (was && ranges_overlap(addr, len, PCI_COMMAND, 1) &&
        !((val >> (8 * (PCI_COMMAND - addr))) & PCI_COMMAND_MASTER)) {
        odma_ctx_set_bus_master(&bus->ctx, false);
    }
    pci_default_write_config(pdev, addr, val, len);
    now = odma_qemu_bme(pdev);
    /* Turning it on: after QEMU enabled the bus-master alias, so the
     * listener has already installed the view. */
    odma_ctx_set_bus_master(&bus->ctx, now);
}

bool odma_qemu_bus_reset(OdmaQemuBus *bus, uint64_t timeout_ns)
{
    odma_ctx_set_bus_master(&bus->ctx, false);
    if (!odma_ctx_quiesce(&bus->ctx, timeout_ns)) {
        error_report("odma: %s: %u DMA mappings still outstanding after reset",
                     bus->pdev->name, odma_ctx_maps_outstanding(&bus->ctx));
        return false;
    }
    return true;
}

void odma_qemu_bus_sync_master(OdmaQemuBus *bus)
{
    odma_ctx_set_bus_master(&bus->ctx, odma_qemu_bme(bus->pdev));
}
