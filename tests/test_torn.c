/* SPDX-License-Identifier: MIT */
/*
 * Single-copy atomicity: one thread flips an aligned 2/4/8-byte guest
 * field between two values that differ in every byte, with dma_st_*_relaxed
 * (and dma_write_relaxed of exactly that size); another reads it with
 * dma_ld_*_relaxed (and dma_read_relaxed). Any other value is a torn
 * access and fails the test. About 0.1 s per case.
 *
 * For contrast, an unaligned 8-byte field that straddles a cache line is
 * flipped the same way: odma promises nothing there, and on x86 such
 * accesses are split, so its count shows the reader does catch tearing.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include "threads.h"
#define ODMA_TESTING_IMPLEMENTATION
#include "fixture.h"

#define SECONDS_PER_CASE 0.1

struct torn {
    struct dma_ctx *ctx;
    uint64_t addr;
    unsigned width; /* 2, 4, 8 */
    bool bulk;      /* dma_read/dma_write instead of ld/st */
    atomic_bool stop;
    unsigned long writes;
};

static const uint64_t value_a = 0x0000000000000000ull;
static const uint64_t value_b = 0xa5c3e1f00f1e3c5aull; /* no zero byte */

static void store(struct torn *t, uint64_t v)
{
    if (t->bulk) {
        unsigned char raw[8];
        memcpy(raw, &v, 8); /* the first `width` bytes of v, host order */
        if (ODMA__HOST_BIG_ENDIAN)
            memcpy(raw, (unsigned char *)&v + 8 - t->width, t->width);
        dma_write_relaxed(t->ctx, t->addr, raw, t->width);
        return;
    }
    switch (t->width) {
    case 2: dma_st_le16_relaxed(t->ctx, t->addr, (uint16_t)v); break;
    case 4: dma_st_le32_relaxed(t->ctx, t->addr, (uint32_t)v); break;
    default: dma_st_le64_relaxed(t->ctx, t->addr, v); break;
    }
}

static uint64_t load(struct torn *t)
{
    if (t->bulk) {
        unsigned char raw[8];
        uint64_t v = 0;
        dma_read_relaxed(t->ctx, t->addr, raw, t->width);
        if (ODMA__HOST_BIG_ENDIAN)
            memcpy((unsigned char *)&v + 8 - t->width, raw, t->width);
        else
            memcpy(&v, raw, t->width);
        return v;
    }
    switch (t->width) {
    case 2: { uint16_t v; dma_ld_le16_relaxed(t->ctx, t->addr, &v); return v; }
    case 4: { uint32_t v; dma_ld_le32_relaxed(t->ctx, t->addr, &v); return v; }
    default: { uint64_t v; dma_ld_le64_relaxed(t->ctx, t->addr, &v); return v; }
    }
}

static uint64_t truncate_to(uint64_t v, unsigned width)
{
    return width == 8 ? v : v & ((1ull << (8 * width)) - 1);
}

static void *writer(void *p)
{
    struct torn *t = (struct torn *)p;
    unsigned long n = 0;
    pin_to_nth_cpu(1);
    while (!atomic_load_explicit(&t->stop, memory_order_relaxed)) {
        store(t, value_b);
        store(t, value_a);
        n += 2;
    }
    t->writes = n;
    return NULL;
}

struct reader {
    struct torn *t;
    unsigned long reads, torn;
};

/* Reads until the time is up, counting torn values. */
static void *reader(void *p)
{
    struct reader *r = (struct reader *)p;
    uint64_t a = truncate_to(value_a, r->t->width), b = truncate_to(value_b, r->t->width);
    double end = now_seconds() + SECONDS_PER_CASE;
    pin_to_nth_cpu(0);
    do {
        int k;
        for (k = 0; k < 1024; k++) {
            uint64_t v = load(r->t);
            r->torn += v != a && v != b;
        }
        r->reads += 1024;
    } while (now_seconds() < end);
    atomic_store(&r->t->stop, true);
    return NULL;
}

static unsigned long run_case(struct dma_ctx *ctx, uint64_t addr, unsigned width, bool bulk,
                              unsigned long *reads)
{
    struct torn t;
    struct reader r;
    pthread_t th[2];
    memset(&t, 0, sizeof t);
    t.ctx = ctx;
    t.addr = addr;
    t.width = width;
    t.bulk = bulk;
    atomic_init(&t.stop, false);
    store(&t, value_a);
    memset(&r, 0, sizeof r);
    r.t = &t;
    assert_int_equal(pthread_create(&th[0], NULL, writer, &t), 0);
    assert_int_equal(pthread_create(&th[1], NULL, reader, &r), 0);
    assert_int_equal(pthread_join(th[1], NULL), 0);
    assert_int_equal(pthread_join(th[0], NULL), 0);
    assert_true(t.writes > 0);
    *reads = r.reads;
    return r.torn;
}

static void test_aligned_never_tears(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    static const unsigned widths[3] = { 2, 4, 8 };
    int w, bulk;
    if (usable_cpus() < 2)
        skip();
    for (bulk = 0; bulk < 2; bulk++) {
        for (w = 0; w < 3; w++) {
            unsigned long reads, torn;
            /* 0x1038: aligned for every width, 8 bytes before a line end. */
            torn = run_case(&f->ctx, 0x1038, widths[w], bulk, &reads);
            print_message("  %-10s %u bytes aligned:   %9lu reads, %lu torn\n",
                          bulk ? "read/write" : "ld/st", widths[w], reads, torn);
            assert_int_equal(torn, 0);
        }
    }
}

static void test_unaligned_control(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    unsigned long reads, torn;
    if (usable_cpus() < 2)
        skip();
    /* ram is 64-byte aligned and gpa 0x1000 maps to ram[0]: 0x103c..0x1043
     * straddles the line boundary at 0x1040. */
    torn = run_case(&f->ctx, 0x103c, 8, false, &reads);
    print_message("  control: 8 bytes across a cache line: %9lu reads, %lu torn%s\n", reads,
                  torn, torn ? "" : " (this host never split it: no contrast)");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_aligned_never_tears),
        T(test_unaligned_control),
    };
#undef T
    return cmocka_run_group_tests_name("torn", tests, NULL, NULL);
}
