/* SPDX-License-Identifier: MIT */
/*
 * odma-ring.c - a small PCI DMA engine for QEMU whose guest-memory
 * accesses all go through odma: a descriptor ring, a completion status
 * word with a phase bit, an interrupt. The programming interface is in
 * odma-ring.h; the glue that keeps the odma context equal to the device's
 * bus-master address space is odma-qemu.c.
 *
 * Threads: MMIO and config-space accesses run under the BQL; descriptors
 * are processed by the device's own thread, outside the BQL, inside
 * rcu_read_lock() (one critical section per descriptor), so memory
 * topology changes (PAM, BAR moves, hot-plug) happen while it runs. The
 * interrupt line is driven from a bottom half (under the BQL). s->lock
 * protects the register file between the two.
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/rcu.h"
#include "qemu/thread.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/pci/pci.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qom/object.h"

#include "odma-qemu.h"
#include "odma-ring.h"

#define TYPE_ODMA_RING "odma-ring"
OBJECT_DECLARE_SIMPLE_TYPE(OdmaRingState, ODMA_RING)

#define ODMA_RING_MAX_LEN (1 * MiB) /* COPY and FILL */

struct OdmaRingState {
    PCIDevice pdev;
    MemoryRegion mmio;
    OdmaQemuBus bus;

    QemuThread thread;
    QemuMutex lock;
    QemuCond work;     /* the engine may have something to do */
    QemuCond idle;     /* busy went false */
    QEMUBH *irq_bh;
    uint64_t iommu_window;  /* property; 0: no toy IOMMU */
    uint16_t rid;           /* requester id the toy IOMMU expects */
    uint32_t last_attrs;    /* atomic: what the toy IOMMU saw last */

    /* Under lock. */
    bool stop, busy, running, halted;
    unsigned epoch;    /* bumped by reset: work of an older epoch is dropped */
    uint32_t error;
    uint64_t base;
    uint32_t num, head, tail, phase;
    uint32_t irq_status, irq_mask;
    uint32_t done, failed, delay_us;
    uint8_t scratch[ODMA_RING_SCRATCH_SIZE];
};

/* ---- the toy IOMMU (see odma-ring.h) --------------------------------------- */

/*
 * Called by odma on the device thread for each span of an access, with
 * the context's attributes (odma_qemu_bus_init() set them from the
 * requester id). A real vIOMMU glue would pass odma_qemu_memtxattrs(attrs)
 * to address_space_get_iotlb_entry() here.
 */
static dma_result odma_ring_toy_iommu(void *opaque, uint64_t addr, dma_dir dir,
                                      dma_attrs attrs, uint64_t *gpa, uint64_t *span)
{
    OdmaRingState *s = opaque;
    MemTxAttrs a = odma_qemu_memtxattrs(attrs);

    (void)dir;
    qatomic_set(&s->last_attrs, (uint32_t)attrs);
    if (a.requester_id != s->rid || a.unspecified || addr < s->iommu_window) {
        return DMA_ERR_FAULT;
    }
    *gpa = addr - s->iommu_window;
    *span = -addr; /* to the top of the bus address space; addr > 0 here */
    return DMA_OK;
}

/* ---- the engine (device thread) ---------------------------------------- */

static dma_result odma_ring_copy(struct dma_ctx *ctx, uint64_t src, uint64_t dst,
                                 uint64_t len)
{
    dma_result r = DMA_OK;

    /*
     * Like a loop over dma_memory_map(): each step maps the longest
     * contiguous piece of both sides. A failure part-way leaves the
     * pieces before it copied (the descriptor reports the error).
     */
    while (len > 0) {
        uint64_t ls = len, ld = len, n;
        void *ps, *pd;

        ps = odma_map(ctx, src, &ls, odma_qemu_dir(DMA_DIRECTION_TO_DEVICE), &r);
        if (!ps) {
            return r;
        }
        pd = odma_map(ctx, dst, &ld, odma_qemu_dir(DMA_DIRECTION_FROM_DEVICE), &r);
        if (!pd) {
            odma_unmap(ctx, ps, ls, DMA_DIR_READ, 0);
            return r;
        }
        n = MIN(ls, ld);
        memmove(pd, ps, n);
        odma_unmap(ctx, pd, ld, DMA_DIR_WRITE, n);
        odma_unmap(ctx, ps, ls, DMA_DIR_READ, n);
        src += n;
        dst += n;
        len -= n;
    }
    return DMA_OK;
}

static dma_result odma_ring_transfer(OdmaRingState *s, uint16_t op, uint64_t src,
                                     uint64_t dst, uint32_t len)
{
    struct dma_ctx *ctx = &s->bus.ctx;
    uint8_t buf[ODMA_RING_SCRATCH_SIZE];
    dma_result r;

    switch (op) {
    case ODMA_RING_OP_COPY:
        if (len > ODMA_RING_MAX_LEN) {
            return DMA_ERR_INVALID;
        }
        return odma_ring_copy(ctx, src, dst, len);
    case ODMA_RING_OP_TO_DEVICE:
        if (len > sizeof(buf)) {
            return DMA_ERR_INVALID;
        }
        r = odma_read(ctx, src, buf, len);
        if (r == DMA_OK) {
            qemu_mutex_lock(&s->lock);
            memcpy(s->scratch, buf, len);
            qemu_mutex_unlock(&s->lock);
        }
        return r;
    case ODMA_RING_OP_FROM_DEVICE:
        if (len > sizeof(buf)) {
            return DMA_ERR_INVALID;
        }
        qemu_mutex_lock(&s->lock);
        memcpy(buf, s->scratch, len);
        qemu_mutex_unlock(&s->lock);
        return odma_write(ctx, dst, buf, len);
    case ODMA_RING_OP_FILL:
        if (len > ODMA_RING_MAX_LEN) {
            return DMA_ERR_INVALID;
        }
        return odma_set(ctx, dst, src & 0xff, len);
    default:
        return DMA_ERR_INVALID;
    }
}

/*
 * One descriptor. Returns DMA_OK once its status word is written (the
 * transfer's own result is in *res), or the error that stops the engine.
 */
static dma_result odma_ring_one(OdmaRingState *s, uint64_t daddr, uint16_t phase,
                                dma_result *res)
{
    struct dma_ctx *ctx = &s->bus.ctx;
    uint8_t d[ODMA_RING_DESC_SIZE];
    dma_result r;

    /* The doorbell reached this thread through s->lock, after the guest's
     * descriptor stores: a plain ordered read is enough here. */
    r = odma_read(ctx, daddr, d, sizeof(d));
    if (r != DMA_OK) {
        return r;
    }
    *res = odma_ring_transfer(s, lduw_le_p(d + ODMA_RING_D_OP),
                              ldq_le_p(d + ODMA_RING_D_SRC),
                              ldq_le_p(d + ODMA_RING_D_DST),
                              ldl_le_p(d + ODMA_RING_D_LEN));
    /* Release: the data above (accessor writes and stores through maps)
     * becomes visible before the phase bit that hands it to the driver. */
    r = odma_st_le16_release(ctx, daddr + ODMA_RING_D_STATUS,
                             phase | (*res & ODMA_RING_ST_RESULT));
    if (r != DMA_OK) {
        return r;
    }
    /* The interrupt is raised from a bottom half on another thread; this
     * is the barrier the bus wants between the status and the notify. */
    odma_notify_barrier(ctx);
    return DMA_OK;
}

static bool odma_ring_has_work(OdmaRingState *s)
{
    return s->running && !s->halted && s->num && s->head != s->tail;
}

static void *odma_ring_thread(void *opaque)
{
    OdmaRingState *s = opaque;

    rcu_register_thread();
    qemu_mutex_lock(&s->lock);
    for (;;) {
        uint64_t daddr;
        uint32_t head, delay;
        uint16_t phase;
        unsigned epoch;
        dma_result halt = DMA_OK, res = DMA_OK;

        while (!s->stop && !odma_ring_has_work(s)) {
            qemu_cond_wait(&s->work, &s->lock);
        }
        if (s->stop) {
            break;
        }
        head = s->head;
        daddr = s->base + (uint64_t)head * ODMA_RING_DESC_SIZE;
        phase = s->phase ? ODMA_RING_ST_PHASE : 0;
        delay = s->delay_us;
        epoch = s->epoch;
        s->busy = true;
        qemu_mutex_unlock(&s->lock);

        WITH_RCU_READ_LOCK_GUARD() {
            halt = odma_ring_one(s, daddr, phase, &res);
        }
        if (delay) {
            g_usleep(delay);
        }

        qemu_mutex_lock(&s->lock);
        s->busy = false;
        qemu_cond_broadcast(&s->idle);
        if (epoch != s->epoch) {
            continue; /* reset meanwhile: nothing of this is reported */
        }
        if (halt != DMA_OK) {
            s->halted = true;
            s->error = halt;
            s->irq_status |= ODMA_RING_IRQ_ERROR;
        } else {
            if (res == DMA_OK) {
                s->done++;
            } else {
                s->failed++;
            }
            s->head = (head + 1) & (s->num - 1);
            if (s->head == 0) {
                s->phase ^= 1;
            }
            s->irq_status |= ODMA_RING_IRQ_DONE;
        }
        qemu_bh_schedule(s->irq_bh);
    }
    qemu_mutex_unlock(&s->lock);
    rcu_unregister_thread();
    return NULL;
}

/* ---- interrupt, registers (BQL) ----------------------------------------- */

static void odma_ring_update_irq(OdmaRingState *s)
{
    bool level;

    qemu_mutex_lock(&s->lock);
    level = (s->irq_status & s->irq_mask) != 0;
    qemu_mutex_unlock(&s->lock);
    pci_set_irq(&s->pdev, level);
}

static void odma_ring_irq_bh(void *opaque)
{
    odma_ring_update_irq(opaque);
}

/*
 * Reset: stop taking descriptors, bus mastering off in the context (an
 * access not yet past its check fails), wait for the descriptor in
 * flight and for outstanding maps, then clear the registers. `from_pci`:
 * a PCI/system reset, whose command register is cleared by the PCI core
 * (bus mastering stays off); else a device-internal reset, after which
 * the context follows the command register again.
 */
static void odma_ring_reset_all(OdmaRingState *s, bool from_pci)
{
    qemu_mutex_lock(&s->lock);
    s->epoch++;
    s->running = false;
    qemu_mutex_unlock(&s->lock);

    odma_qemu_bus_reset(&s->bus, 1000000000ull);

    qemu_mutex_lock(&s->lock);
    while (s->busy) {
        qemu_cond_wait(&s->idle, &s->lock);
    }
    s->halted = false;
    s->error = 0;
    s->base = 0;
    s->num = s->head = s->tail = 0;
    s->phase = 1;
    s->irq_status = s->irq_mask = 0;
    s->done = s->failed = s->delay_us = 0;
    memset(s->scratch, 0, sizeof(s->scratch));
    qemu_mutex_unlock(&s->lock);

    if (!from_pci) {
        odma_qemu_bus_sync_master(&s->bus);
    }
    odma_ring_update_irq(s);
}

static uint64_t odma_ring_scratch_get(OdmaRingState *s, hwaddr off, unsigned size)
{
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < size; i++) {
        v |= (uint64_t)s->scratch[off + i] << (8 * i);
    }
    return v;
}

static void odma_ring_scratch_put(OdmaRingState *s, hwaddr off, uint64_t v,
                                  unsigned size)
{
    unsigned i;

    for (i = 0; i < size; i++) {
        s->scratch[off + i] = v >> (8 * i);
    }
}

static uint64_t odma_ring_read(void *opaque, hwaddr addr, unsigned size)
{
    OdmaRingState *s = opaque;
    uint64_t v = 0;

    qemu_mutex_lock(&s->lock);
    if (addr >= ODMA_RING_SCRATCH) {
        addr -= ODMA_RING_SCRATCH;
        if (addr + size <= ODMA_RING_SCRATCH_SIZE) {
            v = odma_ring_scratch_get(s, addr, size);
        }
        qemu_mutex_unlock(&s->lock);
        return v;
    }
    if (size != 4) {
        qemu_mutex_unlock(&s->lock);
        qemu_log_mask(LOG_GUEST_ERROR, "odma-ring: %u-byte register read at 0x%"
                      HWADDR_PRIx "\n", size, addr);
        return 0;
    }
    switch (addr) {
    case ODMA_RING_ID:
        v = ODMA_RING_ID_VALUE;
        break;
    case ODMA_RING_CTRL:
        v = s->running ? ODMA_RING_CTRL_RUN : 0;
        break;
    case ODMA_RING_STATUS:
        v = (s->running ? ODMA_RING_STATUS_RUNNING : 0) |
            (s->halted ? ODMA_RING_STATUS_HALTED : 0) |
            (odma_ctx_bus_master(&s->bus.ctx) ? ODMA_RING_STATUS_BUS_MASTER : 0) |
            (s->busy ? ODMA_RING_STATUS_BUSY : 0);
        break;
    case ODMA_RING_ERROR:
        v = s->error;
        break;
    case ODMA_RING_BASE_LO:
        v = (uint32_t)s->base;
        break;
    case ODMA_RING_BASE_HI:
        v = s->base >> 32;
        break;
    case ODMA_RING_NUM:
        v = s->num;
        break;
    case ODMA_RING_TAIL:
        v = s->tail;
        break;
    case ODMA_RING_HEAD:
        v = s->head;
        break;
    case ODMA_RING_IRQ_STATUS:
        v = s->irq_status;
        break;
    case ODMA_RING_IRQ_MASK:
        v = s->irq_mask;
        break;
    case ODMA_RING_DONE:
        v = s->done;
        break;
    case ODMA_RING_FAILED:
        v = s->failed;
        break;
    case ODMA_RING_DELAY_US:
        v = s->delay_us;
        break;
    case ODMA_RING_REGIONS:
        v = s->bus.nregions;
        break;
    case ODMA_RING_COMMITS:
        v = s->bus.commits;
        break;
    case ODMA_RING_MEMTX:
        v = odma_qemu_memtx(s->error);
        break;
    case ODMA_RING_ATTRS:
        v = qatomic_read(&s->last_attrs);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "odma-ring: read of unknown register 0x%"
                      HWADDR_PRIx "\n", addr);
        break;
    }
    qemu_mutex_unlock(&s->lock);
    return v;
}

/* Ring geometry may change only while the engine is stopped. */
static bool odma_ring_stopped(OdmaRingState *s, const char *what)
{
    if (s->running) {
        qemu_log_mask(LOG_GUEST_ERROR, "odma-ring: %s written while running: "
                      "ignored\n", what);
        return false;
    }
    return true;
}

static void odma_ring_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    OdmaRingState *s = opaque;

    if (addr == ODMA_RING_CTRL && size == 4 && (val & ODMA_RING_CTRL_RESET)) {
        odma_ring_reset_all(s, false);
        return;
    }
    qemu_mutex_lock(&s->lock);
    if (addr >= ODMA_RING_SCRATCH) {
        addr -= ODMA_RING_SCRATCH;
        if (addr + size <= ODMA_RING_SCRATCH_SIZE) {
            odma_ring_scratch_put(s, addr, val, size);
        }
        qemu_mutex_unlock(&s->lock);
        return;
    }
    if (size != 4) {
        qemu_mutex_unlock(&s->lock);
        qemu_log_mask(LOG_GUEST_ERROR, "odma-ring: %u-byte register write at 0x%"
                      HWADDR_PRIx "\n", size, addr);
        return;
    }
    switch (addr) {
    case ODMA_RING_CTRL:
        if ((val & ODMA_RING_CTRL_RUN) && !s->running) {
            if (!s->num) {
                qemu_log_mask(LOG_GUEST_ERROR, "odma-ring: RUN without a ring\n");
                break;
            }
            s->running = true;
            s->halted = false;
            s->error = 0;
        } else if (!(val & ODMA_RING_CTRL_RUN)) {
            s->running = false;
        }
        break;
    case ODMA_RING_BASE_LO:
        if (odma_ring_stopped(s, "BASE_LO")) {
            if (val % ODMA_RING_DESC_SIZE) {
                qemu_log_mask(LOG_GUEST_ERROR, "odma-ring: misaligned ring\n");
                break;
            }
            s->base = deposit64(s->base, 0, 32, val);
            s->head = s->tail = 0;
            s->phase = 1;
        }
        break;
    case ODMA_RING_BASE_HI:
        if (odma_ring_stopped(s, "BASE_HI")) {
            s->base = deposit64(s->base, 32, 32, val);
            s->head = s->tail = 0;
            s->phase = 1;
        }
        break;
    case ODMA_RING_NUM:
        if (odma_ring_stopped(s, "NUM")) {
            if (val == 0 || val > ODMA_RING_MAX_NUM || (val & (val - 1))) {
                qemu_log_mask(LOG_GUEST_ERROR, "odma-ring: bad ring size %"
                              PRIu64 "\n", val);
                break;
            }
            s->num = val;
            s->head = s->tail = 0;
            s->phase = 1;
        }
        break;
    case ODMA_RING_TAIL:
        if (val >= s->num) {
            qemu_log_mask(LOG_GUEST_ERROR, "odma-ring: tail %" PRIu64
                          " outside the ring\n", val);
            break;
        }
        s->tail = val;
        break;
    case ODMA_RING_IRQ_STATUS:
        s->irq_status &= ~val;
        break;
    case ODMA_RING_IRQ_MASK:
        s->irq_mask = val & (ODMA_RING_IRQ_DONE | ODMA_RING_IRQ_ERROR);
        break;
    case ODMA_RING_DELAY_US:
        s->delay_us = MIN(val, ODMA_RING_MAX_DELAY_US);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "odma-ring: write to read-only or unknown "
                      "register 0x%" HWADDR_PRIx "\n", addr);
        break;
    }
    qemu_cond_signal(&s->work);
    qemu_mutex_unlock(&s->lock);
    odma_ring_update_irq(s);
}

static const MemoryRegionOps odma_ring_mmio_ops = {
    .read = odma_ring_read,
    .write = odma_ring_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

/* ---- PCI glue ----------------------------------------------------------- */

static void odma_ring_config_write(PCIDevice *pdev, uint32_t addr, uint32_t val,
                                   int len)
{
    OdmaRingState *s = ODMA_RING(pdev);

    odma_qemu_bus_config_write(&s->bus, pdev, addr, val, len);
}

static void odma_ring_realize(PCIDevice *pdev, Error **errp)
{
    OdmaRingState *s = ODMA_RING(pdev);

    pci_config_set_interrupt_pin(pdev->config, 1);
    memory_region_init_io(&s->mmio, OBJECT(s), &odma_ring_mmio_ops, s,
                          "odma-ring-mmio", ODMA_RING_BAR_SIZE);
    pci_register_bar(pdev, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->mmio);

    /* A sequential engine: PCIe ordering (no relaxed ordering). */
    odma_qemu_bus_init(&s->bus, pdev, DMA_POLICY_PCIE);
    s->rid = pci_requester_id(pdev);
    if (s->iommu_window) {
        odma_ctx_set_translate_attrs(&s->bus.ctx, odma_ring_toy_iommu, s);
    }

    qemu_mutex_init(&s->lock);
    qemu_cond_init(&s->work);
    qemu_cond_init(&s->idle);
    s->phase = 1;
    s->irq_bh = qemu_bh_new(odma_ring_irq_bh, s);
    qemu_thread_create(&s->thread, "odma-ring", odma_ring_thread, s,
                       QEMU_THREAD_JOINABLE);
}

static void odma_ring_exit(PCIDevice *pdev)
{
    OdmaRingState *s = ODMA_RING(pdev);

    qemu_mutex_lock(&s->lock);
    s->stop = true;
    qemu_cond_signal(&s->work);
    qemu_mutex_unlock(&s->lock);
    qemu_thread_join(&s->thread);
    qemu_bh_delete(s->irq_bh);
    odma_qemu_bus_cleanup(&s->bus);
    qemu_cond_destroy(&s->idle);
    qemu_cond_destroy(&s->work);
    qemu_mutex_destroy(&s->lock);
}

static void odma_ring_qdev_reset(DeviceState *dev)
{
    odma_ring_reset_all(ODMA_RING(dev), true);
}

static Property odma_ring_properties[] = {
    DEFINE_PROP_UINT64("iommu-window", OdmaRingState, iommu_window, 0),
    DEFINE_PROP_END_OF_LIST(),
};

/* The ring state is not migrated: refuse migration rather than lose it. */
static const VMStateDescription odma_ring_vmstate = {
    .name = TYPE_ODMA_RING,
    .unmigratable = 1,
};

static void odma_ring_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = odma_ring_realize;
    k->exit = odma_ring_exit;
    k->config_write = odma_ring_config_write;
    k->vendor_id = ODMA_RING_VENDOR;
    k->device_id = ODMA_RING_DEVICE;
    k->revision = 1;
    k->class_id = PCI_CLASS_SYSTEM_OTHER;
    dc->desc = "odma example DMA engine (descriptor ring)";
    dc->reset = odma_ring_qdev_reset;
    dc->vmsd = &odma_ring_vmstate;
    device_class_set_props(dc, odma_ring_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo odma_ring_info = {
    .name = TYPE_ODMA_RING,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(OdmaRingState),
    .class_init = odma_ring_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void odma_ring_register_types(void)
{
    type_register_static(&odma_ring_info);
}

type_init(odma_ring_register_types)
