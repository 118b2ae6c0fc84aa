/* SPDX-License-Identifier: MIT */
/*
 * Typed loads and stores: guest byte layout of every le/be width and
 * variant, on whichever host byte order this runs on (s390x included).
 * The expected bytes are spelled out, never computed by the code under
 * test.
 */
#include <stdlib.h>
#define ODMA_TESTING_IMPLEMENTATION
#include "fixture.h"

static const unsigned char le64_bytes[8] = { 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };
static const unsigned char be64_bytes[8] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };

static void assert_bytes(const unsigned char *got, const unsigned char *want, size_t n)
{
    assert_memory_equal(got, want, n);
}

/* Stores: every variant writes the same bytes. */
static void test_store_layout(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct dma_ctx *c = &f->ctx;
    unsigned char *h = fixture_host(f, 0x1100);
    int v;
    for (v = 0; v < 3; v++) {
        memset(h, 0, 64);
#define ST(fn) (v == 0 ? dma_st_##fn : v == 1 ? dma_st_##fn##_relaxed : dma_st_##fn##_release)
        assert_int_equal(ST(u8)(c, 0x1100, 0xab), DMA_OK);
        assert_int_equal(ST(le16)(c, 0x1108, 0x0102), DMA_OK);
        assert_int_equal(ST(be16)(c, 0x110a, 0x0102), DMA_OK);
        assert_int_equal(ST(le32)(c, 0x1110, 0x01020304u), DMA_OK);
        assert_int_equal(ST(be32)(c, 0x1114, 0x01020304u), DMA_OK);
        assert_int_equal(ST(le64)(c, 0x1118, 0x0102030405060708ull), DMA_OK);
        assert_int_equal(ST(be64)(c, 0x1120, 0x0102030405060708ull), DMA_OK);
#undef ST
        assert_int_equal(h[0], 0xab);
        assert_int_equal(h[1], 0x00); /* u8 wrote one byte only */
        assert_bytes(h + 0x08, (const unsigned char[]){ 0x02, 0x01 }, 2);
        assert_bytes(h + 0x0a, (const unsigned char[]){ 0x01, 0x02 }, 2);
        assert_bytes(h + 0x10, (const unsigned char[]){ 0x04, 0x03, 0x02, 0x01 }, 4);
        assert_bytes(h + 0x14, (const unsigned char[]){ 0x01, 0x02, 0x03, 0x04 }, 4);
        assert_bytes(h + 0x18, le64_bytes, 8);
        assert_bytes(h + 0x20, be64_bytes, 8);
        assert_int_equal(h[0x28], 0x00); /* nothing past the last store */
    }
}

/* Loads: every variant reads the same value from the same bytes. */
static void test_load_layout(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct dma_ctx *c = &f->ctx;
    unsigned char *h = fixture_host(f, 0x1200);
    int v;
    memcpy(h, be64_bytes, 8);
    for (v = 0; v < 3; v++) {
        uint8_t b = 0;
        uint16_t s16 = 0;
        uint32_t s32 = 0;
        uint64_t s64 = 0;
#define LD(fn) (v == 0 ? dma_ld_##fn : v == 1 ? dma_ld_##fn##_relaxed : dma_ld_##fn##_acquire)
        assert_int_equal(LD(u8)(c, 0x1200, &b), DMA_OK);
        assert_int_equal(b, 0x01);
        assert_int_equal(LD(le16)(c, 0x1200, &s16), DMA_OK);
        assert_int_equal(s16, 0x0201);
        assert_int_equal(LD(be16)(c, 0x1200, &s16), DMA_OK);
        assert_int_equal(s16, 0x0102);
        assert_int_equal(LD(le32)(c, 0x1204, &s32), DMA_OK);
        assert_int_equal(s32, 0x08070605u);
        assert_int_equal(LD(be32)(c, 0x1204, &s32), DMA_OK);
        assert_int_equal(s32, 0x05060708u);
        assert_int_equal(LD(le64)(c, 0x1200, &s64), DMA_OK);
        assert_true(s64 == 0x0807060504030201ull);
        assert_int_equal(LD(be64)(c, 0x1200, &s64), DMA_OK);
        assert_true(s64 == 0x0102030405060708ull);
#undef LD
    }
}

/* Unaligned ld/st work (byte-wise), in both orders. */
static void test_unaligned(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct dma_ctx *c = &f->ctx;
    unsigned char *h = fixture_host(f, 0x1301);
    uint64_t v64 = 0;
    uint32_t v32 = 0;
    uint16_t v16 = 0;
    assert_int_equal(dma_st_be64(c, 0x1301, 0x0102030405060708ull), DMA_OK);
    assert_bytes(h, be64_bytes, 8);
    assert_int_equal(dma_ld_le64_relaxed(c, 0x1301, &v64), DMA_OK);
    assert_true(v64 == 0x0807060504030201ull);
    assert_int_equal(dma_st_le32_relaxed(c, 0x1303, 0x11223344u), DMA_OK);
    assert_bytes(h + 2, (const unsigned char[]){ 0x44, 0x33, 0x22, 0x11 }, 4);
    assert_int_equal(dma_ld_be32(c, 0x1303, &v32), DMA_OK);
    assert_int_equal(v32, 0x44332211u);
    assert_int_equal(dma_st_le16(c, 0x1307, 0xbeef), DMA_OK);
    assert_int_equal(dma_ld_be16(c, 0x1307, &v16), DMA_OK);
    assert_int_equal(v16, 0xefbe);
}

/* An unaligned 8-byte store spanning the A|B boundary lands in both. */
static void test_cross_region(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct dma_ctx *c = &f->ctx;
    uint64_t v = 0;
    assert_int_equal(dma_st_be64(c, 0x1ffc, 0x0102030405060708ull), DMA_OK);
    assert_bytes(fixture_host(f, 0x1ffc), be64_bytes, 4);
    assert_bytes(fixture_host(f, 0x2000), be64_bytes + 4, 4);
    assert_int_equal(dma_ld_be64(c, 0x1ffc, &v), DMA_OK);
    assert_true(v == 0x0102030405060708ull);
}

/* The same value round-trips through every family. */
static void test_roundtrip(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct dma_ctx *c = &f->ctx;
    uint16_t a16 = 0;
    uint32_t a32 = 0;
    uint64_t a64 = 0;
    assert_int_equal(dma_st_le16(c, 0x5000, 0xa55a), DMA_OK);
    assert_int_equal(dma_ld_le16(c, 0x5000, &a16), DMA_OK);
    assert_int_equal(a16, 0xa55a);
    assert_int_equal(dma_st_be32(c, 0x5004, 0xdeadbeefu), DMA_OK);
    assert_int_equal(dma_ld_be32(c, 0x5004, &a32), DMA_OK);
    assert_int_equal(a32, 0xdeadbeefu);
    assert_int_equal(dma_st_le64(c, 0x5008, 0xfedcba9876543210ull), DMA_OK);
    assert_int_equal(dma_ld_le64(c, 0x5008, &a64), DMA_OK);
    assert_true(a64 == 0xfedcba9876543210ull);
    /* Raw bytes: dma_read sees guest order, whatever the host is. */
    {
        unsigned char raw[4];
        assert_int_equal(dma_read(c, 0x5004, raw, 4), DMA_OK);
        assert_bytes(raw, (const unsigned char[]){ 0xde, 0xad, 0xbe, 0xef }, 4);
    }
}

/*
 * On a big-endian host (s390x) the le accessors must swap and the be ones
 * must not; on a little-endian host the reverse. The layout tests above
 * pass on both only if each path is right; this one says which path ran,
 * checks odma's compile-time byte order against the CPU's, and, when
 * ODMA_EXPECT_ENDIAN=big|little is set (make cross-test sets it), that the
 * binary really runs on the byte order its architecture has.
 */
static void test_host_byte_order(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct dma_ctx *c = &f->ctx;
    const uint32_t v32 = 0x01020304u;
    const uint64_t v64 = 0x0102030405060708ull;
    const uint16_t v16 = 0x0102;
    unsigned char native[8];
    const char *expect = getenv("ODMA_EXPECT_ENDIAN");
    bool big;
    memcpy(native, &v32, 4);
    big = native[0] == 0x01;
    assert_true(native[0] == 0x01 || native[0] == 0x04);
    assert_int_equal(ODMA__HOST_BIG_ENDIAN, big);
    if (expect)
        assert_string_equal(expect, big ? "big" : "little");
    print_message("  host is %s-endian: the %s accessors byte-swap\n", big ? "big" : "little",
                  big ? "le" : "be");

    /* The guest bytes equal the host's own representation exactly when
     * the guest order is the host's: the other order was swapped. */
    assert_int_equal(dma_st_le32(c, 0x1400, v32), DMA_OK);
    assert_int_equal(memcmp(fixture_host(f, 0x1400), native, 4) == 0, !big);
    assert_int_equal(dma_st_be32(c, 0x1404, v32), DMA_OK);
    assert_int_equal(memcmp(fixture_host(f, 0x1404), native, 4) == 0, big);
    memcpy(native, &v64, 8);
    assert_int_equal(dma_st_le64(c, 0x1408, v64), DMA_OK);
    assert_int_equal(memcmp(fixture_host(f, 0x1408), native, 8) == 0, !big);
    assert_int_equal(dma_st_be64(c, 0x1410, v64), DMA_OK);
    assert_int_equal(memcmp(fixture_host(f, 0x1410), native, 8) == 0, big);
    memcpy(native, &v16, 2);
    assert_int_equal(dma_st_le16(c, 0x1418, v16), DMA_OK);
    assert_int_equal(memcmp(fixture_host(f, 0x1418), native, 2) == 0, !big);
    assert_int_equal(dma_st_be16(c, 0x141a, v16), DMA_OK);
    assert_int_equal(memcmp(fixture_host(f, 0x141a), native, 2) == 0, big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_layout, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_load_layout, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unaligned, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_cross_region, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_roundtrip, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_host_byte_order, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests_name("ldst", tests, NULL, NULL);
}
