/* SPDX-License-Identifier: MIT */
/*
 * dma_map / dma_unmap / dma_ctx_quiesce: prefixes cut at region ends,
 * barriers (mb before an ordered map, none on unmap, previous access
 * unknown afterwards), errors, misuse detection that leaves the count
 * right, and counting under two threads.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include "threads.h"

/* Count misuse instead of aborting, so the test can see it. */
static int misuse_count;
#define ODMA_ON_MISUSE(ctx, message) ((void)(ctx), (void)(message), misuse_count++)
#define ODMA_TESTING_IMPLEMENTATION
#include "fixture.h"

static void test_map_basic(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    uint64_t len = 0x100;
    dma_result res = DMA_ERR_INVALID;
    unsigned char *p;
    odma_mb();
    dma_trace_reset();
    p = (unsigned char *)dma_map(&f->ctx, 0x1100, &len, DMA_DIR_WRITE, &res);
    assert_int_equal(res, DMA_OK);
    assert_ptr_equal(p, fixture_host(f, 0x1100));
    assert_int_equal(len, 0x100);
    assert_int_equal(dma_ctx_maps_outstanding(&f->ctx), 1);
    memset(p, 0x42, 0x80);
    dma_unmap(&f->ctx, p, len, DMA_DIR_WRITE, 0x80);
    assert_int_equal(dma_ctx_maps_outstanding(&f->ctx), 0);
    assert_trace("mb map:W@0x1100+256 unmap:W@0x1100+128");
    assert_int_equal(*fixture_host(f, 0x117f), 0x42);
    assert_int_equal(misuse_count, 0);
}

/* The prefix stops at the region's end, even if the next one is adjacent. */
static void test_map_short_at_region_end(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    uint64_t len = 0x2000;
    dma_result res;
    void *p = dma_map_relaxed(&f->ctx, 0x1f00, &len, DMA_DIR_READ, &res);
    assert_int_equal(res, DMA_OK);
    assert_ptr_equal(p, fixture_host(f, 0x1f00));
    assert_int_equal(len, 0x100);
    dma_unmap(&f->ctx, p, len, DMA_DIR_READ, len);
    /* Read-only region: maps for reading, not for writing. */
    len = 16;
    p = dma_map(&f->ctx, 0x4000, &len, DMA_DIR_READ, &res);
    assert_int_equal(res, DMA_OK);
    assert_non_null(p);
    dma_unmap(&f->ctx, p, len, DMA_DIR_READ, 0);
    len = 16;
    assert_null(dma_map(&f->ctx, 0x4000, &len, DMA_DIR_WRITE, &res));
    assert_int_equal(res, DMA_ERR_READONLY);
    assert_int_equal(len, 0);
    assert_int_equal(dma_ctx_maps_outstanding(&f->ctx), 0);
}

static void test_map_errors(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    uint64_t len;
    dma_result res;
    dma_trace_reset();
    len = 16;
    assert_null(dma_map(&f->ctx, 0x3000, &len, DMA_DIR_READ, &res)); /* hole */
    assert_int_equal(res, DMA_ERR_UNMAPPED);
    len = 0;
    assert_null(dma_map(&f->ctx, 0x1000, &len, DMA_DIR_READ, &res));
    assert_int_equal(res, DMA_ERR_INVALID);
    assert_null(dma_map(&f->ctx, 0x1000, NULL, DMA_DIR_READ, &res));
    assert_int_equal(res, DMA_ERR_INVALID);
    len = 16;
    assert_null(dma_map(NULL, 0x1000, &len, DMA_DIR_READ, &res));
    assert_int_equal(res, DMA_ERR_INVALID);
    len = 16;
    assert_null(dma_map(&f->ctx, UINT64_MAX - 7, &len, DMA_DIR_READ, &res));
    assert_int_equal(res, DMA_ERR_OVERFLOW);
    len = 16;
    assert_null(dma_map(&f->ctx, 0x1000, &len, (dma_dir)5, &res));
    assert_int_equal(res, DMA_ERR_INVALID);
    len = 16;
    assert_null(dma_map(&f->ctx, 0x3000, &len, DMA_DIR_READ, NULL)); /* res optional */
    dma_ctx_set_bus_master(&f->ctx, false);
    len = 16;
    assert_null(dma_map(&f->ctx, 0x1000, &len, DMA_DIR_READ, &res));
    assert_int_equal(res, DMA_ERR_DISABLED);
    assert_trace(""); /* a failed map issues no barrier */
    assert_int_equal(dma_ctx_maps_outstanding(&f->ctx), 0);
}

/* After map and after unmap the previous access is unknown again. */
static void test_map_leaves_previous_unknown(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    uint64_t len = 8;
    uint32_t v;
    void *p;
    assert_int_equal(dma_ld_le32(&f->ctx, 0x1000, &v), DMA_OK); /* previous: R */
    p = dma_map_relaxed(&f->ctx, 0x1000, &len, DMA_DIR_READ, NULL);
    assert_non_null(p);
    dma_trace_reset();
    assert_int_equal(dma_st_le32(&f->ctx, 0x1010, 1), DMA_OK);
    assert_trace("wmb W@0x1010+4"); /* unknown -> W under STRICT: wmb orders R->W, W->W */
    odma_mb();
    dma_trace_reset();
    dma_unmap(&f->ctx, p, len, DMA_DIR_READ, 8);
    assert_int_equal(dma_ld_le32(&f->ctx, 0x1010, &v), DMA_OK);
    assert_trace("unmap:R@0x1000+8 mb R@0x1010+4");
}

/* Unmaps that match no outstanding map are detected and change nothing. */
static void test_unmap_misuse(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    uint64_t len = 0x40;
    void *p = dma_map(&f->ctx, 0x1000, &len, DMA_DIR_WRITE, NULL), *q;
    uint64_t len2 = 0x40;
    assert_non_null(p);
    q = dma_map(&f->ctx, 0x1800, &len2, DMA_DIR_WRITE, NULL);
    assert_non_null(q);
    misuse_count = 0;
    dma_unmap(&f->ctx, fixture_host(f, 0x1200), 0x40, DMA_DIR_WRITE, 0); /* never mapped */
    dma_unmap(&f->ctx, p, 0x20, DMA_DIR_WRITE, 0);                      /* wrong length */
    dma_unmap(&f->ctx, p, 0x40, DMA_DIR_READ, 0);                       /* wrong direction */
    assert_int_equal(misuse_count, 3);
    assert_int_equal(dma_ctx_maps_outstanding(&f->ctx), 2);
    dma_unmap(&f->ctx, p, 0x40, DMA_DIR_WRITE, 0x40);
    assert_int_equal(dma_ctx_maps_outstanding(&f->ctx), 1);
    dma_unmap(&f->ctx, p, 0x40, DMA_DIR_WRITE, 0x40); /* twice */
    assert_int_equal(misuse_count, 4);
    assert_int_equal(dma_ctx_maps_outstanding(&f->ctx), 1);
    dma_unmap(&f->ctx, q, 0x40, DMA_DIR_WRITE, 0x100); /* access_len too large: clamped */
    assert_int_equal(misuse_count, 5);
    assert_int_equal(dma_ctx_maps_outstanding(&f->ctx), 0);
    dma_unmap(NULL, p, 0x40, DMA_DIR_WRITE, 0); /* ignored */
    misuse_count = 0;
}

/* The table of outstanding maps fills, refuses, then frees up. */
static void test_map_table_full(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    void *p[ODMA_MAX_MAPS];
    uint64_t len;
    dma_result res;
    int i;
    for (i = 0; i < ODMA_MAX_MAPS; i++) {
        len = 16;
        p[i] = dma_map_relaxed(&f->ctx, 0x1000 + 16 * (uint64_t)i, &len, DMA_DIR_READ, &res);
        assert_int_equal(res, DMA_OK);
    }
    len = 16;
    assert_null(dma_map_relaxed(&f->ctx, 0x1800, &len, DMA_DIR_READ, &res));
    assert_int_equal(res, DMA_ERR_INVALID);
    assert_int_equal(dma_ctx_maps_outstanding(&f->ctx), ODMA_MAX_MAPS);
    for (i = 0; i < ODMA_MAX_MAPS; i++)
        dma_unmap(&f->ctx, p[i], 16, DMA_DIR_READ, 0);
    assert_int_equal(dma_ctx_maps_outstanding(&f->ctx), 0);
    assert_int_equal(misuse_count, 0);
}

static void test_quiesce(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    uint64_t len = 16;
    double t0;
    void *p;
    assert_true(dma_ctx_quiesce(&f->ctx, 0)); /* nothing outstanding */
    p = dma_map(&f->ctx, 0x1000, &len, DMA_DIR_READ, NULL);
    assert_non_null(p);
    t0 = now_seconds();
    assert_false(dma_ctx_quiesce(&f->ctx, 20 * 1000 * 1000)); /* 20 ms */
    assert_true(now_seconds() - t0 >= 0.019);
    dma_unmap(&f->ctx, p, len, DMA_DIR_READ, 0);
    assert_true(dma_ctx_quiesce(&f->ctx, 0));
    assert_false(dma_ctx_quiesce(NULL, 0));
}

/* Two threads mapping and unmapping; a third watches the count. */
struct mapper {
    struct dma_ctx *ctx;
    uint64_t base;
    unsigned long rounds, failures;
};

static void *mapper_thread(void *p)
{
    struct mapper *m = (struct mapper *)p;
    unsigned long i;
    for (i = 0; i < m->rounds; i++) {
        uint64_t len = 64;
        dma_result res;
        unsigned char *h = (unsigned char *)dma_map(m->ctx, m->base + (i % 16) * 64, &len,
                                                    DMA_DIR_WRITE, &res);
        if (!h || len != 64) {
            m->failures++;
            continue;
        }
        h[0] = (unsigned char)i;
        dma_unmap(m->ctx, h, len, DMA_DIR_WRITE, 1);
    }
    return NULL;
}

struct waiter {
    struct dma_ctx *ctx;
    atomic_bool stop;
    unsigned max_seen;
};

static void *watch_thread(void *p)
{
    struct waiter *w = (struct waiter *)p;
    while (!atomic_load(&w->stop)) {
        unsigned n = dma_ctx_maps_outstanding(w->ctx);
        if (n > w->max_seen)
            w->max_seen = n;
    }
    return NULL;
}

static void test_map_counting_two_threads(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct mapper m[2] = { { &f->ctx, 0x1000, 200000, 0 }, { &f->ctx, 0x2000, 200000, 0 } };
    struct waiter w;
    pthread_t th[3];
    int i;
    w.ctx = &f->ctx;
    w.max_seen = 0;
    atomic_init(&w.stop, false);
    assert_int_equal(pthread_create(&th[2], NULL, watch_thread, &w), 0);
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, mapper_thread, &m[i]), 0);
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    atomic_store(&w.stop, true);
    assert_int_equal(pthread_join(th[2], NULL), 0);
    print_message("  400000 map/unmap pairs on two threads; most outstanding seen: %u\n",
                  w.max_seen);
    assert_int_equal(m[0].failures + m[1].failures, 0);
    assert_true(w.max_seen <= 2); /* never more than one per thread, never wrapped */
    assert_int_equal(dma_ctx_maps_outstanding(&f->ctx), 0);
    assert_true(dma_ctx_quiesce(&f->ctx, 0));
    assert_int_equal(misuse_count, 0);
}

/* quiesce returns once another thread unmaps. */
struct late_unmap {
    struct dma_ctx *ctx;
    void *p;
    uint64_t len;
};

static void *late_unmap_thread(void *p)
{
    struct late_unmap *u = (struct late_unmap *)p;
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    dma_unmap(u->ctx, u->p, u->len, DMA_DIR_READ, 0);
    return NULL;
}

static void test_quiesce_waits_for_unmap(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct late_unmap u;
    pthread_t th;
    double t0;
    u.ctx = &f->ctx;
    u.len = 32;
    u.p = dma_map(&f->ctx, 0x5000, &u.len, DMA_DIR_READ, NULL);
    assert_non_null(u.p);
    dma_ctx_set_bus_master(&f->ctx, false); /* reset: stop new requests */
    t0 = now_seconds();
    assert_int_equal(pthread_create(&th, NULL, late_unmap_thread, &u), 0);
    assert_true(dma_ctx_quiesce(&f->ctx, 5ull * 1000 * 1000 * 1000));
    assert_true(now_seconds() - t0 >= 0.015);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(dma_ctx_maps_outstanding(&f->ctx), 0);
}

/* The checker sees a real map window: accesses at both of its ends. */
static void test_map_window_checked(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    char report[512];
    uint64_t len = 64;
    unsigned char *p;
    odma_mb();
    dma_trace_reset();
    assert_int_equal(dma_st_le32(&f->ctx, 0x1000, 1), DMA_OK);
    p = (unsigned char *)dma_map(&f->ctx, 0x1100, &len, DMA_DIR_READ, NULL);
    assert_non_null(p);
    dma_unmap(&f->ctx, p, len, DMA_DIR_READ, 64);
    assert_int_equal(dma_st_le32(&f->ctx, 0x1000, 2), DMA_OK); /* unknown -> W: wmb */
    assert_trace("W@0x1000+4 mb map:R@0x1100+64 unmap:R@0x1100+64 wmb W@0x1000+4");
    assert_int_equal(dma_trace_check(DMA_POLICY_STRICT, report, sizeof report), 0);
    /* Without the map's barrier the write is not ordered before the window. */
    odma_mb();
    dma_trace_reset();
    assert_int_equal(dma_st_le32(&f->ctx, 0x1000, 1), DMA_OK);
    len = 64;
    p = (unsigned char *)dma_map_relaxed(&f->ctx, 0x1100, &len, DMA_DIR_READ, NULL);
    assert_non_null(p);
    dma_unmap(&f->ctx, p, len, DMA_DIR_READ, 64);
    assert_true(dma_trace_check(DMA_POLICY_STRICT, report, sizeof report) > 0);
    assert_non_null(strstr(report, "W@0x1000+4 then map:R@0x1100+64"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_map_basic),          T(test_map_short_at_region_end),
        T(test_map_errors),         T(test_map_leaves_previous_unknown),
        T(test_unmap_misuse),       T(test_map_table_full),
        T(test_quiesce),            T(test_map_counting_two_threads),
        T(test_quiesce_waits_for_unmap), T(test_map_window_checked),
    };
#undef T
    return cmocka_run_group_tests_name("map", tests, NULL, NULL);
}
