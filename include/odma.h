/* SPDX-License-Identifier: MIT */
/*
 * odma.h - ordered DMA accessors for emulated device models. Header-only C11.
 *
 * A device model runs on a host thread while guest vCPUs run on others. On
 * Arm, POWER and RISC-V its stores to guest memory can become visible out
 * of order unless a barrier separates them. odma's accessors put the
 * cheapest barrier the emulated bus requires before each access, chosen
 * from a policy table (strict, PCIe, PCIe relaxed ordering, none), and
 * offer _relaxed, _acquire/_release, and publish/consume forms.
 *
 *     #include <odma.h>
 *     struct dma_ctx ctx;
 *     dma_ctx_init(&ctx, DMA_POLICY_PCIE);
 *     dma_ctx_add_region(&ctx, 0, ram_size, ram, 0);
 *     dma_read_consume(&ctx, desc, &d, sizeof d, offsetof(struct desc, flags), 2);
 *     dma_write_publish(&ctx, cqe_addr, &cqe, 16, 14, 2);  // body, wmb, phase
 *     dma_notify_barrier(&ctx);                             // then raise the IRQ
 *
 * Configuration, as macros defined before the first include:
 *   ODMA_NO_SHORT_NAMES only the odma_X names of functions (odma/names.h)
 *   ODMA_IO_MB(), ODMA_IO_WMB(), ODMA_IO_RMB()  I/O barriers (odma/barrier.h)
 *   ODMA_TRACE          call the user's odma_trace() for every barrier and
 *                       access (odma/trace.h); zero cost when undefined
 *   ODMA_MAX_REGIONS    regions per context (default 64)
 *   ODMA_NO_SMP_NAMES   do not provide smp_mb()/smp_wmb()/smp_rmb()
 *   ODMA_TLS_MODEL      tls_model of the per-thread state (odma/platform.h)
 *   ODMA_MAX_MAPS       outstanding maps per context (default 64)
 *   ODMA_ON_MISUSE(ctx, msg)  what a bad dma_unmap does (odma/map.h)
 *
 * Parts, one concern each:
 *   odma/platform.h  atomics shim (C11 or C++), TLS, byte order
 *   odma/os.h        clock, yield, membarrier (none on an access path)
 *   odma/kinds.h     dma_dir, dma_barrier, dma_variant
 *   odma/trace.h     the ODMA_TRACE hook
 *   odma/barrier.h   odma_mb/wmb/rmb (and smp_* names)
 *   odma/result.h    dma_result, dma_result_str
 *   odma/policy.h    struct dma_policy and the named policies
 *   odma/ctx.h       struct dma_ctx, regions, bus master, translate hook
 *   odma/dirty.h     dirty page log
 *   odma/order.h     which barrier an access gets
 *   odma/access.h    dma_read/write/rw/set (+_relaxed)
 *   odma/ldst.h      dma_ld_* / dma_st_* (le/be, 8..64 bit)
 *   odma/publish.h   dma_write_publish, dma_read_consume, dma_notify_barrier
 *   odma/map.h       dma_map, dma_unmap, dma_ctx_quiesce
 *   odma/names.h     the dma_X twins of the odma_X functions
 * and, not included here: odma/testing.h (trace recorder, ordering checker).
 */
#ifndef ODMA_H
#define ODMA_H

#include "odma/platform.h"
#include "odma/os.h"
#include "odma/kinds.h"
#include "odma/trace.h"
#include "odma/barrier.h"
#include "odma/result.h"
#include "odma/policy.h"
#include "odma/ctx.h"
#include "odma/dirty.h"
#include "odma/order.h"
#include "odma/access.h"
#include "odma/ldst.h"
#include "odma/publish.h"
#include "odma/map.h"
#include "odma/names.h"

#endif /* ODMA_H */
