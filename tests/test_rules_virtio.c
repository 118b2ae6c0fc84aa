/* SPDX-License-Identifier: MIT */
/*
 * The virtio rule sets (dma_rules_virtio_split, dma_rules_virtio_packed):
 *
 *  - faithful traces: the device side of odma/virtio.h (pop, push, fill +
 *    flush, should/enable/disable notify) with a device model, driven by
 *    tests/rules_virtio_run.h, recorded under every feature combination
 *    (split/packed x event_idx x indirect) and every policy: 0 violations;
 *  - broken traces: for every order and last rule of the three rule sets
 *    (split with flags, split with event_idx, packed), a trace of one
 *    request with one access or barrier moved that breaks exactly that
 *    rule, reported with both roles;
 *  - the issue's shapes: the avail idx then ring entry read without a
 *    barrier fails even though PCIE lets reads pass reads; a ring entry
 *    then descriptor read (address dependency) and a buffer read then its
 *    used element write (no barrier) pass.
 * test_rules_virtio_nomb.c runs the same device side with its
 * notification-suppression barriers compiled out.
 */
#define ODMA_TESTING_IMPLEMENTATION
#define ODMA_TRACE
#include <odma/virtio.h> /* before the implementation: the virtio generators */
#include <stdio.h>
#include "fixture.h"
#include "rules_check.h"
#include "rules_virtio_run.h"

static struct vq_world w;
static char rules[8192];

static const struct dma_policy *policy_of(int i)
{
    switch (i) {
    case 0: return DMA_POLICY_STRICT;
    case 1: return DMA_POLICY_PCIE;
    case 2: return DMA_POLICY_PCIE_RELAXED;
    default: return DMA_POLICY_NONE;
    }
}

static void make_rules(bool packed, bool event_idx, bool indirect)
{
    struct dma_vq_config cfg = { VQ_NUM, packed, event_idx, indirect, VQ_DESC, VQ_DRIVER,
                                 VQ_DEVICE };
    if (packed)
        assert_true(dma_rules_virtio_packed(rules, sizeof rules, &cfg) > 0);
    else
        assert_true(dma_rules_virtio_split(rules, sizeof rules, &cfg) > 0);
}

static void test_faithful_every_combination(void **state)
{
    int combo, p, runs = 0;
    (void)state;
    for (combo = 0; combo < 8; combo++) {
        bool packed = combo & 1, event_idx = combo & 2, indirect = combo & 4;
        make_rules(packed, event_idx, indirect);
        for (p = 0; p < 4; p++) {
            const struct dma_policy *pol = policy_of(p);
            int r;
            vq_world_init(&w, pol, packed, event_idx, indirect);
            odma_mb();
            dma_trace_reset();
            vq_run(&w, 24);
            dma_trace_stop();
            assert_int_equal(dma_trace_dropped(), 0);
            assert_true(w.pops >= 24);     /* the run did something */
            assert_true(w.notifies > 0);
            r = dma_trace_check_rules(rules, rules_report, sizeof rules_report);
            if (r != 0)
                fail_msg("virtio %s%s%s under %s: %d violations\n%s",
                         packed ? "packed" : "split", event_idx ? " event_idx" : "",
                         indirect ? " indirect" : "", pol->name, r, rules_report);
            runs++;
        }
    }
    assert_int_equal(runs, 32);
}

/* One request (readable buffer 0x10000, writable 0x10800) through a split
 * ring of 8 at desc 0x1000, avail 0x2000, used 0x3000, as virtio.h traces
 * it: pop (acquire idx, ring entry, two descriptors), the device model,
 * push (used element, release used idx), should_notify (mb, used_event or
 * flags), the notify barrier, enable_notify (avail_event or flags, mb,
 * acquire idx). used_event is at 0x2014, avail_event at 0x3044. */
#define SPLIT_POP "R@0x2002+2 rmb R@0x2004+2 R@0x1000+16 R@0x1010+16 "
#define SPLIT_MODEL "R@0x10000+64 W@0x10800+100 "
#define SPLIT_PUSH "W@0x3004+8 wmb W@0x3002+2 "
#define SPLIT_EV_TAIL "mb R@0x2014+2 notify mb W@0x3044+2 mb R@0x2002+2 rmb"
#define SPLIT_FL_TAIL "mb R@0x2000+2 notify mb W@0x3000+2 mb R@0x2002+2 rmb"

static const struct broken_trace split_broken[] = {
    { "ring entry before the idx is ordered (PCIE lets reads pass reads)",
      "R@0x2002+2 R@0x2004+2 rmb R@0x1000+16 R@0x1010+16 " SPLIT_MODEL SPLIT_PUSH SPLIT_EV_TAIL,
      "order R avail.idx -> R avail.ring", 1, "(avail.idx)", "(avail.ring[0])" },
    { "a descriptor read before the barrier",
      "R@0x2002+2 R@0x1010+16 rmb R@0x2004+2 R@0x1000+16 " SPLIT_MODEL SPLIT_PUSH SPLIT_EV_TAIL,
      "order R avail.idx -> R desc", 1, "(avail.idx)", "(desc[1])" },
    { "a buffer read before the barrier",
      "R@0x2002+2 R@0x10000+64 rmb R@0x2004+2 R@0x1000+16 R@0x1010+16 W@0x10800+100 "
      SPLIT_PUSH SPLIT_EV_TAIL,
      "order R avail.idx -> R other", 1, "(avail.idx)", "(other)" },
    { "used idx without a release",
      SPLIT_POP SPLIT_MODEL "wmb W@0x3004+8 W@0x3002+2 " SPLIT_EV_TAIL,
      "order W used.ring -> W used.idx", 1, "(used.ring[0])", "(used.idx)" },
    { "buffer written after the release",
      SPLIT_POP "R@0x10000+64 W@0x3004+8 wmb W@0x10800+100 W@0x3002+2 " SPLIT_EV_TAIL,
      "order W other -> W used.idx", 1, "(other)", "(used.idx)" },
    { "buffer read after the release",
      SPLIT_POP "W@0x10800+100 W@0x3004+8 wmb R@0x10000+64 W@0x3002+2 " SPLIT_EV_TAIL,
      "order R other -> W used.idx", 1, "(other)", "(used.idx)" },
    { "a descriptor read after the release",
      "R@0x2002+2 rmb R@0x2004+2 R@0x1000+16 " SPLIT_MODEL "W@0x3004+8 wmb R@0x1010+16 "
      "W@0x3002+2 " SPLIT_EV_TAIL,
      "order R desc -> W used.idx", 1, "(desc[1])", "(used.idx)" },
    { "the ring entry read after the release",
      "R@0x2002+2 rmb R@0x1000+16 R@0x1010+16 " SPLIT_MODEL "W@0x3004+8 wmb R@0x2004+2 "
      "W@0x3002+2 " SPLIT_EV_TAIL,
      "order R avail.ring -> W used.idx", 1, "(avail.ring[0])", "(used.idx)" },
    { "used_event read without a full barrier",
      SPLIT_POP SPLIT_MODEL SPLIT_PUSH "wmb R@0x2014+2 notify mb W@0x3044+2 mb R@0x2002+2 rmb",
      "order W used.idx -> R used_event by mb", 1, "(used.idx)", "(used_event)" },
    { "avail idx re-read without a full barrier",
      SPLIT_POP SPLIT_MODEL SPLIT_PUSH "mb R@0x2014+2 notify mb W@0x3044+2 rmb R@0x2002+2 rmb",
      "order W avail_event -> R avail.idx by mb", 1, "(avail_event)", "(avail.idx)" },
    { "interrupt without a barrier after the used idx",
      SPLIT_POP SPLIT_MODEL SPLIT_PUSH "notify",
      "order W used.idx -> notify", 1, "(used.idx)", "(notify)" },
};

static const struct broken_trace split_flags_broken[] = {
    { "avail flags read without a full barrier",
      SPLIT_POP SPLIT_MODEL SPLIT_PUSH "wmb R@0x2000+2 notify mb",
      "order W used.idx -> R avail.flags by mb", 1, "(used.idx)", "(avail.flags)" },
};

/* Packed ring of 8 at 0x1000, driver event 0x2000, device event 0x3000:
 * pop (acquire head flags, the two descriptors), the model, push (id and
 * len, release flags), should_notify (mb, driver event), notify, enable
 * (device event, mb, acquire the next flags). */
#define PACKED_POP "R@0x100e+2 rmb R@0x1000+16 R@0x1010+16 "
#define PACKED_PUSH "W@0x1008+6 wmb W@0x100e+2 "
#define PACKED_TAIL "mb R@0x2000+4 notify mb W@0x3000+4 mb R@0x102e+2 rmb"

static const struct broken_trace packed_broken[] = {
    { "a descriptor read before the flags are ordered",
      "R@0x100e+2 R@0x1010+16 rmb R@0x1000+16 " SPLIT_MODEL PACKED_PUSH PACKED_TAIL,
      "order R desc.flags -> R desc", 1, "(desc.flags[0])", "(desc[1])" },
    { "a buffer read before the flags are ordered",
      "R@0x100e+2 R@0x10000+64 rmb R@0x1000+16 R@0x1010+16 W@0x10800+100 " PACKED_PUSH
      PACKED_TAIL,
      "order R desc.flags -> R other", 1, "(desc.flags[0])", "(other)" },
    { "used flags without a release",
      PACKED_POP SPLIT_MODEL "wmb W@0x1008+6 W@0x100e+2 " PACKED_TAIL,
      "order W desc -> W desc.flags same", 1, "(desc[0])", "(desc.flags[0])" },
    { "buffer written after the release",
      PACKED_POP "R@0x10000+64 W@0x1008+6 wmb W@0x10800+100 W@0x100e+2 " PACKED_TAIL,
      "order W other -> W desc.flags", 1, "(other)", "(desc.flags[0])" },
    { "buffer read after the release",
      PACKED_POP "W@0x10800+100 W@0x1008+6 wmb R@0x10000+64 W@0x100e+2 " PACKED_TAIL,
      "order R other -> W desc.flags", 1, "(other)", "(desc.flags[0])" },
    { "the chain's second descriptor read after the release",
      "R@0x100e+2 rmb R@0x1000+16 " SPLIT_MODEL "W@0x1008+6 wmb R@0x1010+16 W@0x100e+2 "
      PACKED_TAIL,
      "order R desc -> W desc.flags", 1, "(desc[1])", "(desc.flags[0])" },
    { "id and len written after the used flags",
      PACKED_POP SPLIT_MODEL "wmb W@0x100e+2 W@0x1008+6 " PACKED_TAIL,
      "last W desc.flags in desc", 1, "desc[0]", "desc.flags[0]" },
    { "driver event read without a full barrier",
      PACKED_POP SPLIT_MODEL PACKED_PUSH "wmb R@0x2000+4 notify mb",
      "order W desc.flags -> R driver.event by mb", 1, "(desc.flags[0])", "(driver.event)" },
    { "interrupt without a barrier after the used flags",
      PACKED_POP SPLIT_MODEL PACKED_PUSH "notify",
      "order W desc.flags -> notify", 1, "(desc.flags[0])", "(notify)" },
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void test_split_event_idx_broken(void **state)
{
    size_t i;
    (void)state;
    make_rules(false, true, false);
    expect_pass("split faithful", SPLIT_POP SPLIT_MODEL SPLIT_PUSH SPLIT_EV_TAIL, rules);
    for (i = 0; i < N_OF(split_broken); i++)
        expect_broken(rules, &split_broken[i]);
    expect_every_rule_broken(rules, split_broken, N_OF(split_broken));
}

static void test_split_flags_broken(void **state)
{
    struct broken_trace all[N_OF(split_broken) + N_OF(split_flags_broken)];
    size_t i, n = 0;
    (void)state;
    make_rules(false, false, true);
    expect_pass("split faithful (flags)", SPLIT_POP SPLIT_MODEL SPLIT_PUSH SPLIT_FL_TAIL, rules);
    /* The traces above without their event_idx parts, and the flags rule. */
    for (i = 0; i < N_OF(split_broken); i++)
        if (!strstr(split_broken[i].rule, "used_event") &&
            !strstr(split_broken[i].rule, "avail_event"))
            all[n++] = split_broken[i];
    for (i = 0; i < N_OF(split_flags_broken); i++)
        all[n++] = split_flags_broken[i];
    for (i = 0; i < n; i++) {
        /* 0x2014 and 0x3044 are plain memory here: buffers, as far as the
         * rules know; the traces read and write them only after the checked
         * pairs, so they change no verdict. */
        expect_broken(rules, &all[i]);
    }
    expect_every_rule_broken(rules, all, n);
}

static void test_packed_broken(void **state)
{
    size_t i;
    (void)state;
    make_rules(true, true, true);
    expect_pass("packed faithful", PACKED_POP SPLIT_MODEL PACKED_PUSH PACKED_TAIL, rules);
    for (i = 0; i < N_OF(packed_broken); i++)
        expect_broken(rules, &packed_broken[i]);
    expect_every_rule_broken(rules, packed_broken, N_OF(packed_broken));
}

/* The issue's false positives and missed bug, side by side with the
 * policy checker's verdicts on the same recorded trace. */
static void test_issue_shapes(void **state)
{
    int r;
    (void)state;
    make_rules(false, true, false);
    /* A real pop/push under PCIE, recorded: PCIE's policy check passes it
     * (reads pass reads), the rules too (virtio.h has its barriers). */
    vq_world_init(&w, DMA_POLICY_PCIE, false, true, false);
    vq_driver_add(&w, 0, false);
    odma_mb();
    dma_trace_reset();
    assert_int_equal(dma_vq_pop(&w.vq, &w.chain), 1);
    assert_int_equal(dma_read(&w.ctx, w.chain.seg[0].addr, rules_report, 16), DMA_OK);
    assert_int_equal(dma_vq_push(&w.vq, &w.chain, 0), DMA_OK);
    dma_trace_stop();
    /* R idx, rmb, R ring, R desc (dependency), R desc, R buffer, W used
     * element (no barrier after the buffer read), wmb, W used idx. */
    assert_dma_trace("R@0x2002+2 rmb R@0x2004+2 R@0x1000+16 R@0x1010+16 R@0x10000+16 "
                     "W@0x3004+8 wmb W@0x3002+2");
    assert_int_equal(dma_trace_check_rules(rules, rules_report, sizeof rules_report), 0);
    /* STRICT's policy check calls the dependency and the buffer-then-used-
     * element pairs violations; the rules do not. */
    assert_true(dma_trace_check(DMA_POLICY_STRICT, NULL, 0) >= 3);
    /* The bug shape: idx then ring entry without a barrier. PCIE's policy
     * check passes it; the rules do not. */
    r = dma_trace_check_text("R@0x2002+2 R@0x2004+2 R@0x1000+16 R@0x1010+16", rules,
                             rules_report, sizeof rules_report);
    assert_int_equal(r, 3); /* the ring entry and both descriptors */
    assert_non_null(strstr(rules_report, "R@0x2002+2 (avail.idx) then R@0x2004+2 "
                                         "(avail.ring[0]) (events 0 and 1) are not ordered: "
                                         "needs rmb between them"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faithful_every_combination),
        cmocka_unit_test(test_split_event_idx_broken),
        cmocka_unit_test(test_split_flags_broken),
        cmocka_unit_test(test_packed_broken),
        cmocka_unit_test(test_issue_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
