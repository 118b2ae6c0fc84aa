/* SPDX-License-Identifier: MIT */
/*
 * odma/result.h - what every odma accessor returns.
 *
 * A failed access has changed no guest byte: every accessor checks the
 * whole range (regions, permissions, translation) before it touches any
 * of it. A failed read fills the caller's whole buffer with 0xFF, the
 * value a PCI master abort returns, so no stale host data flows on.
 *
 * When several things are wrong the first of these wins: the argument
 * errors DMA_ERR_INVALID then DMA_ERR_ALIGN (a misaligned _acquire/
 * _release address or record flag), then DMA_ERR_DISABLED, then
 * DMA_ERR_OVERFLOW, then the lowest failing byte's own error (FAULT,
 * UNMAPPED or READONLY), then DMA_ERR_ALIGN for an aligned access that
 * would straddle two regions or spans, or that the translate hook maps to
 * a misaligned guest-physical address, and so cannot be atomic.
 */
#ifndef ODMA_RESULT_H
#define ODMA_RESULT_H

#include "platform.h"

typedef enum dma_result {
    DMA_OK = 0,
    DMA_ERR_UNMAPPED, /* a byte of the range is not backed by any region */
    DMA_ERR_OVERFLOW, /* addr + len wraps past 2^64 */
    DMA_ERR_READONLY, /* write to a read-only region */
    DMA_ERR_DISABLED, /* bus mastering is off for this context */
    DMA_ERR_FAULT,    /* the translate (IOMMU) hook refused */
    DMA_ERR_ALIGN,    /* _acquire/_release access not naturally aligned */
    DMA_ERR_INVALID   /* bad argument (NULL context, NULL buffer, ...) */
} dma_result;

/* A short English description; never NULL, even for unknown values. */
static inline const char *odma_result_str(dma_result r)
{
    switch (r) {
    case DMA_OK: return "ok";
    case DMA_ERR_UNMAPPED: return "address not backed by any region";
    case DMA_ERR_OVERFLOW: return "address + length wraps past 2^64";
    case DMA_ERR_READONLY: return "write to a read-only region";
    case DMA_ERR_DISABLED: return "bus mastering is disabled";
    case DMA_ERR_FAULT: return "translation (IOMMU) fault";
    case DMA_ERR_ALIGN: return "access not naturally aligned";
    case DMA_ERR_INVALID: return "invalid argument";
    }
    return "unknown dma_result";
}

#endif /* ODMA_RESULT_H */
