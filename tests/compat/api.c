/* SPDX-License-Identifier: MIT */
/*
 * tests/compat/api.c - one call of every public odma function, for the
 * compile matrix (tests/compat/rules.mk). Compiled, not run: the unit
 * tests run these. Its point is that every inline function is
 * instantiated, so warnings that only appear when code is generated
 * (and those that depend on the optimiser, at -O2 and -Os) show up.
 * Built twice: plain, and with COMPAT_TRACE (odma/testing.h, ODMA_TRACE).
 */
#ifdef COMPAT_TRACE
#define ODMA_TESTING_IMPLEMENTATION
#include <odma/testing.h>
#endif
#include <odma.h>

int compat_api(struct dma_ctx *ctx, unsigned char *ram, size_t size);

static dma_result compat_translate(void *opaque, uint64_t addr, dma_dir dir, uint64_t *gpa,
                                   uint64_t *span)
{
    (void)opaque;
    (void)dir;
    *gpa = addr;
    *span = 4096;
    return DMA_OK;
}

int compat_api(struct dma_ctx *ctx, unsigned char *ram, size_t size)
{
    static const struct dma_policy mine = {
        "mine",
        { { DMA_BARRIER_NONE, DMA_BARRIER_RMB }, { DMA_BARRIER_MB, DMA_BARRIER_WMB } },
        DMA_BARRIER_MB
    };
    unsigned long bits[DMA_DIRTY_WORDS(1u << 20, 12)] = { 0 }, out[sizeof bits / sizeof bits[0]];
    struct dma_dirty_log log = { bits, sizeof bits / sizeof bits[0], 12 };
    unsigned char buf[64], rec[16] = { 0 };
    uint8_t v8 = 0;
    uint16_t v16 = 0;
    uint32_t v32 = 0;
    uint64_t v64 = 0, len = 64;
    dma_result res = DMA_OK;
    int bad = 0;
    void *p;

    dma_ctx_init(ctx, DMA_POLICY_PCIE);
    dma_ctx_init(ctx, DMA_POLICY_PCIE_RELAXED);
    dma_ctx_init(ctx, DMA_POLICY_NONE);
    dma_ctx_init(ctx, &mine);
    dma_ctx_init(ctx, DMA_POLICY_STRICT);
    bad += dma_ctx_add_region(ctx, 0x1000, size, ram, 0) != DMA_OK;
    bad += dma_ctx_add_region(ctx, 0x1000 + size, 64, buf, DMA_REGION_READONLY) != DMA_OK;
    bad += dma_ctx_policy(ctx) != DMA_POLICY_STRICT;
    bad += dma_ctx_set_dirty_log(ctx, 0x1000, &log) != DMA_OK;

    bad += dma_read(ctx, 0x1000, buf, 16) != DMA_OK;
    bad += dma_read_relaxed(ctx, 0x1000, buf, 16) != DMA_OK;
    bad += dma_write(ctx, 0x1000, buf, 16) != DMA_OK;
    bad += dma_write_relaxed(ctx, 0x1000, buf, 16) != DMA_OK;
    bad += dma_rw(ctx, 0x1000, buf, 16, DMA_DIR_READ) != DMA_OK;
    bad += dma_rw_relaxed(ctx, 0x1000, buf, 16, DMA_DIR_WRITE) != DMA_OK;
    bad += dma_set(ctx, 0x1000, 0, 16) != DMA_OK;
    bad += dma_set_relaxed(ctx, 0x1000, 0xff, 16) != DMA_OK;

#define LDST(name, T, v)                                                       \
    bad += dma_ld_##name(ctx, 0x1008, &v) != DMA_OK;                           \
    bad += dma_ld_##name##_relaxed(ctx, 0x1008, &v) != DMA_OK;                 \
    bad += dma_ld_##name##_acquire(ctx, 0x1008, &v) != DMA_OK;                 \
    bad += dma_st_##name(ctx, 0x1008, (T)(v + 1u)) != DMA_OK;                  \
    bad += dma_st_##name##_relaxed(ctx, 0x1008, (T)(v + 1u)) != DMA_OK;        \
    bad += dma_st_##name##_release(ctx, 0x1008, (T)(v + 1u)) != DMA_OK;
    LDST(u8, uint8_t, v8)
    LDST(le16, uint16_t, v16)
    LDST(be16, uint16_t, v16)
    LDST(le32, uint32_t, v32)
    LDST(be32, uint32_t, v32)
    LDST(le64, uint64_t, v64)
    LDST(be64, uint64_t, v64)
#undef LDST

    bad += dma_write_publish(ctx, 0x1010, rec, sizeof rec, 14, 2) != DMA_OK;
    bad += dma_read_consume(ctx, 0x1010, rec, sizeof rec, 14, 2) != DMA_OK;
    dma_notify_barrier(ctx);
    odma_mb();
    odma_wmb();
    odma_rmb();
#ifndef ODMA_NO_SMP_NAMES
    smp_mb();
    smp_wmb();
    smp_rmb();
#endif

    p = dma_map(ctx, 0x1000, &len, DMA_DIR_WRITE, &res);
    if (p)
        dma_unmap(ctx, p, len, DMA_DIR_WRITE, len);
    len = 64;
    p = dma_map_relaxed(ctx, 0x1000, &len, DMA_DIR_READ, &res);
    if (p)
        dma_unmap(ctx, p, len, DMA_DIR_READ, 0);
    bad += dma_ctx_maps_outstanding(ctx) != 0;
    bad += !dma_ctx_quiesce(ctx, 1000000);
    bad += (int)dma_dirty_log_harvest(&log, out) < 0;

    dma_ctx_set_translate(ctx, compat_translate, NULL);
    bad += dma_read(ctx, 0x1000, buf, 16) != DMA_OK;
    dma_ctx_set_translate(ctx, NULL, NULL);
    dma_ctx_set_bus_master(ctx, false);
    bad += dma_ctx_bus_master(ctx);
    bad += dma_read(ctx, 0x1000, buf, 16) != DMA_ERR_DISABLED;
    dma_ctx_set_bus_master(ctx, true);
    bad += dma_ctx_set_dirty_log(ctx, 0x1000, NULL) != DMA_OK;
    bad += dma_result_str(DMA_ERR_INVALID)[0] == '\0';
#ifdef COMPAT_TRACE
    dma_trace_reset();
    bad += dma_read(ctx, 0x1000, buf, 4) != DMA_OK;
    bad += dma_trace_string()[0] == '\0';
    bad += dma_trace_events(NULL) == NULL;
    bad += dma_trace_dropped() != 0;
    dma_trace_stop();
#endif
    return bad;
}
