/* SPDX-License-Identifier: MIT */
/*
 * The e1000-style receive ring of examples/e1000_rx.h: what it does, and
 * whether its DMA ordering is right, judged by dma_trace_check().
 *
 * Guest layout: 8 descriptors at 0x10000, a 2 KiB buffer each from
 * 0x100000. The buggy model sets DD with a relaxed store before the
 * length; the checker must name the (DD, length) pair under STRICT and
 * PCIE, and pass the fixed model, which publishes the write-back.
 */
#define ODMA_TESTING_IMPLEMENTATION
#include <stdio.h>
#include "fixture.h"
#include "../examples/e1000_rx.h"

#define RING_AT 0x10000ull
#define BUFS 0x100000ull
#define COUNT 8
#define BSIZE 2048
#define GUEST_SIZE 0x110000ull

struct world {
    _Alignas(4096) unsigned char ram[GUEST_SIZE];
    struct e1000_rx nic;
    int irqs;
};

static struct world w;
static char report[8192];

static void count_irq(void *opaque)
{
    ((struct world *)opaque)->irqs++;
}

static void setup(const struct dma_policy *policy, int buggy)
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
    w.nic.raise_irq = count_irq;
    w.nic.irq_opaque = &w;
    w.irqs = 0;
    assert_int_equal(dma_ctx_add_region(&w.nic.dma, 0, GUEST_SIZE, w.ram, 0), DMA_OK);
}

static const unsigned char *desc(uint32_t i)
{
    return w.ram + RING_AT + (uint64_t)i * E1000_DESC_SIZE;
}

static void assert_report_has(const char *needle)
{
    if (!strstr(report, needle))
        fail_msg("report lacks \"%s\":\n%s", needle, report);
}

static void test_receive(void **state)
{
    unsigned char pkt[BSIZE + 1];
    int buggy;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof pkt; i++)
        pkt[i] = (unsigned char)(i * 3 + 1);
    for (buggy = 0; buggy < 2; buggy++) {
        setup(DMA_POLICY_STRICT, buggy);
        /* RDT = 3: descriptors 0, 1, 2 belong to the NIC. */
        assert_int_equal(e1000_receive(&w.nic, 3, pkt, 60), 1);
        assert_int_equal(e1000_receive(&w.nic, 3, pkt + 1, 1514), 1);
        assert_int_equal(e1000_receive(&w.nic, 3, pkt, BSIZE), 1);
        assert_int_equal(e1000_receive(&w.nic, 3, pkt, 64), 0); /* ring full */
        assert_int_equal(w.nic.rdh, 3);
        assert_int_equal(w.irqs, 3);
        assert_int_equal(w.nic.icr, E1000_ICR_RXT0);
        assert_int_equal(desc(0)[8] | desc(0)[9] << 8, 60);
        assert_int_equal(desc(1)[8] | desc(1)[9] << 8, 1514);
        assert_int_equal(desc(2)[8] | desc(2)[9] << 8, BSIZE);
        for (i = 0; i < 3; i++) {
            assert_int_equal(desc((uint32_t)i)[12], E1000_RXD_STAT_DD | E1000_RXD_STAT_EOP);
            assert_int_equal(desc((uint32_t)i)[13], 0);
        }
        assert_memory_equal(w.ram + BUFS, pkt, 60);
        assert_memory_equal(w.ram + BUFS + BSIZE, pkt + 1, 1514);
        assert_memory_equal(w.ram + BUFS + 2 * BSIZE, pkt, BSIZE);
        /* The buffer address is left alone. */
        assert_int_equal(desc(1)[0] | desc(1)[1] << 8 | desc(1)[2] << 16,
                         (BUFS + BSIZE) & 0xffffff);
        /* Too long for the buffer, and a bad RDT: refused, nothing written. */
        assert_int_equal(e1000_receive(&w.nic, 5, pkt, BSIZE + 1), -1);
        assert_int_equal(e1000_receive(&w.nic, COUNT, pkt, 60), -1);
        assert_int_equal(desc(3)[12], 0);
        /* Wrap around the ring. */
        assert_int_equal(e1000_receive(&w.nic, 1, pkt, 100), 1);
        assert_int_equal(e1000_receive(&w.nic, 1, pkt, 100), 1);
        assert_int_equal(e1000_receive(&w.nic, 1, pkt, 100), 1);
        assert_int_equal(e1000_receive(&w.nic, 1, pkt, 100), 1);
        assert_int_equal(e1000_receive(&w.nic, 1, pkt, 100), 1);
        assert_int_equal(e1000_receive(&w.nic, 1, pkt, 100), 1);
        assert_int_equal(w.nic.rdh, 1);
        assert_int_equal(e1000_receive(&w.nic, 1, pkt, 100), 0);
        assert_int_equal(w.irqs, 9);
    }
}

/* One 60-byte packet, odma_mb() first so nothing earlier is pending. */
static void one_packet(const struct dma_policy *policy, int buggy)
{
    unsigned char pkt[60];
    memset(pkt, 0x42, sizeof pkt);
    setup(policy, buggy);
    odma_mb();
    dma_trace_reset();
    assert_int_equal(e1000_receive(&w.nic, 4, pkt, sizeof pkt), 1);
    dma_trace_stop();
}

static void test_buggy_is_reported(void **state)
{
    (void)state;
    one_packet(DMA_POLICY_STRICT, 1);
    assert_dma_trace("R@0x10000+16 rmb W@0x100000+60 W@0x1000c+1 W@0x10008+2 notify mb");
    /* packet -> DD, packet -> length, DD -> length: no wmb anywhere. */
    assert_int_equal(dma_trace_check(DMA_POLICY_STRICT, report, sizeof report), 3);
    assert_report_has("3 of 6 pairs not ordered as policy \"strict\" requires");
    assert_report_has("1. W@0x100000+60 then W@0x1000c+1 (events 2 and 3): \"strict\" wants wmb");
    assert_report_has("3. W@0x1000c+1 then W@0x10008+2 (events 3 and 4): \"strict\" wants wmb "
                      "between a write and a later write; there is no barrier between them");
    assert_report_has("trace: ... rmb W@0x100000+60 [W@0x1000c+1] [W@0x10008+2] notify mb\n");

    one_packet(DMA_POLICY_PCIE, 1);
    assert_dma_trace("R@0x10000+16 W@0x100000+60 W@0x1000c+1 W@0x10008+2 notify mb");
    assert_int_equal(dma_trace_check(DMA_POLICY_PCIE, report, sizeof report), 3);
    assert_report_has("3. W@0x1000c+1 then W@0x10008+2 (events 2 and 3): \"pcie\" wants wmb");
}

static void test_fixed_passes(void **state)
{
    (void)state;
    /* Length etc. in two pieces around the status byte, wmb, then status. */
    one_packet(DMA_POLICY_STRICT, 0);
    assert_dma_trace("R@0x10000+16 rmb W@0x100000+60 wmb W@0x10008+4 W@0x1000d+3 wmb "
                     "W@0x1000c+1 notify mb");
    assert_dma_ordered(DMA_POLICY_STRICT);
    assert_int_equal(dma_trace_check(DMA_POLICY_STRICT, report, sizeof report), 0);

    one_packet(DMA_POLICY_PCIE, 0);
    assert_dma_trace("R@0x10000+16 W@0x100000+60 wmb W@0x10008+4 W@0x1000d+3 wmb "
                     "W@0x1000c+1 notify mb");
    assert_dma_ordered(DMA_POLICY_PCIE);
}

/* A run of packets around the ring: 3 unordered pairs per buggy packet
 * (the notify mb orders each packet before the next), none when fixed. */
static void test_many_packets(void **state)
{
    unsigned char pkt[1514];
    int p, buggy, k;
    (void)state;
    memset(pkt, 0x5c, sizeof pkt);
    for (p = 0; p < 3; p++) {
        const struct dma_policy *pol = p == 0 ? DMA_POLICY_STRICT
                                     : p == 1 ? DMA_POLICY_PCIE : DMA_POLICY_PCIE_RELAXED;
        for (buggy = 0; buggy < 2; buggy++) {
            setup(pol, buggy);
            dma_trace_reset();
            for (k = 0; k < 12; k++) {
                assert_int_equal(e1000_receive(&w.nic, (w.nic.rdh + 3) % COUNT, pkt,
                                               60 + (size_t)k * 100), 1);
            }
            dma_trace_stop();
            /* Relaxed Ordering lets writes pass writes: nothing to report. */
            assert_int_equal(dma_trace_check(pol, report, sizeof report),
                             buggy && p < 2 ? 36 : 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_receive),
        cmocka_unit_test(test_buggy_is_reported),
        cmocka_unit_test(test_fixed_passes),
        cmocka_unit_test(test_many_packets),
    };
    return cmocka_run_group_tests_name("e1000_rx", tests, NULL, NULL);
}
