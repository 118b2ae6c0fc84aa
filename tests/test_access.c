/* SPDX-License-Identifier: MIT */
/*
 * Bulk accessors: contents, crossing adjacent regions, fills, region
 * lookup when regions arrive out of order, and one trace event per call.
 */
#define ODMA_TESTING_IMPLEMENTATION
#include "fixture.h"

static void test_roundtrip_bulk(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    unsigned char src[3000], dst[3000];
    size_t i;
    for (i = 0; i < sizeof src; i++)
        src[i] = (unsigned char)(i ^ 0xa5);
    assert_int_equal(dma_write(&f->ctx, 0x1100, src, sizeof src), DMA_OK);
    assert_memory_equal(fixture_host(f, 0x1100), src, sizeof src);
    memset(dst, 0, sizeof dst);
    assert_int_equal(dma_read(&f->ctx, 0x1100, dst, sizeof dst), DMA_OK);
    assert_memory_equal(dst, src, sizeof src);
    memset(dst, 0, sizeof dst);
    assert_int_equal(dma_rw_relaxed(&f->ctx, 0x1100, dst, 17, DMA_DIR_READ), DMA_OK);
    assert_memory_equal(dst, src, 17);
}

/* One write spanning RAM A and RAM B lands in both, and is one event. */
static void test_cross_adjacent(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    unsigned char src[0x1800], dst[0x1800];
    size_t i;
    for (i = 0; i < sizeof src; i++)
        src[i] = (unsigned char)(i * 13u);
    dma_trace_reset();
    assert_int_equal(dma_write_relaxed(&f->ctx, 0x1400, src, sizeof src), DMA_OK);
    assert_trace("W@0x1400+6144");
    assert_memory_equal(fixture_host(f, 0x1400), src, 0xc00);
    assert_memory_equal(fixture_host(f, 0x2000), src + 0xc00, 0xc00);
    assert_int_equal(dma_read(&f->ctx, 0x1400, dst, sizeof dst), DMA_OK);
    assert_memory_equal(dst, src, sizeof src);
    /* Read-only region into RAM C: reads may cross, writes may not. */
    assert_int_equal(dma_read(&f->ctx, 0x4ff0, dst, 32), DMA_OK);
    assert_memory_equal(dst, fixture_host(f, 0x4ff0), 16);
    assert_memory_equal(dst + 16, fixture_host(f, 0x5000), 16);
}

static void test_set(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    unsigned char *h = fixture_host(f, 0x1ff0);
    size_t i;
    assert_int_equal(dma_set(&f->ctx, 0x1ff0, 0x1ab, 32), DMA_OK); /* byte truncated */
    for (i = 0; i < 16; i++)
        assert_int_equal(h[i], 0xab);
    h = fixture_host(f, 0x2000);
    for (i = 0; i < 16; i++)
        assert_int_equal(h[i], 0xab);
    assert_int_equal(h[16], fixture_pattern(0x1010)); /* and no further */
    assert_int_equal(*fixture_host(f, 0x1fef), fixture_pattern(0xfef));
}

/* Exact-size aligned transfers take the single-access path; odd sizes
 * and misaligned ones the memcpy path; the bytes are the same. */
static void test_sizes_and_alignments(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    unsigned char src[16], dst[16];
    size_t len, off, i;
    for (i = 0; i < 16; i++)
        src[i] = (unsigned char)(0xf0 + i);
    for (len = 1; len <= 16; len++) {
        for (off = 0; off < 8; off++) {
            uint64_t a = 0x1800 + off;
            memset(fixture_host(f, 0x1800), 0, 32);
            assert_int_equal(dma_write(&f->ctx, a, src, len), DMA_OK);
            assert_memory_equal(fixture_host(f, a), src, len);
            assert_int_equal(*fixture_host(f, a + len), 0);
            memset(dst, 0, sizeof dst);
            assert_int_equal(dma_read(&f->ctx, a, dst, len), DMA_OK);
            assert_memory_equal(dst, src, len);
        }
    }
}

/* Regions registered out of order are found; the hint follows use. */
static void test_lookup_out_of_order(void **state)
{
    _Alignas(8) static unsigned char a[64], b[64], c[64];
    struct dma_ctx ctx;
    uint32_t v;
    int round;
    (void)state;
    dma_ctx_init(&ctx, DMA_POLICY_NONE);
    assert_int_equal(dma_ctx_add_region(&ctx, 0x9000, 64, c, 0), DMA_OK);
    assert_int_equal(dma_ctx_add_region(&ctx, 0x0, 64, a, 0), DMA_OK);
    assert_int_equal(dma_ctx_add_region(&ctx, 0x40, 64, b, DMA_REGION_READONLY), DMA_OK);
    for (round = 0; round < 3; round++) {
        assert_int_equal(dma_st_le32(&ctx, 0x9004, 0x99u + (unsigned)round), DMA_OK);
        assert_int_equal(dma_st_le32(&ctx, 0x0, 0x11u + (unsigned)round), DMA_OK);
        assert_int_equal(dma_st_le32(&ctx, 0x44, 1), DMA_ERR_READONLY);
        assert_int_equal(dma_ld_le32(&ctx, 0x9004, &v), DMA_OK);
        assert_int_equal(v, 0x99u + (unsigned)round);
        assert_int_equal(dma_ld_le32(&ctx, 0x0, &v), DMA_OK);
        assert_int_equal(v, 0x11u + (unsigned)round);
        assert_int_equal(dma_ld_le32(&ctx, 0x3e, &v), DMA_OK); /* crosses a|b */
    }
    assert_int_equal(dma_ld_le32(&ctx, 0x80, &v), DMA_ERR_UNMAPPED);
    assert_int_equal(dma_ld_le32(&ctx, 0x8ffe, &v), DMA_ERR_UNMAPPED);
}

/* An empty context: everything is unmapped, nothing crashes. */
static void test_empty_context(void **state)
{
    struct dma_ctx ctx;
    unsigned char buf[4];
    (void)state;
    dma_ctx_init(&ctx, NULL);
    assert_int_equal(dma_read(&ctx, 0, buf, 4), DMA_ERR_UNMAPPED);
    assert_all_ff(buf, 4);
    assert_int_equal(dma_write(&ctx, 0, buf, 4), DMA_ERR_UNMAPPED);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_roundtrip_bulk), T(test_cross_adjacent), T(test_set),
        T(test_sizes_and_alignments), T(test_lookup_out_of_order), T(test_empty_context),
    };
#undef T
    return cmocka_run_group_tests_name("access", tests, NULL, NULL);
}
