/* SPDX-License-Identifier: MIT */
/*
 * A device file as it sits in a QEMU tree, built by tests/compat/trees.sh
 * with QEMU's warning set and the tree's include directory on -iquote:
 * qemu/osdep.h first (system headers, <unistd.h>, _GNU_SOURCE), then the
 * tree's headers, then odma as "odma.h". With -DODMA_BEFORE_HW odma comes
 * straight after osdep.h, before the tree's own smp_* macros, which is
 * what ODMA_NO_SMP_NAMES is for.
 *
 * The device copies a block the way hw/misc/edu.c does (guest memory to
 * a device buffer and back), through odma, then completes with a
 * published status word; main() checks the bytes through the tree's own
 * pci_dma_read().
 */
#include "qemu/osdep.h"
#ifdef ODMA_BEFORE_HW
#define ODMA_NO_SMP_NAMES
#include "odma.h"
#include "hw/pci_device.h"
#else
#include "hw/pci_device.h"
#include "odma.h"
#endif

#define EDU_DMA_SIZE 256

typedef struct EduState {
    PCIDevice pdev;
    struct dma_ctx dma;
    unsigned char buf[EDU_DMA_SIZE];
    uint32_t status_seq;
} EduState;

static dma_dir edu_dir(DMADirection d)
{
    return d == DMA_DIRECTION_FROM_DEVICE ? DMA_DIR_WRITE : DMA_DIR_READ;
}

static bool edu_dma_transfer(EduState *edu, dma_addr_t addr, dma_addr_t len, DMADirection dir)
{
    if (unlikely(len > EDU_DMA_SIZE))
        return false;
    return odma_rw(&edu->dma, addr, edu->buf, (size_t)len, edu_dir(dir)) == DMA_OK;
}

static bool edu_complete(EduState *edu, dma_addr_t status_addr)
{
    struct { uint32_t result; uint32_t seq; } st = { 0x600d, ++edu->status_seq };
    dma_result r = odma_write_publish(&edu->dma, status_addr, &st, sizeof st, 4, 4);
    odma_notify_barrier(&edu->dma);
    return r == DMA_OK;
}

int main(void)
{
    static uint64_t ram64[1024];
    EduState edu = { 0 };
    unsigned char out[64], in[64];
    uint32_t seq = 0;
    int fails = 0;
    size_t i;

    edu.pdev.name = "edu";
    edu.pdev.bus_master_as.name = "bus master";
    edu.pdev.bus_master_as.ram = (unsigned char *)ram64;
    edu.pdev.bus_master_as.base = 0x40000000;
    edu.pdev.bus_master_as.size = sizeof ram64;
    odma_ctx_init(&edu.dma, DMA_POLICY_PCIE);
    if (odma_ctx_add_region(&edu.dma, edu.pdev.bus_master_as.base, sizeof ram64, ram64, 0) !=
        DMA_OK)
        return 1;

    for (i = 0; i < ARRAY_SIZE(out); i++)
        out[i] = (unsigned char)(i * 3 + 1);
    fails += pci_dma_write(&edu.pdev, 0x40000100, out, sizeof out) != MEMTX_OK;
    fails += !edu_dma_transfer(&edu, 0x40000100, sizeof out, DMA_DIRECTION_TO_DEVICE);
    fails += !edu_dma_transfer(&edu, 0x40000800, sizeof out, DMA_DIRECTION_FROM_DEVICE);
    fails += !edu_complete(&edu, 0x40000040);
    fails += pci_dma_read(&edu.pdev, 0x40000800, in, sizeof in) != MEMTX_OK;
    fails += memcmp(in, out, sizeof in) != 0;
    fails += pci_dma_read(&edu.pdev, 0x40000044, &seq, sizeof seq) != MEMTX_OK || seq != 1;
    /* Bad input: a transfer past the device buffer is refused, changes nothing. */
    fails += edu_dma_transfer(&edu, 0x40000100, EDU_DMA_SIZE + 1, DMA_DIRECTION_TO_DEVICE);
    smp_mb(); /* the tree's macro */
    dma_barrier(&edu.pdev.bus_master_as, DMA_DIRECTION_TO_DEVICE); /* the tree's function */
    if (fails)
        fprintf(stderr, "odma_edu: %d checks failed\n", fails);
    return fails != 0;
}
