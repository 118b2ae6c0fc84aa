/* SPDX-License-Identifier: MIT */
/*
 * tests/tsan/ring.c - a race-free device/driver pair for ThreadSanitizer.
 *
 * The device thread is a PCIE bus master built on odma; the driver thread
 * touches the same guest memory directly, with plain accesses for data and
 * C11 release/acquire for its flags, as a guest driver (or a qtest) would:
 *
 *   driver                                 device (odma, DMA_POLICY_PCIE)
 *   payload, request body (plain)
 *   store req.flag = i (release)    --->   poll req.flag (odma_ld_le32)
 *                                          odma_read_consume(request)
 *                                          odma_read(payload)
 *                                          odma_write(result)
 *   load cpl.flag == i (acquire)    <---   odma_write_publish(completion)
 *   result, completion body (plain)
 *
 * Every conflicting pair of accesses is ordered by a release/acquire pair
 * in the C11 model (odma's consume is "flag, acquire, body"; its publish
 * "body, release, flag"), so ThreadSanitizer must report nothing. The
 * driver checks every byte it gets back; the program exits non-zero on a
 * wrong value or a stall, and `make tsan` counts TSan's reports.
 *
 * -DBROKEN_DRIVER is the control that shows the check has power: the
 * driver stores its request flag with memory_order_relaxed, a real race
 * on the request body and payload that TSan must report.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <odma.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "the driver writes flags in host order; run this on a little-endian host");

#ifndef ITERATIONS
#define ITERATIONS 3000
#endif
#define PAYLOAD 96

/* Guest-physical layout. */
#define GPA_BASE 0x100000u
#define REQ 0x000u      /* struct req, flag at offset 28 */
#define CPL 0x040u      /* struct cpl, flag at offset 12 */
#define IN_BUF 0x1000u  /* request payload, driver -> device */
#define OUT_BUF 0x2000u /* result payload, device -> driver */
#define RAM_SIZE 0x4000u

struct req {
    uint32_t op;
    uint32_t len;
    uint64_t buf;  /* guest address of the payload */
    uint64_t tag;
    uint32_t salt;
    uint32_t flag; /* sequence number; 0 = empty */
};
struct cpl {
    uint64_t tag;
    uint32_t status;
    uint32_t flag;
};
_Static_assert(sizeof(struct req) == 32 && offsetof(struct req, flag) == 28, "req layout");
_Static_assert(sizeof(struct cpl) == 16 && offsetof(struct cpl, flag) == 12, "cpl layout");

static _Alignas(64) unsigned char ram[RAM_SIZE];
static struct dma_ctx ctx;
static atomic_int stop;  /* a thread gave up: the other stops too */
static int device_errors;

static _Atomic uint32_t *flag_at(uint32_t off)
{
    return (_Atomic uint32_t *)(void *)(ram + off);
}

static uint64_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec;
}

/* Wait politely: two cores are shared by many programs here. */
static int waited_too_long(unsigned *spins, uint64_t start)
{
    if (++*spins % 64 == 0) {
        sched_yield();
        if (now_s() - start > 60 || atomic_load_explicit(&stop, memory_order_relaxed))
            return 1;
    }
    return 0;
}

static unsigned char expected_out(uint32_t i, uint32_t salt, unsigned k)
{
    return (unsigned char)((i * 7u + k) ^ salt);
}

static void *device(void *arg)
{
    uint64_t start = now_s();
    (void)arg;
    for (uint32_t i = 1; i <= ITERATIONS; i++) {
        struct req r;
        struct cpl c;
        unsigned char in[PAYLOAD], out[PAYLOAD];
        uint32_t seen = 0;
        unsigned spins = 0;

        /* Poll the doorbell-less queue: an ordered load (PCIE: R->R none). */
        do {
            if (odma_ld_le32(&ctx, GPA_BASE + REQ + offsetof(struct req, flag), &seen) != DMA_OK ||
                waited_too_long(&spins, start))
                goto fail;
        } while (seen != i);
        /* The flag again, with acquire, then the body. */
        if (odma_read_consume(&ctx, GPA_BASE + REQ, &r, sizeof r, offsetof(struct req, flag),
                              sizeof r.flag) != DMA_OK || r.flag != i || r.len != PAYLOAD)
            goto fail;
        if (odma_read(&ctx, r.buf, in, r.len) != DMA_OK)
            goto fail;
        for (unsigned k = 0; k < PAYLOAD; k++)
            out[k] = (unsigned char)(in[k] ^ r.salt);
        if (odma_write(&ctx, GPA_BASE + OUT_BUF, out, sizeof out) != DMA_OK)
            goto fail;
        c.tag = r.tag;
        c.status = r.op + 1;
        c.flag = i;
        if (odma_write_publish(&ctx, GPA_BASE + CPL, &c, sizeof c, offsetof(struct cpl, flag),
                               sizeof c.flag) != DMA_OK)
            goto fail;
    }
    return NULL;
fail:
    device_errors++;
    atomic_store_explicit(&stop, 1, memory_order_relaxed);
    return NULL;
}

static void *driver(void *arg)
{
    int *errors = arg;
    uint64_t start = now_s();
    for (uint32_t i = 1; i <= ITERATIONS; i++) {
        struct req r;
        struct cpl c;
        unsigned char in[PAYLOAD];
        unsigned spins = 0;
        uint32_t salt = (i * 2654435761u) >> 24;

        for (unsigned k = 0; k < PAYLOAD; k++)
            in[k] = (unsigned char)(i * 7u + k);
        memcpy(ram + IN_BUF, in, sizeof in);
        r.op = i & 0xff;
        r.len = PAYLOAD;
        r.buf = GPA_BASE + IN_BUF;
        r.tag = (uint64_t)i << 32 | 0xfeed;
        r.salt = salt;
        memcpy(ram + REQ, &r, offsetof(struct req, flag)); /* body, plain */
#ifdef BROKEN_DRIVER
        atomic_store_explicit(flag_at(REQ + offsetof(struct req, flag)), i, memory_order_relaxed);
#else
        atomic_store_explicit(flag_at(REQ + offsetof(struct req, flag)), i, memory_order_release);
#endif
        while (atomic_load_explicit(flag_at(CPL + offsetof(struct cpl, flag)),
                                    memory_order_acquire) != i) {
            if (waited_too_long(&spins, start)) {
                fprintf(stderr, "driver: no completion %u\n", (unsigned)i);
                ++*errors;
                atomic_store_explicit(&stop, 1, memory_order_relaxed);
                return NULL;
            }
        }
        memcpy(&c, ram + CPL, offsetof(struct cpl, flag)); /* body, plain */
        if (c.tag != r.tag || c.status != r.op + 1u) {
            fprintf(stderr, "driver: completion %u: tag %llx status %u\n", (unsigned)i,
                    (unsigned long long)c.tag, (unsigned)c.status);
            ++*errors;
        }
        for (unsigned k = 0; k < PAYLOAD; k++) {
            if (ram[OUT_BUF + k] != expected_out(i, salt, k)) {
                fprintf(stderr, "driver: result %u byte %u wrong\n", (unsigned)i, k);
                ++*errors;
                break;
            }
        }
    }
    return NULL;
}

int main(void)
{
    pthread_t dev, drv;
    int driver_errors = 0;

    odma_ctx_init(&ctx, DMA_POLICY_PCIE);
    if (odma_ctx_add_region(&ctx, GPA_BASE, sizeof ram, ram, 0) != DMA_OK) {
        fprintf(stderr, "ring: cannot add the RAM region\n");
        return 1;
    }
    if (pthread_create(&dev, NULL, device, NULL) || pthread_create(&drv, NULL, driver, &driver_errors)) {
        fprintf(stderr, "ring: pthread_create failed\n");
        return 1;
    }
    pthread_join(drv, NULL);
    pthread_join(dev, NULL);
    if (driver_errors || device_errors) {
        fprintf(stderr, "ring: %d driver errors, %d device errors\n", driver_errors,
                device_errors);
        return 1;
    }
    printf("ring: %u request/completion round trips checked\n", (unsigned)ITERATIONS);
    return 0;
}
