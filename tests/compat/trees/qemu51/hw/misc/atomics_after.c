/* SPDX-License-Identifier: MIT */
/*
 * The tree's old atomic_* names (QEMU before 5.2: atomic_read,
 * atomic_fetch_add ... on plain objects) must keep working in a device
 * file that includes odma after qemu/osdep.h: odma may not replace them
 * with <stdatomic.h>'s generic functions of the same name (clang's accept
 * only _Atomic objects).
 */
#include "qemu/osdep.h"
#include "odma.h"

struct counters {
    unsigned irqs;
    unsigned long bytes;
};

int main(void)
{
    static uint64_t ram64[16];
    struct counters c = { 0, 0 };
    struct dma_ctx ctx;
    unsigned char buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    int fails = 0;

    odma_ctx_init(&ctx, DMA_POLICY_PCIE);
    fails += dma_ctx_add_region(&ctx, 0, sizeof ram64, ram64, 0) != DMA_OK;
    if (dma_write(&ctx, 8, buf, sizeof buf) == DMA_OK)
        atomic_fetch_add(&c.bytes, sizeof buf);
    atomic_fetch_inc(&c.irqs);
    atomic_fetch_or(&c.irqs, 0x10u);
    fails += atomic_read(&c.bytes) != 8 || atomic_xchg(&c.irqs, 0) != 0x11;
    fails += atomic_fetch_sub(&c.bytes, 8) != 8 || atomic_read(&c.irqs) != 0;
    if (fails)
        fprintf(stderr, "atomics_after: %d checks failed\n", fails);
    return fails != 0;
}
