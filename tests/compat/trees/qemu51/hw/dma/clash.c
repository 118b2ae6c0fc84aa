/* SPDX-License-Identifier: MIT */
/*
 * A device file with static functions of its own named dma_read,
 * dma_write, dma_rw and dma_map (as QEMU 5.1's hw/dma/etraxfs_dma.c has
 * dma_read/dma_write and hw/misc/edu.c has dma_rw; the signatures here
 * are our own). It defines ODMA_NO_SHORT_NAMES, includes odma and calls
 * odma_read, odma_write, odma_rw, odma_map, odma_unmap and the typed
 * odma_ld/st; main() checks both its own functions and odma's did their
 * work. Built by tests/compat/trees.sh with -DCLASH_CONTROL (no
 * ODMA_NO_SHORT_NAMES) it must fail to compile: the names do clash.
 */
#include "qemu/osdep.h"
#ifndef CLASH_CONTROL
#define ODMA_NO_SHORT_NAMES
#endif
#include "odma.h"

struct fs_dma_channel {
    unsigned char regs[64];
    unsigned reads, writes;
};

static int dma_read(struct fs_dma_channel *ch, int reg)
{
    ch->reads++;
    return ch->regs[reg & 63];
}

static void dma_write(struct fs_dma_channel *ch, int reg, int value)
{
    ch->writes++;
    ch->regs[reg & 63] = (unsigned char)value;
}

static bool dma_rw(struct fs_dma_channel *ch, int reg, int *value, bool is_write)
{
    if (is_write)
        dma_write(ch, reg, *value);
    else
        *value = dma_read(ch, reg);
    return true;
}

static void *dma_map(struct fs_dma_channel *ch, int reg)
{
    return &ch->regs[reg & 63];
}

int main(void)
{
    static uint64_t ram64[128];
    unsigned char *ram = (unsigned char *)ram64;
    struct fs_dma_channel ch = { { 0 }, 0, 0 };
    struct dma_ctx ctx;
    unsigned char buf[16], back[16];
    uint64_t len = 64;
    uint32_t v32 = 0;
    dma_result res = DMA_ERR_INVALID;
    void *p;
    int v = 0x5a, fails = 0;
    size_t i;

    odma_ctx_init(&ctx, DMA_POLICY_STRICT);
    fails += odma_ctx_add_region(&ctx, 0x1000, sizeof ram64, ram, 0) != DMA_OK;

    /* The file's own functions. */
    fails += !dma_rw(&ch, 3, &v, true);
    v = 0;
    fails += !dma_rw(&ch, 3, &v, false) || v != 0x5a;
    fails += *(unsigned char *)dma_map(&ch, 3) != 0x5a || ch.reads != 1 || ch.writes != 1;

    /* odma's, under their long names. */
    for (i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(0xa0 + i);
    fails += odma_write(&ctx, 0x1010, buf, sizeof buf) != DMA_OK;
    fails += odma_read(&ctx, 0x1010, back, sizeof back) != DMA_OK ||
             memcmp(back, buf, sizeof buf) != 0;
    fails += odma_rw(&ctx, 0x1010, back, 4, DMA_DIR_READ) != DMA_OK || back[0] != 0xa0;
    fails += odma_st_le32(&ctx, 0x1040, 0x11223344u) != DMA_OK;
    fails += odma_ld_le32_acquire(&ctx, 0x1040, &v32) != DMA_OK || v32 != 0x11223344u;
    p = odma_map(&ctx, 0x1000, &len, DMA_DIR_WRITE, &res);
    fails += p != ram || res != DMA_OK || len != 64;
    if (p)
        odma_unmap(&ctx, p, len, DMA_DIR_WRITE, 0);
    fails += odma_ctx_maps_outstanding(&ctx) != 0;
    /* Bad input: outside every region, nothing written, 0xff read back. */
    fails += odma_write(&ctx, 0x100000, buf, sizeof buf) != DMA_ERR_UNMAPPED;
    fails += odma_read(&ctx, 0x100000, back, 2) != DMA_ERR_UNMAPPED || back[0] != 0xff;
    if (fails)
        fprintf(stderr, "clash: %d checks failed\n", fails);
    return fails != 0;
}
