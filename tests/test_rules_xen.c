/* SPDX-License-Identifier: MIT */
/*
 * The Xen ioreq rules (dma_rules_xen_ioreq) against the real, threaded
 * examples/xen_ioreq.c: its hypervisor thread issues requests to 4 vCPU
 * slots with C11 atomics, its device-model thread answers them through
 * odma, and every odma event of the device-model thread is recorded here
 * (this file supplies odma_trace()) and checked against the rules.
 *
 * The device model polls; between requests its trace is mostly "R@state
 * rmb" pairs, as many as the scheduler makes it spin. So the trace is
 * checked in pieces, cut where nothing is pending: after a barrier, with
 * no write since the last mb. Every pair across such a cut is ordered (the
 * mb orders the writes before it, the barrier the reads), so no order
 * rule can be broken across it, and the memory stays bounded. (A "last"
 * window that spans a cut is closed at the cut; in the device model of
 * xen_ioreq.c every window holds only its own request's writes, which end
 * with IORESP_READY before the notify mb, so that changes no verdict.)
 *
 * DMA_POLICY_NONE is not run here: it issues no mb at all, so the trace
 * has no cut; test_rules_devices.c shows on a hand-made trace that a
 * notify without a barrier breaks the notify rule.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define ODMA_TRACE
#define ODMA_TESTING_RULES_IMPLEMENTATION
#include <odma/testing_rules.h>

#define main xen_ioreq_main
#include "../examples/xen_ioreq.c"
#undef main

#define CUT_AFTER 4096           /* check once this many events are buffered */
#define HARD_LIMIT (1u << 20)    /* never buffer more (a stuck cut: fail) */

static struct {
    pthread_t main_thread;
    const char *rules;
    struct dma_trace_event *ev;
    size_t n, cap;
    size_t writes_since_mb;
    size_t events, pieces, accesses;
    long violations;             /* -1: the checker refused */
    bool overflow;
    char first_report[8192];
} rec;

static void check_piece(void)
{
    static char report[8192];
    size_t i;
    int r;
    if (rec.n == 0)
        return;
    r = odma__rules_check_events(rec.ev, rec.n, 0, rec.rules, report, sizeof report);
    for (i = 0; i < rec.n; i++)
        rec.accesses += rec.ev[i].type == DMA_TRACE_ACCESS;
    rec.pieces++;
    if (r != 0 && rec.violations >= 0 && rec.first_report[0] == '\0')
        snprintf(rec.first_report, sizeof rec.first_report, "%s", report);
    if (r < 0)
        rec.violations = -1;
    else if (rec.violations >= 0)
        rec.violations += r;
    rec.n = 0;
}

/* The hook: the device-model thread's events only (the hypervisor thread
 * uses plain atomics; the main thread sets the context up). */
void odma_trace(const struct dma_trace_event *ev)
{
    if (pthread_equal(pthread_self(), rec.main_thread) || rec.overflow)
        return;
    if (rec.n == rec.cap) {
        size_t cap = rec.cap ? 2 * rec.cap : 8192;
        struct dma_trace_event *m;
        if (cap > HARD_LIMIT ||
            !(m = (struct dma_trace_event *)realloc(rec.ev, cap * sizeof *m))) {
            rec.overflow = true;
            return;
        }
        rec.ev = m;
        rec.cap = cap;
    }
    rec.ev[rec.n++] = *ev;
    rec.events++;
    if (ev->type == DMA_TRACE_ACCESS && ev->dir == DMA_DIR_WRITE)
        rec.writes_since_mb++;
    if (ev->type == DMA_TRACE_BARRIER) {
        if (ev->barrier == DMA_BARRIER_MB)
            rec.writes_since_mb = 0;
        if (rec.writes_since_mb == 0 && rec.n >= CUT_AFTER)
            check_piece();
    }
}

static char rules[4096];

static void run_policy(const struct dma_policy *policy, unsigned long rounds)
{
    struct opts o = { rounds, NULL, 20.0, -1, 0 };
    struct dma_xen_ioreq_config cfg = { PAGE_GPA, NVCPUS };
    assert_true(dma_rules_xen_ioreq(rules, sizeof rules, &cfg) > 0);
    memset(&rec, 0, sizeof rec);
    rec.main_thread = pthread_self();
    rec.rules = rules;
    assert_int_equal(run(&o, policy), 0); /* every response verified */
    check_piece();
    free(rec.ev);
    rec.ev = NULL;
    if (rec.overflow)
        fail_msg("%s: more than %u events without a cut", policy->name, HARD_LIMIT);
    if (rec.violations != 0)
        fail_msg("xen_ioreq under %s: %ld violations in %zu events\n%s", policy->name,
                 rec.violations, rec.events, rec.first_report);
    /* The trace holds every request: a poll, INPROCESS, the body, the
     * result or not, IORESP_READY - at least 4 accesses each. */
    assert_true(rec.accesses >= 4 * rounds);
    print_message("xen_ioreq %-12s %lu requests: %zu events in %zu pieces, 0 violations\n",
                  policy->name, rounds, rec.events, rec.pieces);
}

static void test_xen_ioreq_strict(void **state)
{
    (void)state;
    run_policy(DMA_POLICY_STRICT, 500);
}

static void test_xen_ioreq_pcie(void **state)
{
    (void)state;
    run_policy(DMA_POLICY_PCIE, 500);
}

static void test_xen_ioreq_pcie_relaxed(void **state)
{
    (void)state;
    run_policy(DMA_POLICY_PCIE_RELAXED, 500);
}

/* The piece-wise check does see a broken device model: xen_ioreq -f sets
 * IORESP_READY before it writes the result. */
static void test_xen_ioreq_flag_first_is_caught(void **state)
{
    struct opts o = { 10, NULL, 20.0, -1, 1 };
    struct dma_xen_ioreq_config cfg = { PAGE_GPA, NVCPUS };
    (void)state;
    assert_true(dma_rules_xen_ioreq(rules, sizeof rules, &cfg) > 0);
    memset(&rec, 0, sizeof rec);
    rec.main_thread = pthread_self();
    rec.rules = rules;
    (void)run(&o, DMA_POLICY_STRICT); /* the hypervisor may or may not notice */
    check_piece();
    free(rec.ev);
    rec.ev = NULL;
    assert_false(rec.overflow);
    assert_true(rec.violations > 0);
    if (!strstr(rec.first_report, "last W ioreq.state in ioreq"))
        fail_msg("report lacks the last rule:\n%s", rec.first_report);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xen_ioreq_strict),
        cmocka_unit_test(test_xen_ioreq_pcie),
        cmocka_unit_test(test_xen_ioreq_pcie_relaxed),
        cmocka_unit_test(test_xen_ioreq_flag_first_is_caught),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
