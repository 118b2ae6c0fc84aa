/* SPDX-License-Identifier: MIT */
/*
 * A virtio-blk-like request handler as it would sit in a kvmtool tree,
 * built by tests/compat/trees.sh with kvmtool's warning set, -D_GNU_SOURCE
 * on the command line and the tree's include/ on -I (so its
 * <linux/types.h> shadows the system one, also for odma's system
 * includes). The tree's headers come first, or odma first with
 * -DODMA_FIRST. main() checks the request was parsed and completed.
 */
#ifdef ODMA_FIRST
#include <odma.h>
#endif
#include <kvm/barrier.h>
#include <kvm/kvm.h>
#include <kvm/util.h>
#include <linux/types.h>
#ifndef ODMA_FIRST
#include <odma.h>
#endif
#include <stdarg.h>
#include <string.h>

struct blk_req_hdr {
    __le32 type;
    __le32 ioprio;
    __le64 sector;
};

struct blk_dev {
    struct kvm *kvm;
    struct dma_ctx dma;
    unsigned char disk[4096];
};

void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    exit(1);
}

int pr_warning(const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vfprintf(stderr, fmt, ap);
    va_end(ap);
    return n;
}

/* Read the header and the data buffer, write the status byte with release. */
static int blk_handle(struct blk_dev *bdev, u64 hdr, u64 data, u32 len, u64 status)
{
    uint32_t type = 0;
    uint64_t sector = 0; /* not u64: kvmtool's u64 is unsigned long long, not uint64_t on LP64 */
    u8 st = 0;

    if (odma_ld_le32(&bdev->dma, hdr, &type) != DMA_OK ||
        dma_ld_le64(&bdev->dma, hdr + 8, &sector) != DMA_OK)
        return -1;
    if (unlikely (sector * 512 + len > sizeof bdev->disk || len > 512))
        st = 1;
    else if (type == 1) /* out: guest -> disk */
        st = dma_read(&bdev->dma, data, bdev->disk + sector * 512, len) == DMA_OK ? 0 : 1;
    else
        st = dma_write(&bdev->dma, data, bdev->disk + sector * 512, len) == DMA_OK ? 0 : 1;
    wmb(); /* the tree's own barrier macro, beside odma's */
    return dma_st_u8_release(&bdev->dma, status, st) == DMA_OK ? st : -1;
}

int main(void)
{
    static uint64_t ram64[512];
    struct kvm kvm = { ram64, sizeof ram64, 1 };
    static struct blk_dev bdev;
    struct blk_req_hdr h = { 1, 0, 2 };
    unsigned char *data = guest_flat_to_host(&kvm, 0x100);
    unsigned i;
    int fails = 0;

    bdev.kvm = &kvm;
    dma_ctx_init(&bdev.dma, DMA_POLICY_PCIE);
    if (dma_ctx_add_region(&bdev.dma, 0, kvm.ram_size, kvm.ram_start, 0) != DMA_OK)
        die("region\n");
    memcpy(guest_flat_to_host(&kvm, 0x40), &h, sizeof h);
    for (i = 0; i < 64; i++)
        data[i] = (unsigned char)(i ^ 0x3c);
    fails += blk_handle(&bdev, 0x40, 0x100, 64, 0x80) != 0;
    fails += memcmp(bdev.disk + 2 * 512, data, 64) != 0;
    fails += *(u8 *)guest_flat_to_host(&kvm, 0x80) != 0;
    /* Bad input: a sector past the disk gets status 1 and moves nothing. */
    h.sector = 100;
    memcpy(guest_flat_to_host(&kvm, 0x40), &h, sizeof h);
    fails += blk_handle(&bdev, 0x40, 0x100, 64, 0x80) != 1;
    mb();
    if (fails)
        pr_warning("odma_blk: %d checks failed\n", fails);
    return fails != 0;
}
