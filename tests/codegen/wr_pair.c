/* SPDX-License-Identifier: MIT */
/*
 * tests/codegen/wr_pair.c - the code whose executed barriers
 * tests/codegen/steps.sh counts. Between the two marker calls it runs one
 * scenario, chosen by argv[1], from a known state (odma_mb() just before:
 * nothing pending), under DMA_POLICY_STRICT:
 *
 *   pair      ordered st, ordered ld        W->R: exactly one full barrier
 *   relaxed   _relaxed st, _relaxed ld      no barrier at all
 *   twice     st, ld, st, ld (all ordered)  two full barriers (W->R twice)
 *                                           and one rmb (R->W)
 */
#include <stdio.h>
#include <string.h>
#include <odma.h>

/* Out of line and not foldable: the tracer stops on their addresses. */
__attribute__((noinline, used)) void odma_steps_begin(void)
{
    ODMA__COMPILER_BARRIER();
}
__attribute__((noinline, used)) void odma_steps_end(void)
{
    ODMA__COMPILER_BARRIER();
}

static _Alignas(64) unsigned char ram[256];

int main(int argc, char **argv)
{
    struct dma_ctx ctx;
    uint32_t v = 0;
    const char *s = argc > 1 ? argv[1] : "pair";
    int sc = !strcmp(s, "pair") ? 0 : !strcmp(s, "relaxed") ? 1 : !strcmp(s, "twice") ? 2 : -1;
    dma_ctx_init(&ctx, DMA_POLICY_STRICT);
    if (dma_ctx_add_region(&ctx, 0x1000, sizeof ram, ram, 0) != DMA_OK)
        return 2;
    /* Warm both directions' region hints: the measured accesses then take
     * the fast path. */
    if (dma_ld_le32_relaxed(&ctx, 0x1000, &v) != DMA_OK ||
        dma_st_le32_relaxed(&ctx, 0x10f0, 0) != DMA_OK)
        return 2;
    if (sc < 0)
        return 2;
    odma_mb();
    odma_steps_begin();
    switch (sc) {
    case 0:
        dma_st_le32(&ctx, 0x1000, 1);
        dma_ld_le32(&ctx, 0x1040, &v);
        break;
    case 1:
        dma_st_le32_relaxed(&ctx, 0x1000, 1);
        dma_ld_le32_relaxed(&ctx, 0x1040, &v);
        break;
    default:
        dma_st_le32(&ctx, 0x1000, 1);
        dma_ld_le32(&ctx, 0x1040, &v);
        dma_st_le32(&ctx, 0x1080, 2);
        dma_ld_le32(&ctx, 0x10c0, &v);
        break;
    }
    odma_steps_end();
    printf("%s done, v=%u\n", s, (unsigned)v);
    return 0;
}
