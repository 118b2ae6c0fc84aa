/* SPDX-License-Identifier: MIT */
/*
 * tests/bench/icount.c - instructions per accessor call, to be run under
 * valgrind --tool=callgrind (deterministic, so comparable across commits).
 *
 * Each accessor is wrapped in its own noinline function ic_NAME taking the
 * guest address as an argument; main() calls each wrapper CALLS times in
 * a row with addresses read from a volatile (so nothing is constant-
 * folded into a wrapper). callgrind's inclusive count for ic_NAME divided
 * by CALLS is the cost of one access, including the wrapper's own call
 * and return: ic_*_raw pays exactly the same, so "minus raw" is what odma
 * adds. Slow paths the accessor calls (noinline) are included.
 *
 * Run by tests/bench/run.sh; prints nothing useful on its own.
 */
#include <odma.h>

#include "qemu_style.h"
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALLS 10000
#define RAM_SIZE 0x10000u
#define NOINLINE __attribute__((noinline, used))

static unsigned char *ram;
static struct dma_ctx cs, cp;
static _Alignas(64) unsigned char hbuf[64];
static volatile uint64_t vstep = 4;
static volatile uint64_t sink;

static inline __attribute__((always_inline)) int qemu_rw(uint64_t addr, void *buf,
                                                         size_t len, int is_write)
{
    return qemu_style_rw(ram, RAM_SIZE, addr, buf, len, is_write);
}

/* Results are checked with a branch to an error path, as a caller would. */
static unsigned long failures;
static __attribute__((noinline, cold)) void fail(void)
{
    failures++;
}

#define LD(name, T, EXPR)                                                     \
    NOINLINE uint64_t ic_##name(uint64_t a)                                   \
    {                                                                         \
        T v = 0;                                                              \
        if ((EXPR) != 0)                                                      \
            fail();                                                           \
        return v;                                                             \
    }
#define ST(name, T, EXPR)                                                     \
    NOINLINE uint64_t ic_##name(uint64_t a)                                   \
    {                                                                         \
        T v = (T)a;                                                           \
        if ((EXPR) != 0)                                                      \
            fail();                                                           \
        return 0;                                                             \
    }

LD(ld4_raw, uint32_t, (v = *(volatile uint32_t *)(void *)(ram + a), 0))
LD(ld4_relaxed, uint32_t, dma_ld_le32_relaxed(&cs, a, &v))
LD(ld4_strict, uint32_t, dma_ld_le32(&cs, a, &v))
LD(ld4_pcie, uint32_t, dma_ld_le32(&cp, a, &v))
LD(ld4_acquire, uint32_t, dma_ld_le32_acquire(&cs, a, &v))
LD(ld4_qemu, uint32_t, qemu_rw(a, &v, 4, 0))
ST(st4_raw, uint32_t, (*(volatile uint32_t *)(void *)(ram + a) = v, 0))
ST(st4_relaxed, uint32_t, dma_st_le32_relaxed(&cs, a, v))
ST(st4_strict, uint32_t, dma_st_le32(&cs, a, v))
ST(st4_pcie, uint32_t, dma_st_le32(&cp, a, v))
ST(st4_release, uint32_t, dma_st_le32_release(&cs, a, v))
ST(st4_qemu, uint32_t, qemu_rw(a, &v, 4, 1))
LD(ld8_raw, uint64_t, (v = *(volatile uint64_t *)(void *)(ram + a), 0))
LD(ld8_relaxed, uint64_t, dma_ld_le64_relaxed(&cs, a, &v))
LD(ld8_strict, uint64_t, dma_ld_le64(&cs, a, &v))
ST(st8_raw, uint64_t, (*(volatile uint64_t *)(void *)(ram + a) = v, 0))
ST(st8_relaxed, uint64_t, dma_st_le64_relaxed(&cs, a, v))
ST(st8_strict, uint64_t, dma_st_le64(&cs, a, v))

/* Alternating read and write (two accesses per call, as in a device model
 * that reads a descriptor word and writes a status word): the STRICT
 * case pays a full barrier on every W->R turn. */
#define RW(name, T, RD, WR)                                                   \
    NOINLINE uint64_t ic_##name(uint64_t a)                                   \
    {                                                                         \
        T v = 0;                                                              \
        if ((RD) != 0)                                                        \
            fail();                                                           \
        v = (T)(v + a);                                                       \
        if ((WR) != 0)                                                        \
            fail();                                                           \
        return 0;                                                             \
    }
RW(rw4_raw, uint32_t, (v = *(volatile uint32_t *)(void *)(ram + a), 0),
   (*(volatile uint32_t *)(void *)(ram + 0x1000u + a) = v, 0))
RW(rw4_relaxed, uint32_t, dma_ld_le32_relaxed(&cs, a, &v),
   dma_st_le32_relaxed(&cs, 0x1000u + a, v))
RW(rw4_strict, uint32_t, dma_ld_le32(&cs, a, &v), dma_st_le32(&cs, 0x1000u + a, v))
RW(rw4_pcie, uint32_t, dma_ld_le32(&cp, a, &v), dma_st_le32(&cp, 0x1000u + a, v))
RW(rw4_qemu, uint32_t, qemu_rw(a, &v, 4, 0), qemu_rw(0x1000u + a, &v, 4, 1))

#define COPY(name, EXPR)                                                      \
    NOINLINE uint64_t ic_##name(uint64_t a)                                   \
    {                                                                         \
        if ((EXPR) != 0)                                                      \
            fail();                                                           \
        atomic_signal_fence(memory_order_seq_cst);                            \
        return 0;                                                             \
    }
COPY(rd64_raw, (memcpy(hbuf, ram + a, 64), 0))
COPY(rd64_relaxed, dma_read_relaxed(&cs, a, hbuf, 64))
COPY(rd64_strict, dma_read(&cs, a, hbuf, 64))
COPY(rd64_qemu, qemu_rw(a, hbuf, 64, 0))
COPY(wr64_raw, (memcpy(ram + a, hbuf, 64), 0))
COPY(wr64_relaxed, dma_write_relaxed(&cs, a, hbuf, 64))
COPY(wr64_strict, dma_write(&cs, a, hbuf, 64))
COPY(wr64_qemu, qemu_rw(a, hbuf, 64, 1))
COPY(publish16_raw, (memcpy(ram + a, hbuf, 14),
                     atomic_store_explicit((_Atomic uint16_t *)(void *)(ram + a + 14),
                                           (uint16_t)a, memory_order_release), 0))
COPY(publish16_handtuned, (dma_write_relaxed(&cs, a, hbuf, 14) | (odma_wmb(), 0) |
                           dma_st_le16_relaxed(&cs, a + 14, (uint16_t)a)))
COPY(publish16_odma, dma_write_publish(&cs, a, hbuf, 16, 14, 2))
COPY(publish16_qemu, qemu_rw(a, hbuf, 14, 1) | qemu_rw(a + 14, hbuf + 14, 2, 1))
COPY(consume16_raw, (hbuf[14] = (unsigned char)atomic_load_explicit(
                         (_Atomic uint16_t *)(void *)(ram + a + 14), memory_order_acquire),
                     memcpy(hbuf, ram + a, 14), 0))
COPY(consume16_handtuned, (dma_ld_le16_relaxed(&cs, a + 14, (uint16_t *)(void *)(hbuf + 14)) |
                           (odma_rmb(), 0) | dma_read_relaxed(&cs, a, hbuf, 14)))
COPY(consume16_odma, dma_read_consume(&cs, a, hbuf, 16, 14, 2))
COPY(consume16_qemu, qemu_rw(a + 14, hbuf + 14, 2, 0) | qemu_rw(a, hbuf, 14, 0))

NOINLINE uint64_t ic_mb_odma(uint64_t a)
{
    odma_mb();
    return a;
}

NOINLINE uint64_t ic_mb_seqcst(uint64_t a)
{
    atomic_thread_fence(memory_order_seq_cst);
    return a;
}

typedef uint64_t (*ic_fn)(uint64_t);

static void repeat(ic_fn fn, uint64_t align)
{
    unsigned i;
    uint64_t a = 0, step = vstep * align / 4;
    for (i = 0; i < CALLS; i++) {
        sink += fn(a);
        a = (a + step) & (0x1000u - 1);
    }
}

int main(void)
{
    ram = (unsigned char *)aligned_alloc(4096, RAM_SIZE);
    if (!ram)
        return 1;
    memset(ram, 0, RAM_SIZE);
    dma_ctx_init(&cs, DMA_POLICY_STRICT);
    dma_ctx_init(&cp, DMA_POLICY_PCIE);
    if (dma_ctx_add_region(&cs, 0, RAM_SIZE, ram, 0) != DMA_OK ||
        dma_ctx_add_region(&cp, 0, RAM_SIZE, ram, 0) != DMA_OK)
        return 1;
    /* Steady state: one access each way per context first, outside the
     * counted wrappers, so that no wrapper's count carries the first
     * access's slow path (the lookup that sets the context's hint: about
     * 400 instructions once, 0.04 per call over CALLS calls). */
    {
        uint32_t w = 0;
        if (dma_ld_le32_relaxed(&cs, 0, &w) != DMA_OK || dma_st_le32_relaxed(&cs, 0, w) != DMA_OK ||
            dma_ld_le32_relaxed(&cp, 0, &w) != DMA_OK || dma_st_le32_relaxed(&cp, 0, w) != DMA_OK)
            return 1;
    }
    /* Each in a stream of its own kind: the steady state of that loop. */
    repeat(ic_ld4_raw, 4);
    repeat(ic_ld4_relaxed, 4);
    repeat(ic_ld4_strict, 4);
    repeat(ic_ld4_pcie, 4);
    repeat(ic_ld4_acquire, 4);
    repeat(ic_ld4_qemu, 4);
    repeat(ic_st4_raw, 4);
    repeat(ic_st4_relaxed, 4);
    repeat(ic_st4_strict, 4);
    repeat(ic_st4_pcie, 4);
    repeat(ic_st4_release, 4);
    repeat(ic_st4_qemu, 4);
    repeat(ic_ld8_raw, 8);
    repeat(ic_ld8_relaxed, 8);
    repeat(ic_ld8_strict, 8);
    repeat(ic_st8_raw, 8);
    repeat(ic_st8_relaxed, 8);
    repeat(ic_st8_strict, 8);
    repeat(ic_rw4_raw, 4);
    repeat(ic_rw4_relaxed, 4);
    repeat(ic_rw4_strict, 4);
    repeat(ic_rw4_pcie, 4);
    repeat(ic_rw4_qemu, 4);
    repeat(ic_rd64_raw, 64);
    repeat(ic_rd64_relaxed, 64);
    repeat(ic_rd64_strict, 64);
    repeat(ic_rd64_qemu, 64);
    repeat(ic_wr64_raw, 64);
    repeat(ic_wr64_relaxed, 64);
    repeat(ic_wr64_strict, 64);
    repeat(ic_wr64_qemu, 64);
    repeat(ic_publish16_raw, 16);
    repeat(ic_publish16_handtuned, 16);
    repeat(ic_publish16_odma, 16);
    repeat(ic_publish16_qemu, 16);
    repeat(ic_consume16_raw, 16);
    repeat(ic_consume16_handtuned, 16);
    repeat(ic_consume16_odma, 16);
    repeat(ic_consume16_qemu, 16);
    repeat(ic_mb_odma, 4);
    repeat(ic_mb_seqcst, 4);
    printf("calls %d\n", CALLS);
    if (failures)
        printf("failures %lu\n", failures);
    return 0;
}
