/* SPDX-License-Identifier: MIT */
/*
 * desc_ring - a descriptor ring between a guest driver and an odma device.
 *
 * The "guest driver" thread plays the guest CPU: it writes straight into
 * guest RAM, as a driver would, with its own barriers (release store on a
 * descriptor's flag, acquire load on a completion's flag). The "device"
 * thread is the emulated device model and touches guest memory only
 * through odma:
 *
 *   dma_read_consume   the descriptor: flag first, then addr/len
 *   dma_read           the buffer it points to
 *   dma_write_publish  a completion (checksum, len, seq), flag last
 *   dma_notify_barrier before the "interrupt" (every 32 completions)
 *
 * Descriptor (16 bytes, little-endian): le64 buf, le32 len, le16 rsvd,
 * le16 flag. Completion (16 bytes): le32 sum, le32 len, le32 seq, le16
 * rsvd, le16 flag. The flag of item i is (uint16_t)(i + 1): it changes
 * every time a slot is reused, so nothing ever has to be cleared.
 *
 * The driver checks every completion's seq, length and checksum against
 * what it put in. Runs once per named policy; exit status 1 on any error.
 *
 * usage: desc_ring [items-per-policy]     (default 1000000)
 */
#include <odma.h>
#include "example.h"
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SLOTS 256
#define MAX_LEN 256
#define DESC_BASE 0x10000ull   /* SLOTS * 16 bytes of descriptors */
#define CPL_BASE 0x20000ull    /* SLOTS * 16 bytes of completions */
#define BUF_BASE 0x100000ull   /* SLOTS * MAX_LEN bytes of buffers */
#define RAM_SIZE 0x200000ull

struct ring {
    unsigned char *ram; /* guest RAM as the guest sees it */
    struct dma_ctx dev; /* the device's view of it */
    unsigned long items;
    unsigned long errors;
    unsigned long spins;
};

static uint32_t checksum(const unsigned char *p, size_t n)
{
    uint32_t a = 1, b = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        a = (a + p[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    return b << 16 | a;
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
    int i;
    for (i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    int i;
    for (i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Guest-side flag access: a 16-bit little-endian field, atomically. */
static _Atomic uint16_t *guest_flag(struct ring *r, uint64_t gpa)
{
    return (_Atomic uint16_t *)(void *)(r->ram + gpa);
}

static uint16_t le16_to_host(uint16_t v)
{
    unsigned char b[2];
    memcpy(b, &v, 2);
    return (uint16_t)get_le(b, 2);
}

static uint16_t host_to_le16(uint16_t v)
{
    unsigned char b[2];
    uint16_t out;
    put_le(b, v, 2);
    memcpy(&out, b, 2);
    return out;
}

static void relax(unsigned long *spins)
{
    if ((++*spins & 1023) == 0)
        sched_yield(); /* be fair when fewer CPUs than threads */
}

/* The device model: odma accessors only. */
static void *device(void *p)
{
    struct ring *r = (struct ring *)p;
    unsigned long i;
    unsigned char desc[16], data[MAX_LEN], cpl[16];
    for (i = 0; i < r->items; i++) {
        uint64_t d = DESC_BASE + 16 * (i % SLOTS), buf;
        uint16_t want = (uint16_t)(i + 1);
        uint32_t len;
        for (;;) {
            if (dma_read_consume(&r->dev, d, desc, 16, 14, 2) != DMA_OK)
                return NULL;
            if (get_le(desc + 14, 2) == want)
                break;
            relax(&r->spins);
        }
        buf = get_le(desc, 8);
        len = (uint32_t)get_le(desc + 8, 4);
        if (len > MAX_LEN || dma_read(&r->dev, buf, data, len) != DMA_OK)
            len = 0, memset(data, 0, sizeof data); /* reported as a bad completion */
        put_le(cpl, checksum(data, len), 4);
        put_le(cpl + 4, len, 4);
        put_le(cpl + 8, i, 4);
        put_le(cpl + 12, 0, 2);
        put_le(cpl + 14, want, 2);
        if (dma_write_publish(&r->dev, CPL_BASE + 16 * (i % SLOTS), cpl, 16, 14, 2) != DMA_OK)
            return NULL;
        if (i % 32 == 31)
            dma_notify_barrier(&r->dev);
    }
    dma_notify_barrier(&r->dev);
    return r;
}

/* The guest driver: plain memory and C11 barriers, like a real guest. */
static void driver(struct ring *r)
{
    unsigned long posted = 0, reaped = 0;
    uint32_t sums[SLOTS], lens[SLOTS];
    uint32_t seed = 12345;
    while (reaped < r->items) {
        while (posted < r->items && posted - reaped < SLOTS) {
            unsigned slot = (unsigned)(posted % SLOTS);
            unsigned char *buf = r->ram + BUF_BASE + (uint64_t)slot * MAX_LEN;
            unsigned char *desc = r->ram + DESC_BASE + 16 * slot;
            uint32_t len, k;
            seed = seed * 1103515245u + 12345u;
            len = 1 + (seed >> 8) % MAX_LEN;
            for (k = 0; k < len; k++)
                buf[k] = (unsigned char)(seed >> 16) + (unsigned char)k * 7u;
            sums[slot] = checksum(buf, len);
            lens[slot] = len;
            put_le(desc, BUF_BASE + (uint64_t)slot * MAX_LEN, 8);
            put_le(desc + 8, len, 4);
            /* Body, then the flag with release: the guest's wmb. */
            atomic_store_explicit(guest_flag(r, DESC_BASE + 16 * slot + 14),
                                  host_to_le16((uint16_t)(posted + 1)), memory_order_release);
            posted++;
        }
        {
            unsigned slot = (unsigned)(reaped % SLOTS);
            unsigned char *cpl = r->ram + CPL_BASE + 16 * slot;
            uint16_t f = le16_to_host(atomic_load_explicit(
                guest_flag(r, CPL_BASE + 16 * slot + 14), memory_order_acquire));
            if (f != (uint16_t)(reaped + 1)) {
                relax(&r->spins);
                continue;
            }
            /* Flag seen with acquire (the guest's rmb): the body is valid. */
            if (get_le(cpl, 4) != sums[slot] || get_le(cpl + 4, 4) != lens[slot] ||
                get_le(cpl + 8, 4) != (uint32_t)reaped)
                r->errors++;
            reaped++;
        }
    }
}

static int run(const struct dma_policy *policy, unsigned long items)
{
    struct ring r;
    pthread_t th;
    void *ok = NULL;
    double t0, t1;
    memset(&r, 0, sizeof r);
    r.items = items;
    r.ram = (unsigned char *)aligned_alloc(4096, RAM_SIZE);
    if (!r.ram)
        return 1;
    memset(r.ram, 0, RAM_SIZE);
    dma_ctx_init(&r.dev, policy);
    if (dma_ctx_add_region(&r.dev, 0, RAM_SIZE, r.ram, 0) != DMA_OK)
        return 1;
    t0 = example_now();
    if (pthread_create(&th, NULL, device, &r) != 0)
        return 1;
    driver(&r);
    pthread_join(th, &ok);
    t1 = example_now();
    if (!ok)
        r.errors++;
    example_row("desc_ring", policy->name, items, r.errors, (double)items / (t1 - t0));
    free(r.ram);
    return r.errors != 0;
}

int main(int argc, char **argv)
{
    unsigned long items = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    int bad = 0;
    if (!items)
        items = 1;
    example_header();
    bad |= run(DMA_POLICY_STRICT, items);
    bad |= run(DMA_POLICY_PCIE, items);
    bad |= run(DMA_POLICY_PCIE_RELAXED, items);
    bad |= run(DMA_POLICY_NONE, items);
    return bad;
}
