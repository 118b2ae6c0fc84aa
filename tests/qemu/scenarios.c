/* SPDX-License-Identifier: MIT */
/*
 * scenarios.c - the odma-ring device in a real QEMU, driven through qtest.
 *
 *   scenarios OUTDIR NAME=QEMU [NAME=QEMU ...]
 *
 * Runs every scenario against every QEMU binary (one fresh QEMU process
 * per scenario), prints a PASS/FAIL line for each, and as its last line
 * "scenarios: N passed, N failed"; exits 1 on any failure.
 *
 * The test plays the guest driver: it programs BAR0 and the command
 * register through ports 0xcf8/0xcfc, builds descriptor rings in guest
 * RAM with qtest "write", rings the doorbell with "writel", and checks
 * guest memory byte for byte with "read". The device's work happens on
 * its own thread inside QEMU, through odma.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "odma-ring.h"
#include "odma/result.h"
#include "qtest.h"

#define DEV 4                 /* PCI slot, -device odma-ring,addr=04.0 */
#define BAR 0xe0000000ull     /* where the test puts BAR0 */
#define RING 0x100000ull      /* descriptor rings live here */

/* The device reports odma's dma_result values. */
enum {
    R_DONE = DMA_OK,
    R_UNMAPPED = DMA_ERR_UNMAPPED,
    R_READONLY = DMA_ERR_READONLY,
    R_DISABLED = DMA_ERR_DISABLED,
    R_INVALID = DMA_ERR_INVALID,
    R_FAULT = DMA_ERR_FAULT
};

static const char *const dev_args[] = { "-device", "odma-ring,addr=04.0", NULL };
static const char *const iommu_args[] = { "-device", "odma-ring,addr=04.0,iommu-window=0x40000000",
                                          NULL };

static char *outdir;

/* ---- small helpers ------------------------------------------------------ */

static uint32_t reg(struct qt *qt, int r)
{
    return qt_readl(qt, BAR + (uint64_t)r);
}

static void set_reg(struct qt *qt, int r, uint32_t v)
{
    qt_writel(qt, BAR + (uint64_t)r, v);
}

static void check(struct qt *qt, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void check(struct qt *qt, bool ok, const char *fmt, ...)
{
    char msg[400];
    va_list ap;

    if (ok || qt->failed)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    qt_fail(qt, "%s", msg);
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Deterministic bytes, different per seed. */
static void pattern(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Write descriptor `i` of the ring at `ring` (status 0). */
static void desc(struct qt *qt, uint64_t ring, unsigned i, unsigned op, uint64_t src,
                 uint64_t dst, uint32_t len)
{
    uint8_t d[ODMA_RING_DESC_SIZE] = { 0 };

    put_le(d + ODMA_RING_D_SRC, src, 8);
    put_le(d + ODMA_RING_D_DST, dst, 8);
    put_le(d + ODMA_RING_D_LEN, len, 4);
    put_le(d + ODMA_RING_D_OP, op, 2);
    put_le(d + ODMA_RING_D_COOKIE, 0xc0c0c0c000000000ull | i, 8);
    qt_memwrite(qt, ring + (uint64_t)i * ODMA_RING_DESC_SIZE, d, sizeof(d));
}

static uint16_t desc_status(struct qt *qt, uint64_t ring, unsigned i)
{
    uint8_t s[2];
    qt_memread(qt, ring + (uint64_t)i * ODMA_RING_DESC_SIZE + ODMA_RING_D_STATUS, s, 2);
    return (uint16_t)get_le(s, 2);
}

/* BAR0 at BAR, memory decoding and (if `master`) bus mastering on. */
static void pci_setup(struct qt *qt, bool master)
{
    uint32_t id = qt_cfg_read(qt, DEV, 0, 0, 4);

    check(qt, id == ((uint32_t)ODMA_RING_DEVICE << 16 | ODMA_RING_VENDOR),
          "no odma-ring at 00:%02x.0 (id %08" PRIx32 ")", DEV, id);
    qt_cfg_write(qt, DEV, 0, 0x10, 4, (uint32_t)BAR);
    qt_cfg_write(qt, DEV, 0, 0x04, 2, master ? 0x6 : 0x2);
    check(qt, reg(qt, ODMA_RING_ID) == ODMA_RING_ID_VALUE, "BAR0 does not answer with the ID");
}

static void set_master(struct qt *qt, bool on)
{
    qt_cfg_write(qt, DEV, 0, 0x04, 2, on ? 0x6 : 0x2);
}

static void ring_setup(struct qt *qt, uint64_t ring, uint32_t num)
{
    set_reg(qt, ODMA_RING_CTRL, 0);
    set_reg(qt, ODMA_RING_BASE_LO, (uint32_t)ring);
    set_reg(qt, ODMA_RING_BASE_HI, (uint32_t)(ring >> 32));
    set_reg(qt, ODMA_RING_NUM, num);
    set_reg(qt, ODMA_RING_CTRL, ODMA_RING_CTRL_RUN);
}

/* Wait until HEAD == head and the engine is not busy (or halted). */
static bool wait_head(struct qt *qt, uint32_t head, double timeout)
{
    double end = now_s() + timeout;
    while (!qt->failed) {
        uint32_t st = reg(qt, ODMA_RING_STATUS);
        if ((reg(qt, ODMA_RING_HEAD) == head && !(st & ODMA_RING_STATUS_BUSY)) ||
            (st & ODMA_RING_STATUS_HALTED))
            return reg(qt, ODMA_RING_HEAD) == head;
        if (now_s() > end)
            return false;
        sleep_ms(1);
    }
    return false;
}

static bool wait_halted(struct qt *qt, double timeout)
{
    double end = now_s() + timeout;
    while (!qt->failed && now_s() < end) {
        if (reg(qt, ODMA_RING_STATUS) & ODMA_RING_STATUS_HALTED)
            return true;
        sleep_ms(1);
    }
    return false;
}

static bool pci_intx(struct qt *qt)
{
    return qt_cfg_read(qt, DEV, 0, 0x06, 2) & 0x8; /* PCI_STATUS_INTERRUPT */
}

static bool mem_eq(struct qt *qt, uint64_t addr, const uint8_t *want, size_t n,
                   const char *what)
{
    uint8_t *got = malloc(n);
    bool ok;

    if (!got) {
        qt_fail(qt, "out of memory");
        return false;
    }
    qt_memread(qt, addr, got, n);
    ok = memcmp(got, want, n) == 0;
    if (!ok && !qt->failed) {
        size_t i = 0;
        while (got[i] == want[i])
            i++;
        qt_fail(qt, "%s: byte %zu at 0x%" PRIx64 " is 0x%02x, want 0x%02x", what, i,
                addr + i, got[i], want[i]);
    }
    free(got);
    return ok;
}

/* ---- scenarios ----------------------------------------------------------- */

/*
 * DMA both ways, byte for byte: guest -> device (TO_DEVICE, read back
 * through the BAR's scratch window), device -> guest (FROM_DEVICE),
 * guest -> guest (COPY through maps, unaligned, crossing pages), FILL;
 * guard bytes around each destination unchanged; the phase bit flips when
 * the ring wraps; completion raises INTx (PCI status bit 3) and clearing
 * IRQ_STATUS drops it.
 */
static void sc_dma_both_ways(struct qt *qt)
{
    enum { N = 4096, BIG = 100003 };
    const uint64_t A = 0x200000, B = 0x300000, C = 0x400000, D = 0x500000;
    static uint8_t a[131072], s2[N], want[N + 32], c[BIG + 32], d[777 + 32];
    uint8_t sc[N];

    pci_setup(qt, true);
    pattern(a, sizeof(a), 1);
    pattern(s2, sizeof(s2), 2);
    qt_memwrite(qt, A, a, sizeof(a));
    qt_memset(qt, B - 16, 0, N + 32);
    qt_memset(qt, C - 16, 0, BIG + 32);
    qt_memset(qt, D - 16, 0, 777 + 32);

    ring_setup(qt, RING, 4);
    set_reg(qt, ODMA_RING_IRQ_MASK, ODMA_RING_IRQ_DONE);
    check(qt, !pci_intx(qt), "INTx asserted before any work");

    /* guest -> device */
    desc(qt, RING, 0, ODMA_RING_OP_TO_DEVICE, A, 0, N);
    set_reg(qt, ODMA_RING_TAIL, 1);
    check(qt, wait_head(qt, 1, 10), "TO_DEVICE did not complete (head %" PRIu32 ")",
          reg(qt, ODMA_RING_HEAD));
    for (int i = 0; i < N; i += 8)
        put_le(sc + i, qt_readq(qt, BAR + ODMA_RING_SCRATCH + (uint64_t)i), 8);
    check(qt, memcmp(sc, a, N) == 0, "scratch after TO_DEVICE differs from guest memory");
    check(qt, desc_status(qt, RING, 0) == ODMA_RING_ST_PHASE,
          "descriptor 0 status 0x%04x, want 0x8000", desc_status(qt, RING, 0));
    check(qt, pci_intx(qt), "completion did not assert INTx");
    set_reg(qt, ODMA_RING_IRQ_STATUS, ODMA_RING_IRQ_DONE);
    check(qt, !pci_intx(qt), "INTx still asserted after IRQ_STATUS was cleared");

    /* device -> guest */
    for (int i = 0; i < N; i += 8)
        qt_writeq(qt, BAR + ODMA_RING_SCRATCH + (uint64_t)i, get_le(s2 + i, 8));
    desc(qt, RING, 1, ODMA_RING_OP_FROM_DEVICE, 0, B, N);
    /* guest -> guest, unaligned, 25 pages, through dma_map */
    desc(qt, RING, 2, ODMA_RING_OP_COPY, A + 5, C + 3, BIG);
    desc(qt, RING, 3, ODMA_RING_OP_FILL, 0x5a, D, 777);
    set_reg(qt, ODMA_RING_TAIL, 0); /* 1, 2, 3: wraps to 0 */
    check(qt, wait_head(qt, 0, 10), "descriptors 1-3 did not complete (head %" PRIu32 ")",
          reg(qt, ODMA_RING_HEAD));
    memset(want, 0, sizeof(want));
    memcpy(want + 16, s2, N);
    mem_eq(qt, B - 16, want, N + 32, "FROM_DEVICE destination");
    memset(c, 0, sizeof(c));
    memcpy(c + 16 + 3, a + 5, BIG);
    mem_eq(qt, C - 16, c, BIG + 32, "COPY destination");
    memset(d, 0, sizeof(d));
    memset(d + 16, 0x5a, 777);
    mem_eq(qt, D - 16, d, 777 + 32, "FILL destination");
    for (unsigned i = 1; i < 4; i++)
        check(qt, desc_status(qt, RING, i) == ODMA_RING_ST_PHASE,
              "descriptor %u status 0x%04x, want 0x8000", i, desc_status(qt, RING, i));
    mem_eq(qt, A, a, sizeof(a), "COPY source (must be unchanged)");

    /* second pass over the ring: phase 0 */
    desc(qt, RING, 0, ODMA_RING_OP_FILL, 0xa5, D, 16);
    set_reg(qt, ODMA_RING_TAIL, 1);
    check(qt, wait_head(qt, 1, 10), "second-pass descriptor did not complete");
    check(qt, desc_status(qt, RING, 0) == 0,
          "second pass: status 0x%04x, want 0 (phase flipped)", desc_status(qt, RING, 0));
    check(qt, reg(qt, ODMA_RING_DONE) == 5 && reg(qt, ODMA_RING_FAILED) == 0,
          "DONE %" PRIu32 " FAILED %" PRIu32 ", want 5 and 0", reg(qt, ODMA_RING_DONE),
          reg(qt, ODMA_RING_FAILED));
}

/*
 * Bus master off in the command register: the device's accesses fail
 * (DISABLED), it halts and says so (STATUS.HALTED, ERROR, IRQ_STATUS,
 * INTx), and no guest byte changes. Bus master on again, RUN toggled:
 * the same descriptor completes.
 */
static void sc_bus_master_off(struct qt *qt)
{
    enum { N = 512 };
    const uint64_t B = 0x300000;
    static uint8_t before[N], s[N];
    uint8_t ring0[ODMA_RING_DESC_SIZE], ring1[ODMA_RING_DESC_SIZE];

    pci_setup(qt, true);
    check(qt, reg(qt, ODMA_RING_STATUS) & ODMA_RING_STATUS_BUS_MASTER,
          "STATUS.BUS_MASTER clear with the command register's bit set");
    pattern(before, N, 3);
    pattern(s, N, 4);
    qt_memwrite(qt, B, before, N);
    for (int i = 0; i < N; i += 8)
        qt_writeq(qt, BAR + ODMA_RING_SCRATCH + (uint64_t)i, get_le(s + i, 8));
    ring_setup(qt, RING, 8);
    set_reg(qt, ODMA_RING_IRQ_MASK, ODMA_RING_IRQ_ERROR | ODMA_RING_IRQ_DONE);
    desc(qt, RING, 0, ODMA_RING_OP_FROM_DEVICE, 0, B, N);
    qt_memread(qt, RING, ring0, sizeof(ring0));

    set_master(qt, false);
    check(qt, !(reg(qt, ODMA_RING_STATUS) & ODMA_RING_STATUS_BUS_MASTER),
          "STATUS.BUS_MASTER still set after the command register cleared it");
    set_reg(qt, ODMA_RING_TAIL, 1);
    check(qt, wait_halted(qt, 10), "the device did not halt with bus mastering off");
    check(qt, reg(qt, ODMA_RING_ERROR) == R_DISABLED, "ERROR %" PRIu32 ", want %d (DISABLED)",
          reg(qt, ODMA_RING_ERROR), R_DISABLED);
    check(qt, reg(qt, ODMA_RING_MEMTX) == 2, "MEMTX %" PRIu32 ", want 2 (MEMTX_DECODE_ERROR)",
          reg(qt, ODMA_RING_MEMTX));
    check(qt, reg(qt, ODMA_RING_IRQ_STATUS) & ODMA_RING_IRQ_ERROR, "IRQ_STATUS.ERROR not set");
    check(qt, pci_intx(qt), "the error did not assert INTx");
    check(qt, reg(qt, ODMA_RING_HEAD) == 0, "HEAD moved past a descriptor it could not read");
    mem_eq(qt, B, before, N, "guest memory with bus mastering off");
    qt_memread(qt, RING, ring1, sizeof(ring1));
    check(qt, memcmp(ring0, ring1, sizeof(ring0)) == 0,
          "the descriptor changed with bus mastering off");

    set_master(qt, true);
    set_reg(qt, ODMA_RING_IRQ_STATUS, ODMA_RING_IRQ_ERROR);
    set_reg(qt, ODMA_RING_CTRL, 0);
    set_reg(qt, ODMA_RING_CTRL, ODMA_RING_CTRL_RUN);
    check(qt, wait_head(qt, 1, 10), "the retried descriptor did not complete");
    check(qt, !(reg(qt, ODMA_RING_STATUS) & ODMA_RING_STATUS_HALTED), "still halted");
    mem_eq(qt, B, s, N, "FROM_DEVICE after bus mastering came back");
    check(qt, desc_status(qt, RING, 0) == ODMA_RING_ST_PHASE, "retried descriptor status 0x%04x",
          desc_status(qt, RING, 0));
}

/*
 * RAM remapped while the device runs: 256 FILL descriptors into the
 * i440FX's 0xE0000-0xE3FFF segment, 2 ms apart, while the test keeps
 * switching that segment's PAM setting between RAM (3) and read-only RAM
 * (1). (PAM 0, "PCI", would show the same RAM here: the PCI space has
 * nothing at 0xE0000, so the flat view falls through to pc.ram.) Each
 * switch is a memory transaction: the listener installs a new table in
 * the odma context while the device thread is using it. Every descriptor
 * must complete with OK or READONLY; both must occur (else the remap did
 * not overlap the run and the scenario proves nothing); with the segment
 * finally RAM again, each OK descriptor's 16 bytes hold its value and
 * each failed one's still hold zeros.
 */
static void sc_remap_while_running(struct qt *qt)
{
    enum { NUM = 256 };
    const uint64_t SEG = 0xe0000;
    const int pam = 0x5e; /* PAM5, low nibble: 0xE0000-0xE3FFF */
    static const uint8_t modes[] = { 3, 1 };
    unsigned n_ok = 0, n_ro = 0, switches = 0;
    uint32_t commits0;
    uint8_t seg[NUM * 16], want[NUM * 16];

    pci_setup(qt, true);
    qt_cfg_write(qt, 0, 0, pam, 1, 0x33);
    qt_memset(qt, SEG, 0, sizeof(seg));
    commits0 = reg(qt, ODMA_RING_COMMITS);
    ring_setup(qt, RING, NUM);
    for (unsigned i = 0; i < NUM; i++)
        desc(qt, RING, i, ODMA_RING_OP_FILL, i % 255 + 1, SEG + 16ull * i, 16);
    set_reg(qt, ODMA_RING_DELAY_US, 2000);
    set_reg(qt, ODMA_RING_TAIL, NUM - 1);
    /* NUM - 1 descriptors run (the ring holds at most NUM - 1 posted). */
    while (!qt->failed && reg(qt, ODMA_RING_HEAD) != NUM - 1 && switches < 2000) {
        qt_cfg_write(qt, 0, 0, pam, 1, 0x30 | modes[switches % sizeof(modes)]);
        switches++;
        sleep_ms(3);
    }
    qt_cfg_write(qt, 0, 0, pam, 1, 0x33);
    check(qt, wait_head(qt, NUM - 1, 20), "the run did not finish");
    check(qt, reg(qt, ODMA_RING_COMMITS) - commits0 >= switches,
          "only %" PRIu32 " tables installed for %u PAM switches",
          reg(qt, ODMA_RING_COMMITS) - commits0, switches);
    qt_memread(qt, SEG, seg, sizeof(seg));
    memset(want, 0, sizeof(want));
    for (unsigned i = 0; i < NUM - 1 && !qt->failed; i++) {
        uint16_t st = desc_status(qt, RING, i);
        unsigned res = st & ODMA_RING_ST_RESULT;

        check(qt, st & ODMA_RING_ST_PHASE, "descriptor %u not completed (status 0x%04x)", i, st);
        if (res == R_DONE) {
            n_ok++;
            memset(want + 16 * i, (int)(i % 255 + 1), 16);
        } else if (res == R_READONLY) {
            n_ro++;
        } else {
            check(qt, false, "descriptor %u: result %u", i, res);
        }
    }
    if (!qt->failed && memcmp(seg, want, sizeof(seg)) != 0) {
        unsigned i = 0;
        while (seg[i] == want[i])
            i++;
        qt_fail(qt, "segment byte %u (descriptor %u, result %u) is 0x%02x, want 0x%02x", i,
                i / 16, desc_status(qt, RING, i / 16) & 0xff, seg[i], want[i]);
    }
    check(qt, n_ok > 0 && n_ro > 0, "the remaps did not overlap the run (%u ok, %u read-only)",
          n_ok, n_ro);
    check(qt, reg(qt, ODMA_RING_DONE) == n_ok && reg(qt, ODMA_RING_FAILED) == n_ro,
          "DONE/FAILED registers disagree with the statuses");
    if (!qt->failed)
        printf("    %u PAM switches, %u tables installed: %u descriptors ok, %u read-only\n",
               switches, reg(qt, ODMA_RING_COMMITS) - commits0, n_ok, n_ro);
}

/*
 * Reset and quiesce: a run of 64 COPY descriptors (16 KiB each, through
 * dma_map) is reset part-way (CTRL.RESET). When the reset write returns
 * the registers are back to 0 and the engine is idle; from then on no
 * guest byte changes (two snapshots 300 ms apart are equal); some
 * descriptors completed before, some never ran. Then the device works
 * again.
 */
static void sc_reset_quiesce(struct qt *qt)
{
    enum { NUM = 64, LEN = 16384 };
    const uint64_t SRC = 0x600000, DST = 0x1000000;
    static uint8_t src[LEN], snap1[NUM * LEN], snap2[NUM * LEN];
    uint8_t st1[NUM * ODMA_RING_DESC_SIZE], st2[NUM * ODMA_RING_DESC_SIZE];
    unsigned done = 0, untouched = 0;
    uint32_t head;

    pci_setup(qt, true);
    pattern(src, LEN, 5);
    qt_memwrite(qt, SRC, src, LEN);
    qt_memset(qt, DST, 0, (size_t)NUM * LEN);
    ring_setup(qt, RING, NUM);
    for (unsigned i = 0; i < NUM; i++)
        desc(qt, RING, i, ODMA_RING_OP_COPY, SRC, DST + (uint64_t)i * LEN, LEN);
    set_reg(qt, ODMA_RING_DELAY_US, 5000);
    set_reg(qt, ODMA_RING_TAIL, NUM - 1);
    for (int i = 0; i < 5000 && !qt->failed && reg(qt, ODMA_RING_HEAD) < 3; i++)
        sleep_ms(1);
    set_reg(qt, ODMA_RING_CTRL, ODMA_RING_CTRL_RESET);
    head = reg(qt, ODMA_RING_HEAD);
    check(qt, head == 0 && reg(qt, ODMA_RING_TAIL) == 0 && reg(qt, ODMA_RING_NUM) == 0,
          "registers not reset");
    check(qt, !(reg(qt, ODMA_RING_STATUS) & (ODMA_RING_STATUS_BUSY | ODMA_RING_STATUS_RUNNING)),
          "engine busy or running after reset (STATUS 0x%" PRIx32 ")", reg(qt, ODMA_RING_STATUS));
    check(qt, reg(qt, ODMA_RING_STATUS) & ODMA_RING_STATUS_BUS_MASTER,
          "a device-internal reset left bus mastering off with the command bit set");

    qt_memread(qt, RING, st1, sizeof(st1));
    qt_memread(qt, DST, snap1, sizeof(snap1));
    sleep_ms(300);
    qt_memread(qt, RING, st2, sizeof(st2));
    qt_memread(qt, DST, snap2, sizeof(snap2));
    check(qt, memcmp(st1, st2, sizeof(st1)) == 0, "a descriptor changed after reset");
    check(qt, memcmp(snap1, snap2, sizeof(snap1)) == 0, "guest memory changed after reset");
    for (unsigned i = 0; i < NUM && !qt->failed; i++) {
        uint16_t st = (uint16_t)get_le(st1 + i * ODMA_RING_DESC_SIZE + ODMA_RING_D_STATUS, 2);
        if (st == ODMA_RING_ST_PHASE) {
            done++;
            check(qt, memcmp(snap1 + (size_t)i * LEN, src, LEN) == 0,
                  "descriptor %u completed but its copy differs", i);
        } else if (st == 0) {
            static const uint8_t zero[LEN];
            /* the one in flight at reset may be partly copied */
            if (memcmp(snap1 + (size_t)i * LEN, zero, LEN) == 0)
                untouched++;
        } else {
            check(qt, false, "descriptor %u status 0x%04x", i, st);
        }
    }
    check(qt, done >= 3 && untouched >= 10,
          "reset did not land part-way (%u completed, %u untouched)", done, untouched);

    /* and it works again */
    ring_setup(qt, RING, NUM);
    desc(qt, RING, 0, ODMA_RING_OP_FILL, 0x77, DST, 64);
    set_reg(qt, ODMA_RING_TAIL, 1);
    check(qt, wait_head(qt, 1, 10), "no progress after reset");
    memset(snap1, 0x77, 64);
    mem_eq(qt, DST, snap1, 64, "FILL after reset");
    if (!qt->failed)
        printf("    reset after %u descriptors; %u never started\n", done, untouched);
}

/*
 * Bad input gets a clear error and changes nothing: a ring size that is
 * not a power of two and a tail outside the ring are refused (registers
 * unchanged); a bad opcode, a TO_DEVICE longer than the scratch buffer, a
 * FILL into unmapped space and a FROM_DEVICE half outside RAM complete
 * with INVALID / UNMAPPED and write no guest byte; the engine goes on.
 */
static void sc_bad_input(struct qt *qt)
{
    const uint64_t B = 0x300000, END = 256ull << 20; /* RAM ends at 256 MiB */
    uint8_t zeros[64] = { 0 }, tail[64];

    pci_setup(qt, true);
    set_reg(qt, ODMA_RING_NUM, 6);
    check(qt, reg(qt, ODMA_RING_NUM) == 0, "ring size 6 accepted");
    ring_setup(qt, RING, 8);
    set_reg(qt, ODMA_RING_TAIL, 9);
    check(qt, reg(qt, ODMA_RING_TAIL) == 0, "tail 9 of an 8-entry ring accepted");
    qt_memset(qt, B, 0, 64);
    pattern(tail, sizeof(tail), 9);
    qt_memwrite(qt, END - 32, tail, 32);
    desc(qt, RING, 0, 99, 0, B, 16);
    desc(qt, RING, 1, ODMA_RING_OP_TO_DEVICE, B, 0, ODMA_RING_SCRATCH_SIZE + 1);
    desc(qt, RING, 2, ODMA_RING_OP_FILL, 0x11, 0xfff00000ull, 64);
    desc(qt, RING, 3, ODMA_RING_OP_FROM_DEVICE, 0, END - 32, 64);
    desc(qt, RING, 4, ODMA_RING_OP_FILL, 0x22, B, 8);
    set_reg(qt, ODMA_RING_TAIL, 5);
    check(qt, wait_head(qt, 5, 10), "bad descriptors stopped the engine");
    check(qt, (desc_status(qt, RING, 0) & 0xff) == R_INVALID, "bad opcode: result %u",
          desc_status(qt, RING, 0) & 0xff);
    check(qt, (desc_status(qt, RING, 1) & 0xff) == R_INVALID, "oversized TO_DEVICE: result %u",
          desc_status(qt, RING, 1) & 0xff);
    check(qt, (desc_status(qt, RING, 2) & 0xff) == R_UNMAPPED, "FILL to MMIO space: result %u",
          desc_status(qt, RING, 2) & 0xff);
    check(qt, (desc_status(qt, RING, 3) & 0xff) == R_UNMAPPED,
          "FROM_DEVICE across the end of RAM: result %u", desc_status(qt, RING, 3) & 0xff);
    mem_eq(qt, END - 32, tail, 32, "RAM below a write that crossed its end");
    memset(zeros, 0x22, 8);
    mem_eq(qt, B, zeros, 64, "the one good descriptor's destination");
    check(qt, reg(qt, ODMA_RING_DONE) == 1 && reg(qt, ODMA_RING_FAILED) == 4,
          "DONE %" PRIu32 " FAILED %" PRIu32 ", want 1 and 4", reg(qt, ODMA_RING_DONE),
          reg(qt, ODMA_RING_FAILED));
}

/*
 * Attributes reach the translate hook: with iommu-window=1 GiB (the toy
 * IOMMU, odma-ring.h) a FROM_DEVICE to bus address 1 GiB + B lands at
 * guest B; a FILL to bus address B (below the window) faults and writes
 * nothing; the hook saw the function's requester id (00:04.0 = 0x0020,
 * bits 16-31 of dma_attrs) and "unspecified" clear.
 */
static void sc_iommu_attrs(struct qt *qt)
{
    enum { N = 256 };
    const uint64_t B = 0x300000, W = 0x40000000;
    uint8_t s[N], z[N];

    pci_setup(qt, true);
    pattern(s, N, 7);
    memset(z, 0, N);
    qt_memset(qt, B, 0, N);
    qt_memset(qt, B + N, 0, N);
    for (int i = 0; i < N; i += 8)
        qt_writeq(qt, BAR + ODMA_RING_SCRATCH + (uint64_t)i, get_le(s + i, 8));
    ring_setup(qt, RING, 4);
    desc(qt, RING, 0, ODMA_RING_OP_FROM_DEVICE, 0, W + B, N);
    desc(qt, RING, 1, ODMA_RING_OP_FILL, 0x33, B + N, N);
    set_reg(qt, ODMA_RING_TAIL, 2);
    /* The ring itself is behind the IOMMU too: RING is below the window,
     * so the device cannot even read descriptor 0. */
    check(qt, wait_halted(qt, 10), "a ring below the IOMMU window did not halt the device");
    check(qt, reg(qt, ODMA_RING_ERROR) == R_FAULT, "ERROR %" PRIu32 ", want %d (FAULT)",
          reg(qt, ODMA_RING_ERROR), R_FAULT);
    check(qt, reg(qt, ODMA_RING_ATTRS) == (uint32_t)(DEV << 3) << 16,
          "the hook saw attrs 0x%08" PRIx32 ", want requester id 0x%04x in bits 16-31",
          reg(qt, ODMA_RING_ATTRS), DEV << 3);
    /* Now the ring through the window. */
    set_reg(qt, ODMA_RING_CTRL, 0);
    set_reg(qt, ODMA_RING_BASE_LO, (uint32_t)(W + RING));
    set_reg(qt, ODMA_RING_BASE_HI, 0);
    set_reg(qt, ODMA_RING_CTRL, ODMA_RING_CTRL_RUN);
    set_reg(qt, ODMA_RING_TAIL, 2);
    check(qt, wait_head(qt, 2, 10), "descriptors through the IOMMU window did not complete");
    check(qt, (desc_status(qt, RING, 0) & 0xff) == R_DONE, "FROM_DEVICE through the window: %u",
          desc_status(qt, RING, 0) & 0xff);
    check(qt, (desc_status(qt, RING, 1) & 0xff) == R_FAULT, "FILL below the window: %u, want %d",
          desc_status(qt, RING, 1) & 0xff, R_FAULT);
    mem_eq(qt, B, s, N, "FROM_DEVICE through the window");
    mem_eq(qt, B + N, z, N, "FILL below the window (must write nothing)");
}

/* ---- driver ------------------------------------------------------------- */

static const struct {
    const char *name;
    void (*fn)(struct qt *);
    const char *const *args;
} scenarios[] = {
    { "dma-both-ways", sc_dma_both_ways, dev_args },
    { "bus-master-off", sc_bus_master_off, dev_args },
    { "remap-while-running", sc_remap_while_running, dev_args },
    { "reset-quiesce", sc_reset_quiesce, dev_args },
    { "bad-input", sc_bad_input, dev_args },
    { "iommu-attrs", sc_iommu_attrs, iommu_args },
};

int main(int argc, char **argv)
{
    unsigned passed = 0, failed = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: %s OUTDIR NAME=QEMU...\n", argv[0]);
        return 2;
    }
    outdir = realpath(argv[1], NULL);
    if (!outdir) {
        perror(argv[1]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int q = 2; q < argc; q++) {
        char *eq = strchr(argv[q], '=');
        const char *qemu = eq ? eq + 1 : argv[q];
        char name[64];

        snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - argv[q]) : 4, eq ? argv[q] : "qemu");
        for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
            struct qt qt;
            char tag[128];
            double t = now_s();
            int rc;

            snprintf(tag, sizeof(tag), "%s-%s", name, scenarios[i].name);
            if (qt_start(&qt, qemu, outdir, tag, scenarios[i].args) == 0)
                scenarios[i].fn(&qt);
            rc = qt_stop(&qt);
            if (!qt.failed && rc != 0)
                qt_fail(&qt, "QEMU exited with status %d (see %s)", rc, qt.log);
            if (qt.failed) {
                failed++;
                printf("FAIL %-6s %-20s %s\n", name, scenarios[i].name, qt.why);
            } else {
                passed++;
                printf("PASS %-6s %-20s %.2f s\n", name, scenarios[i].name, now_s() - t);
            }
        }
    }
    printf("scenarios: %u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
