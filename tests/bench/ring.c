/* SPDX-License-Identifier: MIT */
/*
 * tests/bench/ring.c - requests/s through a descriptor ring in guest
 * memory, a guest-driver thread and a device thread on different CPUs
 * (the shape of examples/desc_ring.c, with a lighter request so that the
 * device's accessor and barrier costs show).
 *
 * Request: the driver fills a 32-byte buffer and a 16-byte descriptor
 * (le64 buf, le32 len, le16 rsvd, le16 flag), then stores the flag with
 * release. The device reads the descriptor (flag first), the buffer, and
 * writes a 16-byte completion (le32 sum, le32 len, le32 seq, le16 rsvd,
 * le16 flag; flag last); every 32 completions it issues the barrier it
 * would issue before an interrupt. The driver checks every completion.
 * The flag of item i is (uint16_t)(i + 1), so slots are never cleared.
 *
 * The driver is the same for every variant; the device is one of:
 *   handtuned  odma _relaxed accessors with explicit barriers, virtio
 *              style: poll the flag, odma_rmb(), read body and buffer;
 *              write the completion body, odma_wmb(), its flag; odma_mb()
 *              before the interrupt
 *   handtuned+mb  the same plus one odma_mb() before polling each
 *              descriptor: the write->read full barrier that STRICT and
 *              PCIE put between a completion and the next descriptor read.
 *              STRICT against this one is odma's own overhead; this one
 *              against handtuned is what that barrier costs
 *   strict     dma_read_consume, dma_read, dma_write_publish,
 *              dma_notify_barrier on a DMA_POLICY_STRICT context
 *   pcie       the same calls on a DMA_POLICY_PCIE context
 *   none       the same calls on a DMA_POLICY_NONE context, with odma_mb()
 *              before the interrupt as handtuned has: the record helpers'
 *              own rmb/wmb and nothing else, so none against handtuned is
 *              what odma's accessors cost, without STRICT's W->R barrier
 *   qemu       QEMU-style: every access (each poll of the flag, the body,
 *              the buffer, the completion body, its flag) is a seq_cst
 *              fence + bounds check + memcpy, and a fence before the
 *              interrupt
 *
 * Variants run in interleaved rounds (each round runs every variant once,
 * order rotated), so a busy moment of a shared machine hits them alike;
 * each ratio is the median of its per-round ratios. Up to 21 rounds, but
 * no new round starts after 25 s once 5 are done: on a loaded 2-CPU
 * machine the two threads' ping-pong slows down a hundredfold, and
 * `make bench` must stay near two minutes.
 *
 * usage: ring [--quick] [--csv FILE] [--cc NAME]
 */
#define _GNU_SOURCE
#include <endian.h>
#include <odma.h>

#include "qemu_style.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../threads.h"

#define SLOTS 256
#define LEN 32
#define DESC_BASE 0x10000ull
#define CPL_BASE 0x20000ull
#define BUF_BASE 0x100000ull
#define RAM_SIZE 0x200000ull
#define NVARIANTS 6
#define MAX_ROUNDS 32

enum variant { V_HANDTUNED, V_HANDTUNED_MB, V_STRICT, V_PCIE, V_NONE, V_QEMU };
static const char *const variant_name[NVARIANTS] = { "handtuned", "handtuned+mb", "strict",
                                                     "pcie", "none", "qemu" };

struct ring {
    unsigned char *ram;
    struct dma_ctx dev;
    enum variant variant;
    unsigned long items;
    unsigned long errors;
    int pin;
};

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    int i;
    for (i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
    int i;
    for (i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t sum_of(const unsigned char *p)
{
    uint64_t a, b, c, d, s;
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    memcpy(&c, p + 16, 8);
    memcpy(&d, p + 24, 8);
    s = a + b * 3 + c * 5 + d * 7;
    return (uint32_t)(s ^ (s >> 32));
}

static void relax(unsigned long *spins)
{
    if ((++*spins & 1023) == 0)
        sched_yield(); /* be fair when another job shares the CPU */
}

/* The QEMU-style baseline (qemu_style.h) on this file's guest RAM. */
static inline __attribute__((always_inline)) int qemu_rw(struct ring *r, uint64_t addr,
                                                         void *buf, size_t len, int is_write)
{
    return qemu_style_rw(r->ram, RAM_SIZE, addr, buf, len, is_write);
}

static void make_cpl(unsigned char *cpl, const unsigned char *data, uint32_t len,
                     unsigned long i, uint16_t flag)
{
    put_le(cpl, len == LEN ? sum_of(data) : 0, 4);
    put_le(cpl + 4, len, 4);
    put_le(cpl + 8, i, 4);
    put_le(cpl + 12, 0, 2);
    put_le(cpl + 14, flag, 2);
}

static void *device(void *p)
{
    struct ring *r = (struct ring *)p;
    struct dma_ctx *c = &r->dev;
    unsigned char desc[16], data[LEN], cpl[16];
    unsigned long i, spins = 0;
    int bad = 0;
    if (r->pin)
        pin_to_nth_cpu(1);
    for (i = 0; i < r->items && !bad; i++) {
        uint64_t d = DESC_BASE + 16 * (i % SLOTS), cq = CPL_BASE + 16 * (i % SLOTS);
        uint16_t want = (uint16_t)(i + 1), f;
        uint32_t len;
        switch (r->variant) {
        case V_HANDTUNED:
        case V_HANDTUNED_MB:
            if (r->variant == V_HANDTUNED_MB)
                odma_mb();
            for (;;) {
                bad |= dma_ld_le16_relaxed(c, d + 14, &f) != DMA_OK;
                if (f == want || bad)
                    break;
                relax(&spins);
            }
            odma_rmb();
            bad |= dma_read_relaxed(c, d, desc, 14) != DMA_OK;
            len = (uint32_t)get_le(desc + 8, 4);
            if (len != LEN || dma_read_relaxed(c, get_le(desc, 8), data, LEN) != DMA_OK)
                len = 0;
            make_cpl(cpl, data, len, i, want);
            bad |= dma_write_relaxed(c, cq, cpl, 14) != DMA_OK;
            odma_wmb();
            bad |= dma_st_le16_relaxed(c, cq + 14, want) != DMA_OK;
            if (i % 32 == 31)
                odma_mb();
            break;
        case V_STRICT:
        case V_PCIE:
        case V_NONE:
            for (;;) {
                bad |= dma_read_consume(c, d, desc, 16, 14, 2) != DMA_OK;
                if (get_le(desc + 14, 2) == want || bad)
                    break;
                relax(&spins);
            }
            len = (uint32_t)get_le(desc + 8, 4);
            if (len != LEN || dma_read(c, get_le(desc, 8), data, LEN) != DMA_OK)
                len = 0;
            make_cpl(cpl, data, len, i, want);
            bad |= dma_write_publish(c, cq, cpl, 16, 14, 2) != DMA_OK;
            if (i % 32 == 31) {
                if (r->variant == V_NONE)
                    odma_mb(); /* NONE's notify barrier is none */
                else
                    dma_notify_barrier(c);
            }
            break;
        case V_QEMU:
            for (;;) {
                /* A 2-byte aligned memcpy is one load on x86. */
                bad |= qemu_rw(r, d + 14, &f, 2, 0);
                if (le16toh(f) == want || bad)
                    break;
                relax(&spins);
            }
            bad |= qemu_rw(r, d, desc, 14, 0);
            len = (uint32_t)get_le(desc + 8, 4);
            if (len != LEN || qemu_rw(r, get_le(desc, 8), data, LEN, 0))
                len = 0;
            make_cpl(cpl, data, len, i, want);
            bad |= qemu_rw(r, cq, cpl, 14, 1);
            bad |= qemu_rw(r, cq + 14, cpl + 14, 2, 1);
            if (i % 32 == 31)
                atomic_thread_fence(memory_order_seq_cst);
            break;
        }
    }
    odma_mb();
    return bad ? NULL : r;
}

/* The guest driver: plain memory and C11 atomics, like a real guest. */
static void driver(struct ring *r)
{
    unsigned long posted = 0, reaped = 0, spins = 0;
    uint32_t sums[SLOTS];
    while (reaped < r->items) {
        while (posted < r->items && posted - reaped < SLOTS) {
            unsigned slot = (unsigned)(posted % SLOTS);
            unsigned char *buf = r->ram + BUF_BASE + (uint64_t)slot * LEN;
            unsigned char *desc = r->ram + DESC_BASE + 16 * slot;
            uint64_t w;
            int k;
            for (k = 0; k < LEN / 8; k++) {
                w = posted * 0x9e3779b97f4a7c15ull + (uint64_t)k;
                memcpy(buf + 8 * k, &w, 8);
            }
            sums[slot] = sum_of(buf);
            put_le(desc, BUF_BASE + (uint64_t)slot * LEN, 8);
            put_le(desc + 8, LEN, 4);
            put_le(desc + 12, 0, 2);
            atomic_store_explicit((_Atomic uint16_t *)(void *)(desc + 14),
                                  htole16((uint16_t)(posted + 1)), memory_order_release);
            posted++;
        }
        {
            unsigned slot = (unsigned)(reaped % SLOTS);
            unsigned char *cpl = r->ram + CPL_BASE + 16 * slot;
            uint16_t f = le16toh(atomic_load_explicit((_Atomic uint16_t *)(void *)(cpl + 14),
                                                      memory_order_acquire));
            if (f != (uint16_t)(reaped + 1)) {
                relax(&spins);
                continue;
            }
            if (get_le(cpl, 4) != sums[slot] || get_le(cpl + 4, 4) != LEN ||
                get_le(cpl + 8, 4) != (uint32_t)reaped)
                r->errors++;
            reaped++;
        }
    }
}

/* One run: requests per second, or a negative value on error. */
static double run(enum variant v, unsigned long items, int pin)
{
    struct ring r;
    pthread_t th;
    void *ok = NULL;
    double t0, t1;
    memset(&r, 0, sizeof r);
    r.items = items;
    r.variant = v;
    r.pin = pin;
    r.ram = (unsigned char *)aligned_alloc(4096, RAM_SIZE);
    if (!r.ram)
        return -1;
    memset(r.ram, 0, RAM_SIZE);
    dma_ctx_init(&r.dev, v == V_PCIE   ? DMA_POLICY_PCIE
                         : v == V_NONE ? DMA_POLICY_NONE
                                       : DMA_POLICY_STRICT);
    if (dma_ctx_add_region(&r.dev, 0, RAM_SIZE, r.ram, 0) != DMA_OK)
        return -1;
    t0 = now_seconds();
    if (pthread_create(&th, NULL, device, &r) != 0)
        return -1;
    driver(&r);
    pthread_join(th, &ok);
    t1 = now_seconds();
    free(r.ram);
    if (!ok || r.errors)
        return -1;
    return (double)items / (t1 - t0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct stat3 {
    double med, lo, hi;
};

static struct stat3 stats(const double *x, int n)
{
    double s[MAX_ROUNDS];
    struct stat3 r;
    memcpy(s, x, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    r.med = s[n / 2];
    r.lo = s[0];
    r.hi = s[n - 1];
    return r;
}

int main(int argc, char **argv)
{
    /* rate[v][i]: requests/s of variant v in round i; ratio[v][w][i] the
     * paired ratio rate[v][i] / rate[w][i] of the same round. */
    static double rate[NVARIANTS][MAX_ROUNDS], ratio[NVARIANTS][NVARIANTS][MAX_ROUNDS];
    struct stat3 st[NVARIANTS], rs[NVARIANTS][NVARIANTS];
    static const int base[3] = { V_HANDTUNED, V_HANDTUNED_MB, V_QEMU };
    const char *csv = NULL, *cc = "cc";
    unsigned long items;
    int quick = 0, rounds, pin, i, v, w, k;
    FILE *out = NULL;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
            csv = argv[++i];
        else if (!strcmp(argv[i], "--cc") && i + 1 < argc)
            cc = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--quick] [--csv FILE] [--cc NAME]\n", argv[0]);
            return 2;
        }
    }
    rounds = quick ? 1 : 21;
    items = quick ? 20000 : 200000;
    pin = usable_cpus() >= 2;
    if (pin)
        pin_to_nth_cpu(0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < rounds; i++) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (i >= 5 && (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec) > 25.0) {
            rounds = i;
            break;
        }
        for (k = 0; k < NVARIANTS; k++) {
            v = (i + k) % NVARIANTS;
            rate[v][i] = run((enum variant)v, items, pin);
            if (rate[v][i] < 0) {
                fprintf(stderr, "ring: %s run failed\n", variant_name[v]);
                return 1;
            }
        }
    }
    for (v = 0; v < NVARIANTS; v++) {
        st[v] = stats(rate[v], rounds);
        for (w = 0; w < NVARIANTS; w++) {
            for (i = 0; i < rounds; i++)
                ratio[v][w][i] = rate[v][i] / rate[w][i];
            rs[v][w] = stats(ratio[v][w], rounds);
        }
    }
    if (csv && !(out = fopen(csv, "a"))) {
        perror(csv);
        return 1;
    }
    printf("| ring (%s) | requests/s (min-max) | x handtuned | x handtuned+mb | x qemu |\n", cc);
    printf("|---|---:|---:|---:|---:|\n");
    for (v = 0; v < NVARIANTS; v++) {
        printf("| %s | %.0f (%.0f-%.0f) |", variant_name[v], st[v].med, st[v].lo, st[v].hi);
        for (k = 0; k < 3; k++)
            printf(" %.2f (%.2f-%.2f) |", rs[v][base[k]].med, rs[v][base[k]].lo,
                   rs[v][base[k]].hi);
        printf("\n");
        if (out) {
            fprintf(out, "ring,%d slots,requests,%s,%s,req_per_s,%.0f,%.0f,%.0f,%d\n", SLOTS,
                    variant_name[v], cc, st[v].med, st[v].lo, st[v].hi, rounds);
            for (k = 0; k < 3; k++)
                fprintf(out, "ring,%d slots,ratio,%s/%s,%s,ratio,%.4f,%.4f,%.4f,%d\n", SLOTS,
                        variant_name[v], variant_name[base[k]], cc, rs[v][base[k]].med,
                        rs[v][base[k]].lo, rs[v][base[k]].hi, rounds);
        }
    }
    printf("\n(%lu requests per run, %d rounds; ratios are medians of per-round ratios, "
           "each round running every variant back to back; %s)\n",
           items, rounds,
           pin ? "driver on CPU 0, device on CPU 1" : "unpinned: fewer than 2 CPUs");
    if (out)
        fclose(out);
    return 0;
}
