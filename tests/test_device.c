/* SPDX-License-Identifier: MIT */
/*
 * Device (BAR) regions: bulk accesses become naturally aligned accesses of
 * at most 4 bytes, each once, in ascending order; prefetchable ones may be
 * copied wide. Checked through the trace, which reports every underlying
 * device access with DMA_TRACE_DEVICE.
 *
 *   0x1000 .. 0x1fff   RAM
 *   0x2000 .. 0x20ff   device BAR, not prefetchable (adjacent to the RAM)
 *   0x3000 .. 0x30ff   device BAR, prefetchable
 */
/* The tree's own I/O barriers (here: counted, then a full fence). */
#include <stdatomic.h>
static unsigned io_calls[4]; /* by enum dma_barrier */
#define ODMA_IO_MB() (io_calls[3]++, atomic_thread_fence(memory_order_seq_cst))
#define ODMA_IO_WMB() (io_calls[2]++, atomic_thread_fence(memory_order_seq_cst))
#define ODMA_IO_RMB() (io_calls[1]++, atomic_thread_fence(memory_order_seq_cst))
#define ODMA_TESTING_IMPLEMENTATION
#include "fixture.h"

struct dev_fixture {
    struct dma_ctx ctx;
    _Alignas(64) unsigned char ram[0x1000];
    _Alignas(64) unsigned char bar[0x100];
    _Alignas(64) unsigned char pbar[0x100];
};

static int dev_setup(void **state)
{
    struct dev_fixture *d = (struct dev_fixture *)aligned_alloc(64, sizeof *d);
    assert_non_null(d);
    memset(d->ram, 0, sizeof d->ram);
    memset(d->bar, 0, sizeof d->bar);
    memset(d->pbar, 0, sizeof d->pbar);
    dma_ctx_init(&d->ctx, DMA_POLICY_NONE); /* no barriers: the trace shows accesses only */
    assert_int_equal(dma_ctx_add_region(&d->ctx, 0x1000, 0x1000, d->ram, 0), DMA_OK);
    assert_int_equal(dma_ctx_add_region(&d->ctx, 0x2000, 0x100, d->bar, DMA_REGION_DEVICE),
                     DMA_OK);
    assert_int_equal(dma_ctx_add_region(&d->ctx, 0x3000, 0x100, d->pbar,
                                        DMA_REGION_DEVICE | DMA_REGION_PREFETCHABLE),
                     DMA_OK);
    *state = d;
    return 0;
}

static int dev_teardown(void **state)
{
    dma_trace_stop();
    free(*state);
    return 0;
}

/* Event i of the trace: device flag and continuation flag as expected. */
static void expect_flags(size_t i, unsigned want)
{
    size_t n;
    const struct dma_trace_event *ev = dma_trace_events(&n);
    assert_true(i < n);
    assert_int_equal(ev[i].flags & (DMA_TRACE_DEVICE | DMA_TRACE_CONTINUED), want);
}

static void test_widths_and_order(void **state)
{
    struct dev_fixture *d = (struct dev_fixture *)*state;
    unsigned char src[11], dst[11];
    size_t i;
    for (i = 0; i < sizeof src; i++)
        src[i] = (unsigned char)(0xa0 + i);
    /* 11 bytes at ...01: 1 byte, 2 bytes, then two aligned 4-byte accesses. */
    dma_trace_reset();
    assert_int_equal(dma_write(&d->ctx, 0x2001, src, 11), DMA_OK);
    assert_trace("W@0x2001+1 W@0x2002+2 W@0x2004+4 W@0x2008+4");
    expect_flags(0, DMA_TRACE_DEVICE);
    expect_flags(1, DMA_TRACE_DEVICE | DMA_TRACE_CONTINUED);
    expect_flags(3, DMA_TRACE_DEVICE | DMA_TRACE_CONTINUED);
    assert_memory_equal(d->bar + 1, src, 11);
    dma_trace_reset();
    memset(dst, 0, sizeof dst);
    assert_int_equal(dma_read(&d->ctx, 0x2001, dst, 11), DMA_OK);
    assert_trace("R@0x2001+1 R@0x2002+2 R@0x2004+4 R@0x2008+4");
    assert_memory_equal(dst, src, 11);
    /* 16 aligned bytes: four 4-byte accesses, never an 8- or 16-byte one. */
    dma_trace_reset();
    assert_int_equal(dma_set(&d->ctx, 0x2010, 0x3c, 16), DMA_OK);
    assert_trace("W@0x2010+4 W@0x2014+4 W@0x2018+4 W@0x201c+4");
    for (i = 0; i < 16; i++)
        assert_int_equal(d->bar[0x10 + i], 0x3c);
}

static void test_ldst_exact_width(void **state)
{
    struct dev_fixture *d = (struct dev_fixture *)*state;
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    dma_trace_reset();
    assert_int_equal(dma_st_le16(&d->ctx, 0x2040, 0x1234), DMA_OK);
    assert_int_equal(dma_st_be32(&d->ctx, 0x2044, 0x01020304u), DMA_OK);
    assert_int_equal(dma_st_le64(&d->ctx, 0x2048, 0x1122334455667788ull), DMA_OK);
    assert_int_equal(dma_ld_le16(&d->ctx, 0x2040, &v16), DMA_OK);
    assert_int_equal(dma_ld_be32(&d->ctx, 0x2044, &v32), DMA_OK);
    assert_int_equal(dma_ld_le64(&d->ctx, 0x2048, &v64), DMA_OK);
    assert_trace("W@0x2040+2 W@0x2044+4 W@0x2048+4 W@0x204c+4 "
                 "R@0x2040+2 R@0x2044+4 R@0x2048+4 R@0x204c+4");
    assert_int_equal(v16, 0x1234);
    assert_int_equal(v32, 0x01020304u);
    assert_true(v64 == 0x1122334455667788ull);
    assert_memory_equal(d->bar + 0x44, "\1\2\3\4", 4);
    /* Atomic forms: at most 4 bytes in one access. */
    assert_int_equal(dma_ld_le32_acquire(&d->ctx, 0x2044, &v32), DMA_OK);
    assert_int_equal(dma_st_le32_release(&d->ctx, 0x2044, 7), DMA_OK);
    assert_int_equal(dma_ld_le64_acquire(&d->ctx, 0x2048, &v64), DMA_ERR_ALIGN);
    assert_int_equal(dma_st_le64_release(&d->ctx, 0x2048, 7), DMA_ERR_ALIGN);
    assert_true(v64 == UINT64_MAX);
    /* ... unless prefetchable. */
    dma_trace_reset();
    assert_int_equal(dma_st_le64_release(&d->ctx, 0x3008, 9), DMA_OK);
    assert_int_equal(dma_ld_le64_acquire(&d->ctx, 0x3008, &v64), DMA_OK);
    assert_true(v64 == 9);
    assert_trace("wmb W@0x3008+8 R@0x3008+8 rmb");
    expect_flags(1, DMA_TRACE_DEVICE);
}

static void test_prefetchable_is_one_copy(void **state)
{
    struct dev_fixture *d = (struct dev_fixture *)*state;
    unsigned char src[64];
    memset(src, 0x77, sizeof src);
    dma_trace_reset();
    assert_int_equal(dma_write(&d->ctx, 0x3001, src, 64), DMA_OK);
    assert_trace("W@0x3001+64");
    expect_flags(0, DMA_TRACE_DEVICE);
    assert_memory_equal(d->pbar + 1, src, 64);
}

/* RAM then device in one call: a RAM event, then the device pieces. */
static void test_ram_then_device(void **state)
{
    struct dev_fixture *d = (struct dev_fixture *)*state;
    unsigned char src[24];
    memset(src, 0x99, sizeof src);
    dma_trace_reset();
    assert_int_equal(dma_write(&d->ctx, 0x1ff0, src, 24), DMA_OK);
    assert_trace("W@0x1ff0+16 W@0x2000+4 W@0x2004+4");
    expect_flags(0, 0);
    expect_flags(1, DMA_TRACE_DEVICE | DMA_TRACE_CONTINUED);
    assert_memory_equal(d->ram + 0xff0, src, 16);
    assert_memory_equal(d->bar, src, 8);
}

static void test_publish_into_device(void **state)
{
    struct dev_fixture *d = (struct dev_fixture *)*state;
    unsigned char rec[16];
    memset(rec, 0x42, sizeof rec);
    dma_trace_reset();
    assert_int_equal(dma_write_publish(&d->ctx, 0x2080, rec, 16, 12, 4), DMA_OK);
    assert_trace("W@0x2080+4 W@0x2084+4 W@0x2088+4 wmb W@0x208c+4");
    assert_int_equal(dma_write_publish(&d->ctx, 0x2080, rec, 16, 8, 8), DMA_ERR_ALIGN);
    assert_int_equal(dma_write_publish(&d->ctx, 0x3080, rec, 16, 8, 8), DMA_OK);
}

/* Barrier event i: its kind and whether it is the I/O form. */
static void expect_barrier(size_t i, enum dma_barrier b, bool io)
{
    size_t n;
    const struct dma_trace_event *ev = dma_trace_events(&n);
    assert_true(i < n);
    assert_int_equal(ev[i].type, DMA_TRACE_BARRIER);
    assert_int_equal(ev[i].barrier, b);
    assert_int_equal(!!(ev[i].flags & DMA_TRACE_IO), io);
}

/*
 * Between a device access and any other access the barrier is the tree's
 * I/O barrier (CPU fences do not order device memory on Arm or POWER);
 * between RAM accesses it never is.
 */
static void test_io_barriers_around_device(void **state)
{
    struct dev_fixture *d = (struct dev_fixture *)*state;
    uint32_t v;
    dma_ctx_init(&d->ctx, DMA_POLICY_STRICT);
    assert_int_equal(dma_ctx_add_region(&d->ctx, 0x1000, 0x1000, d->ram, 0), DMA_OK);
    assert_int_equal(dma_ctx_add_region(&d->ctx, 0x2000, 0x100, d->bar, DMA_REGION_DEVICE),
                     DMA_OK);
    odma_mb();
    memset(io_calls, 0, sizeof io_calls);
    /* RAM only: CPU barriers. */
    dma_trace_reset();
    assert_int_equal(dma_st_le32(&d->ctx, 0x1000, 1), DMA_OK);
    assert_int_equal(dma_st_le32(&d->ctx, 0x1004, 2), DMA_OK);
    assert_int_equal(dma_ld_le32(&d->ctx, 0x1008, &v), DMA_OK);
    assert_trace("W@0x1000+4 wmb W@0x1004+4 mb R@0x1008+4");
    expect_barrier(1, DMA_BARRIER_WMB, false);
    expect_barrier(3, DMA_BARRIER_MB, false);
    assert_int_equal(io_calls[1] + io_calls[2] + io_calls[3], 0);
    /* RAM write, then device write: W->W in the I/O form. */
    odma_mb();
    dma_trace_reset();
    assert_int_equal(dma_st_le32(&d->ctx, 0x1000, 1), DMA_OK);
    assert_int_equal(dma_st_le32(&d->ctx, 0x2000, 2), DMA_OK);
    assert_trace("W@0x1000+4 wmb W@0x2000+4");
    expect_barrier(1, DMA_BARRIER_WMB, true);
    assert_int_equal(io_calls[2], 1);
    /* Device write, then RAM read and RAM write: the first barrier after
     * the device access is I/O (mb), after that nothing device is pending. */
    dma_trace_reset();
    assert_int_equal(dma_ld_le32(&d->ctx, 0x1008, &v), DMA_OK);
    assert_int_equal(dma_st_le32(&d->ctx, 0x100c, 3), DMA_OK);
    assert_trace("mb R@0x1008+4 rmb W@0x100c+4");
    expect_barrier(0, DMA_BARRIER_MB, true);
    expect_barrier(2, DMA_BARRIER_RMB, false);
    assert_int_equal(io_calls[3], 1);
    /* An explicit odma_mb() after a device access is the I/O form too. */
    odma_mb();
    assert_int_equal(dma_st_le32_relaxed(&d->ctx, 0x2004, 4), DMA_OK);
    dma_trace_reset();
    odma_mb();
    expect_barrier(0, DMA_BARRIER_MB, true);
    assert_int_equal(io_calls[3], 2);
    assert_int_equal(d->bar[4], 4);
}

static void test_device_not_mappable(void **state)
{
    struct dev_fixture *d = (struct dev_fixture *)*state;
    uint64_t len = 16;
    dma_result res;
    assert_null(dma_map(&d->ctx, 0x2000, &len, DMA_DIR_READ, &res));
    assert_int_equal(res, DMA_ERR_INVALID);
    len = 16;
    assert_null(dma_map(&d->ctx, 0x3000, &len, DMA_DIR_READ, &res));
    assert_int_equal(res, DMA_ERR_INVALID);
    /* A RAM map stops where the device region begins. */
    len = 0x100;
    assert_non_null(dma_map(&d->ctx, 0x1f80, &len, DMA_DIR_READ, &res));
    assert_int_equal(len, 0x80);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, dev_setup, dev_teardown)
    const struct CMUnitTest tests[] = {
        T(test_widths_and_order), T(test_ldst_exact_width), T(test_prefetchable_is_one_copy),
        T(test_ram_then_device),  T(test_publish_into_device), T(test_device_not_mappable),
        T(test_io_barriers_around_device),
    };
#undef T
    return cmocka_run_group_tests_name("device", tests, NULL, NULL);
}
