/* SPDX-License-Identifier: MIT */
/*
 * tests/codegen/probe.c - one out-of-line function per primitive, compiled
 * by tests/codegen/codegen.sh for each architecture and disassembled.
 */
#include <odma.h>

#define PROBE __attribute__((noinline, used))

PROBE void probe_mb(void) { odma_mb(); }
PROBE void probe_wmb(void) { odma_wmb(); }
PROBE void probe_rmb(void) { odma_rmb(); }

PROBE dma_result probe_ld(struct dma_ctx *c, uint64_t a, uint32_t *v)
{
    return dma_ld_le32(c, a, v);
}
PROBE dma_result probe_st(struct dma_ctx *c, uint64_t a, uint32_t v)
{
    return dma_st_le32(c, a, v);
}
PROBE dma_result probe_ld_relaxed(struct dma_ctx *c, uint64_t a, uint32_t *v)
{
    return dma_ld_le32_relaxed(c, a, v);
}
PROBE dma_result probe_st_relaxed(struct dma_ctx *c, uint64_t a, uint32_t v)
{
    return dma_st_le32_relaxed(c, a, v);
}
PROBE dma_result probe_ld_acquire(struct dma_ctx *c, uint64_t a, uint32_t *v)
{
    return dma_ld_le32_acquire(c, a, v);
}
PROBE dma_result probe_st_release(struct dma_ctx *c, uint64_t a, uint32_t v)
{
    return dma_st_le32_release(c, a, v);
}
/* 64-bit single-copy atomicity: what a 32-bit CPU needs for it. */
PROBE dma_result probe_ld64_relaxed(struct dma_ctx *c, uint64_t a, uint64_t *v)
{
    return dma_ld_le64_relaxed(c, a, v);
}
PROBE dma_result probe_st64_relaxed(struct dma_ctx *c, uint64_t a, uint64_t v)
{
    return dma_st_le64_relaxed(c, a, v);
}
