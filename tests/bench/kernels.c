/* SPDX-License-Identifier: MIT */
/*
 * tests/bench/kernels.c - the micro-benchmark loops, compiled once per
 * compiler (-DBENCH_CC=gcc or clang) into one object each.
 *
 * Every kernel is a tight loop of n iterations over a small window of
 * guest RAM (4 KiB for 4/8/64-byte accesses, 32 KiB for 4 KiB copies, so
 * it stays in L1/L2): reads from one window, writes to another, "rw"
 * alternates a read and a write. Variants:
 *
 *   raw           volatile host load/store, or memcpy (the floor)
 *   relaxed       dma_ld_le32_relaxed, dma_read_relaxed, ...
 *   strict, pcie, pcie_relaxed
 *                 the ordered accessors with that context policy
 *   acqrel        dma_ld_*_acquire for reads, dma_st_*_release for writes
 *   qemu          QEMU-style: a seq_cst fence before every access (as
 *                 dma_barrier() does before dma_memory_rw()), a bounds
 *                 check, then memcpy. Real QEMU also walks its flat view
 *                 of the address space, so this is a lower bound on it.
 *   handtuned     (records) relaxed accessors plus explicit odma_wmb/rmb
 *
 * Copies and records end each iteration with a compiler-only barrier
 * (a signal fence) so that no memcpy can be dropped or merged across
 * iterations; ld/st loops need none (volatile or atomic accesses).
 */
#include "bench.h"

#include <odma.h>

#include "qemu_style.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#ifndef BENCH_CC
#error "compile with -DBENCH_CC=gcc or -DBENCH_CC=clang"
#endif
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define STR_(a) #a
#define STR(a) STR_(a)

#define RAM_SIZE 0x40000u
#define REC_BASE 0x3000u /* 16-byte records, a 4 KiB window */

static unsigned char *ram;
static _Alignas(64) unsigned char hbuf[4096];
static _Alignas(64) unsigned char rec[16];
static struct dma_ctx cs, cp, cr; /* STRICT, PCIE, PCIE_RELAXED */

#define SINK() atomic_signal_fence(memory_order_seq_cst)

/* Results are checked as a device model would: a branch to an error path.
 * (Adding them up instead makes the compilers merge the fast path's
 * constant DMA_OK with the slow path's value: extra instructions that a
 * real caller does not have.) */
static unsigned long failures;
static __attribute__((noinline, cold)) void fail(void)
{
    failures++;
}
#define CHECK(x)                                                              \
    do {                                                                      \
        if ((x) != 0)                                                         \
            fail();                                                           \
    } while (0)

/* Windows: reads and writes never touch the same lines. */
#define RD_BASE(S) ((S) >= 4096 ? 0x10000u : 0x0u)
#define WR_BASE(S) ((S) >= 4096 ? 0x20000u : 0x1000u)
#define WIN(S) ((S) >= 4096 ? 0x8000u : 0x1000u)
#define RD_ADDR(S) (RD_BASE(S) + (((uint64_t)i * (S)) & (WIN(S) - 1)))
#define WR_ADDR(S) (WR_BASE(S) + (((uint64_t)i * (S)) & (WIN(S) - 1)))

/* The QEMU-style baseline (qemu_style.h) on this file's guest RAM. */
static inline __attribute__((always_inline)) int qemu_rw(uint64_t addr, void *buf,
                                                         size_t len, int is_write)
{
    return qemu_style_rw(ram, RAM_SIZE, addr, buf, len, is_write);
}

/* Three kernels, rd / wr / rw, from one read and one write statement. */
#define K3(name, S, RD, WR, END)                                              \
    static uint64_t name##_rd(unsigned long n)                                \
    {                                                                         \
        uint64_t acc = 0;                                                     \
        unsigned long i;                                                      \
        for (i = 0; i < n; i++) {                                             \
            uint64_t a = RD_ADDR(S);                                          \
            RD;                                                               \
            END;                                                              \
        }                                                                     \
        return acc + failures;                                                \
    }                                                                         \
    static uint64_t name##_wr(unsigned long n)                                \
    {                                                                         \
        uint64_t acc = 0;                                                     \
        unsigned long i;                                                      \
        for (i = 0; i < n; i++) {                                             \
            uint64_t b = WR_ADDR(S);                                          \
            WR;                                                               \
            END;                                                              \
        }                                                                     \
        return acc + failures;                                                \
    }                                                                         \
    static uint64_t name##_rw(unsigned long n)                                \
    {                                                                         \
        uint64_t acc = 0;                                                     \
        unsigned long i;                                                      \
        for (i = 0; i < n; i++) {                                             \
            uint64_t a = RD_ADDR(S), b = WR_ADDR(S);                          \
            RD;                                                               \
            WR;                                                               \
            END;                                                              \
        }                                                                     \
        return acc + failures;                                                \
    }

/* Typed loads and stores: S bytes, type T, odma suffix B (le32, le64). */
#define LDST(S, T, B)                                                         \
    K3(k##S##_raw, S, acc += *(volatile T *)(void *)(ram + a),               \
       *(volatile T *)(void *)(ram + b) = (T)i, (void)0)                      \
    K3(k##S##_relaxed, S, { T v; CHECK(dma_ld_##B##_relaxed(&cs, a, &v)); acc += v; }, \
       CHECK(dma_st_##B##_relaxed(&cs, b, (T)i)), (void)0)                    \
    K3(k##S##_strict, S, { T v; CHECK(dma_ld_##B(&cs, a, &v)); acc += v; },  \
       CHECK(dma_st_##B(&cs, b, (T)i)), (void)0)                              \
    K3(k##S##_pcie, S, { T v; CHECK(dma_ld_##B(&cp, a, &v)); acc += v; },    \
       CHECK(dma_st_##B(&cp, b, (T)i)), (void)0)                              \
    K3(k##S##_pcie_relaxed, S, { T v; CHECK(dma_ld_##B(&cr, a, &v)); acc += v; }, \
       CHECK(dma_st_##B(&cr, b, (T)i)), (void)0)                              \
    K3(k##S##_acqrel, S, { T v; CHECK(dma_ld_##B##_acquire(&cs, a, &v)); acc += v; }, \
       CHECK(dma_st_##B##_release(&cs, b, (T)i)), (void)0)                    \
    K3(k##S##_qemu, S, { T v; CHECK(qemu_rw(a, &v, S, 0)); acc += v; },      \
       { T v = (T)i; CHECK(qemu_rw(b, &v, S, 1)); }, (void)0)

LDST(4, uint32_t, le32)
LDST(8, uint64_t, le64)

/* Copies of S bytes between guest RAM and a host buffer. */
#define COPY(S)                                                               \
    K3(k##S##_raw, S, memcpy(hbuf, ram + a, S), memcpy(ram + b, hbuf, S), SINK()) \
    K3(k##S##_relaxed, S, CHECK(dma_read_relaxed(&cs, a, hbuf, S)),          \
       CHECK(dma_write_relaxed(&cs, b, hbuf, S)), SINK())                     \
    K3(k##S##_strict, S, CHECK(dma_read(&cs, a, hbuf, S)),                   \
       CHECK(dma_write(&cs, b, hbuf, S)), SINK())                             \
    K3(k##S##_pcie, S, CHECK(dma_read(&cp, a, hbuf, S)),                     \
       CHECK(dma_write(&cp, b, hbuf, S)), SINK())                             \
    K3(k##S##_pcie_relaxed, S, CHECK(dma_read(&cr, a, hbuf, S)),             \
       CHECK(dma_write(&cr, b, hbuf, S)), SINK())                             \
    K3(k##S##_qemu, S, CHECK(qemu_rw(a, hbuf, S, 0)),                        \
       CHECK(qemu_rw(b, hbuf, S, 1)), SINK())

COPY(64)
COPY(4096)

/* Records: 16 bytes, a 2-byte flag at offset 14 (NVMe CQE, e1000 style). */
#define REC_ADDR (REC_BASE + (((uint64_t)i * 16u) & 0xfffu))
#define REC_KERNEL(name, BODY)                                                \
    static uint64_t name(unsigned long n)                                     \
    {                                                                         \
        uint64_t acc = 0;                                                     \
        unsigned long i;                                                      \
        for (i = 0; i < n; i++) {                                             \
            uint64_t r = REC_ADDR;                                            \
            uint16_t f = (uint16_t)i;                                         \
            (void)f;                                                          \
            BODY;                                                             \
            SINK();                                                           \
        }                                                                     \
        return acc + failures;                                                \
    }

REC_KERNEL(kpub_raw, {
    memcpy(rec + 14, &f, 2);
    memcpy(ram + r, rec, 14);
    atomic_store_explicit((_Atomic uint16_t *)(void *)(ram + r + 14), f, memory_order_release);
})
REC_KERNEL(kpub_handtuned, {
    memcpy(rec + 14, &f, 2);
    CHECK(dma_write_relaxed(&cs, r, rec, 14));
    odma_wmb();
    CHECK(dma_st_le16_relaxed(&cs, r + 14, f));
})
REC_KERNEL(kpub_odma, {
    memcpy(rec + 14, &f, 2);
    CHECK(dma_write_publish(&cs, r, rec, 16, 14, 2));
})
REC_KERNEL(kpub_qemu, {
    memcpy(rec + 14, &f, 2);
    CHECK(qemu_rw(r, rec, 14, 1));
    CHECK(qemu_rw(r + 14, rec + 14, 2, 1));
})
REC_KERNEL(kcon_raw, {
    f = atomic_load_explicit((_Atomic uint16_t *)(void *)(ram + r + 14), memory_order_acquire);
    memcpy(rec, ram + r, 14);
    acc += f;
})
REC_KERNEL(kcon_handtuned, {
    CHECK(dma_ld_le16_relaxed(&cs, r + 14, &f));
    odma_rmb();
    CHECK(dma_read_relaxed(&cs, r, rec, 14));
    acc += f;
})
REC_KERNEL(kcon_odma, {
    CHECK(dma_read_consume(&cs, r, rec, 16, 14, 2));
    acc += rec[14];
})
REC_KERNEL(kcon_qemu, {
    CHECK(qemu_rw(r + 14, rec + 14, 2, 0));
    CHECK(qemu_rw(r, rec, 14, 0));
    acc += rec[14];
})

/* Full fences, each after a store (clang merges back-to-back fences). */
static volatile unsigned fence_word;

static uint64_t kmb_odma(unsigned long n)
{
    unsigned long i;
    for (i = 0; i < n; i++) {
        fence_word = (unsigned)i;
        odma_mb();
    }
    return n;
}

static uint64_t kmb_seqcst(unsigned long n)
{
    unsigned long i;
    for (i = 0; i < n; i++) {
        fence_word = (unsigned)i;
        atomic_thread_fence(memory_order_seq_cst);
    }
    return n;
}

static int init(void)
{
    ram = (unsigned char *)aligned_alloc(4096, RAM_SIZE);
    if (!ram)
        return 1;
    memset(ram, 0x5a, RAM_SIZE);
    memset(hbuf, 0xa5, sizeof hbuf);
    dma_ctx_init(&cs, DMA_POLICY_STRICT);
    dma_ctx_init(&cp, DMA_POLICY_PCIE);
    dma_ctx_init(&cr, DMA_POLICY_PCIE_RELAXED);
    if (dma_ctx_add_region(&cs, 0, RAM_SIZE, ram, 0) != DMA_OK ||
        dma_ctx_add_region(&cp, 0, RAM_SIZE, ram, 0) != DMA_OK ||
        dma_ctx_add_region(&cr, 0, RAM_SIZE, ram, 0) != DMA_OK)
        return 1;
    return 0;
}

#define E3(SZ, name, VAR)                                                     \
    { SZ, "rd", VAR, 1, name##_rd }, { SZ, "wr", VAR, 1, name##_wr },         \
        { SZ, "rw", VAR, 2, name##_rw }
#define ELDST(SZ, S)                                                          \
    E3(SZ, k##S##_raw, "raw"), E3(SZ, k##S##_relaxed, "relaxed"),            \
        E3(SZ, k##S##_strict, "strict"), E3(SZ, k##S##_pcie, "pcie"),         \
        E3(SZ, k##S##_pcie_relaxed, "pcie_relaxed"),                         \
        E3(SZ, k##S##_acqrel, "acqrel"), E3(SZ, k##S##_qemu, "qemu")
#define ECOPY(SZ, S)                                                          \
    E3(SZ, k##S##_raw, "raw"), E3(SZ, k##S##_relaxed, "relaxed"),            \
        E3(SZ, k##S##_strict, "strict"), E3(SZ, k##S##_pcie, "pcie"),         \
        E3(SZ, k##S##_pcie_relaxed, "pcie_relaxed"), E3(SZ, k##S##_qemu, "qemu")

static const struct bench_kernel kernels[] = {
    ELDST("4B", 4),
    ELDST("8B", 8),
    ECOPY("64B", 64),
    ECOPY("4KiB", 4096),
    { "16B", "publish", "raw", 1, kpub_raw },
    { "16B", "publish", "handtuned", 1, kpub_handtuned },
    { "16B", "publish", "odma", 1, kpub_odma },
    { "16B", "publish", "qemu", 1, kpub_qemu },
    { "16B", "consume", "raw", 1, kcon_raw },
    { "16B", "consume", "handtuned", 1, kcon_handtuned },
    { "16B", "consume", "odma", 1, kcon_odma },
    { "16B", "consume", "qemu", 1, kcon_qemu },
    { "fence", "mb", "odma_mb", 1, kmb_odma },
    { "fence", "mb", "seq_cst_fence", 1, kmb_seqcst },
};

const struct bench_set CAT(bench_set_, BENCH_CC) = {
    STR(BENCH_CC), init, kernels, sizeof kernels / sizeof kernels[0],
};
