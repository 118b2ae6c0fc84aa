/* SPDX-License-Identifier: MIT */
/*
 * Regressions for bugs found by the fuzzer (tests/fuzz/). Each test names
 * the rule it pins down; the fuzz input that found it is kept in
 * tests/fuzz/corpus/ as regress-*.
 */
#define ODMA_TESTING_IMPLEMENTATION
#include "fixture.h"

struct small {
    struct dma_ctx ctx;
    _Alignas(64) unsigned char ram[64];
};

/* Translate hook for the tests below: bus = gpa, spans of 2 bytes. */
static dma_result two_byte_spans(void *opaque, uint64_t addr, dma_dir dir, uint64_t *gpa,
                                 uint64_t *span)
{
    (void)opaque, (void)dir;
    *gpa = addr;
    *span = 2 - (addr & 1);
    return DMA_OK;
}

/*
 * odma/result.h: the lowest failing byte's own error comes before
 * DMA_ERR_ALIGN for an aligned access that straddles two regions or
 * spans. _acquire/_release used to stop at the first segment with ALIGN.
 */
static void test_straddle_reports_byte_error_first(void **state)
{
    struct small s;
    uint16_t v16 = 0;
    uint32_t v32 = 0;
    uint64_t v64 = 0;
    (void)state;
    memset(s.ram, 0x11, sizeof s.ram);
    dma_ctx_init(&s.ctx, NULL);
    /* RAM [0x1000,0x1002), read-only [0x1002,0x1004), hole, RAM [0x1006,0x100c) */
    assert_int_equal(dma_ctx_add_region(&s.ctx, 0x1000, 2, s.ram, 0), DMA_OK);
    assert_int_equal(dma_ctx_add_region(&s.ctx, 0x1002, 2, s.ram + 2, DMA_REGION_READONLY),
                     DMA_OK);
    assert_int_equal(dma_ctx_add_region(&s.ctx, 0x1006, 6, s.ram + 6, 0), DMA_OK);

    /* Into a hole: UNMAPPED, as the ordered load says too. */
    assert_int_equal(dma_ld_le16(&s.ctx, 0x1004, &v16), DMA_ERR_UNMAPPED);
    assert_int_equal(dma_ld_le16_acquire(&s.ctx, 0x1004, &v16), DMA_ERR_UNMAPPED);
    assert_int_equal(dma_ld_le64_acquire(&s.ctx, 0x1000, &v64), DMA_ERR_UNMAPPED);
    assert_true(v64 == UINT64_MAX);
    assert_int_equal(dma_st_le64_release(&s.ctx, 0x1000, 1), DMA_ERR_READONLY);
    /* Into read-only bytes: READONLY for the store, nothing written. */
    assert_int_equal(dma_st_le32_release(&s.ctx, 0x1000, 0xaabbccdd), DMA_ERR_READONLY);
    assert_int_equal(s.ram[0], 0x11);
    /* Every byte fine, but two regions: ALIGN (cannot be one access). */
    assert_int_equal(dma_ld_le32_acquire(&s.ctx, 0x1000, &v32), DMA_ERR_ALIGN);
    assert_true(v32 == UINT32_MAX);
    assert_int_equal(dma_ld_le32(&s.ctx, 0x1000, &v32), DMA_OK);

    /* Same with translation spans: a span boundary, then a hole. */
    dma_ctx_set_translate(&s.ctx, two_byte_spans, NULL);
    assert_int_equal(dma_ld_le32_acquire(&s.ctx, 0x1008, &v32), DMA_ERR_ALIGN);
    assert_int_equal(dma_ld_le64_acquire(&s.ctx, 0x1008, &v64), DMA_ERR_UNMAPPED);
    assert_int_equal(dma_st_le64_release(&s.ctx, 0x1008, 0), DMA_ERR_UNMAPPED);
    /* Record flags take the same path (after the whole-record check). */
    assert_int_equal(dma_write_publish(&s.ctx, 0x1008, s.ram, 4, 0, 4), DMA_ERR_ALIGN);
}

/* Translate hook: guest address = bus address + 1, one span for all. */
static dma_result off_by_one(void *opaque, uint64_t addr, dma_dir dir, uint64_t *gpa,
                             uint64_t *span)
{
    (void)opaque, (void)dir;
    *gpa = addr + 1;
    *span = 0x100 - (addr & 0xff);
    return DMA_OK;
}

/*
 * An access that promises atomicity (_acquire, _release, a record's flag)
 * checked its alignment on the bus address only. A translate hook that
 * maps it to a misaligned guest address made it a memcpy (RAM) or a run of
 * narrower accesses (device region): torn, yet DMA_OK. Now DMA_ERR_ALIGN.
 */
static void test_translated_misaligned_atomic_access(void **state)
{
    struct small s;
    unsigned char rec[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    uint32_t v32 = 0;
    uint16_t v16 = 0;
    size_t n;
    (void)state;
    memset(s.ram, 0x22, sizeof s.ram);
    dma_ctx_init(&s.ctx, DMA_POLICY_NONE);
    assert_int_equal(dma_ctx_add_region(&s.ctx, 0x1000, 32, s.ram, 0), DMA_OK);
    assert_int_equal(dma_ctx_add_region(&s.ctx, 0x1020, 32, s.ram + 32, DMA_REGION_DEVICE),
                     DMA_OK);
    dma_ctx_set_translate(&s.ctx, off_by_one, NULL);

    /* RAM: bus 0x1004 -> gpa 0x1005. */
    assert_int_equal(dma_ld_le32_acquire(&s.ctx, 0x1004, &v32), DMA_ERR_ALIGN);
    assert_true(v32 == UINT32_MAX);
    assert_int_equal(dma_st_le32_release(&s.ctx, 0x1004, 7), DMA_ERR_ALIGN);
    assert_int_equal(dma_write_publish(&s.ctx, 0x1000, rec, 8, 4, 4), DMA_ERR_ALIGN);
    assert_int_equal(s.ram[5], 0x22); /* nothing written */
    /* Ordered forms promise no atomicity for unaligned guest addresses. */
    assert_int_equal(dma_ld_le32(&s.ctx, 0x1004, &v32), DMA_OK);
    assert_int_equal(dma_write_publish(&s.ctx, 0x1000, rec, 8, 0, 1), DMA_OK);
    assert_memory_equal(s.ram + 1, rec, 8);

    /* Device region: bus 0x1022 -> gpa 0x1023; the flag would be split. */
    assert_int_equal(dma_read_consume(&s.ctx, 0x101e, rec, 8, 4, 2), DMA_ERR_ALIGN);
    assert_int_equal(dma_ld_le16_acquire(&s.ctx, 0x1022, &v16), DMA_ERR_ALIGN);
    dma_trace_reset();
    assert_int_equal(dma_ld_le16(&s.ctx, 0x1022, &v16), DMA_OK); /* two byte reads */
    dma_trace_events(&n);
    assert_int_equal(n, 2);
    dma_trace_stop();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_straddle_reports_byte_error_first),
        cmocka_unit_test(test_translated_misaligned_atomic_access),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
