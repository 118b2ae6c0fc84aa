/* SPDX-License-Identifier: MIT */
/*
 * Regions that change while devices run (odma/ctx.h), and attributes that
 * reach the translate hook:
 *
 * - two device threads read and write through the fast and slow paths
 *   while the main thread swaps the whole table between two layouts, adds
 *   and deletes regions and toggles bus mastering: every access sees one
 *   table (each 8-byte word names the buffer and offset it came from, and
 *   the two words of a 16-byte read come from the same buffer), and once
 *   an update returned the main thread's own next access sees the new
 *   table;
 * - retired tables are freed by dma_ctx_reclaim() after both threads
 *   passed a quiescent point (under ASan a use after free would abort);
 * - 64 regions (ODMA_MAX_REGIONS' default) fit, a 65th is refused;
 * - set_regions is all or nothing; del_region wants an exact region;
 * - dma_attrs: the context's reach the hook, dma_rw_attrs() overrides
 *   them for one access.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include "threads.h"
#define ODMA_TESTING_IMPLEMENTATION
#include "fixture.h"

#define BUF_WORDS 4096 /* 32 KiB per buffer */
#define GPA 0x100000ull

struct swap_fixture {
    struct dma_ctx ctx;
    _Alignas(64) uint64_t buf[2][BUF_WORDS];
    _Alignas(64) uint64_t scratch[2][512]; /* written by the device threads */
    atomic_bool stop;
    struct {
        _Alignas(64) atomic_ulong done; /* accesses completed */
        unsigned long torn, failed;
    } dev[2];
};

static uint64_t word_of(int b, size_t i)
{
    return ((uint64_t)(b + 1) << 56) | i;
}

/* Table k: GPA -> buffer k % 2; scratch page at GPA + 0x100000. */
static void table(struct swap_fixture *f, int k, struct dma_region_desc d[2])
{
    d[0].gpa = GPA;
    d[0].size = sizeof f->buf[0];
    d[0].host = f->buf[k & 1];
    d[0].flags = 0;
    d[1].gpa = GPA + 0x100000;
    d[1].size = sizeof f->scratch[0];
    d[1].host = f->scratch[k & 1];
    d[1].flags = 0;
}

struct dev_arg {
    struct swap_fixture *f;
    int me;
};

static void *device(void *p)
{
    struct dev_arg *a = (struct dev_arg *)p;
    struct swap_fixture *f = a->f;
    unsigned long i = (unsigned long)a->me * 7919u;
    while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
        size_t w = (i * 2654435761u) % (BUF_WORDS - 1);
        uint64_t v = 0, two[2] = { 0, 0 };
        dma_result r1 = dma_read_relaxed(&f->ctx, GPA + 8 * w, &v, 8); /* host order */
        dma_result r2 = dma_read(&f->ctx, GPA + 8 * w, two, 16);
        dma_result r3 = dma_st_le64(&f->ctx, GPA + 0x100000 + 8 * (i % 512), i);
        if (r1 == DMA_OK && v != word_of(0, w) && v != word_of(1, w))
            f->dev[a->me].torn++;
        if (r2 == DMA_OK && !(two[0] == word_of(0, w) && two[1] == word_of(0, w + 1)) &&
            !(two[0] == word_of(1, w) && two[1] == word_of(1, w + 1)))
            f->dev[a->me].torn++;
        if (r1 != DMA_OK || r2 != DMA_OK || r3 != DMA_OK)
            f->dev[a->me].failed++; /* bus mastering off, or between tables */
        atomic_store_explicit(&f->dev[a->me].done, ++i, memory_order_release);
    }
    return NULL;
}

/* Both device threads completed an access that started after now. */
static void wait_quiescent(struct swap_fixture *f)
{
    unsigned long seen[2];
    int t;
    for (t = 0; t < 2; t++)
        seen[t] = atomic_load_explicit(&f->dev[t].done, memory_order_acquire);
    for (t = 0; t < 2; t++)
        while (atomic_load_explicit(&f->dev[t].done, memory_order_acquire) < seen[t] + 2)
            sched_yield();
}

static void test_tables_swap_under_access(void **state)
{
    struct swap_fixture *f = (struct swap_fixture *)aligned_alloc(64, sizeof *f);
    struct dev_arg args[2];
    pthread_t th[2];
    unsigned long rounds = 4000, k, freed = 0, swaps = 0;
    struct dma_region_desc d[2];
    size_t i;
    int b, t;
    (void)state;
    assert_non_null(f);
    memset(f, 0, sizeof *f);
    for (b = 0; b < 2; b++)
        for (i = 0; i < BUF_WORDS; i++)
            f->buf[b][i] = word_of(b, i);
    dma_ctx_init(&f->ctx, DMA_POLICY_PCIE);
    table(f, 0, d);
    assert_int_equal(dma_ctx_set_regions(&f->ctx, d, 2), DMA_OK);
    atomic_init(&f->stop, false);
    for (t = 0; t < 2; t++) {
        atomic_init(&f->dev[t].done, 0);
        args[t].f = f;
        args[t].me = t;
        assert_int_equal(pthread_create(&th[t], NULL, device, &args[t]), 0);
    }
    for (k = 1; k <= rounds; k++) {
        uint64_t v = 0;
        table(f, (int)k, d);
        switch (k % 4) {
        case 0: /* delete, then add back pointing at the other buffer */
            assert_int_equal(dma_ctx_del_region(&f->ctx, GPA, sizeof f->buf[0]), DMA_OK);
            assert_int_equal(dma_ctx_add_region(&f->ctx, GPA, sizeof f->buf[0], f->buf[k & 1], 0),
                             DMA_OK);
            break;
        case 2: /* bus mastering off and on around a swap */
            dma_ctx_set_bus_master(&f->ctx, false);
            assert_int_equal(dma_read(&f->ctx, GPA, &v, 8), DMA_ERR_DISABLED);
            assert_int_equal(dma_ctx_set_regions(&f->ctx, d, 2), DMA_OK);
            dma_ctx_set_bus_master(&f->ctx, true);
            break;
        default:
            assert_int_equal(dma_ctx_set_regions(&f->ctx, d, 2), DMA_OK);
            break;
        }
        swaps++;
        /* An access that starts now sees the new table. */
        assert_int_equal(dma_read(&f->ctx, GPA + 64, &v, 8), DMA_OK);
        assert_true(v == word_of((int)(k & 1), 8));
        if (k % 16 == 0) {
#ifndef RECLAIM_TOO_EARLY /* the test's power: -DRECLAIM_TOO_EARLY under ASan aborts */
            wait_quiescent(f);
#endif
            freed += dma_ctx_reclaim(&f->ctx);
        }
    }
    atomic_store(&f->stop, true);
    for (t = 0; t < 2; t++)
        assert_int_equal(pthread_join(th[t], NULL), 0);
    freed += dma_ctx_reclaim(&f->ctx);
    print_message("  %lu table changes while two threads made %lu + %lu accesses: %lu torn, "
                  "%lu failed (bus master off); %lu retired tables freed\n",
                  swaps, atomic_load(&f->dev[0].done), atomic_load(&f->dev[1].done),
                  f->dev[0].torn + f->dev[1].torn, f->dev[0].failed + f->dev[1].failed, freed);
    assert_int_equal(f->dev[0].torn + f->dev[1].torn, 0);
    assert_true(freed > 0);
    dma_ctx_destroy(&f->ctx);
    free(f);
}

static void test_many_regions_and_errors(void **state)
{
    static _Alignas(64) unsigned char mem[ODMA_MAX_REGIONS + 1][64];
    struct dma_region_desc d[ODMA_MAX_REGIONS + 1];
    struct dma_ctx c;
    unsigned i;
    uint8_t v;
    (void)state;
    assert_true(ODMA_MAX_REGIONS >= 64);
    dma_ctx_init(&c, NULL);
    for (i = 0; i < ODMA_MAX_REGIONS; i++) {
        mem[i][0] = (unsigned char)i;
        assert_int_equal(dma_ctx_add_region(&c, 0x10000 * (i + 1), 64, mem[i], 0), DMA_OK);
    }
    assert_int_equal(dma_ctx_add_region(&c, 0x10000 * (ODMA_MAX_REGIONS + 1), 64,
                                        mem[ODMA_MAX_REGIONS], 0),
                     DMA_ERR_INVALID);
    for (i = 0; i < ODMA_MAX_REGIONS; i++) {
        assert_int_equal(dma_ld_u8(&c, 0x10000 * (i + 1), &v), DMA_OK);
        assert_int_equal(v, i);
    }
    /* set_regions: all or nothing. */
    for (i = 0; i <= ODMA_MAX_REGIONS; i++) {
        d[i].gpa = 0x10000 * (i + 1) + 0x1000000;
        d[i].size = 64;
        d[i].host = mem[i];
        d[i].flags = 0;
    }
    assert_int_equal(dma_ctx_set_regions(&c, d, ODMA_MAX_REGIONS + 1), DMA_ERR_INVALID);
    d[1].gpa = d[0].gpa + 32; /* overlaps d[0] */
    assert_int_equal(dma_ctx_set_regions(&c, d, 4), DMA_ERR_INVALID);
    d[1].gpa = d[0].gpa + 64;
    d[2].host = mem[2] + 1; /* host not congruent with gpa mod 8 */
    assert_int_equal(dma_ctx_set_regions(&c, d, 4), DMA_ERR_INVALID);
    assert_int_equal(dma_ctx_region_count(&c), ODMA_MAX_REGIONS); /* unchanged */
    assert_int_equal(dma_ld_u8(&c, 0x10000, &v), DMA_OK);
    d[2].host = mem[2];
    assert_int_equal(dma_ctx_set_regions(&c, d, 3), DMA_OK);
    assert_int_equal(dma_ctx_region_count(&c), 3);
    assert_int_equal(dma_ld_u8(&c, 0x10000, &v), DMA_ERR_UNMAPPED);
    assert_int_equal(v, 0xff);
    assert_int_equal(dma_ld_u8(&c, d[1].gpa, &v), DMA_OK);
    assert_int_equal(v, 1);
    /* del_region wants exactly a region. */
    assert_int_equal(dma_ctx_del_region(&c, d[1].gpa, 32), DMA_ERR_INVALID);
    assert_int_equal(dma_ctx_del_region(&c, d[1].gpa, 64), DMA_OK);
    assert_int_equal(dma_ld_u8(&c, d[1].gpa, &v), DMA_ERR_UNMAPPED);
    assert_int_equal(dma_ctx_region_count(&c), 2);
    assert_int_equal(dma_ctx_reclaim(&c), 1); /* the set_regions table; view0 is not freed */
    dma_ctx_destroy(&c);
    assert_int_equal(dma_ctx_region_count(&c), 0);
}

/* The dirty log follows an unchanged region into a new table. */
static void test_dirty_log_follows_region(void **state)
{
    static _Alignas(4096) unsigned char ram[2][8192];
    unsigned long bits[DMA_DIRTY_WORDS(8192, 12)] = { 0 }, out[DMA_DIRTY_WORDS(8192, 12)];
    struct dma_dirty_log log = { bits, sizeof bits / sizeof bits[0], 12 };
    struct dma_region_desc d[2] = { { 0x10000, 8192, ram[0], 0 }, { 0x20000, 8192, ram[1], 0 } };
    struct dma_ctx c;
    (void)state;
    dma_ctx_init(&c, NULL);
    assert_int_equal(dma_ctx_set_regions(&c, d, 1), DMA_OK);
    assert_int_equal(dma_ctx_set_dirty_log(&c, 0x10000, &log), DMA_OK);
    assert_int_equal(dma_ctx_set_regions(&c, d, 2), DMA_OK);
    assert_int_equal(dma_st_le32(&c, 0x11000, 1), DMA_OK);
    assert_int_equal(dma_dirty_log_harvest(&log, out), 1);
    assert_int_equal(out[0], 2ul); /* page 1 */
    assert_int_equal(dma_ctx_set_dirty_log(&c, 0x10000, NULL), DMA_OK);
    dma_ctx_destroy(&c);
}

/* ---- a table change between an access's check and its move ---------- */

struct remap_hook {
    struct dma_ctx *ctx;
    uint64_t gpa, size;
    unsigned calls;
};

/* Identity translation that, on its second call (the move's; the check
 * made the first), deletes the region: another thread's remap landing
 * between check and move. */
static dma_result remap_between(void *opaque, uint64_t addr, dma_dir dir, uint64_t *gpa,
                                uint64_t *span)
{
    struct remap_hook *h = (struct remap_hook *)opaque;
    (void)dir;
    if (h->calls++ == 1)
        assert_int_equal(dma_ctx_del_region(h->ctx, h->gpa, h->size), DMA_OK);
    *gpa = addr;
    *span = UINT64_MAX - addr + 1;
    return DMA_OK;
}

/* The access checks and moves in one table: it completes in the table it
 * started in, never "succeeds" having moved nothing (found by the swap
 * test above: a read returned DMA_OK and 0). */
static void test_change_between_check_and_move(void **state)
{
    static _Alignas(64) uint64_t mem[8] = { 0x1111111111111111ull, 0x2222222222222222ull };
    struct remap_hook h;
    struct dma_ctx c;
    uint64_t v = 0;
    (void)state;
    dma_ctx_init(&c, NULL);
    assert_int_equal(dma_ctx_add_region(&c, 0x8000, sizeof mem, mem, 0), DMA_OK);
    h.ctx = &c;
    h.gpa = 0x8000;
    h.size = sizeof mem;
    h.calls = 0;
    dma_ctx_set_translate(&c, remap_between, &h);
    assert_int_equal(dma_read(&c, 0x8008, &v, 8), DMA_OK);
    assert_true(h.calls >= 2);
    assert_int_equal(v, 0x2222222222222222ull); /* from the table it started in */
    assert_int_equal(dma_read(&c, 0x8008, &v, 8), DMA_ERR_UNMAPPED); /* later: new table */
    dma_ctx_set_translate(&c, NULL, NULL);
    assert_int_equal(dma_ctx_reclaim(&c), 0); /* view0 is never freed */
    dma_ctx_destroy(&c);
}

/* ---- attributes ---------------------------------------------------- */

struct attrs_seen {
    dma_attrs last;
    unsigned calls;
};

static dma_result attrs_hook(void *opaque, uint64_t addr, dma_dir dir, dma_attrs attrs,
                             uint64_t *gpa, uint64_t *span)
{
    struct attrs_seen *s = (struct attrs_seen *)opaque;
    (void)dir;
    s->last = attrs;
    s->calls++;
    if (attrs & 0x8000) /* "secure" accesses are refused by this IOMMU */
        return DMA_ERR_FAULT;
    *gpa = addr;
    *span = 0x1000 - (addr & 0xfff);
    return DMA_OK;
}

static void test_attrs_reach_hook(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct attrs_seen s = { 0, 0 };
    uint32_t v = 0;
    unsigned char buf[4];
    dma_ctx_set_attrs(&f->ctx, 0x0100); /* requester id 1:0.0 */
    dma_ctx_set_translate_attrs(&f->ctx, attrs_hook, &s);
    assert_int_equal(dma_ld_le32(&f->ctx, 0x1000, &v), DMA_OK);
    assert_int_equal(s.last, 0x0100);
    assert_true(s.calls >= 1);
    memset(buf, 0x5a, sizeof buf);
    assert_int_equal(dma_rw_attrs(&f->ctx, 0x1000, buf, 4, DMA_DIR_WRITE, 0x0100 | 0x8000),
                     DMA_ERR_FAULT);
    assert_int_equal(s.last, 0x8100);
    fixture_assert_unchanged(f);
    assert_int_equal(dma_rw_attrs(&f->ctx, 0x1000, buf, 4, DMA_DIR_WRITE, 0x0200), DMA_OK);
    assert_int_equal(s.last, 0x0200);
    assert_memory_equal(fixture_host(f, 0x1000), buf, 4);
    /* Without a hook, attributes change nothing. */
    dma_ctx_set_translate_attrs(&f->ctx, NULL, NULL);
    assert_int_equal(dma_rw_attrs(&f->ctx, 0x1004, buf, 4, DMA_DIR_READ, 0x8000), DMA_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_swap_under_access),
        cmocka_unit_test(test_many_regions_and_errors),
        cmocka_unit_test(test_dirty_log_follows_region),
        cmocka_unit_test(test_change_between_check_and_move),
        cmocka_unit_test_setup_teardown(test_attrs_reach_hook, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
