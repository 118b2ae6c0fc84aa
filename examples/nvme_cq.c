/* SPDX-License-Identifier: MIT */
/*
 * nvme_cq - the NVMe-style queue pair of nvme_cq.h against a guest driver.
 *
 * The "guest driver" (main thread) writes random READ, WRITE and FLUSH
 * commands (and the odd bad opcode) into the submission queue, rings the
 * doorbell with a release store (the guest's wmb before an MMIO write),
 * polls each completion's phase bit with an acquire load (its rmb), and
 * then checks the completion (CID, status, SQ head) and, for READs, every
 * byte of the data against what earlier WRITEs put there. The "device"
 * thread answers doorbells with nvme_process(). Once per named policy;
 * exit status 1 on any error. tests/test_nvme_cq.c checks the model's
 * ordering with odma/testing.h.
 *
 * usage: nvme_cq [--buggy] [commands-per-policy]   (default 100000)
 *   --buggy  run the buggy model (one relaxed CQE write). On x86 it will
 *            most likely still pass: stores are not reordered there. The
 *            unit test finds the bug on any host.
 */
#include "nvme_cq.h"
#include "example.h"
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QSIZE 64
#define SQ_BASE 0x10000ull
#define CQ_BASE 0x20000ull
#define DATA_BASE 0x40000ull /* one 4 KiB page per SQ slot */
#define RAM_SIZE 0x80000ull
#define NBLOCKS 128
#define MAX_NLB 8

struct run {
    unsigned char *ram;       /* guest RAM as the guest sees it */
    struct nvme_queue q;      /* the device */
    unsigned char ns[NBLOCKS * NVME_BLOCK];
    _Atomic uint16_t doorbell; /* SQ tail doorbell register */
    atomic_int stop;
    atomic_ulong irqs;
    atomic_int device_failed;
};

/* Block contents: a function of the block and of the WRITE that made it. */
static unsigned char pattern(unsigned lba, unsigned gen, unsigned i)
{
    return (unsigned char)(lba * 31u + gen * 7u + i * 13u + (i >> 8));
}

static void raise_irq(void *opaque)
{
    struct run *r = (struct run *)opaque;
    atomic_fetch_add_explicit(&r->irqs, 1, memory_order_release);
}

static void *device(void *p)
{
    struct run *r = (struct run *)p;
    uint16_t seen = 0;
    unsigned long idle = 0;
    for (;;) {
        uint16_t tail = atomic_load_explicit(&r->doorbell, memory_order_acquire);
        if (tail == seen) {
            if (atomic_load_explicit(&r->stop, memory_order_acquire))
                return NULL;
            if ((++idle & 255) == 0)
                sched_yield(); /* be fair when fewer CPUs than threads */
            continue;
        }
        if (nvme_process(&r->q, tail) < 0) {
            atomic_store(&r->device_failed, 1);
            return NULL;
        }
        seen = tail;
    }
}

struct slot {
    uint8_t opc;
    uint16_t cid;
    unsigned lba, nlb;
    unsigned gen[MAX_NLB]; /* READ: what each block must hold */
};

static uint32_t rnd(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

static _Atomic uint16_t *guest_u16(struct run *r, uint64_t gpa)
{
    return (_Atomic uint16_t *)(void *)(r->ram + gpa);
}

/* The guest driver; returns the number of errors it saw. */
static unsigned long driver(struct run *r, unsigned long commands)
{
    struct slot slots[QSIZE];
    unsigned gen[NBLOCKS] = { 0 }, next_gen = 1;
    unsigned long posted = 0, reaped = 0, errors = 0, spins = 0;
    uint16_t tail = 0, head = 0, phase = 1;
    uint32_t seed = 2718;
    while (reaped < commands) {
        /* Submit while there is room (at most QSIZE - 1 outstanding). */
        while (posted < commands && posted - reaped < QSIZE - 1) {
            struct slot *s = &slots[tail];
            unsigned char *cmd = r->ram + SQ_BASE + (uint64_t)tail * NVME_SQE_SIZE;
            unsigned char *page = r->ram + DATA_BASE + (uint64_t)tail * NVME_PAGE;
            uint32_t dice = rnd(&seed) % 100;
            unsigned b, i;
            s->opc = dice < 45 ? NVME_CMD_READ : dice < 90 ? NVME_CMD_WRITE
                   : dice < 99 ? NVME_CMD_FLUSH : 0x7f;
            s->cid = (uint16_t)posted;
            s->nlb = 1 + rnd(&seed) % MAX_NLB;
            s->lba = rnd(&seed) % (NBLOCKS - s->nlb + 1);
            for (b = 0; b < s->nlb; b++) {
                if (s->opc == NVME_CMD_WRITE) {
                    gen[s->lba + b] = next_gen;
                    for (i = 0; i < NVME_BLOCK; i++)
                        page[b * NVME_BLOCK + i] = pattern(s->lba + b, next_gen, i);
                }
                s->gen[b] = gen[s->lba + b];
            }
            next_gen++;
            memset(cmd, 0, NVME_SQE_SIZE);
            cmd[0] = s->opc;
            nvme_put_le(cmd + 2, s->cid, 2);
            nvme_put_le(cmd + 24, DATA_BASE + (uint64_t)tail * NVME_PAGE, 8);
            nvme_put_le(cmd + 40, s->lba, 8);
            nvme_put_le(cmd + 48, s->nlb - 1, 2);
            tail = (uint16_t)((tail + 1) % QSIZE);
            posted++;
            /* Commands before the doorbell: the guest's wmb + MMIO write. */
            atomic_store_explicit(&r->doorbell, tail, memory_order_release);
        }
        /* Reap: the phase bit with acquire (the guest's rmb), then the rest. */
        {
            uint64_t cqe_gpa = CQ_BASE + (uint64_t)head * NVME_CQE_SIZE;
            const unsigned char *cqe = r->ram + cqe_gpa;
            const struct slot *s = &slots[head];
            uint16_t status = atomic_load_explicit(guest_u16(r, cqe_gpa + 14),
                                                   memory_order_acquire);
            unsigned want_sc = s->opc == 0x7f ? NVME_SC_INVALID_OPCODE : NVME_SC_SUCCESS;
            unsigned char st[2];
            memcpy(st, &status, 2); /* guest RAM is little-endian */
            if ((nvme_get_le(st, 2) & 1) != phase) {
                if (atomic_load(&r->device_failed))
                    return errors + 1;
                if ((++spins & 1023) == 0)
                    sched_yield();
                continue;
            }
            if (nvme_get_le(cqe + 12, 2) != s->cid || nvme_get_le(st, 2) >> 1 != want_sc ||
                nvme_get_le(cqe + 8, 2) != (uint64_t)(head + 1) % QSIZE)
                errors++;
            if (s->opc == NVME_CMD_READ) {
                const unsigned char *page = r->ram + DATA_BASE + (uint64_t)head * NVME_PAGE;
                unsigned b, i;
                for (b = 0; b < s->nlb; b++)
                    for (i = 0; i < NVME_BLOCK; i++)
                        if (page[b * NVME_BLOCK + i] != pattern(s->lba + b, s->gen[b], i)) {
                            errors++;
                            b = s->nlb;
                            break;
                        }
            }
            head = (uint16_t)((head + 1) % QSIZE);
            if (head == 0)
                phase ^= 1;
            reaped++;
        }
    }
    return errors;
}

static int run(const struct dma_policy *policy, unsigned long commands, int buggy)
{
    static struct run r;
    pthread_t th;
    unsigned long errors;
    unsigned lba, i;
    double t0, t1;
    memset(&r, 0, sizeof r);
    r.ram = (unsigned char *)aligned_alloc(4096, RAM_SIZE);
    if (!r.ram)
        return 1;
    memset(r.ram, 0, RAM_SIZE);
    for (lba = 0; lba < NBLOCKS; lba++)
        for (i = 0; i < NVME_BLOCK; i++)
            r.ns[lba * NVME_BLOCK + i] = pattern(lba, 0, i);
    nvme_queue_init(&r.q, policy, SQ_BASE, CQ_BASE, QSIZE, r.ns, NBLOCKS);
    r.q.buggy = buggy;
    r.q.raise_irq = raise_irq;
    r.q.irq_opaque = &r;
    if (dma_ctx_add_region(&r.q.dma, 0, RAM_SIZE, r.ram, 0) != DMA_OK)
        return 1;
    t0 = example_now();
    if (pthread_create(&th, NULL, device, &r) != 0)
        return 1;
    errors = driver(&r, commands);
    atomic_store_explicit(&r.stop, 1, memory_order_release);
    pthread_join(th, NULL);
    t1 = example_now();
    if (atomic_load(&r.device_failed) || atomic_load(&r.irqs) == 0)
        errors++;
    example_row(buggy ? "nvme_bug" : "nvme_cq", policy->name, commands, errors,
                (double)commands / (t1 - t0));
    free(r.ram);
    return errors != 0;
}

int main(int argc, char **argv)
{
    unsigned long commands = 100000;
    int buggy = 0, i, bad = 0;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--buggy"))
            buggy = 1;
        else
            commands = strtoul(argv[i], NULL, 10);
    }
    if (!commands)
        commands = 1;
    example_header();
    bad |= run(DMA_POLICY_STRICT, commands, buggy);
    bad |= run(DMA_POLICY_PCIE, commands, buggy);
    bad |= run(DMA_POLICY_PCIE_RELAXED, commands, buggy);
    bad |= run(DMA_POLICY_NONE, commands, buggy);
    return bad;
}
