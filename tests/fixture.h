/* SPDX-License-Identifier: MIT */
/*
 * tests/fixture.h - guest memory layout shared by the unit tests.
 *
 *   0x1000 .. 0x1fff   RAM A      (ram[0x000..0xfff])
 *   0x2000 .. 0x2fff   RAM B      (ram[0x1000..0x1fff]) adjacent to A
 *   0x3000 .. 0x3fff   hole
 *   0x4000 .. 0x4fff   read-only  (ram[0x2000..0x2fff])
 *   0x5000 .. 0x5fff   RAM C      (ram[0x3000..0x3fff]) adjacent to RO
 *
 * setup() fills RAM with a position-dependent pattern so any stray write
 * shows; snapshot()/unchanged() compare all of it byte for byte.
 */
#ifndef ODMA_TEST_FIXTURE_H
#define ODMA_TEST_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <odma/testing.h>

#define RAM_SIZE 0x4000

struct fixture {
    struct dma_ctx ctx;
    _Alignas(64) unsigned char ram[RAM_SIZE];
    unsigned char before[RAM_SIZE];
};

static inline unsigned char fixture_pattern(size_t i)
{
    return (unsigned char)(i * 7u + 3u);
}

static inline void fixture_init(struct fixture *f, const struct dma_policy *policy)
{
    size_t i;
    for (i = 0; i < RAM_SIZE; i++)
        f->ram[i] = fixture_pattern(i);
    dma_ctx_init(&f->ctx, policy);
    assert_int_equal(dma_ctx_add_region(&f->ctx, 0x1000, 0x1000, f->ram, 0), DMA_OK);
    assert_int_equal(dma_ctx_add_region(&f->ctx, 0x2000, 0x1000, f->ram + 0x1000, 0), DMA_OK);
    assert_int_equal(dma_ctx_add_region(&f->ctx, 0x4000, 0x1000, f->ram + 0x2000,
                                        DMA_REGION_READONLY), DMA_OK);
    assert_int_equal(dma_ctx_add_region(&f->ctx, 0x5000, 0x1000, f->ram + 0x3000, 0), DMA_OK);
    memcpy(f->before, f->ram, RAM_SIZE);
}

/* Host byte backing guest address gpa (fixture layout only). */
static inline unsigned char *fixture_host(struct fixture *f, uint64_t gpa)
{
    if (gpa >= 0x1000 && gpa < 0x3000)
        return f->ram + (gpa - 0x1000);
    if (gpa >= 0x4000 && gpa < 0x6000)
        return f->ram + 0x2000 + (gpa - 0x4000);
    fail_msg("no host byte for 0x%llx", (unsigned long long)gpa);
    return NULL;
}

static inline void fixture_snapshot(struct fixture *f)
{
    memcpy(f->before, f->ram, RAM_SIZE);
}

static inline void fixture_assert_unchanged(struct fixture *f)
{
    size_t i;
    for (i = 0; i < RAM_SIZE; i++)
        if (f->ram[i] != f->before[i])
            fail_msg("guest byte at ram[0x%zx] changed: 0x%02x -> 0x%02x", i,
                     f->before[i], f->ram[i]);
}

static inline void assert_all_ff(const void *buf, size_t len)
{
    const unsigned char *b = (const unsigned char *)buf;
    size_t i;
    for (i = 0; i < len; i++)
        if (b[i] != 0xff)
            fail_msg("byte %zu of a failed read is 0x%02x, not 0xff", i, b[i]);
}

#define assert_trace(expected) assert_string_equal(dma_trace_string(), (expected))

static inline int fixture_setup(void **state)
{
    struct fixture *f = (struct fixture *)aligned_alloc(64, sizeof *f);
    assert_non_null(f);
    fixture_init(f, NULL);
    *state = f;
    return 0;
}

static inline int fixture_teardown(void **state)
{
    dma_trace_stop();
    free(*state);
    return 0;
}

#endif
