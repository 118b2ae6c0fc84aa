/* SPDX-License-Identifier: MIT */
/*
 * tests/litmus/litmus.c - the classic two-thread litmus shapes, written
 * with odma accessors on guest memory, run on this CPU.
 *
 *   shape  thread 0          thread 1          forbidden outcome
 *   SB     W x=1; R y        W y=1; R x        both reads 0
 *   MP     W x=1; W y=1      R y; R x          y=1, x=0
 *   LB     R x; W y=1        R y; W x=1        both reads 1
 *   R      W x=1; W y=1      W y=2; R x        final y=2, x read 0
 *   S      W x=2; W y=1      R y; W x=1        y read 1, final x=2
 *   2+2W   W x=1; W y=2      W y=1; W x=2      final x=1 and y=1
 *
 * Each shape runs in several forms: _relaxed accessors (no barrier: the
 * test's power), ordered accessors under STRICT and PCIE, PCIE with the
 * first read of a pair an _acquire load (what odma/policy.h tells a PCIE
 * device model to do for a flag), _release stores with _acquire loads,
 * dma_write_publish/dma_read_consume under policy NONE (so only their own
 * barriers count), and _relaxed accesses with odma_mb() between them.
 *
 * Which outcomes odma promises to forbid is decided from the barrier it
 * puts between the two accesses of each thread, read as the Linux-kernel
 * memory model (tools/memory-model) reads smp_mb/smp_wmb/smp_rmb and
 * release/acquire. odma's barriers are at least that strong: odma_mb() is
 * a full fence, odma_wmb() a C11 release fence (it also orders earlier
 * reads before later writes), odma_rmb() a C11 acquire fence (it also
 * orders earlier reads before later writes). So:
 *   - SB needs a full barrier on both sides: release/acquire do not order
 *     a write before a later read.
 *   - MP needs W->W on the writer and R->R on the reader: PCIE gives the
 *     reader no barrier, so PCIE alone does not forbid MP (on Arm, POWER
 *     and RISC-V hardware the reader's loads can be satisfied out of
 *     order); PCIE with an _acquire flag load does.
 *   - LB and S need R->W ordering, which PCIE's table leaves out.
 *   - R needs a full barrier on *both* sides: wmb + mb is allowed by the
 *     Linux model and observed on POWER (R+lwsync+sync). No policy puts
 *     an mb between two writes, so only the odma_mb() form forbids R.
 *   - 2+2W with wmb (or release) on both sides is allowed by the Linux
 *     model and by C11 (RC11 allows 2+2W with release writes), although
 *     x86, Arm, POWER and RISC-V hardware forbid it with those fences.
 *     odma does not claim more than its models: only odma_mb() forbids it.
 * Forms not promised print "allowed" with their count: information, never
 * a failure. A promised form fails the run if its forbidden outcome is
 * seen even once.
 *
 * Power: x86 and s390x are TSO-like, so only a write followed by a read
 * (SB, R) can be reordered there; MP, LB, S and 2+2W never show on those
 * CPUs, however long the run, and their zero counts are not evidence.
 *
 * Method: two threads pinned to different CPUs; every iteration starts
 * with a handshake (tests/threads.h), then a pseudo-random delay of one of
 * the two threads (see --stagger), then the shape's two accesses on a
 * fresh pair of guest words (x at 8i, y at 8i + 4: never reused within a
 * chunk of --chunk iterations, so no value from an earlier iteration is
 * ever read). Outcomes are tallied in a 4-bucket histogram per test.
 *
 *   litmus [-n ITER] [--shape NAME] [--form NAME] [--stagger none|t0|t1|both]
 *          [--span N] [--chunk N]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <odma.h>
#include "../threads.h"

/* ------------------------------------------------------------------ */
/* Shapes                                                              */

enum { X = 0, Y = 1 };

struct op {
    char kind; /* 'R' or 'W' */
    int loc;   /* X or Y */
    uint32_t val;
};

struct shape {
    const char *name;
    struct op t[2][2]; /* [thread][first, second] */
    const char *bucket[4];
    int forbidden; /* bucket index */
    bool tso_can;  /* can a TSO CPU (x86, s390x) show it unfenced? */
    /* reads: [thread][n-th read of that thread]; x, y: final values */
    int (*outcome)(const uint32_t r[2][2], uint32_t x, uint32_t y);
};

static int sb_out(const uint32_t r[2][2], uint32_t x, uint32_t y)
{
    (void)x, (void)y;
    return (r[0][0] == 1) | (r[1][0] == 1) << 1;
}
static int mp_out(const uint32_t r[2][2], uint32_t x, uint32_t y)
{
    (void)x, (void)y;
    return (r[1][0] == 1) | (r[1][1] == 1) << 1;
}
static int lb_out(const uint32_t r[2][2], uint32_t x, uint32_t y)
{
    (void)x, (void)y;
    return (r[0][0] == 1) | (r[1][0] == 1) << 1;
}
static int r_out(const uint32_t r[2][2], uint32_t x, uint32_t y)
{
    (void)x;
    return (y == 2) | (r[1][0] == 1) << 1;
}
static int s_out(const uint32_t r[2][2], uint32_t x, uint32_t y)
{
    (void)y;
    return (r[1][0] == 1) | (x == 2) << 1;
}
static int w22_out(const uint32_t r[2][2], uint32_t x, uint32_t y)
{
    (void)r;
    return (x == 1) | (y == 1) << 1;
}

#define W_(l, v) { 'W', l, v }
#define R_(l) { 'R', l, 0 }
static const struct shape shapes[] = {
    { "SB", { { W_(X, 1), R_(Y) }, { W_(Y, 1), R_(X) } },
      { "r0=0 r1=0", "r0=1 r1=0", "r0=0 r1=1", "r0=1 r1=1" }, 0, true, sb_out },
    { "MP", { { W_(X, 1), W_(Y, 1) }, { R_(Y), R_(X) } },
      { "y=0 x=0", "y=1 x=0", "y=0 x=1", "y=1 x=1" }, 1, false, mp_out },
    { "LB", { { R_(X), W_(Y, 1) }, { R_(Y), W_(X, 1) } },
      { "r0=0 r1=0", "r0=1 r1=0", "r0=0 r1=1", "r0=1 r1=1" }, 3, false, lb_out },
    { "R", { { W_(X, 1), W_(Y, 1) }, { W_(Y, 2), R_(X) } },
      { "y=1 r=0", "y=2 r=0", "y=1 r=1", "y=2 r=1" }, 1, true, r_out },
    { "S", { { W_(X, 2), W_(Y, 1) }, { R_(Y), W_(X, 1) } },
      { "r=0 x=1", "r=1 x=1", "r=0 x=2", "r=1 x=2" }, 3, false, s_out },
    { "2+2W", { { W_(X, 1), W_(Y, 2) }, { W_(Y, 1), W_(X, 2) } },
      { "x=2 y=2", "x=1 y=2", "x=2 y=1", "x=1 y=1" }, 3, false, w22_out },
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

/* ------------------------------------------------------------------ */
/* Forms                                                               */

enum form { F_RELAXED, F_STRICT, F_PCIE, F_PCIE_ACQ, F_RELACQ, F_PUBCON, F_MB, NFORMS };

static const char *const form_name[NFORMS] = {
    "relaxed", "strict", "pcie", "pcie+acq", "rel/acq", "pub/con", "mb",
};
static const char *const form_desc[NFORMS] = {
    "_relaxed ld/st, no barrier",
    "ordered ld/st, DMA_POLICY_STRICT",
    "ordered ld/st, DMA_POLICY_PCIE",
    "PCIE; first read of a pair is _acquire",
    "_release stores, _acquire loads",
    "dma_write_publish / dma_read_consume, policy NONE",
    "_relaxed ld/st with odma_mb() between",
};

/*
 * Does odma promise to forbid the shape's outcome in this form? One row per
 * shape, in shapes[] order; the reasons are in the comment at the top.
 */
static const bool promised[NSHAPES][NFORMS] = {
    /*           relaxed strict pcie   pcie+acq rel/acq pub/con mb */
    /* SB   */ { false, true,  true,  true,  false, false, true },
    /* MP   */ { false, true,  false, true,  true,  true,  true },
    /* LB   */ { false, true,  false, true,  true,  true,  true },
    /* R    */ { false, false, false, false, false, false, true },
    /* S    */ { false, true,  false, true,  true,  true,  true },
    /* 2+2W */ { false, false, false, false, false, false, true },
};

static const char *why_not(size_t s, int f)
{
    static const char *const r[NSHAPES] = {
        "W->R needs mb; release/acquire do not give it",
        "PCIE: the reader's R->R gets no barrier",
        "PCIE: R->W gets no barrier",
        "needs mb on both sides; wmb+mb allowed (POWER: R+lwsync+sync)",
        "PCIE: R->W gets no barrier",
        "wmb/release on both sides: allowed by LKMM and C11",
    };
    return f == F_RELAXED ? "no barrier" : r[s];
}

static const struct dma_policy *form_policy(int f)
{
    switch (f) {
    case F_STRICT: return DMA_POLICY_STRICT;
    case F_PCIE:
    case F_PCIE_ACQ: return DMA_POLICY_PCIE;
    default: return DMA_POLICY_NONE;
    }
}

/* ------------------------------------------------------------------ */
/* Running one test                                                    */

enum stagger_mode { STAGGER_NONE, STAGGER_T0, STAGGER_T1, STAGGER_BOTH };

struct config {
    unsigned long iters, chunk;
    enum stagger_mode stagger;
    unsigned span;
};

struct run {
    struct dma_ctx ctx;
    const struct shape *shape;
    int form;
    unsigned long n;       /* iterations in this chunk */
    unsigned long first;   /* global index of the chunk's first iteration */
    const struct config *cfg;
    uint32_t *reads[2];    /* [thread][2 * i + k] */
    struct handshake hs;
};

struct targ {
    struct run *run;
    int me;
};

static inline uint32_t get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/*
 * A per-iteration pseudo-random delay, so that the two threads' accesses
 * line up closely in some iterations (the handshake alone lets the last
 * arriver run a cache-line transfer ahead of the other).
 *   t1    thread 1 waits 0..span-1 spins (tests/threads.h stagger(), span 256)
 *   t0    thread 0 waits 0..span-1 spins
 *   both  one of the two threads waits 0..span-1 spins, the other none
 */
static inline void delay(const struct config *cfg, int me, unsigned long i)
{
    volatile unsigned k;
    unsigned long h = (i * 2654435761ul) >> 7;
    unsigned d;
    if (cfg->stagger == STAGGER_NONE)
        return;
    if (cfg->stagger != STAGGER_BOTH) {
        d = (unsigned)(h % cfg->span);
        if (me != (cfg->stagger == STAGGER_T1))
            return;
    } else {
        d = (unsigned)(h % (2u * cfg->span));
        if ((d >= cfg->span) != (me == 1))
            return;
        d %= cfg->span;
    }
    for (k = 0; k < d; k++)
        ;
}

#define CHECK(call)                                                           \
    do {                                                                      \
        dma_result res_ = (call);                                             \
        if (res_ != DMA_OK) {                                                 \
            fprintf(stderr, "litmus: %s failed: %s\n", #call,                 \
                    dma_result_str(res_));                                    \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* One access of the form; `first` says whether it is the pair's first. */
static inline __attribute__((always_inline)) void
one_op(struct dma_ctx *c, int form, const struct op *o, uint64_t base, bool first,
       uint32_t *out)
{
    uint64_t a = base + 4u * (unsigned)o->loc;
    unsigned char rec[4];
    if (o->kind == 'W') {
        switch (form) {
        case F_STRICT:
        case F_PCIE:
        case F_PCIE_ACQ: CHECK(dma_st_le32(c, a, o->val)); break;
        case F_RELACQ: CHECK(dma_st_le32_release(c, a, o->val)); break;
        case F_PUBCON:
            put_le32(rec, o->val);
            CHECK(dma_write_publish(c, a, rec, 4, 0, 4));
            break;
        default: CHECK(dma_st_le32_relaxed(c, a, o->val)); break;
        }
        return;
    }
    switch (form) {
    case F_STRICT:
    case F_PCIE: CHECK(dma_ld_le32(c, a, out)); break;
    case F_PCIE_ACQ:
        if (first)
            CHECK(dma_ld_le32_acquire(c, a, out));
        else
            CHECK(dma_ld_le32(c, a, out));
        break;
    case F_RELACQ: CHECK(dma_ld_le32_acquire(c, a, out)); break;
    case F_PUBCON:
        CHECK(dma_read_consume(c, a, rec, 4, 0, 4));
        *out = get_le32(rec);
        break;
    default: CHECK(dma_ld_le32_relaxed(c, a, out)); break;
    }
}

/* The thread's two accesses on the iteration's pair at `base`. */
static inline __attribute__((always_inline)) void
two_ops(struct dma_ctx *c, int form, const struct op *o, uint64_t base, uint32_t *r)
{
    unsigned char rec[8];
    if (form == F_PUBCON && o[0].kind == o[1].kind) {
        /* One record [x, y]: publish writes the first op's word as the
         * body, then the second's as the flag; consume reads the first
         * op's word as the flag, then the second's as the body. */
        size_t flag_off = o[0].kind == 'W' ? 4u * (unsigned)o[1].loc
                                           : 4u * (unsigned)o[0].loc;
        if (o[0].kind == 'W') {
            put_le32(rec + 4 * o[0].loc, o[0].val);
            put_le32(rec + 4 * o[1].loc, o[1].val);
            CHECK(dma_write_publish(c, base, rec, 8, flag_off, 4));
        } else {
            CHECK(dma_read_consume(c, base, rec, 8, flag_off, 4));
            r[0] = get_le32(rec + 4 * o[0].loc);
            r[1] = get_le32(rec + 4 * o[1].loc);
        }
        return;
    }
    one_op(c, form, &o[0], base, true, &r[0]);
    if (form == F_MB)
        odma_mb();
    one_op(c, form, &o[1], base, false, o[0].kind == 'R' ? &r[1] : &r[0]);
}

static inline __attribute__((always_inline)) void thread_loop(struct run *run, int me,
                                                              int form)
{
    struct dma_ctx *c = &run->ctx;
    const struct op *o = run->shape->t[me];
    uint32_t *reads = run->reads[me];
    unsigned long i;
    for (i = 0; i < run->n; i++) {
        uint32_t r[2] = { 0, 0 };
        handshake_wait(&run->hs, me, i + 1);
        delay(run->cfg, me, run->first + i);
        two_ops(c, form, o, 0x100000u + 8u * (uint64_t)i, r);
        reads[2 * i] = r[0];
        reads[2 * i + 1] = r[1];
    }
}

static void *thread_main(void *p)
{
    struct targ *t = (struct targ *)p;
    pin_to_nth_cpu(t->me);
    /* One specialised loop per form: no dispatch between the accesses. */
    switch (t->run->form) {
    case F_RELAXED: thread_loop(t->run, t->me, F_RELAXED); break;
    case F_STRICT: thread_loop(t->run, t->me, F_STRICT); break;
    case F_PCIE: thread_loop(t->run, t->me, F_PCIE); break;
    case F_PCIE_ACQ: thread_loop(t->run, t->me, F_PCIE_ACQ); break;
    case F_RELACQ: thread_loop(t->run, t->me, F_RELACQ); break;
    case F_PUBCON: thread_loop(t->run, t->me, F_PUBCON); break;
    default: thread_loop(t->run, t->me, F_MB); break;
    }
    return NULL;
}

struct result {
    unsigned long hist[4];
    double seconds;
};

static void run_test(const struct shape *s, int form, const struct config *cfg,
                     struct result *res)
{
    size_t chunk = cfg->chunk < cfg->iters ? cfg->chunk : cfg->iters;
    unsigned char *mem = (unsigned char *)aligned_alloc(64, 8 * chunk);
    struct run *run = (struct run *)calloc(1, sizeof *run);
    unsigned long done = 0;
    double t0 = now_seconds();
    if (!mem || !run)
        abort();
    run->reads[0] = (uint32_t *)malloc(2 * sizeof(uint32_t) * chunk);
    run->reads[1] = (uint32_t *)malloc(2 * sizeof(uint32_t) * chunk);
    if (!run->reads[0] || !run->reads[1])
        abort();
    memset(res, 0, sizeof *res);
    dma_ctx_init(&run->ctx, form_policy(form));
    CHECK(dma_ctx_add_region(&run->ctx, 0x100000, 8 * chunk, mem, 0));
    run->shape = s;
    run->form = form;
    run->cfg = cfg;
    while (done < cfg->iters) {
        struct targ t[2];
        pthread_t th[2];
        unsigned long i;
        int k;
        run->n = cfg->iters - done < chunk ? cfg->iters - done : chunk;
        run->first = done;
        memset(mem, 0, 8 * chunk); /* fresh locations: every word starts at 0 */
        handshake_init(&run->hs);
        for (k = 0; k < 2; k++) {
            t[k].run = run;
            t[k].me = k;
            if (pthread_create(&th[k], NULL, thread_main, &t[k]) != 0)
                abort();
        }
        for (k = 0; k < 2; k++)
            pthread_join(th[k], NULL);
        for (i = 0; i < run->n; i++) {
            uint32_t r[2][2] = { { run->reads[0][2 * i], run->reads[0][2 * i + 1] },
                                 { run->reads[1][2 * i], run->reads[1][2 * i + 1] } };
            res->hist[s->outcome(r, get_le32(mem + 8 * i), get_le32(mem + 8 * i + 4))]++;
        }
        done += run->n;
    }
    res->seconds = now_seconds() - t0;
    free(run->reads[0]);
    free(run->reads[1]);
    free(run);
    free(mem);
}

/* ------------------------------------------------------------------ */

static const char *cpu_name(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return "x86 (TSO)";
#elif defined(__s390x__)
    return "s390x (TSO-like)";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__arm__)
    return "arm";
#elif defined(__powerpc64__)
    return "ppc64";
#elif defined(__riscv)
    return "riscv";
#else
    return "unknown";
#endif
}

static bool cpu_is_tso(void)
{
#if defined(__x86_64__) || defined(__i386__) || defined(__s390x__)
    return true;
#else
    return false;
#endif
}

static void usage(void)
{
    fprintf(stderr, "usage: litmus [-n ITER] [--shape NAME] [--form NAME]"
                    " [--stagger none|t0|t1|both] [--span N] [--chunk N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct config cfg = { 1000000ul, 1000000ul, STAGGER_BOTH, 512 };
    const char *only_shape = NULL, *only_form = NULL;
    unsigned passed = 0, failed = 0, info = 0;
    size_t s;
    int a, f;
    for (a = 1; a < argc; a += 2) {
        const char *v = a + 1 < argc ? argv[a + 1] : NULL;
        if (!v)
            usage();
        if (!strcmp(argv[a], "-n"))
            cfg.iters = strtoul(v, NULL, 0);
        else if (!strcmp(argv[a], "--shape"))
            only_shape = v;
        else if (!strcmp(argv[a], "--form"))
            only_form = v;
        else if (!strcmp(argv[a], "--span"))
            cfg.span = (unsigned)strtoul(v, NULL, 0);
        else if (!strcmp(argv[a], "--chunk"))
            cfg.chunk = strtoul(v, NULL, 0);
        else if (!strcmp(argv[a], "--stagger"))
            cfg.stagger = !strcmp(v, "none") ? STAGGER_NONE
                          : !strcmp(v, "t0") ? STAGGER_T0
                          : !strcmp(v, "t1") ? STAGGER_T1 : STAGGER_BOTH;
        else
            usage();
    }
    if (!cfg.iters || !cfg.chunk || !cfg.span)
        usage();
    if (usable_cpus() < 2) {
        printf("litmus: fewer than 2 usable CPUs: the threads never overlap; nothing run\n");
        return 0;
    }
    printf("litmus on %s, %d CPUs usable, %lu iterations per test, stagger %s span %u\n",
           cpu_name(), usable_cpus(), cfg.iters,
           cfg.stagger == STAGGER_NONE ? "none" : cfg.stagger == STAGGER_T0 ? "t0"
           : cfg.stagger == STAGGER_T1 ? "t1" : "both",
           cfg.span);
    printf("forms:\n");
    for (f = 0; f < NFORMS; f++)
        printf("  %-9s %s\n", form_name[f], form_desc[f]);

    for (s = 0; s < NSHAPES; s++) {
        const struct shape *sh = &shapes[s];
        bool can = !cpu_is_tso() || sh->tso_can;
        if (only_shape && strcmp(only_shape, sh->name))
            continue;
        printf("\n%s: forbidden outcome %s; this CPU %s\n", sh->name,
               sh->bucket[sh->forbidden],
               can ? "can show it unfenced"
                   : "can NEVER show it unfenced (TSO): zero counts below are no evidence");
        printf("  %-9s %10s %10s %10s %10s %10s %8s  %s\n", "form", sh->bucket[0],
               sh->bucket[1], sh->bucket[2], sh->bucket[3], "forbidden", "seconds",
               "verdict");
        for (f = 0; f < NFORMS; f++) {
            struct result r;
            unsigned long bad;
            char verdict[160];
            if (only_form && strcmp(only_form, form_name[f]))
                continue;
            run_test(sh, f, &cfg, &r);
            bad = r.hist[sh->forbidden];
            if (promised[s][f]) {
                if (bad) {
                    snprintf(verdict, sizeof verdict, "FAIL: odma forbids it, seen %lu times",
                             bad);
                    failed++;
                } else {
                    snprintf(verdict, sizeof verdict, "forbidden, never seen%s",
                             can ? "" : " (no evidence on this CPU)");
                    passed++;
                }
            } else {
                snprintf(verdict, sizeof verdict, "allowed (%s)%s", why_not(s, f),
                         f != F_RELAXED ? ""
                         : !can ? (bad ? " - seen on a TSO CPU?!" : "")
                         : bad ? " <- the test's power"
                               : " - never seen this run: no power");
                info++;
            }
            printf("  %-9s %10lu %10lu %10lu %10lu %9.4f%% %8.2f  %s\n", form_name[f],
                   r.hist[0], r.hist[1], r.hist[2], r.hist[3],
                   100.0 * (double)bad / (double)cfg.iters, r.seconds, verdict);
            fflush(stdout);
        }
    }
    printf("\n%u forms not promised: counts only\n", info);
    printf("litmus: %u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
