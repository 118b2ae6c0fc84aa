/* SPDX-License-Identifier: MIT */
/*
 * odma/policy.h - bus ordering policies, as data.
 *
 * A policy names, for each pair (previous access, next access) made by the
 * same thread, the barrier the emulated bus requires between them, plus
 * the barrier before a notification (interrupt, event channel kick):
 *
 *   policy               R->R  R->W  W->W  W->R  before notify
 *   DMA_POLICY_STRICT    rmb   rmb   wmb   mb    mb     (default, NULL)
 *   DMA_POLICY_PCIE      -     -     wmb   mb    mb     (no RO / IDO)
 *   DMA_POLICY_PCIE_RELAXED -  -     -     mb    mb     (RO writes)
 *   DMA_POLICY_NONE      -     -     -     -     -      (device orders itself)
 *
 * STRICT is what a sequential device model expects: every access completes,
 * in program order, before the next one starts - with one caveat, below:
 * it gives W->W a wmb, and on POWER a wmb does not forbid the "R" shape.
 *
 * PCIE models a device with several requests in flight: the PCIe spec lets
 * reads pass reads and a posted write pass an earlier read, but no request
 * passes a posted write. Beware: a sequential device model that reads a
 * flag and then the data behind it relies on "the read completed before
 * the next request", which PCIE does not give. Use dma_read_consume() or
 * an _acquire load for that flag (the branch on the flag's value is a
 * control dependency, and that does not order loads on Arm or POWER).
 *
 * PCIE_RELAXED additionally lets writes pass writes (Relaxed Ordering on
 * every write): publish records with dma_write_publish() or a _release
 * store.
 *
 * No policy puts a full barrier between two device writes, and a wmb
 * there does not order them against a guest CPU's write to the second
 * location (the "R" litmus shape: wmb + mb is allowed by the Linux-kernel
 * memory model and observed on POWER). A device model that must not lose
 * that race calls odma_mb() (or dma_notify_barrier()) between the two
 * writes. tests/litmus/ shows which shapes each form forbids.
 *
 * Users may define their own table:
 *
 *     static const struct dma_policy my_bus = {
 *         "my-bus",
 *         { { DMA_BARRIER_NONE, DMA_BARRIER_RMB },    // after R: ->R, ->W
 *           { DMA_BARRIER_MB,   DMA_BARRIER_WMB } },  // after W: ->R, ->W
 *         DMA_BARRIER_MB };
 *
 * The table is read once, by dma_ctx_init(). An entry says whether a pair
 * needs ordering; odma issues the weakest barrier that orders every pair
 * still pending (odma__policy_need() below), not the entry's name. It
 * keeps *every* earlier access ordered as the table says, not only the
 * last one: for a table where, say, W->W needs a wmb and R->W does not,
 * the sequence W R W still gets the wmb the first write needs.
 */
#ifndef ODMA_POLICY_H
#define ODMA_POLICY_H

#include "barrier.h"

struct dma_policy {
    const char *name;
    enum dma_barrier order[2][2]; /* [previous dma_dir][next dma_dir] */
    enum dma_barrier notify;      /* before dma_notify_barrier() returns */
};

/* One definition for the whole program (weak), so the named policies
 * compare equal across translation units. */
ODMA__WEAK_CONST struct dma_policy odma__named_policies[4] = {
    { "strict",
      { { DMA_BARRIER_RMB, DMA_BARRIER_RMB }, { DMA_BARRIER_MB, DMA_BARRIER_WMB } },
      DMA_BARRIER_MB },
    { "pcie",
      { { DMA_BARRIER_NONE, DMA_BARRIER_NONE }, { DMA_BARRIER_MB, DMA_BARRIER_WMB } },
      DMA_BARRIER_MB },
    { "pcie-relaxed",
      { { DMA_BARRIER_NONE, DMA_BARRIER_NONE }, { DMA_BARRIER_MB, DMA_BARRIER_NONE } },
      DMA_BARRIER_MB },
    { "none",
      { { DMA_BARRIER_NONE, DMA_BARRIER_NONE }, { DMA_BARRIER_NONE, DMA_BARRIER_NONE } },
      DMA_BARRIER_NONE },
};

#define DMA_POLICY_STRICT ((const struct dma_policy *)&odma__named_policies[0])
#define DMA_POLICY_PCIE ((const struct dma_policy *)&odma__named_policies[1])
#define DMA_POLICY_PCIE_RELAXED ((const struct dma_policy *)&odma__named_policies[2])
#define DMA_POLICY_NONE ((const struct dma_policy *)&odma__named_policies[3])

/*
 * The barrier an access of direction `dir` needs, given this thread's
 * pending bits: the weakest barrier whose coverage (rmb: R->R, R->W; wmb:
 * R->W, W->W; mb: all) includes every pending pair that the table orders
 * (an entry that is not none). So the first write of a thread under STRICT
 * gets a wmb (R->W and W->W both pending), not an mb; and a custom table
 * whose entry cannot order its own pair (W->R = wmb) gets the barrier that
 * does (mb), which is also what odma/testing.h's checker demands. Where
 * rmb and wmb both cover the pairs (R->W alone), rmb: it is the cheaper on
 * Arm (dmb ishld against dmb ish).
 */
static inline enum dma_barrier odma__policy_need(const struct dma_policy *p,
                                                 unsigned pending, dma_dir dir)
{
    unsigned d = (unsigned)dir, req = 0;
    if ((pending & (1u << d)) && p->order[DMA_DIR_READ][d] != DMA_BARRIER_NONE)
        req |= 1u << d; /* R->R or R->W */
    if ((pending & (1u << (2u + d))) && p->order[DMA_DIR_WRITE][d] != DMA_BARRIER_NONE)
        req |= 1u << (2u + d); /* W->R or W->W */
    if (req == 0)
        return DMA_BARRIER_NONE;
    if (!(req & ~odma__covered_by(DMA_BARRIER_RMB)))
        return DMA_BARRIER_RMB;
    if (!(req & ~odma__covered_by(DMA_BARRIER_WMB)))
        return DMA_BARRIER_WMB;
    return DMA_BARRIER_MB;
}

#endif /* ODMA_POLICY_H */
