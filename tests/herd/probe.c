/* SPDX-License-Identifier: MIT */
/*
 * tests/herd/probe.c - the device side of every herd7 litmus test, as odma
 * runs it. `probe SEQ POLICY` initialises a context with the named policy
 * over a small guest RAM array (guest-physical 0x1000: x at +0, y at +4,
 * z at +8, 32-bit words), warms the region hints, issues odma_mb() so that
 * nothing is pending (the weakest state an access can start from), and
 * then runs one access sequence between two out-of-line marker calls.
 * tests/herd/herd.py runs this under qemu-user's per-instruction log and
 * keeps the guest-RAM accesses and the barriers executed between the
 * markers; with ODMA_TRACE defined (-DPROBE_TRACE) the program instead
 * prints odma's own trace of the sequence (the C11-level tests).
 *
 * Every sequence is a noinline function: the ordered and relaxed accessors
 * inside are the library's inline code, the policy is data.
 */
#define ODMA_NO_SHORT_NAMES /* the odma_X names only, as a tree with its own dma_X would */
#ifdef PROBE_TRACE
#define ODMA_TRACE
#define ODMA_TESTING_IMPLEMENTATION
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <odma.h>
#ifdef PROBE_TRACE
#include <odma/testing.h>
#endif

#define GPA 0x1000u
#define X (GPA + 0u)
#define Y (GPA + 4u)
#define Z (GPA + 8u)

/* Out of line, with a side effect the compiler must keep (so their calls
 * are not dropped), and different (so they are not folded into one): the
 * tracer stops on probe_end's address. */
static volatile int probe_marks;
__attribute__((noinline, used)) void probe_begin(void)
{
    probe_marks = 1;
}
__attribute__((noinline, used)) void probe_end(void)
{
    probe_marks = 2;
}

_Alignas(64) unsigned char probe_ram[64];

static int fails;
#define CHECK(call)                                                           \
    do {                                                                      \
        if ((call) != DMA_OK)                                                 \
            fails++;                                                          \
    } while (0)

typedef void seq_fn(struct dma_ctx *c);
#define SEQ(name) __attribute__((noinline, used)) static void seq_##name(struct dma_ctx *c)

static uint32_t sink;

/* Ordered st x; st y (MP, S, 2+2W and R writers; the litmus test supplies
 * the values, the instructions are the same). */
SEQ(st_st)
{
    CHECK(odma_st_le32(c, X, 1));
    CHECK(odma_st_le32(c, Y, 1));
}
/* Ordered ld y; ld x (MP reader). */
SEQ(ld_ld)
{
    uint32_t a = 0, b = 0;
    CHECK(odma_ld_le32(c, Y, &a));
    CHECK(odma_ld_le32(c, X, &b));
    sink = a + b;
}
/* _acquire ld y; ordered ld x (the PCIE reader's flag). */
SEQ(ldacq_ld)
{
    uint32_t a = 0, b = 0;
    CHECK(odma_ld_le32_acquire(c, Y, &a));
    CHECK(odma_ld_le32(c, X, &b));
    sink = a + b;
}
/* st x; _release st y (rel/acq writer). */
SEQ(st_strel)
{
    CHECK(odma_st_le32(c, X, 1));
    CHECK(odma_st_le32_release(c, Y, 1));
}
/* Ordered st x; ld y (SB, R's mb side). */
SEQ(st_ld)
{
    uint32_t a = 0;
    CHECK(odma_st_le32(c, X, 1));
    CHECK(odma_ld_le32(c, Y, &a));
    sink = a;
}
/* Ordered ld x; st y (LB, S reader, WRC middle). */
SEQ(ld_st)
{
    uint32_t a = 0;
    CHECK(odma_ld_le32(c, X, &a));
    CHECK(odma_st_le32(c, Y, 1));
    sink = a;
}
/* Publish the record [x body, y flag]. */
SEQ(publish)
{
    uint32_t rec[2] = { 1, 1 };
    CHECK(odma_write_publish(c, X, rec, 8, 4, 4));
}
/* Consume the record [x body, y flag]: y first, then x. */
SEQ(consume)
{
    uint32_t rec[2] = { 0, 0 };
    CHECK(odma_read_consume(c, X, rec, 8, 4, 4));
    sink = rec[0] + rec[1];
}
/* Publish the record [x flag, y body], notify barrier, then read z. */
SEQ(pub_notify_ld)
{
    uint32_t rec[2] = { 1, 1 }, a = 0;
    CHECK(odma_write_publish(c, X, rec, 8, 0, 4));
    odma_notify_barrier(c);
    CHECK(odma_ld_le32(c, Z, &a));
    sink = a;
}
/* _relaxed st; odma_mb(); _relaxed st (R and 2+2W with a full barrier). */
SEQ(st_mb_st)
{
    CHECK(odma_st_le32_relaxed(c, X, 1));
    odma_mb();
    CHECK(odma_st_le32_relaxed(c, Y, 1));
}

#define ENTRY(name) { #name, seq_##name }
static const struct {
    const char *name;
    seq_fn *fn;
} seqs[] = {
    ENTRY(st_st),   ENTRY(ld_ld),   ENTRY(ldacq_ld), ENTRY(st_strel),      ENTRY(st_ld),
    ENTRY(ld_st),   ENTRY(publish), ENTRY(consume),  ENTRY(pub_notify_ld), ENTRY(st_mb_st),
};

static const struct dma_policy *policy_of(const char *s)
{
    if (!strcmp(s, "strict"))
        return DMA_POLICY_STRICT;
    if (!strcmp(s, "pcie"))
        return DMA_POLICY_PCIE;
    if (!strcmp(s, "pcie-relaxed"))
        return DMA_POLICY_PCIE_RELAXED;
    if (!strcmp(s, "none"))
        return DMA_POLICY_NONE;
    return NULL;
}

int main(int argc, char **argv)
{
    struct dma_ctx ctx;
    const struct dma_policy *p = argc == 3 ? policy_of(argv[2]) : NULL;
    seq_fn *fn = NULL;
    uint32_t v = 0;
    size_t i;
    for (i = 0; argc == 3 && i < sizeof seqs / sizeof seqs[0]; i++)
        if (!strcmp(argv[1], seqs[i].name))
            fn = seqs[i].fn;
    if (!fn || !p) {
        fprintf(stderr, "usage: probe SEQ strict|pcie|pcie-relaxed|none\nSEQ:");
        for (i = 0; i < sizeof seqs / sizeof seqs[0]; i++)
            fprintf(stderr, " %s", seqs[i].name);
        fprintf(stderr, "\n");
        return 2;
    }
    odma_ctx_init(&ctx, p);
    if (odma_ctx_add_region(&ctx, GPA, sizeof probe_ram, probe_ram, 0) != DMA_OK)
        return 2;
    /* Warm both directions' region hints: the measured accesses then take
     * the fast path, as in a running device model. */
    if (odma_ld_le32_relaxed(&ctx, GPA + 32, &v) != DMA_OK ||
        odma_st_le32_relaxed(&ctx, GPA + 36, 0) != DMA_OK)
        return 2;
    odma_mb();
#ifdef PROBE_TRACE
    odma_trace_reset();
#endif
    probe_begin();
    fn(&ctx);
    probe_end();
#ifdef PROBE_TRACE
    odma_trace_stop();
    printf("%s\n", odma_trace_string());
#endif
    if (fails) {
        fprintf(stderr, "probe: %d accesses failed\n", fails);
        return 1;
    }
    return 0;
}
