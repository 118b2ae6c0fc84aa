/* SPDX-License-Identifier: MIT */
/*
 * The NVMe-style queue pair of examples/nvme_cq.h: what it does, and
 * whether its DMA ordering is right, judged by dma_trace_check().
 *
 * Guest layout: SQ at 0x10000, CQ at 0x20000, one data page per SQ slot
 * from 0x40000. The buggy model posts its completion with one relaxed
 * 16-byte write; the checker must name the (data, completion) pair under
 * STRICT and PCIE, and pass the fixed model, which publishes it.
 */
#define ODMA_TESTING_IMPLEMENTATION
#include <stdio.h>
#include "fixture.h"
#include "../examples/nvme_cq.h"

#define SQ 0x10000ull
#define CQ 0x20000ull
#define DATA 0x40000ull
#define GUEST_SIZE 0x80000ull
#define NBLOCKS 16

struct world {
    _Alignas(4096) unsigned char ram[GUEST_SIZE];
    unsigned char ns[NBLOCKS * NVME_BLOCK];
    struct nvme_queue q;
    int irqs;
};

static struct world w;
static char report[8192];

static void count_irq(void *opaque)
{
    ((struct world *)opaque)->irqs++;
}

static void setup(const struct dma_policy *policy, int buggy, uint16_t qsize)
{
    size_t i;
    memset(w.ram, 0, sizeof w.ram);
    for (i = 0; i < sizeof w.ns; i++)
        w.ns[i] = (unsigned char)(i * 5 + 1);
    nvme_queue_init(&w.q, policy, SQ, CQ, qsize, w.ns, NBLOCKS);
    w.q.buggy = buggy;
    w.q.raise_irq = count_irq;
    w.q.irq_opaque = &w;
    w.irqs = 0;
    assert_int_equal(dma_ctx_add_region(&w.q.dma, 0, GUEST_SIZE, w.ram, 0), DMA_OK);
}

/* The guest writes a command into SQ slot `slot`. */
static void submit(uint16_t slot, uint8_t opc, uint16_t cid, uint64_t lba, unsigned nlb)
{
    unsigned char *cmd = w.ram + SQ + (uint64_t)slot * NVME_SQE_SIZE;
    memset(cmd, 0, NVME_SQE_SIZE);
    cmd[0] = opc;
    nvme_put_le(cmd + 2, cid, 2);
    nvme_put_le(cmd + 24, DATA + (uint64_t)slot * NVME_PAGE, 8);
    nvme_put_le(cmd + 40, lba, 8);
    nvme_put_le(cmd + 48, nlb - 1, 2);
}

static void assert_cqe(uint16_t slot, uint16_t cid, unsigned sc, unsigned phase,
                       uint16_t sq_head)
{
    const unsigned char *cqe = w.ram + CQ + (uint64_t)slot * NVME_CQE_SIZE;
    assert_int_equal(nvme_get_le(cqe + 12, 2), cid);
    assert_int_equal(nvme_get_le(cqe + 14, 2), sc << 1 | phase);
    assert_int_equal(nvme_get_le(cqe + 8, 2), sq_head);
    assert_int_equal(nvme_get_le(cqe + 10, 2), 1);
}

static void assert_report_has(const char *needle)
{
    if (!strstr(report, needle))
        fail_msg("report lacks \"%s\":\n%s", needle, report);
}

/* What the model does, for both variants. */
static void test_commands(void **state)
{
    int buggy;
    (void)state;
    for (buggy = 0; buggy < 2; buggy++) {
        setup(DMA_POLICY_STRICT, buggy, 4);
        /* WRITE 2 blocks at LBA 3 from page 0, READ them back into page 1. */
        memset(w.ram + DATA, 0xab, NVME_BLOCK);
        memset(w.ram + DATA + NVME_BLOCK, 0xcd, NVME_BLOCK);
        submit(0, NVME_CMD_WRITE, 100, 3, 2);
        submit(1, NVME_CMD_READ, 101, 3, 2);
        submit(2, NVME_CMD_FLUSH, 102, 0, 1);
        assert_int_equal(nvme_process(&w.q, 3), 3);
        assert_int_equal(w.irqs, 1);
        assert_memory_equal(w.ns + 3 * NVME_BLOCK, w.ram + DATA, 2 * NVME_BLOCK);
        assert_memory_equal(w.ram + DATA + NVME_PAGE, w.ram + DATA, 2 * NVME_BLOCK);
        assert_cqe(0, 100, NVME_SC_SUCCESS, 1, 1);
        assert_cqe(1, 101, NVME_SC_SUCCESS, 1, 2);
        assert_cqe(2, 102, NVME_SC_SUCCESS, 1, 3);
        /* Errors, and the wrap: the second pass posts phase 0. */
        submit(3, 0x7f, 103, 0, 1);
        submit(0, NVME_CMD_READ, 104, NBLOCKS - 1, 2);   /* past the end */
        submit(1, NVME_CMD_READ, 105, 0, 9);             /* > one page */
        assert_int_equal(nvme_process(&w.q, 2), 3);
        assert_int_equal(w.irqs, 2);
        assert_cqe(3, 103, NVME_SC_INVALID_OPCODE, 1, 0);
        assert_cqe(0, 104, NVME_SC_LBA_RANGE, 0, 1);
        assert_cqe(1, 105, NVME_SC_INVALID_FIELD, 0, 2);
        /* Nothing new: no completion, no interrupt. */
        assert_int_equal(nvme_process(&w.q, 2), 0);
        assert_int_equal(w.irqs, 2);
        assert_int_equal(nvme_process(&w.q, 4), -1); /* tail out of range */
    }
}

/*
 * One READ: the command, the data to the guest, the completion, the
 * notify barrier. odma_mb() first, so nothing earlier is pending.
 */
static void one_read(const struct dma_policy *policy, int buggy)
{
    setup(policy, buggy, 8);
    submit(0, NVME_CMD_READ, 7, 2, 1);
    odma_mb();
    dma_trace_reset();
    assert_int_equal(nvme_process(&w.q, 1), 1);
    dma_trace_stop();
}

static void test_buggy_is_reported(void **state)
{
    (void)state;
    one_read(DMA_POLICY_STRICT, 1);
    assert_dma_trace("R@0x10000+64 rmb W@0x40000+512 W@0x20000+16 notify mb");
    assert_int_equal(dma_trace_check(DMA_POLICY_STRICT, report, sizeof report), 1);
    assert_report_has("1 of 3 pairs not ordered as policy \"strict\" requires");
    assert_report_has("1. W@0x40000+512 then W@0x20000+16 (events 2 and 3): \"strict\" wants "
                      "wmb between a write and a later write; there is no barrier between them");
    print_message("  buggy model, STRICT:\n%s", report);

    one_read(DMA_POLICY_PCIE, 1);
    assert_dma_trace("R@0x10000+64 W@0x40000+512 W@0x20000+16 notify mb");
    assert_int_equal(dma_trace_check(DMA_POLICY_PCIE, report, sizeof report), 1);
    assert_report_has("1. W@0x40000+512 then W@0x20000+16 (events 1 and 2): \"pcie\" wants "
                      "wmb between a write and a later write");
}

static void test_fixed_passes(void **state)
{
    (void)state;
    one_read(DMA_POLICY_STRICT, 0);
    assert_dma_trace("R@0x10000+64 rmb W@0x40000+512 wmb W@0x20000+14 wmb W@0x2000e+2 notify mb");
    assert_dma_ordered(DMA_POLICY_STRICT);
    assert_int_equal(dma_trace_check(DMA_POLICY_STRICT, report, sizeof report), 0);

    one_read(DMA_POLICY_PCIE, 0);
    assert_dma_trace("R@0x10000+64 W@0x40000+512 wmb W@0x20000+14 wmb W@0x2000e+2 notify mb");
    assert_dma_ordered(DMA_POLICY_PCIE);
    assert_int_equal(dma_trace_check(DMA_POLICY_PCIE, report, sizeof report), 0);
}

/*
 * A batch READ, WRITE, READ. Counted by hand: under STRICT the buggy
 * model leaves (data, CQE) unordered for both READs and (guest data read,
 * CQE) for the WRITE; under PCIE a write may pass a read, so only the two
 * READs' pairs count. The fixed model passes both.
 */
static void batch(const struct dma_policy *policy, int buggy)
{
    setup(policy, buggy, 8);
    submit(0, NVME_CMD_READ, 1, 0, 1);
    submit(1, NVME_CMD_WRITE, 2, 4, 1);
    submit(2, NVME_CMD_READ, 3, 4, 1);
    dma_trace_reset();
    assert_int_equal(nvme_process(&w.q, 3), 3);
    dma_trace_stop();
    assert_memory_equal(w.ram + DATA + 2 * NVME_PAGE, w.ram + DATA + NVME_PAGE, NVME_BLOCK);
}

static void test_batch(void **state)
{
    (void)state;
    batch(DMA_POLICY_STRICT, 1);
    assert_int_equal(dma_trace_check(DMA_POLICY_STRICT, report, sizeof report), 3);
    assert_report_has("1. W@0x40000+512 then W@0x20000+16");
    assert_report_has("2. R@0x41000+512 then W@0x20010+16");
    assert_report_has("\"strict\" wants rmb between a read and a later write");
    assert_report_has("3. W@0x42000+512 then W@0x20020+16");
    batch(DMA_POLICY_PCIE, 1);
    assert_int_equal(dma_trace_check(DMA_POLICY_PCIE, report, sizeof report), 2);
    assert_report_has("1. W@0x40000+512 then W@0x20000+16");
    assert_report_has("2. W@0x42000+512 then W@0x20020+16");
    /* PCIE with Relaxed Ordering lets writes pass writes: the checker
     * accepts the buggy model there - the bus itself would not order it. */
    batch(DMA_POLICY_PCIE_RELAXED, 1);
    assert_int_equal(dma_trace_check(DMA_POLICY_PCIE_RELAXED, report, sizeof report), 0);

    batch(DMA_POLICY_STRICT, 0);
    assert_dma_ordered(DMA_POLICY_STRICT);
    batch(DMA_POLICY_PCIE, 0);
    assert_dma_ordered(DMA_POLICY_PCIE);
    batch(DMA_POLICY_PCIE_RELAXED, 0);
    assert_dma_ordered(DMA_POLICY_PCIE_RELAXED);
    /* A device run under PCIE does not meet STRICT: a read may be passed
     * by the next read or write. READs: (command, data); the WRITE:
     * (command, guest data), (command, CQE body), (guest data, CQE body) -
     * the wmb before the phase orders the phase only. */
    batch(DMA_POLICY_PCIE, 0);
    assert_int_equal(dma_trace_check(DMA_POLICY_STRICT, report, sizeof report), 5);
    assert_report_has("1. R@0x10000+64 then W@0x40000+512");
    assert_report_has("2. R@0x10040+64 then R@0x41000+512");
    assert_report_has("3. R@0x10040+64 then W@0x20010+14");
    assert_report_has("4. R@0x41000+512 then W@0x20010+14");
    assert_report_has("... and 1 more");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_buggy_is_reported),
        cmocka_unit_test(test_fixed_passes),
        cmocka_unit_test(test_batch),
    };
    return cmocka_run_group_tests_name("nvme_cq", tests, NULL, NULL);
}
