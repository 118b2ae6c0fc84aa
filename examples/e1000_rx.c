/* SPDX-License-Identifier: MIT */
/*
 * e1000_rx - the e1000-style receive ring of e1000_rx.h against a guest
 * driver.
 *
 * The "wire" thread plays the network and the NIC: it makes packets of
 * random length (60..1514 bytes, sequence number in the first four bytes)
 * and hands each to e1000_receive(), retrying while the ring is full. The
 * "guest driver" (main thread) polls the next descriptor's status byte
 * with an acquire load (its rmb), then checks the written-back length and
 * every byte of the packet, clears the write-back fields, and returns the
 * descriptor with a release store to RDT (its wmb before an MMIO write).
 * Once per named policy; exit status 1 on any error.
 * tests/test_e1000_rx.c checks the model's ordering with odma/testing.h.
 *
 * usage: e1000_rx [--buggy] [packets-per-policy]   (default 100000)
 *   --buggy  run the buggy model (DD written before the length, relaxed).
 *            Even on x86 the driver may then read a stale length: DD is
 *            stored first in program order. It may also pass; the unit
 *            test finds the bug on any host, every time.
 */
#include "e1000_rx.h"
#include "example.h"
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING 256
#define BUF_SIZE 2048
#define RING_BASE 0x10000ull
#define BUF_BASE 0x100000ull /* RING * BUF_SIZE bytes */
#define RAM_SIZE 0x200000ull

struct run {
    unsigned char *ram;    /* guest RAM as the guest sees it */
    struct e1000_rx nic;   /* the device */
    unsigned long packets;
    _Atomic uint32_t rdt;  /* the RDT register */
    atomic_ulong irqs;
    atomic_int failed;
};

static unsigned char pattern(unsigned long seq, unsigned i)
{
    return (unsigned char)(seq * 11u + i * 3u + (i >> 7));
}

static unsigned packet_len(unsigned long seq)
{
    return 60u + (unsigned)((seq * 2654435761u) >> 8) % (1514u - 60u + 1u);
}

static void raise_irq(void *opaque)
{
    struct run *r = (struct run *)opaque;
    atomic_fetch_add_explicit(&r->irqs, 1, memory_order_release);
}

static void *wire(void *p)
{
    struct run *r = (struct run *)p;
    unsigned char pkt[1514];
    unsigned long seq, waits = 0;
    for (seq = 0; seq < r->packets; seq++) {
        unsigned len = packet_len(seq), i;
        int got;
        for (i = 0; i < len; i++)
            pkt[i] = pattern(seq, i);
        pkt[0] = (unsigned char)seq, pkt[1] = (unsigned char)(seq >> 8);
        pkt[2] = (unsigned char)(seq >> 16), pkt[3] = (unsigned char)(seq >> 24);
        while ((got = e1000_receive(&r->nic, atomic_load_explicit(&r->rdt, memory_order_acquire),
                                    pkt, len)) == 0)
            if ((++waits & 255) == 0)
                sched_yield(); /* ring full: let the driver run */
        if (got < 0) {
            atomic_store(&r->failed, 1);
            return NULL;
        }
    }
    return NULL;
}

/* The guest driver; returns the number of errors it saw. */
static unsigned long driver(struct run *r)
{
    unsigned long seq = 0, errors = 0, spins = 0;
    uint32_t i = 0;
    while (seq < r->packets) {
        unsigned char *desc = r->ram + RING_BASE + (uint64_t)i * E1000_DESC_SIZE;
        const unsigned char *buf = r->ram + BUF_BASE + (uint64_t)i * BUF_SIZE;
        unsigned status = atomic_load_explicit((_Atomic uint8_t *)(void *)(desc + 12),
                                               memory_order_acquire);
        unsigned len, want = packet_len(seq), k;
        if (!(status & E1000_RXD_STAT_DD)) {
            if (atomic_load(&r->failed))
                return errors + 1;
            if ((++spins & 1023) == 0)
                sched_yield();
            continue;
        }
        len = (unsigned)desc[8] | (unsigned)desc[9] << 8;
        if (len != want || status != (E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP) || desc[13]) {
            errors++;
        } else {
            unsigned long got = (unsigned long)buf[0] | (unsigned long)buf[1] << 8 |
                                (unsigned long)buf[2] << 16 | (unsigned long)buf[3] << 24;
            if (got != (seq & 0xffffffffu))
                errors++;
            for (k = 4; k < len; k++)
                if (buf[k] != pattern(seq, k)) {
                    errors++;
                    break;
                }
        }
        /* Clear the write-back area, then give the descriptor back. */
        memset(desc + 8, 0, 8);
        atomic_store_explicit(&r->rdt, i, memory_order_release);
        i = (i + 1) % RING;
        seq++;
    }
    return errors;
}

static int run(const struct dma_policy *policy, unsigned long packets, int buggy)
{
    static struct run r;
    pthread_t th;
    unsigned long errors;
    uint32_t i, k;
    double t0, t1;
    memset(&r, 0, sizeof r);
    r.packets = packets;
    r.ram = (unsigned char *)aligned_alloc(4096, RAM_SIZE);
    if (!r.ram)
        return 1;
    memset(r.ram, 0, RAM_SIZE);
    /* The driver's set-up: every descriptor gets a buffer. */
    for (i = 0; i < RING; i++)
        for (k = 0; k < 8; k++)
            r.ram[RING_BASE + (uint64_t)i * E1000_DESC_SIZE + k] =
                (unsigned char)((BUF_BASE + (uint64_t)i * BUF_SIZE) >> (8 * k));
    e1000_rx_init(&r.nic, policy, RING_BASE, RING, BUF_SIZE);
    r.nic.buggy = buggy;
    r.nic.raise_irq = raise_irq;
    r.nic.irq_opaque = &r;
    if (dma_ctx_add_region(&r.nic.dma, 0, RAM_SIZE, r.ram, 0) != DMA_OK)
        return 1;
    atomic_store(&r.rdt, RING - 1); /* all but one descriptor to the NIC */
    t0 = example_now();
    if (pthread_create(&th, NULL, wire, &r) != 0)
        return 1;
    errors = driver(&r);
    pthread_join(th, NULL);
    t1 = example_now();
    if (atomic_load(&r.failed) || atomic_load(&r.irqs) != packets)
        errors++;
    example_row(buggy ? "e1000_bug" : "e1000_rx", policy->name, packets, errors,
                (double)packets / (t1 - t0));
    free(r.ram);
    return errors != 0;
}

int main(int argc, char **argv)
{
    unsigned long packets = 100000;
    int buggy = 0, i, bad = 0;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--buggy"))
            buggy = 1;
        else
            packets = strtoul(argv[i], NULL, 10);
    }
    if (!packets)
        packets = 1;
    example_header();
    bad |= run(DMA_POLICY_STRICT, packets, buggy);
    bad |= run(DMA_POLICY_PCIE, packets, buggy);
    bad |= run(DMA_POLICY_PCIE_RELAXED, packets, buggy);
    bad |= run(DMA_POLICY_NONE, packets, buggy);
    return bad;
}
