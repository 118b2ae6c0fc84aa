/* SPDX-License-Identifier: MIT */
/*
 * Faithful virtio traces with the virtio issue's own spec driver
 * (tests/virtio_driver.h): chains of 1 to 4 segments from the driver's
 * free list (descriptors reused in every order), indirect tables, the
 * driver's kick and interrupt suppression, a 16-entry ring wrapped many
 * times. odma/virtio.h's device side and a device model run on this
 * thread between the driver's steps, recorded; under every feature
 * combination and every policy the trace must keep the generated rules.
 * (test_rules_virtio.c has the broken traces, rule by rule.)
 */
#define ODMA_TESTING_IMPLEMENTATION
#define ODMA_TRACE
#include <odma/virtio.h> /* before the implementation: the virtio generators */
#include <stdio.h>
#include "fixture.h"
#include "rules_check.h"
#include "virtio_driver.h"

#define NUM 16
#define BASE 0x1000ull
#define BUFS 0x20000ull  /* 32 buffers of 0x400 */
#define RAM 0x30000ull

static struct {
    _Alignas(4096) unsigned char ram[RAM];
    struct dma_ctx ctx;
    struct dma_vq vq;
    struct dma_vq_chain chain;
    struct vdrv drv;
} w;

static char rules[8192];

static const struct dma_policy *policy_of(int i)
{
    switch (i) {
    case 0: return DMA_POLICY_STRICT;
    case 1: return DMA_POLICY_PCIE;
    case 2: return DMA_POLICY_PCIE_RELAXED;
    default: return DMA_POLICY_NONE;
    }
}

/* The device model: read the readable segments, fill the writable ones. */
static uint32_t device_model(void)
{
    unsigned char buf[0x400];
    uint32_t written = 0;
    uint16_t i;
    for (i = 0; i < w.chain.nseg; i++) {
        const struct dma_vq_seg *s = &w.chain.seg[i];
        uint32_t len = s->len < sizeof buf ? s->len : (uint32_t)sizeof buf;
        if (!s->device_writes) {
            assert_int_equal(dma_read(&w.ctx, s->addr, buf, len), DMA_OK);
        } else {
            memset(buf, 0xa5, len);
            assert_int_equal(dma_write(&w.ctx, s->addr, buf, len), DMA_OK);
            written += len;
        }
    }
    return written;
}

/* Returns the number of chains the device handled. */
static int run(bool packed, bool event_idx, bool indirect, const struct dma_policy *policy)
{
    struct dma_vq_config cfg;
    uint64_t tables, next_buf = 0;
    uint32_t seed = 0x9e3779b9u;
    int round, handled = 0, inflight = 0, n;
    tables = vdrv_layout(&cfg, NUM, packed, BASE);
    cfg.event_idx = event_idx;
    cfg.indirect = indirect;
    assert_true(tables + (uint64_t)NUM * VDRV_TABLE_BYTES <= BUFS);
    memset(w.ram, 0, sizeof w.ram);
    assert_int_equal(vdrv_init(&w.drv, &cfg, w.ram, 0, RAM, tables), 0);
    dma_ctx_init(&w.ctx, policy);
    assert_int_equal(dma_ctx_add_region(&w.ctx, 0, RAM, w.ram, 0), DMA_OK);
    assert_int_equal(dma_vq_init(&w.vq, &w.ctx, &cfg), DMA_OK);
    if (packed)
        assert_true(dma_rules_virtio_packed(rules, sizeof rules, &cfg) > 0);
    else
        assert_true(dma_rules_virtio_split(rules, sizeof rules, &cfg) > 0);
    odma_mb();
    dma_trace_reset();
    for (round = 0; round < 40; round++) {
        int add = 1 + (int)(seed % 4), k;
        bool batch = (seed >> 5) % 3 == 0;
        /* The driver: up to `add` buffers of 1-4 segments, readable first. */
        for (k = 0; k < add; k++) {
            struct vdrv_buf b[4];
            unsigned nseg = 1 + (seed >> 8) % 4, s, nread = (seed >> 12) % (nseg + 1);
            seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
            for (s = 0; s < nseg; s++) {
                b[s].addr = BUFS + (next_buf++ % 32) * 0x400;
                b[s].len = 0x100 + 0x40 * s;
                b[s].device_writes = s >= nread;
            }
            if (vdrv_add(&w.drv, b, nseg, (uint64_t)round, (seed & 1) != 0) == 0)
                inflight++;
        }
        (void)vdrv_kick_prepare(&w.drv); /* the device runs every round anyway */
        /* The device. */
        for (;;) {
            while ((n = dma_vq_pop(&w.vq, &w.chain)) > 0) {
                uint32_t written = device_model();
                if (batch)
                    assert_int_equal(dma_vq_fill(&w.vq, &w.chain, written), DMA_OK);
                else
                    assert_int_equal(dma_vq_push(&w.vq, &w.chain, written), DMA_OK);
                handled++;
            }
            assert_int_equal(n, 0);
            if (batch)
                assert_int_equal(dma_vq_flush(&w.vq), DMA_OK);
            if (dma_vq_should_notify(&w.vq))
                dma_notify_barrier(&w.ctx);
            if (!dma_vq_enable_notify(&w.vq))
                break;
            dma_vq_disable_notify(&w.vq);
        }
        if (round % 5 == 4)
            dma_vq_disable_notify(&w.vq);
        /* The driver takes the used buffers back, with interrupts off or on. */
        if (round % 3 == 0)
            vdrv_disable_cb(&w.drv);
        else
            (void)vdrv_enable_cb(&w.drv);
        for (;;) {
            uint64_t cookie;
            uint32_t len;
            int got = vdrv_get_used(&w.drv, &cookie, &len);
            assert_true(got >= 0);
            if (!got)
                break;
            inflight--;
        }
        seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
    }
    dma_trace_stop();
    assert_int_equal(inflight, 0);
    assert_int_equal(dma_vq_error(&w.vq), DMA_OK);
    assert_int_equal(dma_trace_dropped(), 0);
    vdrv_destroy(&w.drv);
    return handled;
}

static void test_spec_driver_every_combination(void **state)
{
    int combo, p, runs = 0;
    (void)state;
    for (combo = 0; combo < 8; combo++) {
        bool packed = combo & 1, event_idx = combo & 2, indirect = combo & 4;
        for (p = 0; p < 4; p++) {
            const struct dma_policy *pol = policy_of(p);
            int handled = run(packed, event_idx, indirect, pol), r;
            assert_true(handled >= 40);
            r = dma_trace_check_rules(rules, rules_report, sizeof rules_report);
            if (r != 0)
                fail_msg("virtio %s%s%s under %s (%d chains): %d violations\n%s",
                         packed ? "packed" : "split", event_idx ? " event_idx" : "",
                         indirect ? " indirect" : "", pol->name, handled, r, rules_report);
            if (p == 0) {
                size_t nev;
                (void)dma_trace_events(&nev);
                print_message("virtio %-6s event_idx=%d indirect=%d: %d chains, %zu events, "
                              "0 violations (and under the 3 other policies)\n",
                              packed ? "packed" : "split", event_idx, indirect, handled, nev);
            }
            runs++;
        }
    }
    assert_int_equal(runs, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_driver_every_combination),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
