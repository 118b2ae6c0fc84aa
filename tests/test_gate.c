/* SPDX-License-Identifier: MIT */
/*
 * Bus-master gating and the translate (IOMMU) hook.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include "threads.h"
#define ODMA_TESTING_IMPLEMENTATION
#include "fixture.h"

/* Every accessor against one address; expect `want`, nothing touched. */
static void expect_everything_fails(struct fixture *f, uint64_t addr, dma_result want)
{
    struct dma_ctx *c = &f->ctx;
    unsigned char buf[16];
    uint8_t v8 = 0;
    uint16_t v16 = 0;
    uint32_t v32 = 0;
    uint64_t v64 = 0, len = 16;
    dma_result res = DMA_OK;
    fixture_snapshot(f);
    dma_trace_reset();
    memset(buf, 0x11, sizeof buf);
    assert_int_equal(dma_write(c, addr, buf, 16), want);
    assert_int_equal(dma_write_relaxed(c, addr, buf, 16), want);
    assert_int_equal(dma_rw(c, addr, buf, 16, DMA_DIR_WRITE), want);
    assert_int_equal(dma_set(c, addr, 0, 16), want);
    assert_int_equal(dma_set_relaxed(c, addr, 0, 16), want);
    assert_int_equal(dma_st_u8(c, addr, 1), want);
    assert_int_equal(dma_st_le16_relaxed(c, addr, 1), want);
    assert_int_equal(dma_st_be32_release(c, addr, 1), want);
    assert_int_equal(dma_st_le64(c, addr, 1), want);
    assert_int_equal(dma_write_publish(c, addr, buf, 16, 14, 2), want);
    assert_int_equal(dma_read(c, addr, buf, 16), want);
    assert_all_ff(buf, 16);
    memset(buf, 0, sizeof buf);
    assert_int_equal(dma_read_relaxed(c, addr, buf, 16), want);
    assert_all_ff(buf, 16);
    memset(buf, 0, sizeof buf);
    assert_int_equal(dma_read_consume(c, addr, buf, 16, 14, 2), want);
    assert_all_ff(buf, 16);
    assert_int_equal(dma_ld_u8_acquire(c, addr, &v8), want);
    assert_int_equal(v8, 0xff);
    assert_int_equal(dma_ld_be16(c, addr, &v16), want);
    assert_int_equal(v16, 0xffff);
    assert_int_equal(dma_ld_le32_relaxed(c, addr, &v32), want);
    assert_int_equal(v32, 0xffffffffu);
    assert_int_equal(dma_ld_le64_acquire(c, addr, &v64), want);
    assert_true(v64 == UINT64_MAX);
    assert_null(dma_map(c, addr, &len, DMA_DIR_READ, &res));
    assert_int_equal(res, want);
    fixture_assert_unchanged(f);
    assert_trace("");
}

static void test_bus_master_off_and_on(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    uint32_t v;
    assert_true(dma_ctx_bus_master(&f->ctx)); /* on after init */
    dma_ctx_set_bus_master(&f->ctx, false);
    assert_false(dma_ctx_bus_master(&f->ctx));
    expect_everything_fails(f, 0x1000, DMA_ERR_DISABLED);
    expect_everything_fails(f, 0x3000, DMA_ERR_DISABLED); /* before UNMAPPED */
    assert_int_equal(dma_read(&f->ctx, 0x1000, NULL, 0), DMA_ERR_DISABLED);
    dma_ctx_set_bus_master(&f->ctx, true);
    assert_int_equal(dma_st_le32(&f->ctx, 0x1000, 0xabcd), DMA_OK);
    assert_int_equal(dma_ld_le32(&f->ctx, 0x1000, &v), DMA_OK);
    assert_int_equal(v, 0xabcd);
    dma_ctx_set_bus_master(NULL, false); /* ignored */
    assert_false(dma_ctx_bus_master(NULL));
}

/*
 * A device thread writes continuously; another thread turns bus mastering
 * off. After the call returns and the call the writer was in finishes, no
 * guest byte may change and every later call must fail.
 */
struct writer {
    struct dma_ctx *ctx;
    atomic_ulong finished; /* calls completed */
    atomic_ulong last_ok;  /* number of the last call that succeeded */
    atomic_bool stop;
};

static void *device_writer(void *p)
{
    struct writer *w = (struct writer *)p;
    unsigned long i;
    pin_to_nth_cpu(1);
    for (i = 1; !atomic_load_explicit(&w->stop, memory_order_relaxed); i++) {
        uint64_t v = i;
        dma_result r;
        switch (i % 3) {
        case 0: r = dma_write(w->ctx, 0x1000 + 8 * (i % 64), &v, 8); break;
        case 1: r = dma_st_le32_relaxed(w->ctx, 0x2000 + 4 * (i % 64), (uint32_t)i); break;
        default: r = dma_set(w->ctx, 0x1800, (int)(i & 0xff), 64); break;
        }
        if (r == DMA_OK)
            atomic_store_explicit(&w->last_ok, i, memory_order_relaxed);
        atomic_store_explicit(&w->finished, i, memory_order_release);
    }
    return NULL;
}

static void test_bus_master_off_mid_stream(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct writer w;
    pthread_t th;
    unsigned long c0, end, in_flight = 0;
    struct timespec ts = { 0, 5 * 1000 * 1000 };
    int round;
    if (usable_cpus() < 2)
        skip();
    for (round = 0; round < 20; round++) {
        w.ctx = &f->ctx;
        atomic_init(&w.finished, 0);
        atomic_init(&w.last_ok, 0);
        atomic_init(&w.stop, false);
        dma_ctx_set_bus_master(&f->ctx, true);
        assert_int_equal(pthread_create(&th, NULL, device_writer, &w), 0);
        while (atomic_load_explicit(&w.finished, memory_order_acquire) < 1000)
            ;
        nanosleep(&ts, NULL);
        dma_ctx_set_bus_master(&f->ctx, false);
        /* The writer may be inside call c0 + 1; wait until it is done. */
        c0 = atomic_load_explicit(&w.finished, memory_order_acquire);
        while (atomic_load_explicit(&w.finished, memory_order_acquire) < c0 + 1)
            ;
        fixture_snapshot(f);
        end = c0 + 1 + 20000;
        while (atomic_load_explicit(&w.finished, memory_order_acquire) < end)
            ;
        atomic_store(&w.stop, true);
        assert_int_equal(pthread_join(th, NULL), 0);
        assert_true(c0 > 0); /* the writer really was running */
        assert_true(atomic_load(&w.last_ok) <= c0 + 1);
        in_flight += atomic_load(&w.last_ok) == c0 + 1;
        fixture_assert_unchanged(f);
    }
    print_message("  20 rounds: after the disable returned, 20000 more calls each failed and "
                  "no byte changed (%lu rounds caught a call in flight)\n", in_flight);
}

/*
 * An IOMMU with 4 KiB pages:
 *   bus 0x100000 -> gpa 0x2000 (RAM B)   read/write
 *   bus 0x101000 -> gpa 0x1000 (RAM A)   read/write
 *   bus 0x102000 -> gpa 0x5000 (RAM C)   read-only (writes fault)
 *   bus 0x103000 -> gpa 0x3000 (a hole in guest memory)
 *   bus 0x104000 -> gpa 0x1000, but spans of 0x7ff bytes (odd, to split
 *                   aligned accesses)
 *   anything else faults.
 */
struct iommu {
    unsigned calls;
    dma_dir last_dir;
};

static dma_result iommu_translate(void *opaque, uint64_t addr, dma_dir dir, uint64_t *gpa,
                                  uint64_t *span)
{
    struct iommu *io = (struct iommu *)opaque;
    uint64_t page = addr & ~0xfffull, off = addr & 0xfff;
    io->calls++;
    io->last_dir = dir;
    switch (page) {
    case 0x100000: *gpa = 0x2000 + off; *span = 0x1000 - off; return DMA_OK;
    case 0x101000: *gpa = 0x1000 + off; *span = 0x1000 - off; return DMA_OK;
    case 0x102000:
        if (dir == DMA_DIR_WRITE)
            return DMA_ERR_FAULT;
        *gpa = 0x5000 + off;
        *span = 0x1000 - off;
        return DMA_OK;
    case 0x103000: *gpa = 0x3000 + off; *span = 0x1000 - off; return DMA_OK;
    case 0x104000: *gpa = 0x1000 + off; *span = 0x7ff - off % 0x7ff; return DMA_OK;
    case 0x105000: *gpa = 0x1000; *span = 0; return DMA_OK; /* a broken hook */
    default: return DMA_ERR_UNMAPPED;                       /* reported as a fault */
    }
}

static void test_translate_splits_along_spans(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct iommu io = { 0, DMA_DIR_READ };
    unsigned char src[32], dst[32];
    size_t i;
    for (i = 0; i < 32; i++)
        src[i] = (unsigned char)(0x80 + i);
    dma_ctx_set_translate(&f->ctx, iommu_translate, &io);
    odma_mb();
    dma_trace_reset();
    /* Bus 0x100ff0..0x10100f: the last 16 bytes of B, then the first of A. */
    assert_int_equal(dma_write(&f->ctx, 0x100ff0, src, 32), DMA_OK);
    assert_trace("W@0x100ff0+32"); /* one event, in bus addresses */
    assert_memory_equal(fixture_host(f, 0x2ff0), src, 16);
    assert_memory_equal(fixture_host(f, 0x1000), src + 16, 16);
    assert_int_equal(io.last_dir, DMA_DIR_WRITE);
    memset(dst, 0, sizeof dst);
    assert_int_equal(dma_read(&f->ctx, 0x100ff0, dst, 32), DMA_OK);
    assert_memory_equal(dst, src, 32);
    assert_int_equal(io.last_dir, DMA_DIR_READ);
    /* Read-only permission: reads work, writes fault. */
    assert_int_equal(dma_read(&f->ctx, 0x102010, dst, 8), DMA_OK);
    assert_memory_equal(dst, fixture_host(f, 0x5010), 8);
    /* Removing the hook restores identity mapping. */
    dma_ctx_set_translate(&f->ctx, NULL, NULL);
    io.calls = 0;
    assert_int_equal(dma_read(&f->ctx, 0x1000, dst, 16), DMA_OK);
    assert_memory_equal(dst, src + 16, 16);
    assert_int_equal(io.calls, 0);
}

static void test_translate_faults_change_nothing(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct iommu io = { 0, DMA_DIR_READ };
    unsigned char src[64], dst[64];
    uint32_t v;
    memset(src, 0x5a, sizeof src);
    dma_ctx_set_translate(&f->ctx, iommu_translate, &io);
    fixture_snapshot(f);
    dma_trace_reset();
    /* RAM A's last bytes, then the read-only-for-DMA page: nothing written. */
    assert_int_equal(dma_write(&f->ctx, 0x101fe0, src, 64), DMA_ERR_FAULT);
    assert_int_equal(dma_write_publish(&f->ctx, 0x101fe0, src, 64, 60, 4), DMA_ERR_FAULT);
    assert_int_equal(dma_set(&f->ctx, 0x101ff8, 0, 16), DMA_ERR_FAULT);
    assert_int_equal(dma_st_le32(&f->ctx, 0x102000, 1), DMA_ERR_FAULT);
    assert_int_equal(dma_write(&f->ctx, 0x0, src, 4), DMA_ERR_FAULT);      /* no page */
    assert_int_equal(dma_write(&f->ctx, 0x105000, src, 4), DMA_ERR_FAULT); /* span 0 */
    assert_int_equal(dma_write(&f->ctx, 0x103000, src, 4), DMA_ERR_UNMAPPED); /* -> hole */
    memset(dst, 0, sizeof dst);
    assert_int_equal(dma_read(&f->ctx, 0x102ff0, dst, 32), DMA_ERR_UNMAPPED); /* -> hole */
    assert_all_ff(dst, 32);
    memset(dst, 0, sizeof dst);
    assert_int_equal(dma_read(&f->ctx, 0x106ff0, dst, 32), DMA_ERR_FAULT); /* no page */
    assert_all_ff(dst, 32);
    assert_int_equal(dma_ld_le32(&f->ctx, 0x106000, &v), DMA_ERR_FAULT);
    assert_int_equal(v, 0xffffffffu);
    fixture_assert_unchanged(f);
    assert_trace("");
    /* Control: the same read-only page serves reads. */
    assert_int_equal(dma_read(&f->ctx, 0x101ff0, dst, 32), DMA_OK);
    assert_memory_equal(dst + 16, fixture_host(f, 0x5000), 16);
}

/* An aligned access split by a span boundary cannot be atomic. */
static void test_translate_span_splits_atomic(void **state)
{
    struct fixture *f = (struct fixture *)*state;
    struct iommu io = { 0, DMA_DIR_READ };
    uint64_t v = 0, len = 0x1000;
    unsigned char *p;
    dma_ctx_set_translate(&f->ctx, iommu_translate, &io);
    /* Spans of 0x7ff: 0x1047f8..0x1047ff crosses the one ending at 0x1047fd. */
    assert_int_equal(dma_ld_le64_acquire(&f->ctx, 0x1047f8, &v), DMA_ERR_ALIGN);
    assert_int_equal(dma_st_le64_release(&f->ctx, 0x1047f8, 1), DMA_ERR_ALIGN);
    assert_int_equal(dma_ld_le64_relaxed(&f->ctx, 0x1047f8, &v), DMA_OK);
    /* A map stops at the end of the span. */
    p = (unsigned char *)dma_map(&f->ctx, 0x100f00, &len, DMA_DIR_WRITE, NULL);
    assert_ptr_equal(p, fixture_host(f, 0x2f00));
    assert_int_equal(len, 0x100);
    dma_trace_reset();
    dma_unmap(&f->ctx, p, len, DMA_DIR_WRITE, 4);
    assert_trace("unmap:W@0x100f00+4"); /* the bus address, not the guest one */
    len = 8;
    assert_null(dma_map(&f->ctx, 0x102000, &len, DMA_DIR_WRITE, NULL));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_bus_master_off_and_on),        T(test_bus_master_off_mid_stream),
        T(test_translate_splits_along_spans), T(test_translate_faults_change_nothing),
        T(test_translate_span_splits_atomic),
    };
#undef T
    return cmocka_run_group_tests_name("gate", tests, NULL, NULL);
}
