/* SPDX-License-Identifier: MIT */
/*
 * Barrier placement, checked through the trace hook: for every named
 * policy and every (previous, next) pair - previous read, write, unknown,
 * after a notify barrier - the ordered accessor issues exactly the barrier
 * the policy table names, _relaxed issues none, _acquire puts rmb after,
 * _release puts wmb before, publish/consume put theirs in the middle, and
 * each thread keeps its own state. The expected barriers are written out
 * below by hand, not derived from the policy structs under test.
 */
#define ODMA_TESTING_IMPLEMENTATION
#include <pthread.h>
#include <stdio.h>
#include "fixture.h"

enum prev { PREV_R, PREV_W, PREV_UNKNOWN, PREV_NOTIFY_AFTER_R, PREV_NOTIFY_AFTER_W, NPREV };

struct expect {
    const struct dma_policy *(*policy)(void);
    const char *name;
    const char *before[NPREV][2]; /* [prev][next: R, W]; "" = no barrier */
    const char *notify;           /* token(s) a notify barrier adds */
};

static const struct dma_policy *strict(void) { return DMA_POLICY_STRICT; }
static const struct dma_policy *pcie(void) { return DMA_POLICY_PCIE; }
static const struct dma_policy *pcie_ro(void) { return DMA_POLICY_PCIE_RELAXED; }
static const struct dma_policy *none(void) { return DMA_POLICY_NONE; }

static const struct expect expectations[] = {
    { strict, "strict",
      { { "rmb", "rmb" }, { "mb", "wmb" }, { "mb", "wmb" }, { "", "" }, { "", "" } },
      "notify mb" },
    { pcie, "pcie",
      { { "", "" }, { "mb", "wmb" }, { "mb", "wmb" }, { "", "" }, { "", "" } },
      "notify mb" },
    { pcie_ro, "pcie-relaxed",
      { { "", "" }, { "mb", "" }, { "mb", "" }, { "", "" }, { "", "" } },
      "notify mb" },
    { none, "none",
      { { "", "" }, { "", "" }, { "", "" }, { "", "" }, { "", "" } },
      "notify" },
};

/* Leave exactly one access (or none known) pending. */
static void make_prev(struct dma_ctx *c, enum prev p)
{
    uint32_t v;
    odma_mb(); /* nothing older stays pending */
    switch (p) {
    case PREV_R:
    case PREV_NOTIFY_AFTER_R:
        assert_int_equal(dma_ld_le32_relaxed(c, 0x1000, &v), DMA_OK);
        break;
    case PREV_W:
    case PREV_NOTIFY_AFTER_W:
        assert_int_equal(dma_st_le32_relaxed(c, 0x1000, 1), DMA_OK);
        break;
    default:
        odma__order_forget(); /* what map/unmap and a new thread leave */
        break;
    }
    if (p == PREV_NOTIFY_AFTER_R || p == PREV_NOTIFY_AFTER_W)
        dma_notify_barrier(c);
}

static void expect_trace(const char *barrier, const char *access)
{
    char want[128];
    snprintf(want, sizeof want, "%s%s%s", barrier, *barrier ? " " : "", access);
    assert_string_equal(dma_trace_string(), want);
}

static void test_policy_table(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    size_t i;
    int p;
    for (i = 0; i < sizeof expectations / sizeof expectations[0]; i++) {
        const struct expect *e = &expectations[i];
        dma_ctx_init(&f->ctx, e->policy());
        assert_int_equal(dma_ctx_add_region(&f->ctx, 0x1000, 0x1000, f->ram, 0), DMA_OK);
        assert_string_equal(dma_ctx_policy(&f->ctx)->name, e->name);
        for (p = 0; p < NPREV; p++) {
            uint32_t v;
            print_message("  %-12s prev=%d  ->R \"%s\"  ->W \"%s\"\n", e->name, p,
                          e->before[p][0], e->before[p][1]);
            make_prev(&f->ctx, (enum prev)p);
            dma_trace_reset();
            assert_int_equal(dma_ld_le32(&f->ctx, 0x1010, &v), DMA_OK);
            expect_trace(e->before[p][0], "R@0x1010+4");

            make_prev(&f->ctx, (enum prev)p);
            dma_trace_reset();
            assert_int_equal(dma_st_le32(&f->ctx, 0x1010, 2), DMA_OK);
            expect_trace(e->before[p][1], "W@0x1010+4");
        }
        /* The notify barrier's own token(s). */
        make_prev(&f->ctx, PREV_W);
        dma_trace_reset();
        dma_notify_barrier(&f->ctx);
        assert_string_equal(dma_trace_string(), e->notify);
    }
}

/* NULL policy is STRICT. */
static void test_null_policy_is_strict(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    uint32_t v;
    dma_ctx_init(&f->ctx, NULL);
    assert_ptr_equal(dma_ctx_policy(&f->ctx), DMA_POLICY_STRICT);
    assert_int_equal(dma_ctx_add_region(&f->ctx, 0x1000, 0x1000, f->ram, 0), DMA_OK);
    make_prev(&f->ctx, PREV_W);
    dma_trace_reset();
    assert_int_equal(dma_ld_le32(&f->ctx, 0x1000, &v), DMA_OK);
    assert_trace("mb R@0x1000+4");
}

/* Every ordered accessor gets the barrier; every relaxed one none. */
static void test_all_accessors(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct dma_ctx *c = &f->ctx;
    unsigned char buf[8] = { 0 };
    uint8_t v8;
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;

#define AFTER_W(call, want)                                                   \
    do {                                                                      \
        make_prev(c, PREV_W);                                                 \
        dma_trace_reset();                                                    \
        assert_int_equal(call, DMA_OK);                                       \
        assert_trace(want);                                                   \
    } while (0)
    /* STRICT, previous access a write: reads get mb, writes wmb. */
    AFTER_W(dma_read(c, 0x1008, buf, 8), "mb R@0x1008+8");
    AFTER_W(dma_rw(c, 0x1008, buf, 8, DMA_DIR_READ), "mb R@0x1008+8");
    AFTER_W(dma_ld_u8(c, 0x1008, &v8), "mb R@0x1008+1");
    AFTER_W(dma_ld_be16(c, 0x1008, &v16), "mb R@0x1008+2");
    AFTER_W(dma_ld_be32(c, 0x1008, &v32), "mb R@0x1008+4");
    AFTER_W(dma_ld_le64(c, 0x1008, &v64), "mb R@0x1008+8");
    AFTER_W(dma_write(c, 0x1008, buf, 8), "wmb W@0x1008+8");
    AFTER_W(dma_rw(c, 0x1008, buf, 8, DMA_DIR_WRITE), "wmb W@0x1008+8");
    AFTER_W(dma_set(c, 0x1008, 0, 8), "wmb W@0x1008+8");
    AFTER_W(dma_st_u8(c, 0x1008, 1), "wmb W@0x1008+1");
    AFTER_W(dma_st_le16(c, 0x1008, 1), "wmb W@0x1008+2");
    AFTER_W(dma_st_be64(c, 0x1008, 1), "wmb W@0x1008+8");
    /* Relaxed: nothing, in either direction. */
    AFTER_W(dma_read_relaxed(c, 0x1008, buf, 8), "R@0x1008+8");
    AFTER_W(dma_rw_relaxed(c, 0x1008, buf, 8, DMA_DIR_READ), "R@0x1008+8");
    AFTER_W(dma_ld_le32_relaxed(c, 0x1008, &v32), "R@0x1008+4");
    AFTER_W(dma_ld_be64_relaxed(c, 0x1008, &v64), "R@0x1008+8");
    AFTER_W(dma_write_relaxed(c, 0x1008, buf, 8), "W@0x1008+8");
    AFTER_W(dma_set_relaxed(c, 0x1008, 0, 3), "W@0x1008+3");
    AFTER_W(dma_st_be16_relaxed(c, 0x1008, 1), "W@0x1008+2");
    /* Acquire: the read, then rmb - no W->R mb, whatever the policy. */
    AFTER_W(dma_ld_le32_acquire(c, 0x1008, &v32), "R@0x1008+4 rmb");
    AFTER_W(dma_ld_u8_acquire(c, 0x1008, &v8), "R@0x1008+1 rmb");
    /* Release: wmb, then the write. */
    AFTER_W(dma_st_le64_release(c, 0x1008, 1), "wmb W@0x1008+8");
    AFTER_W(dma_st_u8_release(c, 0x1008, 1), "wmb W@0x1008+1");
#undef AFTER_W
}

/* Relaxed accesses are still remembered. */
static void test_relaxed_is_tracked(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    uint32_t v;
    assert_int_equal(dma_ld_le32(&f->ctx, 0x1000, &v), DMA_OK); /* previous: R */
    assert_int_equal(dma_st_le32_relaxed(&f->ctx, 0x1000, 1), DMA_OK);
    dma_trace_reset();
    assert_int_equal(dma_ld_le32(&f->ctx, 0x1000, &v), DMA_OK);
    assert_trace("mb R@0x1000+4");
}

/* Release and acquire clear what they order; odma_* barriers too. */
static void test_explicit_barriers(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct dma_ctx *c = &f->ctx;
    uint32_t v;
    make_prev(c, PREV_W);
    dma_trace_reset();
    odma_wmb(); /* orders the write before later writes, not reads */
    assert_int_equal(dma_st_le32(c, 0x1000, 1), DMA_OK);
    odma_mb();
    assert_int_equal(dma_ld_le32(c, 0x1000, &v), DMA_OK);
    assert_int_equal(dma_ld_le32_relaxed(c, 0x1000, &v), DMA_OK);
    odma_rmb();
    assert_int_equal(dma_st_le32(c, 0x1000, 1), DMA_OK); /* R->W rmb: done */
    assert_int_equal(dma_ld_le32(c, 0x1000, &v), DMA_OK); /* W->R: still needs mb */
    smp_mb();
    smp_wmb();
    smp_rmb();
    assert_trace("wmb W@0x1000+4 mb R@0x1000+4 R@0x1000+4 rmb W@0x1000+4 mb R@0x1000+4 "
                 "mb wmb rmb");
    /* Explicit barriers report no context; library ones do. */
    {
        size_t n;
        const struct dma_trace_event *ev = dma_trace_events(&n);
        assert_int_equal(n, 12);
        assert_null(ev[0].ctx);
        assert_int_equal(ev[0].variant, DMA_VARIANT_EXPLICIT);
        assert_null(ev[10].ctx);
        assert_ptr_equal(ev[7].ctx, c);
        assert_int_equal(ev[7].variant, DMA_VARIANT_ORDERED);
    }
}

static void test_publish_consume(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct dma_ctx *c = &f->ctx;
    unsigned char cqe[16], got[16];
    size_t i, n;
    const struct dma_trace_event *ev;
    for (i = 0; i < 16; i++)
        cqe[i] = (unsigned char)(0xc0 + i);

    /* NVMe-style: 16-byte entry, phase/status at offset 14. Previous: R. */
    make_prev(c, PREV_R);
    dma_trace_reset();
    assert_int_equal(dma_write_publish(c, 0x1100, cqe, 16, 14, 2), DMA_OK);
    assert_trace("rmb W@0x1100+14 wmb W@0x110e+2");
    assert_memory_equal(fixture_host(f, 0x1100), cqe, 16);

    /* Flag in the middle: two body pieces, the second a continuation. */
    dma_ctx_init(c, DMA_POLICY_NONE);
    assert_int_equal(dma_ctx_add_region(c, 0x1000, 0x1000, f->ram, 0), DMA_OK);
    dma_trace_reset();
    assert_int_equal(dma_write_publish(c, 0x1200, cqe, 16, 4, 4), DMA_OK);
    assert_trace("W@0x1200+4 W@0x1208+8 wmb W@0x1204+4");
    ev = dma_trace_events(&n);
    assert_int_equal(n, 4);
    assert_int_equal(ev[0].flags & DMA_TRACE_CONTINUED, 0);
    assert_int_equal(ev[1].flags & DMA_TRACE_CONTINUED, DMA_TRACE_CONTINUED);
    assert_int_equal(ev[2].barrier, DMA_BARRIER_WMB);
    assert_int_equal(ev[2].variant, DMA_VARIANT_PUBLISH);
    assert_int_equal(ev[3].variant, DMA_VARIANT_PUBLISH);

    /* Flag first: no first body piece. */
    dma_trace_reset();
    assert_int_equal(dma_write_publish(c, 0x1300, cqe, 16, 0, 8), DMA_OK);
    assert_trace("W@0x1308+8 wmb W@0x1300+8");

    /* Consume under STRICT after a write: mb, flag, rmb, body. */
    dma_ctx_init(c, DMA_POLICY_STRICT);
    assert_int_equal(dma_ctx_add_region(c, 0x1000, 0x1000, f->ram, 0), DMA_OK);
    make_prev(c, PREV_W);
    dma_trace_reset();
    memset(got, 0, sizeof got);
    assert_int_equal(dma_read_consume(c, 0x1100, got, 16, 14, 2), DMA_OK);
    assert_trace("mb R@0x110e+2 rmb R@0x1100+14");
    assert_memory_equal(got, cqe, 16);
    memset(got, 0, sizeof got);
    dma_trace_reset();
    assert_int_equal(dma_read_consume(c, 0x1200, got, 16, 4, 4), DMA_OK);
    assert_trace("rmb R@0x1204+4 rmb R@0x1200+4 R@0x1208+8");
    assert_memory_equal(got, cqe, 16);

    /* Publish leaves a write pending: a following ordered read needs mb. */
    assert_int_equal(dma_write_publish(c, 0x1100, cqe, 16, 14, 2), DMA_OK);
    dma_trace_reset();
    assert_int_equal(dma_read(c, 0x1100, got, 4), DMA_OK);
    assert_trace("mb R@0x1100+4");
}

/* A record spanning two adjacent regions, flag in the second. */
static void test_publish_across_regions(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    unsigned char rec[16];
    memset(rec, 0x33, sizeof rec);
    rec[14] = 1;
    dma_trace_reset();
    assert_int_equal(dma_write_publish(&f->ctx, 0x1ff8, rec, 16, 14, 2), DMA_OK);
    assert_memory_equal(fixture_host(f, 0x1ff8), rec, 8);
    assert_memory_equal(fixture_host(f, 0x2000), rec + 8, 8);
}

/*
 * A table where W->W needs wmb but R->W does not: W, R, W must still get
 * the wmb the first write needs (odma tracks all pending accesses, not
 * only the last one).
 */
static void test_custom_policy_keeps_earlier_writes(void **state)
{
    static const struct dma_policy ww_only = {
        "ww-only",
        { { DMA_BARRIER_NONE, DMA_BARRIER_NONE }, { DMA_BARRIER_NONE, DMA_BARRIER_WMB } },
        DMA_BARRIER_NONE
    };
    struct fixture *f = (struct fixture *)*state;
    uint32_t v;
    dma_ctx_init(&f->ctx, &ww_only);
    assert_int_equal(dma_ctx_add_region(&f->ctx, 0x1000, 0x1000, f->ram, 0), DMA_OK);
    odma_mb();
    dma_trace_reset();
    assert_int_equal(dma_st_le32(&f->ctx, 0x1000, 1), DMA_OK);
    assert_int_equal(dma_ld_le32(&f->ctx, 0x1004, &v), DMA_OK);
    assert_int_equal(dma_st_le32(&f->ctx, 0x1008, 1), DMA_OK);
    assert_trace("W@0x1000+4 R@0x1004+4 wmb W@0x1008+4");
}

/*
 * A relaxed access does not weaken the next ordered one: a write, then a
 * relaxed read, then an ordered read under STRICT still needs the W->R mb
 * for the first write. The design's "previous access" rule read literally
 * would issue R->R's rmb here, which leaves the write unordered on Arm.
 */
static void test_relaxed_between_keeps_earlier_write(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    uint32_t v;
    odma_mb();
    dma_trace_reset();
    assert_int_equal(dma_st_le32(&f->ctx, 0x1000, 1), DMA_OK);
    assert_int_equal(dma_ld_le32_relaxed(&f->ctx, 0x1004, &v), DMA_OK);
    assert_int_equal(dma_ld_le32(&f->ctx, 0x1008, &v), DMA_OK);
    assert_trace("W@0x1000+4 R@0x1004+4 mb R@0x1008+4");
}

/*
 * Exhaustive: every sequence of up to six accesses (read or write, ordered
 * or relaxed), from an unknown start, under each named policy. The oracle
 * is written independently of the library: it keeps the whole history and,
 * for an ordered access, joins the hand-written table entry of every
 * earlier access that no barrier since orders before it. For sequences of
 * ordered accesses only, that is the (last access, next access) entry.
 */
static const char *const table[4][2][2] = {
    /* [policy][earlier: R, W][next: R, W] */
    { { "rmb", "rmb" }, { "mb", "wmb" } }, /* strict */
    { { "", "" }, { "mb", "wmb" } },       /* pcie */
    { { "", "" }, { "mb", "" } },          /* pcie-relaxed */
    { { "", "" }, { "", "" } },            /* none */
};

/* Does barrier bits b order an earlier access of kind a before next? */
static int orders(int b, int a_write, int next_write)
{
    return b == 3 || (b == 2 && next_write) || (b == 1 && !a_write);
}

static void test_exhaustive_against_oracle(void **state)
{
    static const char *const names[4] = { "", "rmb", "wmb", "mb" };
    struct fixture *f = (struct fixture *)*state;
    int p, len;
    unsigned seq, checked = 0, ordered_only = 0;
    for (p = 0; p < 4; p++) {
        dma_ctx_init(&f->ctx, expectations[p].policy());
        assert_int_equal(dma_ctx_add_region(&f->ctx, 0x1000, 0x1000, f->ram, 0), DMA_OK);
        for (len = 1; len <= 6; len++) {
            for (seq = 0; seq < (1u << (2 * len)); seq++) {
                /* history: kind 0 R, 1 W, 2 unknown start (both); -1..3 barrier */
                int hist_kind[16], hist_bar[16], nh = 0, k, last = 2, all_ordered = 1;
                hist_kind[nh] = 2, hist_bar[nh++] = 0;
                odma__order_forget();
                for (k = 0; k < len; k++) {
                    unsigned op = (seq >> (2 * k)) & 3;
                    int write = (int)(op & 1), ordered = (int)(op >> 1), need = 0, i, j;
                    uint32_t v;
                    if (ordered) {
                        int req[2] = { 0, 0 }; /* an earlier R / W still needs ordering */
                        for (i = 0; i < nh; i++) {
                            int kk;
                            for (kk = 0; kk < 2; kk++) { /* earlier R, W */
                                int done = 0;
                                if (hist_kind[i] != kk && hist_kind[i] != 2)
                                    continue; /* a barrier, or the other kind */
                                for (j = i + 1; j < nh; j++)
                                    if (hist_kind[j] < 0 && orders(hist_bar[j], kk, write))
                                        done = 1;
                                if (!done && *table[p][kk][write])
                                    req[kk] = 1;
                            }
                        }
                        /* The weakest barrier that orders every such pair:
                         * W->R only mb does; W->W wmb (which also orders
                         * R->W); R->anything rmb. */
                        need = req[1] ? (write ? 2 : 3) : req[0] ? 1 : 0;
                        if (need)
                            hist_kind[nh] = -1, hist_bar[nh++] = need;
                    } else {
                        all_ordered = 0;
                    }
                    hist_kind[nh] = write, hist_bar[nh++] = 0;
                    dma_trace_reset();
                    if (write)
                        assert_int_equal(ordered ? dma_st_le32(&f->ctx, 0x1000, 0)
                                                 : dma_st_le32_relaxed(&f->ctx, 0x1000, 0),
                                         DMA_OK);
                    else
                        assert_int_equal(ordered ? dma_ld_le32(&f->ctx, 0x1000, &v)
                                                 : dma_ld_le32_relaxed(&f->ctx, 0x1000, &v),
                                         DMA_OK);
                    expect_trace(names[need], write ? "W@0x1000+4" : "R@0x1000+4");
                    /* Ordered only so far: the last-access entry, exactly. */
                    if (all_ordered) {
                        const char *rule = last == 2
                            ? (*table[p][1][write] ? names[write ? 2 : 3]
                                                   : table[p][0][write])
                            : table[p][last][write];
                        assert_string_equal(names[need], rule);
                        ordered_only++;
                    }
                    last = write;
                    checked++;
                }
            }
        }
    }
    print_message("  %u accesses checked (%u in ordered-only sequences)\n", checked,
                  ordered_only);
}

/* Each thread keeps its own previous access. */
struct thread_arg {
    struct dma_ctx *ctx;
    char trace[256];
};

static void *other_thread(void *p)
{
    struct thread_arg *a = (struct thread_arg *)p;
    dma_trace_reset();
    /* A new thread: previous unknown -> STRICT ->W: a wmb orders R->W and W->W. */
    if (dma_st_le32(a->ctx, 0x1040, 7) != DMA_OK)
        return NULL;
    if (dma_st_le32(a->ctx, 0x1044, 7) != DMA_OK)
        return NULL;
    snprintf(a->trace, sizeof a->trace, "%s", dma_trace_string());
    return a;
}

static void test_threads_separate_state(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct thread_arg arg;
    pthread_t t;
    void *ret = NULL;
    uint32_t v;
    arg.ctx = &f->ctx;
    arg.trace[0] = '\0';
    assert_int_equal(dma_ld_le32(&f->ctx, 0x1000, &v), DMA_OK); /* this thread: R */
    assert_int_equal(pthread_create(&t, NULL, other_thread, &arg), 0);
    assert_int_equal(pthread_join(t, &ret), 0);
    assert_ptr_equal(ret, &arg);
    assert_string_equal(arg.trace, "wmb W@0x1040+4 wmb W@0x1044+4");
    /* The other thread's writes did not become this thread's previous. */
    dma_trace_reset();
    assert_int_equal(dma_st_le32(&f->ctx, 0x1000, 1), DMA_OK);
    assert_trace("rmb W@0x1000+4");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_policy_table),          T(test_null_policy_is_strict),
        T(test_all_accessors),         T(test_relaxed_is_tracked),
        T(test_explicit_barriers),     T(test_publish_consume),
        T(test_publish_across_regions), T(test_custom_policy_keeps_earlier_writes),
        T(test_relaxed_between_keeps_earlier_write),
        T(test_exhaustive_against_oracle), T(test_threads_separate_state),
    };
#undef T
    return cmocka_run_group_tests_name("order", tests, NULL, NULL);
}
