/* SPDX-License-Identifier: MIT */
/*
 * tests/packaging/consumer.c - a program built against an *installed* odma
 * (pkg-config or CMake), as a user's would be. Prints one line and exits 0
 * when a write and an ordered read through odma work.
 */
#include <odma.h>
#include <stdio.h>

int main(void)
{
    static _Alignas(8) unsigned char ram[64];
    struct dma_ctx ctx;
    uint32_t v = 0;
    dma_ctx_init(&ctx, DMA_POLICY_PCIE);
    if (dma_ctx_add_region(&ctx, 0x1000, sizeof ram, ram, 0) != DMA_OK ||
        dma_st_le32(&ctx, 0x1004, 0xc0ffee) != DMA_OK || dma_ld_le32(&ctx, 0x1004, &v) != DMA_OK ||
        v != 0xc0ffee || ram[4] != 0xee) {
        fprintf(stderr, "consumer: odma does not work\n");
        return 1;
    }
    printf("consumer (C): ok\n");
    return 0;
}
