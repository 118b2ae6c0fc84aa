/* SPDX-License-Identifier: MIT */
/*
 * xen_ioreq - the ioreq handshake between Xen and a device model.
 *
 * When an HVM guest touches an emulated port or MMIO range, Xen writes an
 * I/O request into a slot of a page it shares with the device model (one
 * slot per vCPU), marks it READY and kicks an event channel. The device
 * model (QEMU, or any ioreq server) picks the request up, emulates the
 * access, writes the result into the same slot, marks it IORESP_READY and
 * kicks back. The state field is the only synchronisation:
 *
 *   hypervisor                          device model
 *   body (addr, data, size, ...)
 *   state = READY          (release) -> sees READY          (acquire)
 *                                       state = INPROCESS
 *                                       reads the body, emulates
 *                                       data = result (on a read)
 *   sees IORESP_READY      (acquire) <- state = IORESP_READY (release)
 *   reads data, state = NONE            notify barrier, event channel kick
 *
 * Release on the way in: the body must be visible before READY. Acquire on
 * the way out of the poll: the body must not be read before READY was
 * seen (on Arm a branch on the state does not order the loads after it).
 * Release on IORESP_READY covers both the result write *and* the device
 * model's earlier reads of the body: the hypervisor reuses the slot as
 * soon as it sees IORESP_READY, so a body read that was still in flight
 * could otherwise see the next request. That read->write order is one the
 * PCIE policies do not give an ordinary access; the _release store gives
 * it under every policy, which is why this example passes under NONE too.
 *
 * Here the hypervisor is a thread that plays Xen for NVCPUS vCPUs at once,
 * with plain C11 atomics on a page of host memory; the device-model thread
 * reaches that page only through odma, as it would reach a mapped guest
 * page:
 *
 *   dma_ld_u8_acquire   poll each slot's state
 *   dma_st_u8           state = INPROCESS (ordered by the policy)
 *   dma_read            the request body
 *   dma_st_le64         the result of a read
 *   dma_st_u8_release   state = IORESP_READY
 *   dma_notify_barrier  before the event-channel kick (a counter here)
 *
 * The emulated device is a bank of 16 64-bit registers, reachable by port
 * I/O (ports 0x510..0x51f, 1/2/4 bytes) and by MMIO (0xfed00000 + 8 * reg,
 * 1/2/4/8 bytes). A write stores the value truncated to its size, a read
 * returns the register truncated to its size. vCPU v only uses registers
 * 4v..4v+3, so its requests (one in flight at a time) have one right
 * answer, which the hypervisor predicts from its own copy of the
 * registers. It checks every response: the slot must come back with the
 * same addr, size, direction, type and sequence number, and data must be
 * the predicted value (a read) or unchanged (a write). Every response must
 * have been kicked. A watchdog fails a run that stalls.
 *
 * Slot layout, 32 bytes, little-endian (the fields Xen's public
 * hvm/ioreq.h has, in our own arrangement: Xen packs state, dir and two
 * flags into one byte and has an event-channel port where we keep seq):
 *   +0  le64 addr    port number or guest-physical MMIO address
 *   +8  le64 data    value written, or the result of a read
 *   +16 le32 count   repetitions of a rep-prefixed access; always 1 here
 *   +20 le32 size    access width in bytes: 1, 2, 4 or 8
 *   +24 le32 seq     request number, to match a response to its request
 *   +28 u8   dir     0 write (to the device), 1 read (from it)
 *   +29 u8   type    0 port I/O, 1 MMIO
 *   +30 u8   state   NONE 0, READY 1, INPROCESS 2, IORESP_READY 3
 *   +31 u8   pad
 *
 * usage: xen_ioreq [-n rounds] [-p policy] [-t seconds] [-c seq] [-f]
 *   -n  requests per policy (default 250000)
 *   -p  run only this policy (strict, pcie, pcie-relaxed, none)
 *   -t  watchdog: fail a run that takes longer (default 20 s)
 * Fault injection, to show that the checks catch faults:
 *   -c seq  corrupt the data of response seq
 *   -f      broken device model: IORESP_READY before the result is written
 *           (and the result only once the hypervisor has looked)
 */
#define _GNU_SOURCE
#include <odma.h>
#include "example.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NVCPUS 4
#define PAGE_GPA 0xfeff0000ull /* where the device model sees the ioreq page */
#define SLOT_SIZE 32u
#define NREGS 16

enum { IO_ADDR = 0, IO_DATA = 8, IO_COUNT = 16, IO_SIZE = 20, IO_SEQ = 24, IO_DIR = 28,
       IO_TYPE = 29, IO_STATE = 30 };
enum { IOREQ_NONE = 0, IOREQ_READY = 1, IOREQ_INPROCESS = 2, IORESP_READY = 3 };
enum { DIR_WRITE = 0, DIR_READ = 1 };
enum { TYPE_PIO = 0, TYPE_MMIO = 1 };
#define PIO_BASE 0x510u
#define MMIO_BASE 0xfed00000ull

struct opts {
    unsigned long rounds;
    const char *only;
    double timeout;
    long corrupt;
    int flag_first;
};

struct shared {
    const struct opts *o;
    _Alignas(4096) unsigned char page[4096]; /* the shared ioreq page */
    struct dma_ctx dm;                       /* the device model's view of it */
    atomic_int stop;                         /* hypervisor -> device model */
    atomic_ulong kicks;                      /* the event channel, DM -> Xen */
    unsigned long handled, dm_errors;        /* device model's, read after join */
};

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static void relax(unsigned long *spins)
{
    if ((++*spins & 1023) == 0)
        sched_yield(); /* be fair when there are fewer CPUs than threads */
}


/* ---------------------------------------------------------------------
 * The device model: odma only.
 */
static int reg_of(uint64_t addr, unsigned type, unsigned *reg)
{
    if (type == TYPE_PIO && addr >= PIO_BASE && addr < PIO_BASE + NREGS)
        *reg = (unsigned)(addr - PIO_BASE);
    else if (type == TYPE_MMIO && addr >= MMIO_BASE && addr < MMIO_BASE + 8 * NREGS &&
             (addr & 7) == 0)
        *reg = (unsigned)((addr - MMIO_BASE) / 8);
    else
        return 0;
    return 1;
}

static uint64_t get_le(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    while (n--)
        v = v << 8 | p[n];
    return v;
}

/* -f: wait (up to 2 ms) until the hypervisor has taken the response, so
 * the broken device model below loses its race every time, not by chance. */
static void wait_until_taken(struct dma_ctx *ctx, uint64_t slot)
{
    double end = example_now() + 2e-3;
    unsigned long spins = 0;
    uint8_t state = 0;
    while (example_now() < end) {
        if (dma_ld_u8_relaxed(ctx, slot + IO_STATE, &state) != DMA_OK ||
            state != IORESP_READY)
            return;
        relax(&spins);
    }
}

static void *device_model(void *p)
{
    struct shared *s = (struct shared *)p;
    struct dma_ctx *ctx = &s->dm;
    uint64_t regs[NREGS] = { 0 };
    unsigned long spins = 0;
    unsigned v = 0;
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        uint64_t slot = PAGE_GPA + (uint64_t)v * SLOT_SIZE, addr, data;
        unsigned char body[IO_STATE];
        unsigned size, dir, type, reg;
        int put_data;
        uint8_t state;
        v = (v + 1) % NVCPUS;
        if (dma_ld_u8_acquire(ctx, slot + IO_STATE, &state) != DMA_OK)
            goto broken;
        if (state != IOREQ_READY) {
            relax(&spins);
            continue;
        }
        /* READY seen with acquire: the body below is the new request. */
        if (dma_st_u8(ctx, slot + IO_STATE, IOREQ_INPROCESS) != DMA_OK ||
            dma_read(ctx, slot, body, sizeof body) != DMA_OK)
            goto broken;
        addr = get_le(body + IO_ADDR, 8);
        data = get_le(body + IO_DATA, 8);
        size = (unsigned)get_le(body + IO_SIZE, 4);
        dir = body[IO_DIR];
        type = body[IO_TYPE];
        if (get_le(body + IO_COUNT, 4) != 1 || (size != 1 && size != 2 && size != 4 &&
            size != 8) || (type == TYPE_PIO && size == 8) || dir > DIR_READ ||
            !reg_of(addr, type, &reg)) {
            s->dm_errors++; /* Xen would crash the domain; answer all-ones */
            data = ~0ull;
        } else if (dir == DIR_WRITE) {
            regs[reg] = data & size_mask(size);
        } else {
            data = regs[reg] & size_mask(size);
        }
        if ((long)get_le(body + IO_SEQ, 4) == s->o->corrupt)
            data ^= 1; /* fault injection */
        /* A write's data field is left alone (unless it was rejected). */
        put_data = dir == DIR_READ || data != get_le(body + IO_DATA, 8);
        if (!s->o->flag_first) {
            if (put_data && dma_st_le64(ctx, slot + IO_DATA, data) != DMA_OK)
                goto broken;
            /* The result and every read of the body, then IORESP_READY. */
            if (dma_st_u8_release(ctx, slot + IO_STATE, IORESP_READY) != DMA_OK)
                goto broken;
        } else {
            /* Fault injection: a broken device model that says "done"
             * before it writes the result. */
            dma_result r = dma_st_u8(ctx, slot + IO_STATE, IORESP_READY);
            wait_until_taken(ctx, slot);
            if (r != DMA_OK || (put_data && dma_st_le64(ctx, slot + IO_DATA, data) != DMA_OK))
                goto broken;
        }
        s->handled++;
        dma_notify_barrier(ctx); /* then the event-channel kick */
        atomic_fetch_add_explicit(&s->kicks, 1, memory_order_relaxed);
    }
    return s;
broken:
    s->dm_errors++;
    return NULL;
}

/* ---------------------------------------------------------------------
 * The hypervisor: plain C11 atomics on the shared page.
 */
static _Atomic uint8_t *state_of(struct shared *s, unsigned v)
{
    return (_Atomic uint8_t *)(void *)&s->page[v * SLOT_SIZE + IO_STATE];
}

/* Body fields: one relaxed atomic access each (the page is shared). */
static void put_field(struct shared *s, unsigned v, unsigned off, uint64_t val, unsigned n)
{
    unsigned char *p = &s->page[v * SLOT_SIZE + off];
    if (n == 8)
        atomic_store_explicit((_Atomic uint64_t *)(void *)p, val, memory_order_relaxed);
    else if (n == 4)
        atomic_store_explicit((_Atomic uint32_t *)(void *)p, (uint32_t)val, memory_order_relaxed);
    else
        atomic_store_explicit((_Atomic uint8_t *)(void *)p, (uint8_t)val, memory_order_relaxed);
}

static uint64_t get_field(struct shared *s, unsigned v, unsigned off, unsigned n)
{
    unsigned char *p = &s->page[v * SLOT_SIZE + off];
    if (n == 8)
        return atomic_load_explicit((_Atomic uint64_t *)(void *)p, memory_order_relaxed);
    if (n == 4)
        return atomic_load_explicit((_Atomic uint32_t *)(void *)p, memory_order_relaxed);
    return atomic_load_explicit((_Atomic uint8_t *)(void *)p, memory_order_relaxed);
}

struct inflight {
    int busy;
    uint64_t addr, data, expect;
    unsigned size, dir, type, seq;
};

/* Run `rounds` requests under one policy. Returns 0 if all verified. */
static int run(const struct opts *o, const struct dma_policy *policy)
{
    struct shared *s = (struct shared *)aligned_alloc(4096, sizeof *s);
    struct inflight fl[NVCPUS];
    uint64_t shadow[NREGS] = { 0 };
    unsigned long issued = 0, done = 0, errors = 0, spins = 0;
    uint32_t seed = 2463534242u;
    pthread_t th;
    void *dm_ok = NULL;
    double t0, t1, deadline;
    unsigned v;
    int stalled = 0;
    if (!s)
        return 1;
    memset(s, 0, sizeof *s);
    memset(fl, 0, sizeof fl);
    s->o = o;
    dma_ctx_init(&s->dm, policy);
    if (dma_ctx_add_region(&s->dm, PAGE_GPA, sizeof s->page, s->page, 0) != DMA_OK ||
        pthread_create(&th, NULL, device_model, s) != 0) {
        free(s);
        return 1;
    }
    t0 = example_now();
    deadline = t0 + o->timeout;
    while (done < o->rounds) {
        int progress = 0;
        for (v = 0; v < NVCPUS; v++) {
            struct inflight *f = &fl[v];
            if (f->busy &&
                atomic_load_explicit(state_of(s, v), memory_order_acquire) == IORESP_READY) {
                /* IORESP_READY seen with acquire: data is the response. */
                uint64_t data = get_field(s, v, IO_DATA, 8);
                int ok = get_field(s, v, IO_ADDR, 8) == f->addr &&
                         get_field(s, v, IO_SIZE, 4) == f->size &&
                         get_field(s, v, IO_COUNT, 4) == 1 &&
                         get_field(s, v, IO_SEQ, 4) == f->seq &&
                         get_field(s, v, IO_DIR, 1) == f->dir &&
                         get_field(s, v, IO_TYPE, 1) == f->type && data == f->expect;
                if (!ok) {
                    if (!errors)
                        fprintf(stderr, "xen_ioreq: %s: request %u (%s %s 0x%llx size %u): "
                                "data 0x%llx, expected 0x%llx\n", policy->name, f->seq,
                                f->type == TYPE_PIO ? "pio" : "mmio",
                                f->dir == DIR_READ ? "read" : "write",
                                (unsigned long long)f->addr, f->size,
                                (unsigned long long)data, (unsigned long long)f->expect);
                    errors++;
                }
                atomic_store_explicit(state_of(s, v), IOREQ_NONE, memory_order_relaxed);
                f->busy = 0;
                done++;
                progress = 1;
            }
            if (!f->busy && issued < o->rounds) {
                /* A new access by vCPU v to one of its own registers. */
                unsigned reg = 4 * v + (seed >> 3 & 3);
                seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
                f->type = seed & 1 ? TYPE_MMIO : TYPE_PIO;
                f->dir = seed >> 1 & 1 ? DIR_READ : DIR_WRITE;
                if (f->type == TYPE_MMIO)
                    f->size = 1u << (seed >> 2 & 3);       /* 1, 2, 4, 8 */
                else
                    f->size = 1u << (seed >> 2 & 3) % 3;   /* 1, 2, 4 */
                f->addr = f->type == TYPE_PIO ? PIO_BASE + reg : MMIO_BASE + 8ull * reg;
                f->seq = (unsigned)issued;
                if (f->dir == DIR_WRITE) {
                    f->data = (uint64_t)seed * 0x9e3779b97f4a7c15ull ^ issued;
                    shadow[reg] = f->data & size_mask(f->size);
                    f->expect = f->data;            /* a write's data comes back as is */
                } else {
                    f->data = 0xa5a5a5a5a5a5a5a5ull; /* the device must overwrite it */
                    f->expect = shadow[reg] & size_mask(f->size);
                }
                put_field(s, v, IO_ADDR, f->addr, 8);
                put_field(s, v, IO_DATA, f->data, 8);
                put_field(s, v, IO_COUNT, 1, 4);
                put_field(s, v, IO_SIZE, f->size, 4);
                put_field(s, v, IO_SEQ, f->seq, 4);
                put_field(s, v, IO_DIR, f->dir, 1);
                put_field(s, v, IO_TYPE, f->type, 1);
                /* The body, then READY with release: Xen's wmb. */
                atomic_store_explicit(state_of(s, v), IOREQ_READY, memory_order_release);
                f->busy = 1;
                issued++;
                progress = 1;
            }
        }
        if (!progress) {
            relax(&spins);
            if ((spins & 1023) == 0 && example_now() > deadline) {
                stalled = 1;
                break;
            }
        }
    }
    t1 = example_now();
    atomic_store(&s->stop, 1);
    pthread_join(th, &dm_ok);
    if (stalled) {
        fprintf(stderr, "xen_ioreq: %s: stalled after %.0f s: %lu of %lu responses\n",
                policy->name, o->timeout, done, o->rounds);
        errors += o->rounds - done;
    }
    if (!dm_ok || s->dm_errors) {
        fprintf(stderr, "xen_ioreq: %s: device model saw %lu bad requests\n", policy->name,
                s->dm_errors);
        if (!errors)
            errors = 1;
    }
    if (!stalled && (s->handled != o->rounds || atomic_load(&s->kicks) != o->rounds)) {
        fprintf(stderr, "xen_ioreq: %s: %lu requests handled, %lu kicks, for %lu rounds\n",
                policy->name, s->handled, atomic_load(&s->kicks), o->rounds);
        if (!errors)
            errors = 1;
    }
    example_row("xen_ioreq", policy->name, o->rounds, errors,
                t1 > t0 ? (double)done / (t1 - t0) : 0.0);
    free(s);
    return errors != 0;
}

int main(int argc, char **argv)
{
    static const struct dma_policy *const policies[4] = {
        DMA_POLICY_STRICT, DMA_POLICY_PCIE, DMA_POLICY_PCIE_RELAXED, DMA_POLICY_NONE
    };
    struct opts o = { 250000, NULL, 20.0, -1, 0 };
    int c, bad = 0, ran = 0;
    unsigned i;
    while ((c = getopt(argc, argv, "n:p:t:c:f")) != -1) {
        switch (c) {
        case 'n': o.rounds = strtoul(optarg, NULL, 0); break;
        case 'p': o.only = optarg; break;
        case 't': o.timeout = strtod(optarg, NULL); break;
        case 'c': o.corrupt = strtol(optarg, NULL, 0); break;
        case 'f': o.flag_first = 1; break;
        default: goto usage;
        }
    }
    if (optind != argc || o.rounds == 0 || o.rounds > 0xfffffffful || !(o.timeout > 0))
        goto usage;
    example_header();
    for (i = 0; i < 4; i++) {
        if (o.only && strcmp(o.only, policies[i]->name) != 0)
            continue;
        bad |= run(&o, policies[i]);
        ran++;
    }
    if (!ran) {
        fprintf(stderr, "xen_ioreq: no policy named %s\n", o.only);
        return 2;
    }
    return bad;
usage:
    fprintf(stderr, "usage: xen_ioreq [-n rounds] [-p policy] [-t seconds] [-c seq] [-f]\n");
    return 2;
}
