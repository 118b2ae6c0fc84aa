// SPDX-License-Identifier: MIT
// tests/packaging/consumer_cxx.cc - the C++ flavour of consumer.c, so the
// CMake package is also tried by a project that enables only C++.
#include <odma.h>
#include <cstdio>

int main()
{
    alignas(8) static unsigned char ram[64];
    dma_ctx ctx;
    uint16_t v = 0;
    dma_ctx_init(&ctx, nullptr);
    if (dma_ctx_add_region(&ctx, 0x1000, sizeof ram, ram, 0) != DMA_OK ||
        dma_st_be16(&ctx, 0x1002, 0x1234) != DMA_OK || dma_ld_be16(&ctx, 0x1002, &v) != DMA_OK ||
        v != 0x1234 || ram[2] != 0x12) {
        std::fprintf(stderr, "consumer: odma does not work\n");
        return 1;
    }
    std::printf("consumer (C++): ok\n");
    return 0;
}
