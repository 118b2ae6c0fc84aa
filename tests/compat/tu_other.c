/* SPDX-License-Identifier: MIT */
/* tests/compat/tu_other.c - the second C file of the two-TU test (tu_main.c). */
#include <odma/testing.h>

void other_fence(void);
dma_result other_read(struct dma_ctx *ctx, uint64_t addr);
dma_result other_write(struct dma_ctx *ctx, uint64_t addr);
const struct dma_policy *other_pcie(void);

void other_fence(void) { odma_mb(); }

dma_result other_read(struct dma_ctx *ctx, uint64_t addr)
{
    uint32_t v;
    return dma_ld_le32(ctx, addr, &v);
}

dma_result other_write(struct dma_ctx *ctx, uint64_t addr)
{
    return dma_st_le32(ctx, addr, 3);
}

const struct dma_policy *other_pcie(void) { return DMA_POLICY_PCIE; }
