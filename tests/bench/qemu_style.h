/* SPDX-License-Identifier: MIT */
/*
 * tests/bench/qemu_style.h - the QEMU-style baseline every benchmark
 * compares against, written once: what QEMU's dma_memory_rw() does per
 * access according to its include/system/dma.h (dma_barrier() issues
 * smp_mb(), a seq_cst fence, before every access), then a bounds check and
 * a memcpy. It skips QEMU's address-space lookup, so it is a lower bound
 * on QEMU's cost.
 */
#ifndef ODMA_BENCH_QEMU_STYLE_H
#define ODMA_BENCH_QEMU_STYLE_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

/* 0 on success, 1 if [addr, addr + len) is not inside ram[0, size). */
static inline __attribute__((always_inline)) int
qemu_style_rw(unsigned char *ram, uint64_t size, uint64_t addr, void *buf, size_t len,
              int is_write)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (addr > size || len > size - addr)
        return 1;
    if (is_write)
        memcpy(ram + addr, buf, len);
    else
        memcpy(buf, ram + addr, len);
    return 0;
}

#endif
