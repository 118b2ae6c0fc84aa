/* SPDX-License-Identifier: MIT */
/*
 * odma/barrier.h - the barriers, defined once.
 *
 *   odma_rmb()  acquire fence. Orders earlier reads before later reads and
 *               writes. Pair it with a wmb on the other side: read a flag,
 *               odma_rmb(), then read what the flag guards.
 *   odma_wmb()  release fence. Orders earlier reads and writes before later
 *               writes: write a record's body, odma_wmb(), then its flag.
 *   odma_mb()   full fence. Orders everything, including an earlier write
 *               before a later read (store buffering), which neither of the
 *               others does. Needed before reading a guest flag after
 *               writing one (interrupt suppression, event indexes).
 *
 * They are C11 fences, one fence instruction each, and each is a compiler
 * barrier. There is no inline asm in odma. What each emits (make codegen
 * prints the table, tests/codegen/README.md):
 *
 *                 odma_mb()           odma_wmb()      odma_rmb()
 *   x86-64 gcc    lock or (the fence) -               -
 *   x86-64 clang  lock add (an RMW)   -               -
 *   aarch64       dmb ish             dmb ish         dmb ishld
 *   ppc64le       sync                lwsync          lwsync
 *   riscv64 gcc   fence iorw,iorw     fence iorw,iorw fence iorw,iorw
 *   riscv64 clang fence rw,rw         fence rw,w      fence r,rw
 *
 * x86-64: gcc emits `lock or` for a seq_cst fence, and odma_mb() is that
 * fence. clang emits `mfence` for it (about 4x slower on recent cores), so
 * with clang odma_mb() is a seq_cst read-modify-write of a thread-local
 * word, which clang emits as `lock add`: any locked instruction is a full
 * barrier on x86 (Intel SDM vol. 3 8.2.2). This rests on the x86 memory
 * model, not on C11 (an RMW on a word no other thread can see orders
 * nothing in the abstract machine), so the RMW is bracketed by compiler
 * barriers and used only with clang on x86; make codegen pins the
 * instruction and tests/test_litmus.c shows the store-buffering outcome
 * forbidden.
 *
 * I/O barriers. A DMA_REGION_DEVICE region is another device's BAR:
 * Device-nGnRE memory on Arm, caching-inhibited on POWER, I/O space in
 * RISC-V's fence sets. CPU fences do not order accesses to it against RAM
 * accesses on every host, so between a device-region access and any other
 * access odma issues ODMA_IO_MB(), ODMA_IO_WMB() or ODMA_IO_RMB() instead.
 * A tree defines them before the include (e.g. Linux-style mb()/wmb()/
 * rmb(): arm64 `dsb sy` or `dmb osh*`, POWER `sync`, RISC-V `fence
 * iorw,iorw` or `fence w,o`/`fence i,r`, x86 `mfence`/`sfence`/`lfence`
 * for write-combining mappings). The default for all three is the C11
 * seq_cst fence, which is enough on:
 *   - x86-64 (a locked instruction or mfence orders uncached accesses;
 *     VFIO maps BARs uncached; a write-combining mapping needs sfence);
 *   - ppc64le (`sync` orders caching-inhibited storage; lwsync does not);
 *   - s390x (bcr 14,0 / 15,0 serialise everything);
 *   - riscv64 with gcc 12 (`fence iorw,iorw`);
 * and NOT enough on aarch64 and armhf (`dmb ish` is inner-shareable; a
 * peer device is outer-shareable: pass `dmb osh*` or `dsb`) or riscv64
 * with clang (`fence rw,rw` has no I/O bits: pass `fence iorw,iorw`).
 * RAM accesses never pay for an I/O barrier: the per-thread state below
 * remembers whether a device access may still be pending.
 *
 * Accessors remember, per thread, which earlier accesses are not yet
 * ordered (see odma/order.h); the barriers above clear that state as well,
 * so hand-placed barriers and ordered accessors mix correctly. After a
 * device access they issue the I/O form.
 *
 * smp_mb(), smp_wmb(), smp_rmb() are provided for device-model code as
 * inline functions (not macros, so a tree that defines its own smp_mb()
 * macro after including odma simply shadows them, with no redefinition
 * error). They are skipped where the name is already a macro, and
 * entirely under ODMA_NO_SMP_NAMES. odma itself never calls them.
 */
#ifndef ODMA_BARRIER_H
#define ODMA_BARRIER_H

#include "trace.h"

/*
 * Per-thread ordering state: four "pending" bits, one per (earlier kind,
 * later kind) pair. A bit is set when this thread made an access of the
 * earlier kind that no barrier since has ordered before later accesses of
 * the later kind. They are stored inverted, so that a new thread (all-zero
 * TLS) starts with every bit pending: the previous access is unknown.
 * A fifth bit, ODMA__S_DEV (not inverted), says that one of the pending
 * accesses may be a device-region access: the next barrier is then the
 * I/O form. It clears when nothing is pending any more.
 */
enum {
    ODMA__P_RR = 1u << 0, /* a read is pending against later reads */
    ODMA__P_RW = 1u << 1, /* a read is pending against later writes */
    ODMA__P_WR = 1u << 2, /* a write is pending against later reads */
    ODMA__P_WW = 1u << 3, /* a write is pending against later writes */
    ODMA__P_ALL = 0xf,
    ODMA__S_DEV = 1u << 4, /* a device access may be pending */
    ODMA__STATES = 32
};

/* A flag on a barrier value (enum dma_barrier | ODMA__IO): the I/O form. */
#define ODMA__IO 4u

ODMA__THREAD_STATE(uint8_t, odma__thread_done);

/* Pending bits an access of direction `dir` adds: it is unordered against
 * everything after it until a barrier says otherwise. */
static inline unsigned odma__pending_of(dma_dir dir)
{
    return 3u << (2u * (unsigned)dir);
}

/* Pending bits a barrier clears: rmb {RR,RW}, wmb {RW,WW}, mb all (the
 * I/O form clears the same). */
static inline unsigned odma__covered_by(unsigned b)
{
    return (0xfa30u >> (4u * (b & 3u))) & 0xfu;
}

/* State s after a barrier that clears `covered`: the device bit goes once
 * nothing is pending. */
static inline unsigned odma__state_cover(unsigned s, unsigned covered)
{
    s |= covered;
    return (s & ODMA__P_ALL) == ODMA__P_ALL ? s & ~(unsigned)ODMA__S_DEV : s;
}

/* Barrier b in the I/O form if state s may have a device access pending. */
static inline unsigned odma__io_if(unsigned b, unsigned s)
{
    return b && (s & ODMA__S_DEV) ? b | ODMA__IO : b;
}

/* Barrier b, then an access of direction dir, as one state update: stored
 * only if it changes (in a stream of such pairs it does not). */
static inline __attribute__((__always_inline__)) void odma__mark_after_barrier(unsigned s, unsigned b,
                                                                           dma_dir dir)
{
    unsigned n = odma__state_cover(s, odma__covered_by(b)) & ~odma__pending_of(dir);
    if (n != s)
        odma__thread_done = (uint8_t)n;
}

/*
 * gcc >= 11 warns (-Wtsan) that ThreadSanitizer does not model standalone
 * fences; a user's -fsanitize=thread -Werror build must still compile.
 * (TSan then reports false races around odma's fences: it cannot check
 * fence-based ordering.)
 */
#if defined(__SANITIZE_THREAD__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"
#define ODMA__TSAN_PRAGMA_PUSHED
#endif

#ifndef ODMA_IO_MB
#define ODMA_IO_MB() ODMA__FENCE(ODMA__MO_SEQ_CST)
#endif
#ifndef ODMA_IO_WMB
#define ODMA_IO_WMB() ODMA__FENCE(ODMA__MO_SEQ_CST)
#endif
#ifndef ODMA_IO_RMB
#define ODMA_IO_RMB() ODMA__FENCE(ODMA__MO_SEQ_CST)
#endif

/* x86-64's full barrier: see the top of this file. The word is per
 * thread (no cache line is shared) and static (no stack frame for it). */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__clang__)
#define ODMA__X86_MB_RMW 1
ODMA__THREAD_STATE(ODMA__ATOMIC(unsigned), odma__x86_mb_word);
#else
#define ODMA__X86_MB_RMW 0
#endif
static inline __attribute__((__always_inline__)) void odma__x86_mb(void)
{
#if ODMA__X86_MB_RMW
    ODMA__COMPILER_BARRIER();
    (void)ODMA__FETCH_ADD(&odma__x86_mb_word, 1u, ODMA__MO_SEQ_CST);
    ODMA__COMPILER_BARRIER();
#else
    ODMA__FENCE(ODMA__MO_SEQ_CST);
#endif
}

/* The fence alone (no state, no trace): b is an enum dma_barrier, with
 * ODMA__IO for the I/O form. One fence instruction at most; every C11
 * fence is also a compiler barrier, so none is added around it. */
static inline __attribute__((__always_inline__)) void odma__hw_fence(unsigned b)
{
    if (b & ODMA__IO) {
        if ((b & 3u) == DMA_BARRIER_MB)
            ODMA_IO_MB();
        else if ((b & 3u) == DMA_BARRIER_WMB)
            ODMA_IO_WMB();
        else if ((b & 3u) == DMA_BARRIER_RMB)
            ODMA_IO_RMB();
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    if (b == DMA_BARRIER_MB)
        odma__x86_mb();
    else if (b != DMA_BARRIER_NONE)
        /* rmb and wmb emit no instruction on x86: one fence at least as
         * strong as both (a compiler barrier), so that a runtime-chosen
         * barrier costs one test. */
        ODMA__FENCE(ODMA__MO_ACQ_REL);
#else
    if (b == DMA_BARRIER_MB)
        ODMA__FENCE(ODMA__MO_SEQ_CST);
    else if (b == DMA_BARRIER_WMB)
        ODMA__FENCE(ODMA__MO_RELEASE);
    else if (b == DMA_BARRIER_RMB)
        ODMA__FENCE(ODMA__MO_ACQUIRE);
#endif
}

#ifdef ODMA__TSAN_PRAGMA_PUSHED
#pragma GCC diagnostic pop
#undef ODMA__TSAN_PRAGMA_PUSHED
#endif

/* Does barrier b emit no instruction on this host (only a compiler barrier)? */
static inline bool odma__fence_is_free(unsigned b)
{
#if defined(__x86_64__) || defined(__i386__)
    return b != DMA_BARRIER_MB && !(b & ODMA__IO);
#else
    return b == DMA_BARRIER_NONE;
#endif
}

/* Whichever of rmb/wmb the table asked for, where both are free: on x86 an
 * acq_rel fence (a compiler barrier, no instruction); elsewhere "free"
 * means NONE, and nothing is emitted. */
static inline __attribute__((__always_inline__)) void odma__free_fence(void)
{
#if defined(__x86_64__) || defined(__i386__)
    odma__hw_fence(DMA_BARRIER_RMB);
#endif
}

/* Every barrier odma issues goes through here: the fence, then the hook
 * (an I/O barrier is reported with DMA_TRACE_IO). */
static inline __attribute__((__always_inline__)) void
odma__fence(unsigned b, const struct dma_ctx *ctx, dma_variant variant)
{
    odma__hw_fence(b);
    odma__trace(DMA_TRACE_BARRIER, DMA_DIR_READ, (enum dma_barrier)(b & 3u), variant,
                b & ODMA__IO ? (unsigned)DMA_TRACE_IO : 0u, ctx, 0, 0);
}

/* A barrier the caller asked for (the I/O form after a device access):
 * fence, trace, and what it now orders. */
static inline void odma__explicit_barrier(enum dma_barrier b)
{
    unsigned s = odma__thread_done;
    odma__fence(odma__io_if(b, s), NULL, DMA_VARIANT_EXPLICIT);
    odma__thread_done = (uint8_t)odma__state_cover(s, odma__covered_by(b));
}

/* Implemented as odma_X only: these are the library's own names. */
static inline void odma_mb(void) { odma__explicit_barrier(DMA_BARRIER_MB); }
static inline void odma_wmb(void) { odma__explicit_barrier(DMA_BARRIER_WMB); }
static inline void odma_rmb(void) { odma__explicit_barrier(DMA_BARRIER_RMB); }

#ifndef ODMA_NO_SMP_NAMES
#ifndef smp_mb
static inline void smp_mb(void) { odma_mb(); }
#endif
#ifndef smp_wmb
static inline void smp_wmb(void) { odma_wmb(); }
#endif
#ifndef smp_rmb
static inline void smp_rmb(void) { odma_rmb(); }
#endif
#endif

#endif /* ODMA_BARRIER_H */
