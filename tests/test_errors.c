/* SPDX-License-Identifier: MIT */
/*
 * Bad input: every error of odma/result.h, and that a failed access
 * changed no guest byte (compared byte for byte), filled the read buffer
 * with 0xFF, issued no barrier and reported no access.
 */
#define ODMA_TESTING_IMPLEMENTATION
#include "fixture.h"

/* Every accessor family against one bad range; expect `want` everywhere. */
static void expect_all_fail(struct fixture *f, uint64_t addr, size_t len, dma_result want,
                            bool writes_only)
{
    struct dma_ctx *c = &f->ctx;
    unsigned char buf[64], src[64];
    uint32_t v32 = 0;
    assert_true(len <= sizeof buf);
    memset(src, 0x5a, sizeof src);
    fixture_snapshot(f);
    dma_trace_reset();

    assert_int_equal(dma_write(c, addr, src, len), want);
    assert_int_equal(dma_write_relaxed(c, addr, src, len), want);
    assert_int_equal(dma_rw(c, addr, src, len, DMA_DIR_WRITE), want);
    assert_int_equal(dma_set(c, addr, 0x77, len), want);
    assert_int_equal(dma_set_relaxed(c, addr, 0x77, len), want);
    if (len == 4) {
        assert_int_equal(dma_st_le32(c, addr, 0x12345678u), want);
        assert_int_equal(dma_st_be32_relaxed(c, addr, 0x12345678u), want);
        if (!(addr & 3)) /* else DMA_ERR_ALIGN comes first */
            assert_int_equal(dma_st_le32_release(c, addr, 0x12345678u), want);
    }
    if (len >= 4 && !(addr & 3))
        assert_int_equal(dma_write_publish(c, addr, src, len, 0, 4), want);
    if (!writes_only) {
        memset(buf, 0, sizeof buf);
        assert_int_equal(dma_read(c, addr, buf, len), want);
        assert_all_ff(buf, len);
        memset(buf, 0, sizeof buf);
        assert_int_equal(dma_read_relaxed(c, addr, buf, len), want);
        assert_all_ff(buf, len);
        memset(buf, 0, sizeof buf);
        assert_int_equal(dma_rw(c, addr, buf, len, DMA_DIR_READ), want);
        assert_all_ff(buf, len);
        if (len == 4) {
            assert_int_equal(dma_ld_le32(c, addr, &v32), want);
            assert_int_equal(v32, 0xffffffffu);
            v32 = 0;
            if (!(addr & 3)) {
                assert_int_equal(dma_ld_be32_acquire(c, addr, &v32), want);
                assert_int_equal(v32, 0xffffffffu);
            }
        }
        if (len >= 4 && !(addr & 3)) {
            memset(buf, 0, sizeof buf);
            assert_int_equal(dma_read_consume(c, addr, buf, len, 0, 4), want);
            assert_all_ff(buf, len);
        }
    }
    fixture_assert_unchanged(f);
    assert_trace(""); /* no barrier, no access */
}

static void test_unmapped(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    expect_all_fail(f, 0x3100, 4, DMA_ERR_UNMAPPED, false); /* in the hole */
    expect_all_fail(f, 0x0, 4, DMA_ERR_UNMAPPED, false);    /* below everything */
    expect_all_fail(f, 0x6000, 4, DMA_ERR_UNMAPPED, false); /* just past the end */
}

static void test_hole_inside_range(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    /* Starts in RAM B, runs into the hole: the B part must stay intact. */
    expect_all_fail(f, 0x2ff0, 32, DMA_ERR_UNMAPPED, false);
    /* Starts in the hole, runs into read-only: the hole is lower, wins. */
    expect_all_fail(f, 0x3ff0, 32, DMA_ERR_UNMAPPED, false);
    /* Ends one byte past the last region. */
    expect_all_fail(f, 0x5fe0, 33, DMA_ERR_UNMAPPED, false);
}

static void test_overflow(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    expect_all_fail(f, UINT64_MAX - 3, 8, DMA_ERR_OVERFLOW, false);
    expect_all_fail(f, UINT64_MAX, 4, DMA_ERR_OVERFLOW, false);
    expect_all_fail(f, UINT64_MAX - 15, 32, DMA_ERR_OVERFLOW, false); /* aligned */
}

/* A region at the very top of the address space: reaching 2^64-1 is fine. */
static void test_top_of_address_space(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    _Alignas(8) unsigned char top[64];
    unsigned char buf[9];
    memset(top, 0, sizeof top);
    assert_int_equal(dma_ctx_add_region(&f->ctx, UINT64_MAX - 63, 64, top, 0), DMA_OK);
    assert_int_equal(dma_write(&f->ctx, UINT64_MAX - 7, "abcdefgh", 8), DMA_OK);
    assert_memory_equal(top + 56, "abcdefgh", 8);
    assert_int_equal(dma_read(&f->ctx, UINT64_MAX - 7, buf, 8), DMA_OK);
    assert_memory_equal(buf, "abcdefgh", 8);
    assert_int_equal(dma_read(&f->ctx, UINT64_MAX - 7, buf, 9), DMA_ERR_OVERFLOW);
    assert_all_ff(buf, 9);
}

static void test_readonly(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    uint32_t v = 0;
    expect_all_fail(f, 0x4100, 4, DMA_ERR_READONLY, true);
    /* RAM B then the hole: reported as unmapped; RO then RAM C: read-only. */
    expect_all_fail(f, 0x4ff8, 16, DMA_ERR_READONLY, true);
    /* Reads of the read-only region work. */
    assert_int_equal(dma_ld_le32(&f->ctx, 0x4100, &v), DMA_OK);
    assert_int_equal(v, (uint32_t)f->ram[0x2100] | (uint32_t)f->ram[0x2101] << 8 |
                            (uint32_t)f->ram[0x2102] << 16 | (uint32_t)f->ram[0x2103] << 24);
}

static void test_null_arguments(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    unsigned char buf[4] = { 0, 0, 0, 0 };
    uint32_t v = 0;
    fixture_snapshot(f);
    dma_trace_reset();
    assert_int_equal(dma_read(NULL, 0x1000, buf, 4), DMA_ERR_INVALID);
    assert_all_ff(buf, 4);
    assert_int_equal(dma_write(NULL, 0x1000, buf, 4), DMA_ERR_INVALID);
    assert_int_equal(dma_set(NULL, 0x1000, 0, 4), DMA_ERR_INVALID);
    assert_int_equal(dma_read(&f->ctx, 0x1000, NULL, 4), DMA_ERR_INVALID);
    assert_int_equal(dma_write(&f->ctx, 0x1000, NULL, 4), DMA_ERR_INVALID);
    assert_int_equal(dma_ld_le32(NULL, 0x1000, &v), DMA_ERR_INVALID);
    assert_int_equal(v, 0xffffffffu);
    assert_int_equal(dma_ld_le32(&f->ctx, 0x1000, NULL), DMA_ERR_INVALID);
    assert_int_equal(dma_st_le32(NULL, 0x1000, 1), DMA_ERR_INVALID);
    assert_int_equal(dma_write_publish(NULL, 0x1000, buf, 4, 0, 4), DMA_ERR_INVALID);
    assert_int_equal(dma_write_publish(&f->ctx, 0x1000, NULL, 4, 0, 4), DMA_ERR_INVALID);
    assert_int_equal(dma_read_consume(&f->ctx, 0x1000, NULL, 4, 0, 4), DMA_ERR_INVALID);
    assert_int_equal(dma_rw(&f->ctx, 0x1000, buf, 4, (dma_dir)7), DMA_ERR_INVALID);
    dma_notify_barrier(NULL); /* must not crash */
    fixture_assert_unchanged(f);
    assert_trace("");
}

static void test_alignment(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct dma_ctx *c = &f->ctx;
    uint16_t v16 = 0;
    uint32_t v32 = 0;
    uint64_t v64 = 0;
    unsigned char rec[16] = { 0 };
    fixture_snapshot(f);
    dma_trace_reset();
    assert_int_equal(dma_ld_le16_acquire(c, 0x1001, &v16), DMA_ERR_ALIGN);
    assert_int_equal(v16, 0xffff);
    assert_int_equal(dma_ld_be32_acquire(c, 0x1002, &v32), DMA_ERR_ALIGN);
    assert_int_equal(v32, 0xffffffffu);
    assert_int_equal(dma_ld_le64_acquire(c, 0x1004, &v64), DMA_ERR_ALIGN);
    assert_true(v64 == UINT64_MAX);
    assert_int_equal(dma_st_le16_release(c, 0x1001, 1), DMA_ERR_ALIGN);
    assert_int_equal(dma_st_be32_release(c, 0x1002, 1), DMA_ERR_ALIGN);
    assert_int_equal(dma_st_le64_release(c, 0x1004, 1), DMA_ERR_ALIGN);
    /* Record flags: misaligned -> ALIGN; bad width or outside -> INVALID. */
    assert_int_equal(dma_write_publish(c, 0x1000, rec, 16, 13, 2), DMA_ERR_ALIGN);
    assert_int_equal(dma_write_publish(c, 0x1000, rec, 16, 12, 3), DMA_ERR_INVALID);
    assert_int_equal(dma_write_publish(c, 0x1000, rec, 16, 14, 4), DMA_ERR_INVALID);
    assert_int_equal(dma_write_publish(c, 0x1000, rec, 16, 17, 1), DMA_ERR_INVALID);
    assert_int_equal(dma_read_consume(c, 0x1000, rec, 16, 13, 2), DMA_ERR_ALIGN);
    assert_all_ff(rec, 16);
    fixture_assert_unchanged(f);
    assert_trace("");
}

/* An aligned access that straddles two regions cannot be one atomic access. */
static void test_straddle(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    _Alignas(8) unsigned char lo[8], hi[8];
    struct dma_ctx c;
    uint64_t v = 0;
    dma_ctx_init(&c, NULL);
    memset(lo, 1, 8);
    memset(hi, 2, 8);
    assert_int_equal(dma_ctx_add_region(&c, 0x10000, 4, lo, 0), DMA_OK);
    assert_int_equal(dma_ctx_add_region(&c, 0x10004, 4, hi + 4, 0), DMA_OK);
    assert_int_equal(dma_ld_le64_acquire(&c, 0x10000, &v), DMA_ERR_ALIGN);
    assert_int_equal(dma_st_le64_release(&c, 0x10000, 0), DMA_ERR_ALIGN);
    assert_memory_equal(lo, "\1\1\1\1", 4);
    /* The relaxed form may cross (byte-wise). */
    assert_int_equal(dma_ld_le64_relaxed(&c, 0x10000, &v), DMA_OK);
    assert_true(v == 0x0202020201010101ull);
    (void)f;
}

static void test_zero_length(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    fixture_snapshot(f);
    dma_trace_reset();
    assert_int_equal(dma_read(&f->ctx, 0x1000, NULL, 0), DMA_OK);
    assert_int_equal(dma_write(&f->ctx, 0x3000, "x", 0), DMA_OK); /* even in the hole */
    assert_int_equal(dma_set(&f->ctx, UINT64_MAX, 0, 0), DMA_OK);
    assert_int_equal(dma_write(&f->ctx, 0x4000, "x", 0), DMA_OK); /* read-only */
    fixture_assert_unchanged(f);
    assert_trace("");
}

static void test_region_registration(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct dma_ctx c;
    _Alignas(8) static unsigned char mem[0x100];
    unsigned i;
    (void)f;
    dma_ctx_init(&c, NULL);
    assert_int_equal(dma_ctx_add_region(NULL, 0, 8, mem, 0), DMA_ERR_INVALID);
    assert_int_equal(dma_ctx_add_region(&c, 0, 8, NULL, 0), DMA_ERR_INVALID);
    assert_int_equal(dma_ctx_add_region(&c, 0, 0, mem, 0), DMA_ERR_INVALID);
    assert_int_equal(dma_ctx_add_region(&c, UINT64_MAX - 7, 16, mem, 0), DMA_ERR_OVERFLOW);
    assert_int_equal(dma_ctx_add_region(&c, 0x1000, 8, mem + 1, 0), DMA_ERR_INVALID);
    assert_int_equal(dma_ctx_add_region(&c, 0x1000, 8, mem, 0x80), DMA_ERR_INVALID);
    assert_int_equal(dma_ctx_add_region(&c, 0x1000, 8, mem, DMA_REGION_PREFETCHABLE),
                     DMA_ERR_INVALID);
    assert_int_equal(dma_ctx_add_region(&c, 0x1000, 0x10, mem, 0), DMA_OK);
    /* Overlaps: same start, inside, straddling either end, covering. */
    assert_int_equal(dma_ctx_add_region(&c, 0x1000, 8, mem + 0x20, 0), DMA_ERR_INVALID);
    assert_int_equal(dma_ctx_add_region(&c, 0x1008, 8, mem + 0x20, 0), DMA_ERR_INVALID);
    assert_int_equal(dma_ctx_add_region(&c, 0x0ff8, 16, mem + 0x20, 0), DMA_ERR_INVALID);
    assert_int_equal(dma_ctx_add_region(&c, 0x1008, 16, mem + 0x20, 0), DMA_ERR_INVALID);
    assert_int_equal(dma_ctx_add_region(&c, 0x0800, 0x1000, mem, 0), DMA_ERR_INVALID);
    /* Adjacent on both sides is fine. */
    assert_int_equal(dma_ctx_add_region(&c, 0x0ff8, 8, mem + 0x20, 0), DMA_OK);
    assert_int_equal(dma_ctx_add_region(&c, 0x1010, 8, mem + 0x30, 0), DMA_OK);
    /* The table fills up, then refuses. */
    for (i = 3; i < ODMA_MAX_REGIONS; i++)
        assert_int_equal(dma_ctx_add_region(&c, 0x100000 + i * 0x100, 8, mem + 0x40, 0),
                         DMA_OK);
    assert_int_equal(dma_ctx_add_region(&c, 0x900000, 8, mem + 0x40, 0), DMA_ERR_INVALID);
    assert_int_equal(dma_ctx_region_count(&c), ODMA_MAX_REGIONS);
}

static void test_result_strings(void **state)
{
    int i, j;
    (void)state;
    for (i = DMA_OK; i <= DMA_ERR_INVALID; i++) {
        const char *s = dma_result_str((dma_result)i);
        assert_non_null(s);
        assert_true(strlen(s) > 1);
        for (j = DMA_OK; j < i; j++)
            assert_string_not_equal(s, dma_result_str((dma_result)j));
    }
    assert_string_equal(dma_result_str((dma_result)99), "unknown dma_result");
}

/* A failed access leaves the ordering state alone: the next ordered
 * access gets the barrier its real predecessor calls for. */
static void test_failure_keeps_order_state(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    uint32_t v;
    assert_int_equal(dma_st_le32_relaxed(&f->ctx, 0x1000, 1), DMA_OK); /* previous: W */
    dma_trace_reset();
    assert_int_equal(dma_st_le32(&f->ctx, 0x3000, 1), DMA_ERR_UNMAPPED);
    assert_int_equal(dma_ld_le32(&f->ctx, 0x1000, &v), DMA_OK);
    assert_trace("mb R@0x1000+4"); /* W->R under STRICT, not R->R's rmb */
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_unmapped),        T(test_hole_inside_range), T(test_overflow),
        T(test_top_of_address_space), T(test_readonly),     T(test_null_arguments),
        T(test_alignment),       T(test_straddle),          T(test_zero_length),
        T(test_region_registration), T(test_result_strings), T(test_failure_keeps_order_state),
    };
#undef T
    return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
