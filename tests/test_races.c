/* SPDX-License-Identifier: MIT */
/*
 * Races between a device thread and a control thread (migration, reset):
 *
 * - starting a dirty log while the device writes: every write lands in
 *   the page copy made after dma_ctx_set_dirty_log() returned, or in the
 *   log (the store-buffering shape: device W data, R log pointer;
 *   migration W log pointer, R data);
 * - stopping it: after dma_ctx_set_dirty_log(NULL) returns the old
 *   bitmap is never written again (the caller may free it);
 * - a dma_map in flight (slow translate hook) when bus mastering goes off:
 *   quiesce must not say idle while that map can still succeed;
 * - dma_ctx_quiesce() times out on a monotonic clock, not the wall clock;
 * - concurrent unmaps of identical mappings each free exactly one slot.
 *
 * ODMA_RACE_ITER (environment) scales the iteration counts (default 1M for
 * the dirty-log start race).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>
#include "threads.h"
static int misuse_seen;
#define ODMA_ON_MISUSE(ctx, message) ((void)(ctx), (void)(message), misuse_seen++)
#define ODMA_TESTING_IMPLEMENTATION
#include "fixture.h"

static unsigned long iterations(unsigned long dflt)
{
    const char *s = getenv("ODMA_RACE_ITER");
    return s && *s ? strtoul(s, NULL, 10) : dflt;
}

/* ---- dirty log start: the store-buffering race ---------------------- */

/* A pseudo-random delay on both sides, so the device's write and the
 * start of the log meet at every relative offset now and then. */
static void delay(int me, unsigned long i)
{
    volatile unsigned k;
    unsigned d = (unsigned)(((i + (unsigned long)me * 7919ul) * 2654435761ul) >> 9) % 192u;
    for (k = 0; k < d; k++)
        ;
}

#define PAGE_GPA 0x100000ull

struct dirty_race {
    struct dma_ctx ctx;
    _Alignas(4096) unsigned char page[4096];
    unsigned long bits[DMA_DIRTY_WORDS(4096, 12)];
    struct dma_dirty_log log;
    struct handshake hs;
    unsigned long n;
};

static void *dirty_device(void *p)
{
    struct dirty_race *d = (struct dirty_race *)p;
    unsigned long i;
    uint64_t v;
    pin_to_nth_cpu(1);
    for (i = 1; i <= d->n; i++) {
        handshake_wait(&d->hs, 1, 2 * i - 1);
        delay(1, i);
        v = i;
        (void)dma_write_relaxed(&d->ctx, PAGE_GPA + 64, &v, 8); /* host order, as copied */
        handshake_wait(&d->hs, 1, 2 * i);
    }
    return NULL;
}

static void test_dirty_log_start_loses_no_write(void **state)
{
    struct dirty_race *d = (struct dirty_race *)aligned_alloc(4096, sizeof *d);
    unsigned long i, lost = 0, copied = 0, logged = 0;
    pthread_t th;
    (void)state;
    assert_non_null(d);
    memset(d, 0, sizeof *d);
    d->n = iterations(1000000);
    dma_ctx_init(&d->ctx, DMA_POLICY_PCIE);
    assert_int_equal(dma_ctx_add_region(&d->ctx, PAGE_GPA, 4096, d->page, 0), DMA_OK);
    d->log.bits = d->bits;
    d->log.words = sizeof d->bits / sizeof d->bits[0];
    handshake_init(&d->hs);
    assert_int_equal(pthread_create(&th, NULL, dirty_device, d), 0);
    pin_to_nth_cpu(0);
    for (i = 1; i <= d->n; i++) {
        uint64_t copy;
        bool in_log;
        handshake_wait(&d->hs, 0, 2 * i - 1);
        delay(0, i);
        assert_int_equal(dma_ctx_set_dirty_log(&d->ctx, PAGE_GPA, &d->log), DMA_OK);
        /* The migration thread's copy of the page, after the log started. */
        copy = atomic_load_explicit((_Atomic uint64_t *)(void *)(d->page + 64),
                                    memory_order_relaxed);
        handshake_wait(&d->hs, 0, 2 * i);
        in_log = atomic_load_explicit((_Atomic unsigned long *)(void *)&d->bits[0],
                                      memory_order_relaxed) & 1ul;
        if (copy == i)
            copied++;
        else if (in_log)
            logged++;
        else
            lost++;
        assert_int_equal(dma_ctx_set_dirty_log(&d->ctx, PAGE_GPA, NULL), DMA_OK);
        d->bits[0] = 0;
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    print_message("  %lu writes: %lu in the copy, %lu only in the log, %lu lost\n", d->n,
                  copied, logged, lost);
    free(d);
    assert_int_equal(lost, 0);
}

/* ---- dirty log stop: the old bitmap is left alone -------------------- */

struct stop_race {
    struct dma_ctx ctx;
    _Alignas(4096) unsigned char page[4096];
    atomic_bool stop;
    atomic_ulong writes;
};

static void *stop_device(void *p)
{
    struct stop_race *s = (struct stop_race *)p;
    uint64_t v = 0;
    pin_to_nth_cpu(1);
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        (void)dma_st_le64_relaxed(&s->ctx, PAGE_GPA + 8 * (v % 64), v);
        v++;
        atomic_store_explicit(&s->writes, v, memory_order_release);
    }
    return NULL;
}

static void test_dirty_log_stop_leaves_old_bitmap(void **state)
{
    struct stop_race *s = (struct stop_race *)aligned_alloc(4096, sizeof *s);
    unsigned long i, n = iterations(1000000) / 50, touched = 0;
    pthread_t th;
    (void)state;
    assert_non_null(s);
    memset(s->page, 0, sizeof s->page);
    dma_ctx_init(&s->ctx, DMA_POLICY_PCIE);
    assert_int_equal(dma_ctx_add_region(&s->ctx, PAGE_GPA, 4096, s->page, 0), DMA_OK);
    atomic_init(&s->stop, false);
    atomic_init(&s->writes, 0);
    assert_int_equal(pthread_create(&th, NULL, stop_device, s), 0);
    pin_to_nth_cpu(0);
    for (i = 0; i < n; i++) {
        /* A fresh bitmap per round, freed right after the stop: under
         * ASan a late write to it is a heap-use-after-free report. */
        unsigned long *bits = (unsigned long *)calloc(1, sizeof(unsigned long));
        struct dma_dirty_log log = { bits, 1, 12 };
        unsigned long w;
        assert_non_null(bits);
        assert_int_equal(dma_ctx_set_dirty_log(&s->ctx, PAGE_GPA, &log), DMA_OK);
        w = atomic_load_explicit(&s->writes, memory_order_acquire);
        while (atomic_load_explicit(&s->writes, memory_order_acquire) < w + 2)
            ;
        assert_int_equal(dma_ctx_set_dirty_log(&s->ctx, PAGE_GPA, NULL), DMA_OK);
        atomic_store_explicit((_Atomic unsigned long *)(void *)bits, 0, memory_order_relaxed);
        w = atomic_load_explicit(&s->writes, memory_order_acquire);
        while (atomic_load_explicit(&s->writes, memory_order_acquire) < w + 2)
            ;
        if (atomic_load_explicit((_Atomic unsigned long *)(void *)bits, memory_order_relaxed))
            touched++;
        free(bits);
    }
    atomic_store(&s->stop, true);
    assert_int_equal(pthread_join(th, NULL), 0);
    print_message("  %lu stops: the old bitmap written after the stop returned %lu times\n", n,
                  touched);
    free(s);
    assert_int_equal(touched, 0);
}

/* ---- a map in flight when bus mastering goes off --------------------- */

struct slow_iommu {
    atomic_int entered, release;
};

static dma_result slow_translate(void *opaque, uint64_t addr, dma_dir dir, uint64_t *gpa,
                                 uint64_t *span)
{
    struct slow_iommu *s = (struct slow_iommu *)opaque;
    (void)dir;
    atomic_store(&s->entered, 1);
    while (!atomic_load(&s->release))
        sched_yield();
    *gpa = addr;
    *span = 0x1000 - (addr & 0xfff);
    return DMA_OK;
}

struct inflight_map {
    struct fixture *f;
    void *p;
    uint64_t len;
    dma_result res;
};

static void *inflight_mapper(void *arg)
{
    struct inflight_map *m = (struct inflight_map *)arg;
    m->len = 64;
    m->p = dma_map(&m->f->ctx, 0x1000, &m->len, DMA_DIR_WRITE, &m->res);
    return NULL;
}

static void test_no_map_after_quiesce_said_idle(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct slow_iommu s;
    struct inflight_map m;
    pthread_t th;
    bool idle;
    atomic_init(&s.entered, 0);
    atomic_init(&s.release, 0);
    dma_ctx_set_translate(&f->ctx, slow_translate, &s);
    m.f = f;
    assert_int_equal(pthread_create(&th, NULL, inflight_mapper, &m), 0);
    while (!atomic_load(&s.entered))
        sched_yield();
    /* The map is inside the translate hook: reset the device. */
    dma_ctx_set_bus_master(&f->ctx, false);
    idle = dma_ctx_quiesce(&f->ctx, 20 * 1000 * 1000);
    atomic_store(&s.release, 1);
    assert_int_equal(pthread_join(th, NULL), 0);
    print_message("  quiesce said %s; the in-flight map returned %s\n",
                  idle ? "idle" : "busy", dma_result_str(m.res));
    if (idle) {
        /* Then the map must have failed, and nothing is outstanding. */
        assert_null(m.p);
        assert_int_equal(m.res, DMA_ERR_DISABLED);
        assert_int_equal(dma_ctx_maps_outstanding(&f->ctx), 0);
    } else if (m.p) {
        dma_unmap(&f->ctx, m.p, m.len, DMA_DIR_WRITE, 0);
    }
    assert_true(dma_ctx_quiesce(&f->ctx, 0));
    dma_ctx_set_translate(&f->ctx, NULL, NULL);
}

/* Every failure path of dma_map leaves the count as it was. */
static void test_failed_maps_leave_count(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    uint64_t len;
    dma_result res;
    len = 16;
    assert_null(dma_map(&f->ctx, 0x3000, &len, DMA_DIR_READ, &res));
    assert_int_equal(res, DMA_ERR_UNMAPPED);
    len = 16;
    assert_null(dma_map(&f->ctx, 0x4000, &len, DMA_DIR_WRITE, &res));
    assert_int_equal(res, DMA_ERR_READONLY);
    len = 16;
    assert_null(dma_map(&f->ctx, UINT64_MAX - 4, &len, DMA_DIR_READ, &res));
    assert_int_equal(res, DMA_ERR_OVERFLOW);
    dma_ctx_set_bus_master(&f->ctx, false);
    len = 16;
    assert_null(dma_map(&f->ctx, 0x1000, &len, DMA_DIR_READ, &res));
    assert_int_equal(res, DMA_ERR_DISABLED);
    dma_ctx_set_bus_master(&f->ctx, true);
    assert_int_equal(dma_ctx_maps_outstanding(&f->ctx), 0);
    assert_true(dma_ctx_quiesce(&f->ctx, 0));
}

/* ---- quiesce's timeout on a clock that jumps ------------------------- */

/* The wall clock, as this program sees it, runs backwards by a second at
 * every reading (an NTP step, a settimeofday). A timeout measured on it is
 * meaningless; odma must use a monotonic clock. */
static long wall_clock_calls;
int timespec_get(struct timespec *ts, int base)
{
    (void)base;
    wall_clock_calls++;
    ts->tv_sec = 2000000000 - wall_clock_calls;
    ts->tv_nsec = 0;
    return TIME_UTC;
}

struct late_unmap {
    struct dma_ctx *ctx;
    void *p;
    uint64_t len;
};

static void *late_unmapper(void *arg)
{
    struct late_unmap *u = (struct late_unmap *)arg;
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    dma_unmap(u->ctx, u->p, u->len, DMA_DIR_READ, 0);
    return NULL;
}

static void test_quiesce_ignores_wall_clock(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct late_unmap u;
    pthread_t th;
    double t0;
    u.ctx = &f->ctx;
    u.len = 32;
    u.p = dma_map(&f->ctx, 0x1000, &u.len, DMA_DIR_READ, NULL);
    assert_non_null(u.p);
    t0 = now_seconds();
    assert_int_equal(pthread_create(&th, NULL, late_unmapper, &u), 0);
    /* 5 s on a monotonic clock: returns true once the unmap happened. */
    assert_true(dma_ctx_quiesce(&f->ctx, 5ull * 1000 * 1000 * 1000));
    assert_true(now_seconds() - t0 >= 0.015);
    assert_int_equal(pthread_join(th, NULL), 0);
}

/* ---- concurrent unmaps of identical mappings ------------------------ */

struct twin_mapper {
    struct fixture *f;
    unsigned long rounds, failures;
};

static void *twin_thread(void *arg)
{
    struct twin_mapper *m = (struct twin_mapper *)arg;
    unsigned long i;
    for (i = 0; i < m->rounds; i++) {
        uint64_t len = 64;
        void *p = dma_map_relaxed(&m->f->ctx, 0x1000, &len, DMA_DIR_WRITE, NULL);
        if (!p) {
            m->failures++;
            continue;
        }
        dma_unmap(&m->f->ctx, p, len, DMA_DIR_WRITE, 8);
    }
    return NULL;
}

static void test_unmap_twins(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct twin_mapper m[2] = { { f, iterations(1000000) / 5, 0 },
                                { f, iterations(1000000) / 5, 0 } };
    pthread_t th[2];
    int i;
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, twin_thread, &m[i]), 0);
    for (i = 0; i < 2; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_int_equal(m[0].failures + m[1].failures, 0);
    assert_int_equal(misuse_seen, 0);
    assert_int_equal(dma_ctx_maps_outstanding(&f->ctx), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dirty_log_start_loses_no_write),
        cmocka_unit_test(test_dirty_log_stop_leaves_old_bitmap),
        cmocka_unit_test_setup_teardown(test_no_map_after_quiesce_said_idle, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_failed_maps_leave_count, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_quiesce_ignores_wall_clock, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unmap_twins, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
