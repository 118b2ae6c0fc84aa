// SPDX-License-Identifier: MIT
// tests/compat/tu_cxx.cc - the C++ file of the two-TU test (tu_main.c).
#include <odma/testing.h>

extern "C" {
void cxx_fence(void);
dma_result cxx_read(struct dma_ctx *ctx, uint64_t addr);
const struct dma_policy *cxx_pcie(void);
}

void cxx_fence(void) { odma_mb(); }

dma_result cxx_read(struct dma_ctx *ctx, uint64_t addr)
{
    uint32_t v = 0;
    return dma_ld_le32(ctx, addr, &v);
}

const struct dma_policy *cxx_pcie(void) { return DMA_POLICY_PCIE; }
