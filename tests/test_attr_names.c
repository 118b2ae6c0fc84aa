/* SPDX-License-Identifier: MIT */
/*
 * tests/test_attr_names.c - odma.h included after a tree's own attribute
 * macros. Linux (include/linux/compiler_attributes.h), and trees that
 * copy it, #define noinline, __always_inline, __weak, __aligned ...; a
 * tree may as well #define the plain names. odma spells every attribute
 * in the reserved form (__noinline__, __always_inline__, ...), so none of
 * these macros reaches it.
 *
 * The macros below expand to an attribute that does not exist: a header
 * that still wrote __attribute__((noinline)) would get "attribute
 * directive ignored", an error under -Werror (the previous headers,
 * which wrote always_inline, noinline, weak, unused, format and
 * tls_model, failed to build with 206 such errors from gcc 12).
 */
/* Every system header odma includes, first: they are not ours to test. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ctype.h>
#include <sys/syscall.h>
#include <setjmp.h>
#include <cmocka.h>
#if defined(__linux__)
#include <linux/membarrier.h>
#endif

#define ODMA_TEST_NOT_AN_ATTRIBUTE odma_test_not_an_attribute
#define noinline ODMA_TEST_NOT_AN_ATTRIBUTE
#define always_inline ODMA_TEST_NOT_AN_ATTRIBUTE
#define unused ODMA_TEST_NOT_AN_ATTRIBUTE
#define weak ODMA_TEST_NOT_AN_ATTRIBUTE
#define tls_model(m) ODMA_TEST_NOT_AN_ATTRIBUTE
#define format(...) ODMA_TEST_NOT_AN_ATTRIBUTE
#define aligned(n) ODMA_TEST_NOT_AN_ATTRIBUTE
#define may_alias ODMA_TEST_NOT_AN_ATTRIBUTE
#define cold ODMA_TEST_NOT_AN_ATTRIBUTE
#define used ODMA_TEST_NOT_AN_ATTRIBUTE

#include <odma.h>
#include <odma/testing.h>

/* The headers work behind those macros: a store and a load round-trip,
 * and an unaligned 4-byte access (the aligned(1) type on x86) too. */
static void test_round_trip_behind_tree_macros(void **state)
{
    static _Alignas(64) unsigned char ram[64]; /* host and gpa agree mod 8 */
    struct dma_ctx ctx;
    uint32_t v = 0;
    (void)state;
    dma_ctx_init(&ctx, DMA_POLICY_STRICT);
    assert_int_equal(dma_ctx_add_region(&ctx, 0x1000, sizeof ram, ram, 0), DMA_OK);
    assert_int_equal(dma_st_le32(&ctx, 0x1004, 0x11223344u), DMA_OK);
    assert_int_equal(dma_ld_le32(&ctx, 0x1004, &v), DMA_OK);
    assert_int_equal(v, 0x11223344u);
    assert_int_equal(dma_st_le32_relaxed(&ctx, 0x1009, 0xa1b2c3d4u), DMA_OK);
    assert_int_equal(dma_ld_le32_relaxed(&ctx, 0x1009, &v), DMA_OK);
    assert_int_equal(v, 0xa1b2c3d4u);
    assert_int_equal(ram[9], 0xd4); /* little-endian guest order */
    assert_int_equal(dma_ld_le32(&ctx, 0x2000, &v), DMA_ERR_UNMAPPED);
    assert_int_equal(v, 0xffffffffu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_behind_tree_macros),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
