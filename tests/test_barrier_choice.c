/* SPDX-License-Identifier: MIT */
/*
 * Barrier choice, exhaustively: every sequence of up to 4 accessor calls
 * drawn from all kinds (ordered/relaxed/acquire/release ld/st, publish,
 * consume, odma_mb/wmb/rmb, notify), from both start states (previous
 * access unknown; nothing pending), under the named policies and odd
 * custom tables (entries that cannot order their own pair, entries
 * stronger than needed). For each sequence:
 *
 * - violations: the checker (odma/testing.h) finds a pair the table
 *   orders that the issued barriers do not;
 * - over-strong: a policy barrier (the one before an ordered access) is
 *   stronger than the weakest barrier whose coverage includes every
 *   pending pair the table orders, computed here by an independent
 *   reference from the trace itself.
 *
 * Both counts must be 0. The reference is written from DESIGN's rule, not
 * from odma's tables.
 */
#define ODMA_TESTING_IMPLEMENTATION
#include <stdio.h>
#include "fixture.h"

enum op { O_LD, O_ST, O_LD_RLX, O_ST_RLX, O_LD_ACQ, O_ST_REL, O_PUBLISH, O_CONSUME,
          O_MB, O_WMB, O_RMB, O_NOTIFY, NOPS };

#define B_NONE DMA_BARRIER_NONE
#define B_RMB DMA_BARRIER_RMB
#define B_WMB DMA_BARRIER_WMB
#define B_MB DMA_BARRIER_MB

static const struct dma_policy odd_cannot_order_own = {
    "odd-own", { { B_NONE, B_MB }, { B_WMB, B_RMB } }, B_MB }; /* W->R wmb, W->W rmb */
static const struct dma_policy odd_too_strong = {
    "odd-strong", { { B_MB, B_NONE }, { B_RMB, B_MB } }, B_WMB };
static const struct dma_policy odd_all_mb = {
    "odd-all-mb", { { B_MB, B_MB }, { B_MB, B_MB } }, B_MB };

static void run_op(struct dma_ctx *c, enum op o)
{
    unsigned char rec[16] = { 0 };
    uint32_t v;
    switch (o) {
    case O_LD: assert_int_equal(dma_ld_le32(c, 0x1000, &v), DMA_OK); break;
    case O_ST: assert_int_equal(dma_st_le32(c, 0x1004, 1), DMA_OK); break;
    case O_LD_RLX: assert_int_equal(dma_ld_le32_relaxed(c, 0x1008, &v), DMA_OK); break;
    case O_ST_RLX: assert_int_equal(dma_st_le32_relaxed(c, 0x100c, 1), DMA_OK); break;
    case O_LD_ACQ: assert_int_equal(dma_ld_le32_acquire(c, 0x1010, &v), DMA_OK); break;
    case O_ST_REL: assert_int_equal(dma_st_le32_release(c, 0x1014, 1), DMA_OK); break;
    case O_PUBLISH: assert_int_equal(dma_write_publish(c, 0x1020, rec, 16, 14, 2), DMA_OK); break;
    case O_CONSUME: assert_int_equal(dma_read_consume(c, 0x1040, rec, 16, 14, 2), DMA_OK); break;
    case O_MB: odma_mb(); break;
    case O_WMB: odma_wmb(); break;
    case O_RMB: odma_rmb(); break;
    default: dma_notify_barrier(c); break;
    }
}

/* Does barrier b order an earlier access of kind k (1 write) before a
 * later one of kind n? rmb: earlier reads; wmb: later writes; mb: all. */
static int covers(int b, int k, int n)
{
    return b == B_MB || (b == B_RMB && !k) || (b == B_WMB && n);
}

/*
 * The reference: the weakest barrier before an access of kind n at event
 * index `at`, given the events before it. hist: accesses (0/1) and
 * barriers (-1 - kind) in order; an unknown start is a read and a write.
 */
static int reference(const struct dma_policy *p, const int *hist, int nh, int n)
{
    int need_r = 0, need_w = 0, i, j;
    for (i = 0; i < nh; i++) {
        int k = hist[i], done = 0;
        if (k < 0)
            continue;
        for (j = i + 1; j < nh; j++)
            if (hist[j] < 0 && covers(-1 - hist[j], k, n))
                done = 1;
        if (!done && p->order[k][n] != B_NONE) {
            if (k)
                need_w = 1;
            else
                need_r = 1;
        }
    }
    if (need_w)
        return n ? B_WMB : B_MB; /* W->W: wmb (orders R->W too); W->R: only mb */
    return need_r ? B_RMB : B_NONE;
}

struct counts {
    unsigned long sequences, violating, over_strong, checked, checker;
};

static void run_all(const struct dma_policy *p, int unknown_start, unsigned maxlen,
                    struct counts *c, struct fixture *f)
{
    unsigned len, seq, k;
    char report[256];
    dma_ctx_init(&f->ctx, p);
    assert_int_equal(dma_ctx_add_region(&f->ctx, 0x1000, 0x1000, f->ram, 0), DMA_OK);
    for (len = 1; len <= maxlen; len++) {
        unsigned total = 1;
        for (k = 0; k < len; k++)
            total *= NOPS;
        for (seq = 0; seq < total; seq++) {
            size_t n, i;
            const struct dma_trace_event *ev;
            int hist[64], nh = 0, over = 0, violating = 0, ordered_only = 1;
            unsigned s = seq;
            odma_mb();
            if (unknown_start)
                odma__order_forget();
            dma_trace_reset();
            for (k = 0; k < len; k++, s /= NOPS) {
                enum op o = (enum op)(s % NOPS);
                if (o == O_LD_RLX || o == O_ST_RLX || o == O_LD_ACQ || o == O_ST_REL)
                    ordered_only = 0;
                run_op(&f->ctx, o);
            }
            dma_trace_stop();
            c->sequences++;
            /* Walk the trace with the reference: judge the barrier (or
             * none) before each ordered access - an ordered ld/st, or the
             * first access of a publish/consume. */
            if (unknown_start)
                hist[nh++] = 0, hist[nh++] = 1;
            ev = dma_trace_events(&n);
            for (i = 0; i < n; i++) {
                const struct dma_trace_event *e = &ev[i];
                int issued = -1, want;
                if (e->type == DMA_TRACE_BARRIER) {
                    hist[nh++] = -1 - (int)e->barrier;
                    continue;
                }
                if (e->type != DMA_TRACE_ACCESS || (e->flags & DMA_TRACE_CONTINUED))
                    continue;
                if (e->variant == DMA_VARIANT_ORDERED ||
                    ((e->variant == DMA_VARIANT_PUBLISH || e->variant == DMA_VARIANT_CONSUME) &&
                     !(i > 0 && ev[i - 1].type == DMA_TRACE_BARRIER &&
                       ev[i - 1].variant == e->variant))) {
                    if (i > 0 && ev[i - 1].type == DMA_TRACE_BARRIER &&
                        ev[i - 1].variant == DMA_VARIANT_ORDERED && !(i > 1 && ev[i - 2].type ==
                                                                      DMA_TRACE_NOTIFY)) {
                        issued = (int)ev[i - 1].barrier;
                        nh--; /* judge the history without it */
                    }
                    want = reference(p, hist, nh, (int)e->dir);
                    c->checked++;
                    if (issued >= 0)
                        hist[nh++] = -1 - issued;
                    if (reference(p, hist, nh, (int)e->dir) != B_NONE)
                        violating = 1; /* a pair the table orders is left unordered */
                    else if ((issued < 0 ? B_NONE : issued) != want)
                        over = 1; /* stronger than the weakest sufficient */
                }
                hist[nh++] = (int)e->dir;
            }
            if (violating)
                c->violating++;
            /* Sequences of ordered calls only: the checker agrees. */
            if (ordered_only && dma_trace_check(p, report, sizeof report) != 0)
                c->checker++;
            if (over)
                c->over_strong++;
        }
    }
}

static void test_exhaustive_barrier_choice(void **state)
{
    const struct dma_policy *pol[7];
    struct fixture *f = (struct fixture *)*state;
    struct counts all = { 0, 0, 0, 0, 0 };
    int p, start;
    pol[0] = DMA_POLICY_STRICT;
    pol[1] = DMA_POLICY_PCIE;
    pol[2] = DMA_POLICY_PCIE_RELAXED;
    pol[3] = DMA_POLICY_NONE;
    pol[4] = &odd_cannot_order_own;
    pol[5] = &odd_too_strong;
    pol[6] = &odd_all_mb;
    for (p = 0; p < 7; p++) {
        for (start = 0; start < 2; start++) {
            struct counts c = { 0, 0, 0, 0, 0 };
            run_all(pol[p], start, 4, &c, f);
            print_message("  %-12s %-7s start: %5lu sequences: %5lu violating, %5lu over-strong"
                          " (%lu ordered accesses judged); checker: %lu\n",
                          pol[p]->name, start ? "unknown" : "quiet", c.sequences, c.violating,
                          c.over_strong, c.checked, c.checker);
            all.sequences += c.sequences;
            all.violating += c.violating;
            all.over_strong += c.over_strong;
            all.checked += c.checked;
            all.checker += c.checker;
        }
    }
    print_message("  total: %lu sequences, %lu violating, %lu over-strong, %lu ordered-only "
                  "sequences the checker rejects\n",
                  all.sequences, all.violating, all.over_strong, all.checker);
    assert_int_equal(all.violating, 0);
    assert_int_equal(all.over_strong, 0);
    assert_int_equal(all.checker, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exhaustive_barrier_choice, fixture_setup,
                                        fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
