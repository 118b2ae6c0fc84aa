/* SPDX-License-Identifier: MIT */
/*
 * Protocol rules for the NVMe queue pair (dma_rules_nvme), the Xen ioreq
 * page (dma_rules_xen_ioreq) and an e1000 RX ring (rules written by hand):
 *
 *  - faithful traces: examples/nvme_cq.h and examples/e1000_rx.h run here
 *    under every policy with the trace recorded, and the recorded trace
 *    must keep every rule (DMA_POLICY_NONE, which issues no barrier before
 *    the interrupt, must break exactly the notify rule, once per
 *    interrupt); the threaded examples/xen_ioreq.c is in test_rules_xen.c;
 *  - broken traces: for every order and last rule of each rule set, a
 *    trace (the faithful one with one access or barrier moved) that breaks
 *    exactly that rule, reported with both roles;
 *  - the examples' own buggy variants are caught, naming the right rules.
 */
#define ODMA_TESTING_IMPLEMENTATION
#include <stdio.h>
#include "fixture.h"
#include "rules_check.h"
#include "../examples/nvme_cq.h"
#include "../examples/e1000_rx.h"

#define SQ 0x10000ull
#define CQ 0x20000ull
#define DATA 0x40000ull
#define RING_AT 0x60000ull
#define BUFS 0x100000ull
#define GUEST_SIZE 0x120000ull
#define QSIZE 4
#define NBLOCKS 16
#define COUNT 8
#define BSIZE 2048

static struct {
    _Alignas(4096) unsigned char ram[GUEST_SIZE];
    unsigned char ns[NBLOCKS * NVME_BLOCK];
    struct nvme_queue q;
    struct e1000_rx nic;
} w;

static const struct dma_policy *policy_of(int i)
{
    switch (i) {
    case 0: return DMA_POLICY_STRICT;
    case 1: return DMA_POLICY_PCIE;
    case 2: return DMA_POLICY_PCIE_RELAXED;
    default: return DMA_POLICY_NONE;
    }
}

static void expect_report_has(const char *needle)
{
    if (!strstr(rules_report, needle))
        fail_msg("report lacks \"%s\":\n%s", needle, rules_report);
}

/* ---- NVMe ---- */

static char nvme_rules[4096];

static void nvme_make_rules(void)
{
    struct dma_nvme_config cfg = { SQ, CQ, QSIZE, QSIZE };
    assert_true(dma_rules_nvme(nvme_rules, sizeof nvme_rules, &cfg) > 0);
}

static void nvme_setup(const struct dma_policy *policy, int buggy)
{
    size_t i;
    memset(w.ram, 0, sizeof w.ram);
    for (i = 0; i < sizeof w.ns; i++)
        w.ns[i] = (unsigned char)(i * 5 + 1);
    nvme_queue_init(&w.q, policy, SQ, CQ, QSIZE, w.ns, NBLOCKS);
    w.q.buggy = buggy;
    assert_int_equal(dma_ctx_add_region(&w.q.dma, 0, GUEST_SIZE, w.ram, 0), DMA_OK);
}

static void nvme_submit(uint16_t slot, uint8_t opc, uint16_t cid)
{
    unsigned char *cmd = w.ram + SQ + (uint64_t)slot * NVME_SQE_SIZE;
    memset(cmd, 0, NVME_SQE_SIZE);
    cmd[0] = opc;
    nvme_put_le(cmd + 2, cid, 2);
    nvme_put_le(cmd + 24, DATA + (uint64_t)slot * NVME_PAGE, 8);
    nvme_put_le(cmd + 40, slot, 8);
    nvme_put_le(cmd + 48, 0, 2); /* one block */
}

/* Batches of READ, WRITE, FLUSH and bad commands around the ring twice;
 * returns the number of interrupts (batches). */
static int nvme_run(void)
{
    static const uint8_t opc[] = { NVME_CMD_READ, NVME_CMD_WRITE, NVME_CMD_FLUSH, 0x7f };
    uint16_t tail = 0;
    int batch, k, irqs = 0;
    for (batch = 0; batch < 5; batch++) {
        int n = batch % 3 + 1; /* 1, 2, 3 commands: at most QSIZE - 1 */
        for (k = 0; k < n; k++) {
            nvme_submit(tail, opc[(batch + k) % 4], (uint16_t)(100 * batch + k));
            tail = (uint16_t)((tail + 1) % QSIZE);
        }
        assert_int_equal(nvme_process(&w.q, tail), n);
        irqs++;
    }
    return irqs;
}

static void test_nvme_faithful(void **state)
{
    int i;
    (void)state;
    nvme_make_rules();
    for (i = 0; i < 4; i++) {
        const struct dma_policy *pol = policy_of(i);
        int irqs, r;
        nvme_setup(pol, 0);
        odma_mb();
        dma_trace_reset();
        irqs = nvme_run();
        dma_trace_stop();
        r = dma_trace_check_rules(nvme_rules, rules_report, sizeof rules_report);
        if (pol != DMA_POLICY_NONE) {
            if (r != 0)
                fail_msg("nvme_cq under %s: %d violations\n%s", pol->name, r, rules_report);
            continue;
        }
        /* NONE: nothing orders the last completion of a batch before its
         * interrupt (the next batch's publish orders the earlier ones). */
        assert_int_equal(r, irqs);
        assert_int_equal(report_only_rule("order W cq.status -> notify"), 4);
    }
}

static void test_nvme_buggy_example(void **state)
{
    (void)state;
    nvme_make_rules();
    nvme_setup(DMA_POLICY_STRICT, 1);
    nvme_submit(0, NVME_CMD_READ, 7);
    odma_mb();
    dma_trace_reset();
    assert_int_equal(nvme_process(&w.q, 1), 1);
    dma_trace_stop();
    /* R@SQ rmb W@data W@CQE+16 notify mb: the data is not ordered before
     * the completion, and the phase tag is not written last on its own. */
    assert_int_equal(dma_trace_check_rules(nvme_rules, rules_report, sizeof rules_report), 2);
    expect_report_has("order W other -> W cq.status");
    expect_report_has("W@0x40000+512 (other) then W@0x20000+16 (cq.status[0])");
    expect_report_has("last W cq.status in cq until notify");
    expect_report_has("cq[0]: the last write before the handover (notify, event 4) is "
                      "W@0x20000+16");
}

/* Faithful: a READ (data written) into CQ slot 0, under STRICT. */
#define NVME_OK "R@0x10000+64 rmb W@0x40000+512 wmb W@0x20000+14 wmb W@0x2000e+2 notify mb"

static const struct broken_trace nvme_broken[] = {
    { "next command read between body and phase tag",
      "R@0x10000+64 rmb W@0x40000+512 wmb W@0x20000+14 wmb R@0x10040+64 W@0x2000e+2 notify mb",
      "order R sq -> W cq.status", 1, "(sq[1])", "(cq.status[0])" },
    { "data written after the barrier",
      "R@0x10000+64 rmb W@0x20000+14 wmb W@0x40000+512 W@0x2000e+2 notify mb",
      "order W other -> W cq.status", 1, "(other)", "(cq.status[0])" },
    { "data read after the barrier",
      "R@0x10000+64 rmb W@0x20000+14 wmb R@0x40000+512 W@0x2000e+2 notify mb",
      "order R other -> W cq.status", 1, "(other)", "(cq.status[0])" },
    { "no barrier between body and phase tag",
      "R@0x10000+64 rmb W@0x40000+512 wmb W@0x20000+14 W@0x2000e+2 notify mb",
      "order W cq -> W cq.status same", 1, "(cq[0])", "(cq.status[0])" },
    { "phase tag first, body after it",
      "R@0x10000+64 rmb W@0x40000+512 wmb W@0x2000e+2 wmb W@0x20000+14 notify mb",
      "last W cq.status in cq", 1, "cq[0]", "cq.status[0]" },
    { "interrupt without a barrier",
      "R@0x10000+64 rmb W@0x40000+512 wmb W@0x20000+14 wmb W@0x2000e+2 notify",
      "order W cq.status -> notify", 1, "(cq.status[0])", "(notify)" },
};

static void test_nvme_broken(void **state)
{
    size_t i;
    (void)state;
    nvme_make_rules();
    expect_pass("nvme faithful", NVME_OK, nvme_rules);
    for (i = 0; i < sizeof nvme_broken / sizeof nvme_broken[0]; i++)
        expect_broken(nvme_rules, &nvme_broken[i]);
    expect_every_rule_broken(nvme_rules, nvme_broken, sizeof nvme_broken / sizeof nvme_broken[0]);
    /* The phase tag's byte, then the rest of the status field (the issue's
     * bug shape): the status word is never written whole and last, and
     * its two bytes are not ordered. */
    assert_int_equal(dma_trace_check_text("R@0x10000+64 rmb W@0x40000+512 wmb W@0x20000+14 wmb "
                                          "W@0x2000e+1 W@0x2000f+1 notify mb", nvme_rules,
                                          rules_report, sizeof rules_report), 2);
    expect_report_has("the flag is never written on its own in this window");
    expect_report_has("W@0x2000e+1 (cq[0]) then W@0x2000f+1 (cq.status[0])");
}

/* ---- e1000 RX: rules written by hand ---- */

static const char e1000_rules[] =
    "# e1000 legacy RX ring, device side: 8 descriptors at 0x60000\n"
    "role desc        at 0x60000 size 16 count 8 stride 16\n"
    "role desc.status at 0x6000c size 1 count 8 stride 16\n"
    "order R desc -> W desc.status same    # descriptor read before it is written back\n"
    "order W other -> W desc.status        # packet before DD\n"
    "order W desc -> W desc.status same    # length, checksum, errors before DD\n"
    "last W desc.status in desc until R desc, notify # DD last, whole\n"
    "order W desc.status -> notify         # DD before the interrupt\n";

static void e1000_setup(const struct dma_policy *policy, int buggy)
{
    uint32_t i;
    int k;
    memset(w.ram, 0, sizeof w.ram);
    for (i = 0; i < COUNT; i++)
        for (k = 0; k < 8; k++)
            w.ram[RING_AT + i * E1000_DESC_SIZE + (unsigned)k] =
                (unsigned char)((BUFS + (uint64_t)i * BSIZE) >> (8 * k));
    e1000_rx_init(&w.nic, policy, RING_AT, COUNT, BSIZE);
    w.nic.buggy = buggy;
    assert_int_equal(dma_ctx_add_region(&w.nic.dma, 0, GUEST_SIZE, w.ram, 0), DMA_OK);
}

static void test_e1000_faithful(void **state)
{
    unsigned char pkt[1514];
    int i, k;
    (void)state;
    memset(pkt, 0x5a, sizeof pkt);
    for (i = 0; i < 4; i++) {
        const struct dma_policy *pol = policy_of(i);
        int r, delivered = 0;
        e1000_setup(pol, 0);
        odma_mb();
        dma_trace_reset();
        /* Twice around the ring, the tail chasing the head. */
        for (k = 0; k < 2 * COUNT; k++) {
            uint32_t rdt = (w.nic.rdh + 3) % COUNT;
            assert_int_equal(e1000_receive(&w.nic, rdt, pkt, (size_t)(60 + 90 * k)), 1);
            delivered++;
        }
        dma_trace_stop();
        r = dma_trace_check_rules(e1000_rules, rules_report, sizeof rules_report);
        if (pol != DMA_POLICY_NONE) {
            if (r != 0)
                fail_msg("e1000_rx under %s: %d violations\n%s", pol->name, r, rules_report);
            continue;
        }
        assert_int_equal(r, delivered); /* each DD before its interrupt */
        assert_int_equal(report_only_rule("order W desc.status -> notify"), 4);
    }
}

static void test_e1000_buggy_example(void **state)
{
    unsigned char pkt[60];
    (void)state;
    memset(pkt, 1, sizeof pkt);
    e1000_setup(DMA_POLICY_PCIE, 1);
    odma_mb();
    dma_trace_reset();
    assert_int_equal(e1000_receive(&w.nic, 4, pkt, sizeof pkt), 1);
    dma_trace_stop();
    /* R@desc W@pkt W@DD W@length notify mb: under PCIE nothing orders the
     * descriptor read or the packet before DD, and the length comes after DD. */
    assert_int_equal(dma_trace_check_rules(e1000_rules, rules_report, sizeof rules_report), 3);
    expect_report_has("R@0x60000+16 (desc[0]) then W@0x6000c+1 (desc.status[0])");
    expect_report_has("W@0x100000+60 (other) then W@0x6000c+1 (desc.status[0])");
    expect_report_has("desc[0]: the last write before the handover (notify, event 4) is "
                      "W@0x60008+2 (event 3), not a write of the whole desc.status[0] alone; "
                      "the flag was written at event 2, before it");
}

#define E1000_OK "R@0x60000+16 rmb W@0x100000+60 wmb W@0x60008+4 W@0x6000d+3 wmb " \
                 "W@0x6000c+1 notify mb"

static const struct broken_trace e1000_broken[] = {
    { "DD written with no barrier after the descriptor read",
      "R@0x60000+16 W@0x6000c+1 rmb",
      "order R desc -> W desc.status same", 1, "(desc[0])", "(desc.status[0])" },
    { "packet after the barrier",
      "R@0x60000+16 rmb W@0x60008+4 W@0x6000d+3 wmb W@0x100000+60 W@0x6000c+1 notify mb",
      "order W other -> W desc.status", 1, "(other)", "(desc.status[0])" },
    { "write-back body after the barrier",
      "R@0x60000+16 rmb W@0x100000+60 wmb W@0x60008+4 wmb W@0x6000d+3 W@0x6000c+1 notify mb",
      "order W desc -> W desc.status same", 1, "(desc[0])", "(desc.status[0])" },
    { "length after DD",
      "R@0x60000+16 rmb W@0x100000+60 wmb W@0x6000d+3 wmb W@0x6000c+1 W@0x60008+4 notify mb",
      "last W desc.status in desc", 1, "desc[0]", "desc.status[0]" },
    { "interrupt without a barrier",
      "R@0x60000+16 rmb W@0x100000+60 wmb W@0x60008+4 W@0x6000d+3 wmb W@0x6000c+1 notify",
      "order W desc.status -> notify", 1, "(desc.status[0])", "(notify)" },
};

static void test_e1000_broken(void **state)
{
    size_t i;
    (void)state;
    expect_pass("e1000 faithful", E1000_OK, e1000_rules);
    for (i = 0; i < sizeof e1000_broken / sizeof e1000_broken[0]; i++)
        expect_broken(e1000_rules, &e1000_broken[i]);
    expect_every_rule_broken(e1000_rules, e1000_broken,
                             sizeof e1000_broken / sizeof e1000_broken[0]);
}

/* ---- Xen ioreq: hand-made traces of one request in vCPU 1's slot ---- */

static char xen_rules[4096];

/* The device model of examples/xen_ioreq.c under STRICT, one read request:
 * poll (acquire), INPROCESS, the body, the result, IORESP_READY (release),
 * the notify barrier. Slot 1: state at 0xfeff003e, data at 0xfeff0028. */
#define XEN_OK "R@0xfeff003e+1 rmb rmb W@0xfeff003e+1 mb R@0xfeff0020+30 rmb " \
               "W@0xfeff0028+8 wmb W@0xfeff003e+1 notify mb"

static const struct broken_trace xen_broken[] = {
    { "poll without acquire (a wmb orders only the writes)",
      "R@0xfeff003e+1 wmb W@0xfeff003e+1 R@0xfeff0020+30 W@0xfeff0028+8 wmb W@0xfeff003e+1 "
      "notify mb",
      "order R ioreq.state -> R ioreq same", 1, "(ioreq.state[1])", "(ioreq[1])" },
    { "a request field read after the release barrier",
      "R@0xfeff003e+1 rmb W@0xfeff003e+1 mb R@0xfeff0020+16 rmb W@0xfeff0028+8 wmb "
      "R@0xfeff0030+4 W@0xfeff003e+1 notify mb",
      "order R ioreq -> W ioreq.state same", 1, "(ioreq[1])", "(ioreq.state[1])" },
    { "IORESP_READY with an rmb instead of a release",
      "R@0xfeff003e+1 rmb W@0xfeff003e+1 mb R@0xfeff0020+30 rmb W@0xfeff0028+8 rmb "
      "W@0xfeff003e+1 notify mb",
      "order W ioreq.data -> W ioreq.state same", 1, "(ioreq.data[1])", "(ioreq.state[1])" },
    { "IORESP_READY before the result (xen_ioreq -f)",
      "R@0xfeff003e+1 rmb W@0xfeff003e+1 mb R@0xfeff0020+30 wmb W@0xfeff003e+1 "
      "R@0xfeff003e+1 W@0xfeff0028+8 notify mb",
      "last W ioreq.state in ioreq", 1, "ioreq[1]", "ioreq.state[1]" },
    { "event channel kick without a barrier",
      "R@0xfeff003e+1 rmb W@0xfeff003e+1 mb R@0xfeff0020+30 rmb W@0xfeff0028+8 wmb "
      "W@0xfeff003e+1 notify",
      "order W ioreq.state -> notify", 1, "(ioreq.state[1])", "(notify)" },
};

static void test_xen_broken(void **state)
{
    struct dma_xen_ioreq_config cfg = { 0xfeff0000ull, 4 };
    size_t i;
    (void)state;
    assert_true(dma_rules_xen_ioreq(xen_rules, sizeof xen_rules, &cfg) > 0);
    expect_pass("xen faithful", XEN_OK, xen_rules);
    /* Polling the other slots in between changes nothing. */
    expect_pass("xen with polls", "R@0xfeff001e+1 rmb R@0xfeff005e+1 rmb " XEN_OK
                " R@0xfeff007e+1 rmb R@0xfeff001e+1 rmb", xen_rules);
    for (i = 0; i < sizeof xen_broken / sizeof xen_broken[0]; i++)
        expect_broken(xen_rules, &xen_broken[i]);
    expect_every_rule_broken(xen_rules, xen_broken, sizeof xen_broken / sizeof xen_broken[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nvme_faithful),
        cmocka_unit_test(test_nvme_buggy_example),
        cmocka_unit_test(test_nvme_broken),
        cmocka_unit_test(test_e1000_faithful),
        cmocka_unit_test(test_e1000_buggy_example),
        cmocka_unit_test(test_e1000_broken),
        cmocka_unit_test(test_xen_broken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
