/* SPDX-License-Identifier: MIT */
/*
 * The ordering checker, dma_trace_check(), on hand-built traces.
 *
 * Traces are written in the recorder's own compact form and fed to the
 * recorder through odma_trace(), one event per token, after
 * dma_trace_reset(); build() checks that dma_trace_string() gives the same
 * text back. Extra suffixes set what the compact form does not show:
 * "/c" DMA_TRACE_CONTINUED, "/d" DMA_TRACE_DEVICE, "#2" context number 2
 * (default 1; barriers have none).
 *
 * Every expected verdict below is written out by hand from the barrier
 * semantics (mb everything; wmb R,W -> later W; rmb R -> later R,W) and
 * the policy table, not computed from the code under test.
 */
#define _GNU_SOURCE
#define ODMA_TESTING_IMPLEMENTATION
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fixture.h"

static struct dma_ctx ctx_ids[4]; /* only their addresses matter */

static const struct dma_trace_event *built;
static size_t nbuilt;

/* Record `trace` as if odma had made it. */
static void build(const char *trace)
{
    char buf[4096], want[4096], *tok, *save = NULL;
    size_t wl = 0;
    assert_true(strlen(trace) < sizeof buf);
    strcpy(buf, trace);
    dma_trace_reset();
    for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        struct dma_trace_event e;
        char *p = tok, *end;
        memset(&e, 0, sizeof e);
        e.ctx = &ctx_ids[1];
        e.variant = DMA_VARIANT_ORDERED;
        if (!strcmp(tok, "rmb") || !strcmp(tok, "wmb") || !strcmp(tok, "mb") ||
            !strcmp(tok, "none")) {
            e.type = DMA_TRACE_BARRIER;
            e.barrier = !strcmp(tok, "rmb") ? DMA_BARRIER_RMB
                      : !strcmp(tok, "wmb") ? DMA_BARRIER_WMB
                      : !strcmp(tok, "mb") ? DMA_BARRIER_MB : DMA_BARRIER_NONE;
            e.ctx = NULL;
            e.variant = DMA_VARIANT_EXPLICIT;
            wl += (size_t)sprintf(want + wl, "%s%s", wl ? " " : "", tok);
        } else if (!strcmp(tok, "notify")) {
            e.type = DMA_TRACE_NOTIFY;
            wl += (size_t)sprintf(want + wl, "%s%s", wl ? " " : "", tok);
        } else {
            char *tail;
            e.type = DMA_TRACE_ACCESS;
            if (!strncmp(p, "map:", 4))
                e.type = DMA_TRACE_MAP, p += 4;
            else if (!strncmp(p, "unmap:", 6))
                e.type = DMA_TRACE_UNMAP, p += 6;
            if ((*p != 'R' && *p != 'W') || p[1] != '@' || p[2] != '0' || p[3] != 'x')
                fail_msg("bad token '%s'", tok);
            e.dir = *p == 'W' ? DMA_DIR_WRITE : DMA_DIR_READ;
            e.addr = strtoull(p + 4, &end, 16);
            if (*end != '+')
                fail_msg("bad token '%s'", tok);
            e.len = strtoull(end + 1, &tail, 10);
            for (; *tail; tail++) {
                if (!strncmp(tail, "/c", 2))
                    e.flags |= DMA_TRACE_CONTINUED, tail++;
                else if (!strncmp(tail, "/d", 2))
                    e.flags |= DMA_TRACE_DEVICE, tail++;
                else if (*tail == '#' && tail[1] >= '0' && tail[1] <= '3')
                    e.ctx = &ctx_ids[tail[1] - '0'], tail++;
                else
                    fail_msg("bad suffix in '%s'", tok);
            }
            wl += (size_t)sprintf(want + wl, "%s%.*s", wl ? " " : "",
                                  (int)(strcspn(tok, "/#")), tok);
        }
        odma_trace(&e);
    }
    want[wl] = '\0';
    assert_string_equal(dma_trace_string(), want);
    built = dma_trace_events(&nbuilt);
}

static char report[8192];

/* dma_trace_check on `trace`; the report lands in report[]. */
static int check(const struct dma_policy *policy, const char *trace)
{
    int n;
    build(trace);
    memset(report, 0x5a, sizeof report);
    n = dma_trace_check(policy, report, sizeof report);
    assert_non_null(memchr(report, '\0', sizeof report));
    return n;
}

static void assert_report_has(const char *needle)
{
    if (!strstr(report, needle))
        fail_msg("report lacks \"%s\":\n%s", needle, report);
}

#define NPOL 4
static const struct dma_policy *policy_at(int i)
{
    return i == 0 ? DMA_POLICY_STRICT
         : i == 1 ? DMA_POLICY_PCIE
         : i == 2 ? DMA_POLICY_PCIE_RELAXED : DMA_POLICY_NONE;
}

/*
 * Every (previous, next, barrier between) combination under every named
 * policy: "" means ordered as required, otherwise the barrier the policy
 * wants (and the checker must name in its report).
 */
static const struct {
    const char *trace;
    const char *want[NPOL]; /* strict, pcie, pcie-relaxed, none */
} pair_table[] = {
    { "R@0x10+4 R@0x20+4",     { "rmb", "", "", "" } },
    { "R@0x10+4 rmb R@0x20+4", { "", "", "", "" } },
    { "R@0x10+4 wmb R@0x20+4", { "rmb", "", "", "" } },
    { "R@0x10+4 mb R@0x20+4",  { "", "", "", "" } },
    { "R@0x10+4 W@0x20+4",     { "rmb", "", "", "" } },
    { "R@0x10+4 rmb W@0x20+4", { "", "", "", "" } },
    { "R@0x10+4 wmb W@0x20+4", { "", "", "", "" } },
    { "R@0x10+4 mb W@0x20+4",  { "", "", "", "" } },
    { "W@0x10+4 R@0x20+4",     { "mb", "mb", "mb", "" } },
    { "W@0x10+4 rmb R@0x20+4", { "mb", "mb", "mb", "" } },
    { "W@0x10+4 wmb R@0x20+4", { "mb", "mb", "mb", "" } },
    { "W@0x10+4 mb R@0x20+4",  { "", "", "", "" } },
    { "W@0x10+4 W@0x20+4",     { "wmb", "wmb", "", "" } },
    { "W@0x10+4 rmb W@0x20+4", { "wmb", "wmb", "", "" } },
    { "W@0x10+4 wmb W@0x20+4", { "", "", "", "" } },
    { "W@0x10+4 mb W@0x20+4",  { "", "", "", "" } },
    /* Two barriers: rmb + wmb is not mb (nothing orders W before R). */
    { "W@0x10+4 rmb wmb R@0x20+4", { "mb", "mb", "mb", "" } },
    { "W@0x10+4 wmb rmb R@0x20+4", { "mb", "mb", "mb", "" } },
    { "R@0x10+4 wmb rmb R@0x20+4", { "", "", "", "" } },
    { "W@0x10+4 none W@0x20+4",    { "wmb", "wmb", "", "" } },
    /* A notify event itself orders nothing; its barrier does. */
    { "W@0x10+4 notify R@0x20+4",    { "mb", "mb", "mb", "" } },
    { "W@0x10+4 notify mb R@0x20+4", { "", "", "", "" } },
};

static void test_every_pair_every_policy(void **state)
{
    size_t i;
    int p, verdicts = 0;
    (void)state;
    for (i = 0; i < sizeof pair_table / sizeof pair_table[0]; i++) {
        for (p = 0; p < NPOL; p++) {
            const char *want = pair_table[i].want[p];
            int n = check(policy_at(p), pair_table[i].trace);
            char line[256];
            if (n != (*want ? 1 : 0))
                fail_msg("%s under %s: %d violations, expected %d\n%s", pair_table[i].trace,
                         policy_at(p)->name, n, *want ? 1 : 0, report);
            if (*want) {
                size_t k;
                const char *first = pair_table[i].trace;
                const char *last = strrchr(first, ' ') + 1;
                snprintf(line, sizeof line, "%.*s then %s (events 0 and %zu): \"%s\" wants %s",
                         (int)strcspn(first, " "), first, last, nbuilt - 1,
                         policy_at(p)->name, want);
                assert_report_has(line);
                /* The barriers that are there, named. */
                for (k = 1; k + 1 < nbuilt; k++)
                    if (built[k].type == DMA_TRACE_BARRIER)
                        assert_report_has("between them only");
                if (nbuilt == 2 || (nbuilt == 3 && built[1].type == DMA_TRACE_NOTIFY))
                    assert_report_has("there is no barrier between them");
                assert_report_has("trace: [");
            } else {
                assert_report_has("dma_trace_check: ordered: all ");
            }
            verdicts++;
        }
    }
    print_message("  %d verdicts checked\n", verdicts);
}

/* NULL is STRICT; a user's own table is honoured entry by entry. */
static void test_null_and_custom_policy(void **state)
{
    static const struct dma_policy rw_only = {
        "rw-only", /* only a read before a later write must be ordered */
        { { DMA_BARRIER_NONE, DMA_BARRIER_MB }, { DMA_BARRIER_NONE, DMA_BARRIER_NONE } },
        DMA_BARRIER_NONE
    };
    (void)state;
    assert_int_equal(check(NULL, "R@0x10+4 R@0x20+4"), 1);
    assert_report_has("policy \"strict\"");
    assert_int_equal(check(NULL, "R@0x10+4 rmb R@0x20+4"), 0);

    assert_int_equal(check(&rw_only, "W@0x10+4 R@0x20+4 W@0x30+4 W@0x40+4"), 2);
    assert_report_has("R@0x20+4 then W@0x30+4 (events 1 and 2): \"rw-only\" wants mb");
    assert_report_has("R@0x20+4 then W@0x40+4 (events 1 and 3)");
    /* The checker judges ordering, not barrier names: a wmb orders R->W. */
    assert_int_equal(check(&rw_only, "R@0x20+4 wmb W@0x30+4"), 0);
    assert_int_equal(check(&rw_only, "R@0x20+4 rmb W@0x30+4"), 0);
}

/* Counting: every unordered required pair, not only neighbours. */
static void test_counts_all_pairs(void **state)
{
    (void)state;
    /* 5 writes, no barrier: C(5,2) = 10 pairs. Four shown, "6 more". */
    assert_int_equal(check(DMA_POLICY_STRICT, "W@0x10+4 W@0x20+4 W@0x30+4 W@0x40+4 W@0x50+4"),
                     10);
    assert_report_has("10 of 10 pairs not ordered as policy \"strict\" requires "
                      "(5 accesses, 5 events)");
    assert_report_has("  4. W@0x10+4 then W@0x50+4");
    assert_report_has("  ... and 6 more\n");
    if (strstr(report, "  5. "))
        fail_msg("more than four pairs shown:\n%s", report);
    /* A barrier in the middle orders across it, not within each side. */
    assert_int_equal(check(DMA_POLICY_STRICT, "W@0x10+4 W@0x20+4 wmb W@0x30+4 W@0x40+4"), 2);
    assert_report_has("  1. W@0x10+4 then W@0x20+4");
    assert_report_has("  2. W@0x30+4 then W@0x40+4");
    /* Far-apart pairs: the tokens around each end, the middle elided. */
    assert_int_equal(check(DMA_POLICY_PCIE, "W@0x10+4 R@0x1+1 R@0x2+1 R@0x3+1 R@0x4+1 R@0x5+1 "
                                            "R@0x6+1 R@0x7+1 mb W@0x20+4 rmb W@0x30+4"),
                     8); /* W->R x7, and rmb does not order W@0x20 before W@0x30 */
    assert_report_has("trace: [W@0x10+4] [R@0x1+1] R@0x2+1 R@0x3+1 ...\n");
    assert_int_equal(check(DMA_POLICY_PCIE, "W@0x10+4 R@0x1+1 R@0x2+1 R@0x3+1 R@0x4+1 R@0x5+1 "
                                            "R@0x6+1 R@0x7+1 R@0x8+1 W@0x20+4"),
                     9);
    assert_report_has("  1. W@0x10+4 then R@0x1+1 (events 0 and 1)");
    assert_report_has("  4. W@0x10+4 then R@0x4+1 (events 0 and 4)");
    /* The W->W pair is the ninth; the report stops at four. */
    assert_report_has("... and 5 more");
    /* Far apart: W0 .. R8 is the first pair, eight events between. */
    assert_int_equal(check(DMA_POLICY_PCIE_RELAXED, "W@0x10+4 W@0x1+1 W@0x2+1 W@0x3+1 "
                                                    "W@0x4+1 W@0x5+1 W@0x6+1 W@0x7+1 R@0x8+1 "
                                                    "mb R@0x9+1 W@0x20+4 wmb R@0x30+4"),
                     9); /* 8 writes -> R@0x8, and W@0x20 -> R@0x30 (wmb) */
    assert_report_has("  1. W@0x10+4 then R@0x8+1 (events 0 and 8)");
    assert_report_has("trace: [W@0x10+4] W@0x1+1 W@0x2+1 ... W@0x6+1 W@0x7+1 [R@0x8+1] mb "
                      "R@0x9+1 ...\n");
    /* Nothing to check: passes, and says what it looked at. */
    assert_int_equal(check(DMA_POLICY_STRICT, ""), 0);
    assert_report_has("all 0 pairs");
    assert_int_equal(check(DMA_POLICY_STRICT, "mb notify wmb"), 0);
}

/*
 * Transitivity. With odma's three barriers a chain never orders a pair
 * that no single barrier between it orders (checked exhaustively below),
 * so the closure is exercised with a made-up barrier set in which it does
 * matter: kind 1 orders only R -> later W, kind 2 only W -> later R.
 * Under STRICT, R (1) W (2) R: R->W by 1, W->R by 2, so R->R by the chain.
 */
static const unsigned char chain_orders[4][2] = {
    { 0, 0 }, /* none */
    { 2, 0 }, /* "rmb" here: R -> later W only */
    { 0, 1 }, /* "wmb" here: W -> later R only */
    { 3, 3 },
};

static int check_with(const unsigned char orders[4][2], const struct dma_policy *policy,
                      const char *trace)
{
    build(trace);
    return odma__trace_check_events(built, nbuilt, 0, policy, orders, report, sizeof report);
}

static void test_transitivity(void **state)
{
    (void)state;
    assert_int_equal(check_with(chain_orders, DMA_POLICY_STRICT,
                                "R@0x10+4 rmb W@0x20+4 wmb R@0x30+4"), 0);
    /* No access in the middle: no chain. */
    assert_int_equal(check_with(chain_orders, DMA_POLICY_STRICT, "R@0x10+4 rmb wmb R@0x30+4"),
                     1);
    assert_report_has("R@0x10+4 then R@0x30+4");
    /* A middle access of the wrong kind breaks every link. */
    assert_int_equal(check_with(chain_orders, DMA_POLICY_STRICT,
                                "R@0x10+4 rmb R@0x20+4 wmb R@0x30+4"), 3);
    /* The chain must run forwards: a middle access before both barriers
     * is not ordered after the first read. R->W and R->R fail, W->R holds. */
    assert_int_equal(check_with(chain_orders, DMA_POLICY_STRICT,
                                "R@0x10+4 W@0x20+4 rmb wmb R@0x30+4"), 2);
    /* PCIE (W->R, W->W): W0 -2-> R1 -1-> W2 orders W0 before W2, which no
     * single barrier between them does. Without the middle link, it fails. */
    assert_int_equal(check_with(chain_orders, DMA_POLICY_PCIE,
                                "W@0x10+4 wmb R@0x20+4 rmb W@0x30+4 wmb R@0x40+4"), 0);
    assert_int_equal(check_with(chain_orders, DMA_POLICY_PCIE,
                                "W@0x10+4 wmb R@0x20+4 W@0x30+4 wmb R@0x40+4"), 1);
    assert_report_has("1. W@0x10+4 then W@0x30+4");
    /* The link may be a map window's end or a continuation piece. */
    assert_int_equal(check_with(chain_orders, DMA_POLICY_PCIE,
                                "W@0x10+4 wmb map:R@0x1000+64 unmap:R@0x1000+8 rmb W@0x30+4"),
                     0);
    assert_int_equal(check_with(chain_orders, DMA_POLICY_PCIE,
                                "W@0x10+4 wmb map:R@0x1000+64 unmap:R@0x1000+8 W@0x30+4"), 1);
    assert_int_equal(check_with(chain_orders, DMA_POLICY_PCIE,
                                "W@0x10+4 wmb R@0x20+4 R@0x24+4/c rmb W@0x30+4"), 0);
}

/*
 * Exhaustive, against a reference written here: every trace of up to six
 * tokens over {R, W, rmb, wmb, mb}, under each named policy, for odma's
 * real barriers (through dma_trace_check) and for the made-up set above.
 * The reference builds the direct "a barrier between orders a before b"
 * relation and closes it with Warshall's algorithm.
 */
static const unsigned char real_orders_by_hand[4][2] = {
    { 0, 0 }, /* none */
    { 3, 0 }, /* rmb: R -> later R, W */
    { 2, 2 }, /* wmb: R, W -> later W */
    { 3, 3 }, /* mb */
};

static int reference(const int *tok, int len, const struct dma_policy *policy,
                     const unsigned char orders[4][2], int *only_by_chain)
{
    int kind[8], pos[8], n = 0, i, j, k, bad = 0;
    bool direct[8][8], closed[8][8];
    for (i = 0; i < len; i++)
        if (tok[i] < 2)
            kind[n] = tok[i], pos[n++] = i;
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            direct[i][j] = false;
            if (j > i)
                for (k = pos[i] + 1; k < pos[j]; k++)
                    if (tok[k] >= 2 && (orders[tok[k] - 1][kind[i]] >> kind[j]) & 1)
                        direct[i][j] = true;
            closed[i][j] = direct[i][j];
        }
    }
    for (k = 0; k < n; k++)
        for (i = 0; i < n; i++)
            for (j = 0; j < n; j++)
                if (closed[i][k] && closed[k][j])
                    closed[i][j] = true;
    for (i = 0; i < n; i++) {
        for (j = i + 1; j < n; j++) {
            if (closed[i][j] && !direct[i][j])
                (*only_by_chain)++;
            if (policy->order[kind[i]][kind[j]] != DMA_BARRIER_NONE && !closed[i][j])
                bad++;
        }
    }
    return bad;
}

static void test_exhaustive_against_reference(void **state)
{
    static const char *const names[5] = { "R@0x10+4", "W@0x20+4", "rmb", "wmb", "mb" };
    int len, p, traces = 0, chain_real = 0, chain_madeup = 0;
    (void)state;
    for (len = 0; len <= 6; len++) {
        int total = 1, t, i;
        for (i = 0; i < len; i++)
            total *= 5;
        for (t = 0; t < total; t++) {
            int tok[6], v = t;
            struct dma_trace_event ev[6];
            dma_trace_reset();
            for (i = 0; i < len; i++, v /= 5) {
                tok[i] = v % 5;
                memset(&ev[i], 0, sizeof ev[i]);
                ev[i].type = tok[i] < 2 ? DMA_TRACE_ACCESS : DMA_TRACE_BARRIER;
                ev[i].dir = tok[i] == 1 ? DMA_DIR_WRITE : DMA_DIR_READ;
                ev[i].barrier = tok[i] < 2 ? DMA_BARRIER_NONE : (enum dma_barrier)(tok[i] - 1);
                ev[i].addr = tok[i] ? 0x20 : 0x10;
                ev[i].len = tok[i] < 2 ? 4 : 0;
                odma_trace(&ev[i]);
            }
            for (p = 0; p < NPOL; p++) {
                const struct dma_policy *pol = policy_at(p);
                int want = reference(tok, len, pol, real_orders_by_hand, &chain_real);
                int got = dma_trace_check(pol, report, sizeof report);
                if (got != want) {
                    char s[128] = "";
                    for (i = 0; i < len; i++)
                        strcat(strcat(s, " "), names[tok[i]]);
                    fail_msg("%s under %s: %d, reference %d\n%s", s, pol->name, got, want,
                             report);
                }
                want = reference(tok, len, pol, chain_orders, &chain_madeup);
                got = odma__trace_check_events(ev, (size_t)len, 0, pol, chain_orders, NULL, 0);
                if (got != want)
                    fail_msg("made-up barriers, trace %d under %s: %d, reference %d", t,
                             pol->name, got, want);
            }
            traces++;
        }
    }
    print_message("  %d traces x %d policies x 2 barrier sets; pairs ordered only by a "
                  "chain: %d with odma's barriers, %d with the made-up ones\n",
                  traces, NPOL, chain_real, chain_madeup);
    assert_int_equal(traces, 19531);
    /* With rmb/wmb/mb a chain adds nothing; the made-up set shows the
     * closure is really computed. */
    assert_int_equal(chain_real, 0);
    assert_true(chain_madeup > 0);
}

/*
 * Map windows. dma_map emits "mb map:D@addr+len", dma_map_relaxed only the
 * map token, dma_unmap "unmap:D@addr+access_len" and no barrier. The
 * window's own accesses may happen anywhere between its two ends, so both
 * ends are checked as accesses of the map's direction.
 */
static void test_map_windows(void **state)
{
    (void)state;
    /* The map's own barrier orders what came before. */
    assert_int_equal(check(DMA_POLICY_STRICT,
                           "W@0x10+4 mb map:W@0x1000+4096 unmap:W@0x1000+512"), 0);
    /* dma_map_relaxed: no barrier, the earlier write is unordered. */
    assert_int_equal(check(DMA_POLICY_STRICT, "W@0x10+4 map:W@0x1000+4096 unmap:W@0x1000+512"),
                     1);
    assert_report_has("1. W@0x10+4 then map:W@0x1000+4096 (events 0 and 1): \"strict\" wants wmb");
    assert_int_equal(check(DMA_POLICY_PCIE, "W@0x10+4 map:R@0x1000+4096 unmap:R@0x1000+512"), 1);
    assert_report_has("\"pcie\" wants mb between a write and a later read");
    /* The unmap has no barrier: an access after it is unordered against
     * the window; the closest end is named. */
    assert_int_equal(check(DMA_POLICY_STRICT,
                           "mb map:W@0x1000+4096 unmap:W@0x1000+512 W@0x10+4"), 1);
    assert_report_has("1. unmap:W@0x1000+512 then W@0x10+4 (events 2 and 3)");
    assert_int_equal(check(DMA_POLICY_PCIE, "mb map:W@0x1000+4096 unmap:W@0x1000+512 R@0x10+4"),
                     1);
    assert_int_equal(check(DMA_POLICY_PCIE, "mb map:R@0x1000+4096 unmap:R@0x1000+512 W@0x10+4"),
                     0);
    assert_int_equal(check(DMA_POLICY_STRICT,
                           "mb map:W@0x1000+4096 unmap:W@0x1000+512 wmb W@0x10+4"), 0);
    /* Before the window. */
    assert_int_equal(check(DMA_POLICY_STRICT, "R@0x10+4 map:W@0x1000+4096 unmap:W@0x1000+8"), 1);
    assert_int_equal(check(DMA_POLICY_PCIE, "R@0x10+4 map:W@0x1000+4096 unmap:W@0x1000+8"), 0);
    assert_int_equal(check(DMA_POLICY_STRICT, "R@0x10+4 mb map:W@0x1000+4096 unmap:W@0x1000+8"),
                     0);
    /* Inside: unordered against both ends, two pairs (window then access,
     * access then window). */
    assert_int_equal(check(DMA_POLICY_STRICT,
                           "mb map:R@0x1000+4096 R@0x10+4 unmap:R@0x1000+64"), 2);
    assert_report_has("1. map:R@0x1000+4096 then R@0x10+4 (events 1 and 2)");
    assert_report_has("2. R@0x10+4 then unmap:R@0x1000+64 (events 2 and 3)");
    assert_int_equal(check(DMA_POLICY_PCIE, "mb map:R@0x1000+4096 R@0x10+4 unmap:R@0x1000+64"),
                     0);
    assert_int_equal(check(DMA_POLICY_STRICT,
                           "mb map:R@0x1000+4096 W@0x10+4 unmap:R@0x1000+64"), 2);
    assert_int_equal(check(DMA_POLICY_PCIE, "mb map:R@0x1000+4096 W@0x10+4 unmap:R@0x1000+64"),
                     1);
    assert_report_has("1. W@0x10+4 then unmap:R@0x1000+64");
    assert_int_equal(check(DMA_POLICY_PCIE_RELAXED,
                           "mb map:R@0x1000+4096 W@0x10+4 unmap:R@0x1000+64"), 1);
    assert_int_equal(check(DMA_POLICY_NONE, "mb map:R@0x1000+4096 W@0x10+4 unmap:R@0x1000+64"),
                     0);
    assert_int_equal(check(DMA_POLICY_STRICT,
                           "mb map:W@0x1000+4096 wmb W@0x10+4 wmb unmap:W@0x1000+64"), 0);
    /* The window's two ends are one logical access: never a pair. */
    assert_int_equal(check(DMA_POLICY_STRICT, "map:W@0x1000+4096 unmap:W@0x1000+4096"), 0);
    assert_int_equal(check(DMA_POLICY_STRICT, "map:R@0x1000+4096 unmap:R@0x1000+4096"), 0);
}

static void test_map_pairing(void **state)
{
    (void)state;
    /* Pairing needs the same context, direction and bus address. */
    assert_int_equal(check(DMA_POLICY_STRICT, "map:W@0x1000+4096#1 unmap:W@0x1000+8#1"), 0);
    assert_int_equal(check(DMA_POLICY_STRICT, "map:W@0x1000+4096#1 unmap:W@0x1000+8#2"), 1);
    assert_report_has("note: map:W@0x1000+4096 (event 0) is never unmapped in this trace");
    assert_int_equal(check(DMA_POLICY_STRICT, "map:W@0x1000+4096 unmap:R@0x1000+8"), 1);
    assert_report_has("\"strict\" wants mb between a write and a later read");
    assert_int_equal(check(DMA_POLICY_STRICT, "map:W@0x1000+4096 unmap:W@0x1008+8"), 1);
    /*
     * Most recent open map first. m1 wmb m2 u u: with u->m2 then u->m1,
     * only (m2..u, then m1's unmap) is unordered: 1. Pairing first-in
     * first-out would make it 2.
     */
    assert_int_equal(check(DMA_POLICY_STRICT, "map:W@0x1000+64 wmb map:W@0x1000+64 "
                                              "unmap:W@0x1000+8 unmap:W@0x1000+16"), 1);
    assert_report_has("1. unmap:W@0x1000+8 then unmap:W@0x1000+16 (events 3 and 4)");
    /* Two windows of different contexts interleaved, each well ordered. */
    assert_int_equal(check(DMA_POLICY_STRICT,
                           "mb map:R@0x1000+64#1 rmb map:R@0x1000+64#2 unmap:R@0x1000+8#1 "
                           "rmb unmap:R@0x1000+8#2"), 1);
    assert_report_has("1. map:R@0x1000+64 then unmap:R@0x1000+8 (events 3 and 4)");
    /* An unmap without a map is still an access there. */
    assert_int_equal(check(DMA_POLICY_STRICT, "W@0x10+4 unmap:W@0x1000+8"), 1);
    assert_int_equal(check(DMA_POLICY_STRICT, "W@0x10+4 wmb unmap:W@0x1000+8"), 0);
    /* A map never unmapped is an access at its map event only. */
    assert_int_equal(check(DMA_POLICY_STRICT, "mb map:W@0x1000+4096 W@0x10+4"), 1);
    assert_report_has("never unmapped");
    assert_int_equal(check(DMA_POLICY_STRICT, "mb map:W@0x1000+4096 wmb W@0x10+4"), 0);
    assert_report_has("never unmapped");
}

/* Pieces of one logical access (DMA_TRACE_CONTINUED). */
static void test_continuation_groups(void **state)
{
    (void)state;
    /* Record body halves around a flag: one access. */
    assert_int_equal(check(DMA_POLICY_STRICT, "W@0x1000+14 W@0x1010+2/c"), 0);
    assert_int_equal(check(DMA_POLICY_STRICT, "W@0x1000+14 W@0x1010+2"), 1);
    /* Device-region pieces (issue 3 marks them /d and, after the first, /c). */
    assert_int_equal(check(DMA_POLICY_STRICT, "R@0x2000+4/d R@0x2004+4/d/c R@0x2008+4/d/c"), 0);
    assert_int_equal(check(DMA_POLICY_STRICT, "R@0x2000+4/d R@0x2004+4/d R@0x2008+4/d"), 3);
    /* Against another access a group counts once, named by its last piece. */
    assert_int_equal(check(DMA_POLICY_STRICT, "W@0x1000+4 W@0x1008+8/c W@0x2000+4"), 1);
    assert_report_has("1. W@0x1008+8 then W@0x2000+4 (events 1 and 2)");
    assert_int_equal(check(DMA_POLICY_STRICT, "W@0x2000+4 W@0x1000+4 W@0x1008+8/c"), 1);
    assert_report_has("1. W@0x2000+4 then W@0x1000+4 (events 0 and 1)");
    /* Ordered only if every piece is: the barrier after the first piece
     * does not order the second. */
    assert_int_equal(check(DMA_POLICY_STRICT, "R@0x1000+4 rmb R@0x1008+4/c R@0x2000+4"), 1);
    assert_report_has("1. R@0x1008+4 then R@0x2000+4 (events 2 and 3)");
    assert_int_equal(check(DMA_POLICY_STRICT, "R@0x1000+4 R@0x1008+4/c rmb R@0x2000+4"), 0);
    /* A continuation joins the previous ACCESS, across other events. */
    assert_int_equal(check(DMA_POLICY_STRICT, "R@0x1000+4 notify R@0x1004+4/c"), 0);
    /* ... and on the first access it starts a group of its own. */
    assert_int_equal(check(DMA_POLICY_STRICT, "R@0x1000+4/c R@0x1004+4"), 1);
    /* Its direction is its own. */
    assert_int_equal(check(DMA_POLICY_PCIE, "W@0x1000+4 R@0x1004+4/c R@0x2000+4"), 1);
    assert_report_has("1. W@0x1000+4 then R@0x2000+4");
}

/* The recorder's bound: never a silent pass. */
static void test_overflow_is_never_silent(void **state)
{
    struct dma_trace_event w, b;
    size_t i;
    int n;
    (void)state;
    memset(&w, 0, sizeof w);
    w.type = DMA_TRACE_ACCESS;
    w.dir = DMA_DIR_WRITE;
    w.addr = 0x10;
    w.len = 4;
    memset(&b, 0, sizeof b);
    b.type = DMA_TRACE_BARRIER;
    b.barrier = DMA_BARRIER_WMB;
    /* Perfectly ordered writes, three events too many. */
    dma_trace_reset();
    for (i = 0; i < ODMA_TESTING_MAX_EVENTS + 3; i++)
        odma_trace(i % 2 ? &b : &w);
    assert_int_equal(dma_trace_dropped(), 3);
    n = dma_trace_check(DMA_POLICY_STRICT, report, sizeof report);
    assert_int_equal(n, 1);
    assert_report_has("dma_trace_check: the trace overflowed: 3 events past "
                      "ODMA_TESTING_MAX_EVENTS (4096) were not recorded");
    assert_report_has("counted as one violation");
    assert_true(strlen(dma_trace_string()) > 0);
    assert_non_null(strstr(dma_trace_string(), " overflow+3"));
    /* Also with NULL report, and under a policy that orders nothing. */
    assert_int_equal(dma_trace_check(DMA_POLICY_NONE, NULL, 0), 1);
    /* Real violations in the recorded part add to it. */
    dma_trace_reset();
    odma_trace(&w);
    odma_trace(&w);
    for (i = 0; i < ODMA_TESTING_MAX_EVENTS; i++)
        odma_trace(&b);
    assert_int_equal(dma_trace_check(DMA_POLICY_STRICT, report, sizeof report), 2);
    assert_report_has("overflowed: 2 events");
    assert_report_has("1 of 1 pairs not ordered");
    /* A reset clears it. */
    dma_trace_reset();
    odma_trace(&w);
    assert_int_equal(dma_trace_check(DMA_POLICY_STRICT, report, sizeof report), 0);
}

/* The report always fits and is always terminated. */
static void test_report_truncation(void **state)
{
    char full[4096], small[64];
    size_t sz;
    const char *trace = "W@0x10+4 W@0x20+4 W@0x30+4";
    (void)state;
    assert_int_equal(check(DMA_POLICY_STRICT, trace), 3);
    strcpy(full, report);
    assert_true(strlen(full) > 200);
    /* No report at all: still counted. */
    assert_int_equal(dma_trace_check(DMA_POLICY_STRICT, NULL, 0), 3);
    assert_int_equal(dma_trace_check(DMA_POLICY_STRICT, NULL, 100), 3);
    small[0] = 'x';
    assert_int_equal(dma_trace_check(DMA_POLICY_STRICT, small, 0), 3);
    assert_int_equal(small[0], 'x'); /* size 0: not touched */
    for (sz = 1; sz <= sizeof small; sz++) {
        memset(small, 0x5a, sizeof small);
        assert_int_equal(dma_trace_check(DMA_POLICY_STRICT, small, sz), 3);
        assert_int_equal(strlen(small), sz - 1);
        if (sz < sizeof small)
            assert_int_equal((unsigned char)small[sz], 0x5a);
        if (sz >= 4) {
            /* The kept part is the report's start, then "...". */
            assert_memory_equal(small, full, sz - 4);
            assert_string_equal(small + sz - 4, "...");
        }
    }
}

/*
 * The cmocka helpers, failing: run a test that must fail in a child
 * process and check that the failure message carries the report and the
 * trace.
 */
static void helper_trace_mismatch(void **state)
{
    (void)state;
    build("W@0x10+4 wmb W@0x20+4");
    assert_dma_trace("W@0x10+4 W@0x20+4");
}

static void helper_unordered(void **state)
{
    (void)state;
    build("R@0x10+4 W@0x20+4 wmb W@0x30+4");
    assert_dma_ordered(DMA_POLICY_STRICT);
}

static void helper_overflow(void **state)
{
    struct dma_trace_event w;
    size_t i;
    (void)state;
    memset(&w, 0, sizeof w);
    w.type = DMA_TRACE_BARRIER;
    w.barrier = DMA_BARRIER_MB;
    dma_trace_reset();
    for (i = 0; i <= ODMA_TESTING_MAX_EVENTS; i++)
        odma_trace(&w);
    assert_dma_ordered(DMA_POLICY_NONE);
}

static void run_failing(CMUnitTestFunction fn, const char *name, char *out, size_t size)
{
    int fds[2], status;
    size_t len = 0;
    ssize_t k;
    pid_t pid;
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct CMUnitTest one[1];
        one[0].name = name;
        one[0].test_func = fn;
        one[0].setup_func = NULL;
        one[0].teardown_func = NULL;
        one[0].initial_state = NULL;
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        _exit(_cmocka_run_group_tests(name, one, 1, NULL, NULL) == 1 ? 42 : 0);
    }
    close(fds[1]);
    while (len + 1 < size && (k = read(fds[0], out + len, size - 1 - len)) > 0)
        len += (size_t)k;
    out[len] = '\0';
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) != 42)
        fail_msg("%s did not fail exactly once:\n%s", name, out);
}

static void test_cmocka_helpers(void **state)
{
    char out[16384];
    (void)state;
    /* Passing. */
    build("W@0x10+4 wmb W@0x20+4");
    assert_dma_trace("W@0x10+4 wmb W@0x20+4");
    assert_dma_ordered(DMA_POLICY_STRICT);
    assert_dma_ordered(NULL);
    build("R@0x10+4 W@0x20+4");
    assert_dma_ordered(DMA_POLICY_PCIE);

    /* Failing, with the message a user needs. */
    run_failing(helper_trace_mismatch, "helper_trace_mismatch", out, sizeof out);
    if (!strstr(out, "expected: W@0x10+4 W@0x20+4") ||
        !strstr(out, "actual:   W@0x10+4 wmb W@0x20+4") || !strstr(out, "test_checker.c"))
        fail_msg("assert_dma_trace's message:\n%s", out);
    run_failing(helper_unordered, "helper_unordered", out, sizeof out);
    if (!strstr(out, "assert_dma_ordered(DMA_POLICY_STRICT): 1 violation") ||
        !strstr(out, "1. R@0x10+4 then W@0x20+4 (events 0 and 1): \"strict\" wants rmb") ||
        !strstr(out, "trace: R@0x10+4 W@0x20+4 wmb W@0x30+4"))
        fail_msg("assert_dma_ordered's message:\n%s", out);
    run_failing(helper_overflow, "helper_overflow", out, sizeof out);
    if (!strstr(out, "the trace overflowed: 1 events") || !strstr(out, "overflow+1"))
        fail_msg("assert_dma_ordered's overflow message:\n%s", out);
}

/*
 * The library and the checker agree: any sequence of ordered accessors,
 * publish/consume, release stores, notify and explicit barriers that odma
 * itself generates under a policy passes the checker under that policy.
 * The same sequences with one access made _relaxed get caught (except
 * under NONE), so the property is not vacuous.
 */
static int library_op(struct dma_ctx *c, unsigned op, bool relaxed)
{
    unsigned char rec[16];
    uint32_t v32;
    memset(rec, 0x11, sizeof rec);
    switch (op) {
    case 0: return relaxed ? dma_read_relaxed(c, 0x1100, rec, 8) : dma_read(c, 0x1100, rec, 8);
    case 1: return relaxed ? dma_write_relaxed(c, 0x1200, rec, 8) : dma_write(c, 0x1200, rec, 8);
    case 2: return relaxed ? dma_ld_le32_relaxed(c, 0x1300, &v32) : dma_ld_le32(c, 0x1300, &v32);
    case 3: return relaxed ? dma_st_be16_relaxed(c, 0x1400, 7) : dma_st_be16(c, 0x1400, 7);
    case 4: return relaxed ? dma_set_relaxed(c, 0x1500, 0, 32) : dma_set(c, 0x1500, 0, 32);
    case 5: return dma_write_publish(c, 0x1600, rec, 16, 14, 2);
    case 6: return dma_write_publish(c, 0x1700, rec, 16, 4, 4);
    case 7: return dma_read_consume(c, 0x1600, rec, 16, 14, 2);
    case 8: return dma_read_consume(c, 0x1700, rec, 16, 4, 4);
    case 9: return dma_st_le32_release(c, 0x1800, 1);
    case 10: dma_notify_barrier(c); return DMA_OK;
    case 11: odma_mb(); return DMA_OK;
    case 12: odma_wmb(); return DMA_OK;
    default: odma_rmb(); return DMA_OK;
    }
}

static void test_library_traces(void **state)
{
    static struct fixture f;
    int p, iter, pass_checked = 0, flagged[NPOL] = { 0 };
    uint32_t seed = 2024;
    (void)state;
    for (p = 0; p < NPOL; p++) {
        fixture_init(&f, policy_at(p));
        for (iter = 0; iter < 400; iter++) {
            unsigned ops[16], len, k, relaxed_at;
            seed = seed * 1103515245u + 12345u;
            len = 1 + (seed >> 16) % 16;
            for (k = 0; k < len; k++) {
                seed = seed * 1103515245u + 12345u;
                ops[k] = (seed >> 16) % 14;
            }
            /* Ordered only: must pass. */
            odma__order_forget(); /* as on a fresh thread */
            dma_trace_reset();
            for (k = 0; k < len; k++)
                assert_int_equal(library_op(&f.ctx, ops[k], false), DMA_OK);
            if (dma_trace_check(policy_at(p), report, sizeof report) != 0)
                fail_msg("odma's own trace fails under %s:\n%s", policy_at(p)->name, report);
            pass_checked++;
            /* One plain access relaxed (and a plain access forced in). */
            seed = seed * 1103515245u + 12345u;
            relaxed_at = (seed >> 16) % len;
            if (ops[relaxed_at] > 4)
                ops[relaxed_at] = (seed >> 8) % 5;
            odma__order_forget();
            dma_trace_reset();
            for (k = 0; k < len; k++)
                assert_int_equal(library_op(&f.ctx, ops[k], k == relaxed_at), DMA_OK);
            if (dma_trace_check(policy_at(p), NULL, 0) > 0)
                flagged[p]++;
        }
    }
    print_message("  %d library traces pass; with one access relaxed, flagged: strict %d, "
                  "pcie %d, pcie-relaxed %d, none %d (of 400 each)\n",
                  pass_checked, flagged[0], flagged[1], flagged[2], flagged[3]);
    assert_true(flagged[0] > 100);
    assert_true(flagged[1] > 50);
    assert_true(flagged[2] > 20);
    assert_int_equal(flagged[3], 0);
    dma_trace_stop();
}

/* Specific library cases, written out. */
static void test_library_cases(void **state)
{
    static struct fixture f;
    uint32_t v;
    unsigned char rec[16] = { 0 };
    (void)state;
    fixture_init(&f, DMA_POLICY_STRICT);
    odma_mb();
    /* Relaxed between two ordered accesses: the second one's mb orders
     * both before it, but nothing orders the relaxed read after the write. */
    dma_trace_reset();
    assert_int_equal(dma_st_le32(&f.ctx, 0x1000, 1), DMA_OK);
    assert_int_equal(dma_ld_le32_relaxed(&f.ctx, 0x1004, &v), DMA_OK);
    assert_int_equal(dma_ld_le32(&f.ctx, 0x1008, &v), DMA_OK);
    assert_dma_trace("W@0x1000+4 R@0x1004+4 mb R@0x1008+4");
    assert_int_equal(dma_trace_check(DMA_POLICY_STRICT, report, sizeof report), 1);
    assert_report_has("1. W@0x1000+4 then R@0x1004+4 (events 0 and 1): \"strict\" wants mb "
                      "between a write and a later read; there is no barrier between them");
    /* Publish with the flag in the middle: two body pieces, one access. */
    odma_mb();
    dma_trace_reset();
    assert_int_equal(dma_write_publish(&f.ctx, 0x1100, rec, 16, 4, 4), DMA_OK);
    assert_int_equal(dma_ld_le32(&f.ctx, 0x1008, &v), DMA_OK);
    assert_dma_trace("W@0x1100+4 W@0x1108+8 wmb W@0x1104+4 mb R@0x1008+4");
    assert_dma_ordered(DMA_POLICY_STRICT);
    /* An _acquire load is not ordered after earlier accesses (its rmb
     * comes after it), whatever the policy: a W then acquire R fails. */
    odma_mb();
    dma_trace_reset();
    assert_int_equal(dma_st_le32(&f.ctx, 0x1000, 1), DMA_OK);
    assert_int_equal(dma_ld_le32_acquire(&f.ctx, 0x1004, &v), DMA_OK);
    assert_int_equal(dma_st_le32(&f.ctx, 0x1008, 1), DMA_OK);
    assert_dma_trace("W@0x1000+4 R@0x1004+4 rmb wmb W@0x1008+4");
    assert_int_equal(dma_trace_check(DMA_POLICY_STRICT, report, sizeof report), 1);
    assert_report_has("1. W@0x1000+4 then R@0x1004+4");
    /* A PCIE-ordered device does not meet STRICT: reads pass reads. */
    dma_ctx_init(&f.ctx, DMA_POLICY_PCIE);
    assert_int_equal(dma_ctx_add_region(&f.ctx, 0x1000, 0x1000, f.ram, 0), DMA_OK);
    odma_mb();
    dma_trace_reset();
    assert_int_equal(dma_ld_le32(&f.ctx, 0x1000, &v), DMA_OK);
    assert_int_equal(dma_ld_le32(&f.ctx, 0x1004, &v), DMA_OK);
    assert_dma_ordered(DMA_POLICY_PCIE);
    assert_int_equal(dma_trace_check(DMA_POLICY_STRICT, report, sizeof report), 1);
    assert_report_has("1. R@0x1000+4 then R@0x1004+4");
    dma_trace_stop();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_pair_every_policy),
        cmocka_unit_test(test_null_and_custom_policy),
        cmocka_unit_test(test_counts_all_pairs),
        cmocka_unit_test(test_transitivity),
        cmocka_unit_test(test_exhaustive_against_reference),
        cmocka_unit_test(test_map_windows),
        cmocka_unit_test(test_map_pairing),
        cmocka_unit_test(test_continuation_groups),
        cmocka_unit_test(test_overflow_is_never_silent),
        cmocka_unit_test(test_report_truncation),
        cmocka_unit_test(test_cmocka_helpers),
        cmocka_unit_test(test_library_traces),
        cmocka_unit_test(test_library_cases),
    };
    return cmocka_run_group_tests_name("checker", tests, NULL, NULL);
}
