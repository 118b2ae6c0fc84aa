/* SPDX-License-Identifier: MIT */
/*
 * Dirty log: the bits cover exactly the pages written, by every write
 * path; reads and failed writes mark nothing; a harvest takes and clears;
 * a writer and a concurrent harvester lose no page.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include "threads.h"
#define ODMA_TESTING_IMPLEMENTATION
#include "fixture.h"

#define PAGES 64
#define RAM_BASE 0x100000ull

struct dirty_fixture {
    struct dma_ctx ctx;
    unsigned char *ram; /* PAGES * 4 KiB */
    unsigned long bits[DMA_DIRTY_WORDS(PAGES * 4096ull, 12)];
    struct dma_dirty_log log;
};

static int dirty_setup(void **state)
{
    struct dirty_fixture *d = (struct dirty_fixture *)calloc(1, sizeof *d);
    assert_non_null(d);
    d->ram = (unsigned char *)aligned_alloc(4096, PAGES * 4096);
    assert_non_null(d->ram);
    memset(d->ram, 0, PAGES * 4096);
    dma_ctx_init(&d->ctx, NULL);
    assert_int_equal(dma_ctx_add_region(&d->ctx, RAM_BASE, PAGES * 4096, d->ram, 0), DMA_OK);
    d->log.bits = d->bits;
    d->log.words = sizeof d->bits / sizeof d->bits[0];
    d->log.page_shift = 0; /* default: 4 KiB */
    assert_int_equal(dma_ctx_set_dirty_log(&d->ctx, RAM_BASE + 5, &d->log), DMA_OK);
    *state = d;
    return 0;
}

static int dirty_teardown(void **state)
{
    struct dirty_fixture *d = (struct dirty_fixture *)*state;
    free(d->ram);
    free(d);
    return 0;
}

/* Harvest and compare with the list of pages expected, -1 terminated. */
static void expect_pages(struct dirty_fixture *d, const int *pages)
{
    unsigned long got[sizeof d->bits / sizeof d->bits[0]];
    unsigned long want[sizeof d->bits / sizeof d->bits[0]];
    size_t n, expected = 0, i;
    memset(want, 0, sizeof want);
    for (; *pages >= 0; pages++, expected++)
        want[*pages / (int)ODMA__ULONG_BITS] |= 1ul << (*pages % (int)ODMA__ULONG_BITS);
    n = dma_dirty_log_harvest(&d->log, got);
    for (i = 0; i < sizeof got / sizeof got[0]; i++)
        if (got[i] != want[i])
            fail_msg("dirty word %zu: got 0x%lx, want 0x%lx", i, got[i], want[i]);
    assert_int_equal(n, expected);
    for (i = 0; i < sizeof d->bits / sizeof d->bits[0]; i++)
        assert_int_equal(d->bits[i], 0); /* cleared */
}

static void test_every_write_path(void **state)
{
    struct dirty_fixture *d = (struct dirty_fixture *)*state;
    struct dma_ctx *c = &d->ctx;
    unsigned char buf[8192];
    uint64_t len;
    void *p;
    memset(buf, 1, sizeof buf);
    expect_pages(d, (const int[]){ -1 });
    assert_int_equal(dma_write(c, RAM_BASE + 0x0ffc, buf, 8), DMA_OK); /* pages 0 and 1 */
    expect_pages(d, (const int[]){ 0, 1, -1 });
    assert_int_equal(dma_write_relaxed(c, RAM_BASE + 3 * 4096, buf, 8192), DMA_OK);
    expect_pages(d, (const int[]){ 3, 4, -1 }); /* exactly two pages, not five */
    assert_int_equal(dma_set(c, RAM_BASE + 6 * 4096 + 100, 0, 1), DMA_OK);
    assert_int_equal(dma_st_le32(c, RAM_BASE + 7 * 4096, 1), DMA_OK);
    assert_int_equal(dma_st_be64_relaxed(c, RAM_BASE + 8 * 4096, 1), DMA_OK);
    assert_int_equal(dma_st_u8_release(c, RAM_BASE + 9 * 4096, 1), DMA_OK);
    assert_int_equal(dma_write_publish(c, RAM_BASE + 10 * 4096 - 8, buf, 16, 12, 4), DMA_OK);
    expect_pages(d, (const int[]){ 6, 7, 8, 9, 10, -1 });
    /* publish across a page: both pages, including the flag's. */
    assert_int_equal(dma_write_publish(c, RAM_BASE + 12 * 4096 - 8, buf, 16, 12, 4), DMA_OK);
    expect_pages(d, (const int[]){ 11, 12, -1 });
    /* Unmap of a write mapping marks access_len, not the whole map. */
    len = 3 * 4096;
    p = dma_map(c, RAM_BASE + 20 * 4096, &len, DMA_DIR_WRITE, NULL);
    assert_non_null(p);
    expect_pages(d, (const int[]){ -1 }); /* nothing until unmap */
    dma_unmap(c, p, len, DMA_DIR_WRITE, 4097);
    expect_pages(d, (const int[]){ 20, 21, -1 });
    /* A read mapping, reads, and failed writes mark nothing. */
    len = 4096;
    p = dma_map(c, RAM_BASE + 30 * 4096, &len, DMA_DIR_READ, NULL);
    dma_unmap(c, p, len, DMA_DIR_READ, 4096);
    assert_int_equal(dma_read(c, RAM_BASE, buf, 8192), DMA_OK);
    assert_int_equal(dma_write(c, RAM_BASE + PAGES * 4096 - 4, buf, 8), DMA_ERR_UNMAPPED);
    assert_int_equal(dma_write(c, RAM_BASE + 40 * 4096, buf, 0), DMA_OK);
    expect_pages(d, (const int[]){ -1 });
    /* The last page. */
    assert_int_equal(dma_st_le32(c, RAM_BASE + PAGES * 4096 - 4, 1), DMA_OK);
    expect_pages(d, (const int[]){ PAGES - 1, -1 });
}

static void test_start_stop_and_errors(void **state)
{
    struct dirty_fixture *d = (struct dirty_fixture *)*state;
    unsigned long small[1];
    struct dma_dirty_log tiny = { small, 1, 12 }, nobits = { NULL, 4, 12 };
    assert_int_equal(dma_ctx_set_dirty_log(&d->ctx, RAM_BASE, NULL), DMA_OK); /* stop */
    assert_int_equal(dma_st_le32(&d->ctx, RAM_BASE, 1), DMA_OK);
    expect_pages(d, (const int[]){ -1 });
    assert_int_equal(dma_ctx_set_dirty_log(&d->ctx, RAM_BASE, &nobits), DMA_ERR_INVALID);
    if (PAGES > ODMA__ULONG_BITS)
        assert_int_equal(dma_ctx_set_dirty_log(&d->ctx, RAM_BASE, &tiny), DMA_ERR_INVALID);
    assert_int_equal(dma_ctx_set_dirty_log(&d->ctx, 0x10, &d->log), DMA_ERR_INVALID);
    assert_int_equal(dma_ctx_set_dirty_log(NULL, RAM_BASE, &d->log), DMA_ERR_INVALID);
    assert_int_equal(dma_dirty_log_harvest(NULL, small), 0);
    /* Large pages: 2 MiB each, the whole region is one page. */
    {
        unsigned long big[1] = { 0 };
        struct dma_dirty_log huge = { big, 1, 21 };
        unsigned long out[1] = { 0 };
        assert_int_equal(dma_ctx_set_dirty_log(&d->ctx, RAM_BASE, &huge), DMA_OK);
        assert_int_equal(dma_st_le32(&d->ctx, RAM_BASE + 50 * 4096, 1), DMA_OK);
        assert_int_equal(dma_dirty_log_harvest(&huge, out), 1);
        assert_int_equal(out[0], 1);
        assert_int_equal(dma_ctx_set_dirty_log(&d->ctx, RAM_BASE, NULL), DMA_OK);
    }
}

/*
 * A device thread writes 4096 small pages (64 bytes, page_shift 6), each
 * exactly once per round and in a shuffled order, while another thread
 * keeps harvesting. A bit lost by a harvest can never be set again, so
 * the harvests together must give every page exactly once: no page lost,
 * none invented, none twice.
 */
#define SMALL_PAGES 4096
#define ROUNDS 20

struct dirty_writer {
    struct dma_ctx *ctx;
    uint64_t base;
    unsigned order[SMALL_PAGES];
    atomic_int round_done;
};

static void *dirty_writer_thread(void *p)
{
    struct dirty_writer *w = (struct dirty_writer *)p;
    int round;
    unsigned i;
    pin_to_nth_cpu(1);
    for (round = 0; round < ROUNDS; round++) {
        for (i = 0; i < SMALL_PAGES; i++)
            if (dma_st_le32_relaxed(w->ctx, w->base + 64ull * w->order[i], i) != DMA_OK)
                return NULL;
        atomic_store(&w->round_done, round + 1);
        while (atomic_load(&w->round_done) != 0) /* the harvester resets it */
            ;
    }
    return w;
}

static void test_concurrent_harvest_loses_nothing(void **state)
{
    static unsigned long bits[SMALL_PAGES / (8 * sizeof(unsigned long)) + 2];
    static unsigned long out[sizeof bits / sizeof bits[0]];
    static unsigned char count[SMALL_PAGES];
    struct dirty_fixture *d = (struct dirty_fixture *)*state;
    struct dma_dirty_log log = { bits, sizeof bits / sizeof bits[0], 6 };
    struct dirty_writer *w = (struct dirty_writer *)calloc(1, sizeof *w);
    pthread_t th;
    void *ok = NULL;
    unsigned long harvests = 0, mid_round = 0;
    unsigned i;
    int round;
    uint32_t x = 7;
    assert_non_null(w);
    memset(bits, 0, sizeof bits);
    w->ctx = &d->ctx;
    w->base = RAM_BASE; /* 4096 * 64 bytes = the first 64 KiB */
    for (i = 0; i < SMALL_PAGES; i++)
        w->order[i] = i;
    for (i = SMALL_PAGES - 1; i > 0; i--) { /* Fisher-Yates */
        unsigned j, t;
        x = x * 1664525u + 1013904223u;
        j = (x >> 8) % (i + 1);
        t = w->order[i], w->order[i] = w->order[j], w->order[j] = t;
    }
    assert_int_equal(dma_ctx_set_dirty_log(&d->ctx, RAM_BASE, &log), DMA_OK);
    atomic_init(&w->round_done, 0);
    assert_int_equal(pthread_create(&th, NULL, dirty_writer_thread, w), 0);
    pin_to_nth_cpu(0);
    for (round = 0; round < ROUNDS; round++) {
        unsigned total = 0;
        int finished = 0;
        memset(count, 0, sizeof count);
        while (!finished) {
            size_t k;
            finished = atomic_load(&w->round_done) == round + 1; /* then harvest once more */
            dma_dirty_log_harvest(&log, out);
            harvests++;
            mid_round += !finished;
            for (k = 0; k < SMALL_PAGES; k++)
                if (out[k / ODMA__ULONG_BITS] & (1ul << (k % ODMA__ULONG_BITS)))
                    count[k]++;
        }
        for (i = 0; i < SMALL_PAGES; i++) {
            if (count[i] != 1)
                fail_msg("round %d: page %u harvested %u times", round, i, count[i]);
            total += count[i];
        }
        assert_int_equal(total, SMALL_PAGES);
        atomic_store(&w->round_done, 0);
    }
    assert_int_equal(pthread_join(th, &ok), 0);
    assert_ptr_equal(ok, w);
    print_message("  %d rounds x %d single writes; %lu harvests (%lu during writing): "
                  "every page exactly once\n", ROUNDS, SMALL_PAGES, harvests, mid_round);
    assert_true(mid_round > 0); /* the harvests did overlap the writes */
    free(w);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, dirty_setup, dirty_teardown)
    const struct CMUnitTest tests[] = {
        T(test_every_write_path),
        T(test_start_stop_and_errors),
        T(test_concurrent_harvest_loses_nothing),
    };
#undef T
    return cmocka_run_group_tests_name("dirty", tests, NULL, NULL);
}
