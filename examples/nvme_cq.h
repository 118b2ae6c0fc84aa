/* SPDX-License-Identifier: MIT */
/*
 * nvme_cq.h - an NVMe-style I/O queue pair as an odma device model: the
 * submission queue (SQ) the guest fills, and the completion queue (CQ)
 * whose phase bit tells the guest an entry is new.
 *
 * The guest driver writes 64-byte commands into the SQ, then writes the
 * new SQ tail to the doorbell register (MMIO, trapped: nvme_process()
 * gets the value). For each command the device
 *
 *   1. reads the command                dma_read
 *   2. moves the data                   READ: dma_write into the guest
 *                                       buffer; WRITE: dma_read from it
 *   3. posts a 16-byte completion (CQE) with the current phase bit
 *
 * and after the batch issues dma_notify_barrier() and raises the
 * interrupt. The guest polls the CQE's phase bit; when it flips, it reads
 * the rest of the CQE and the data. So the phase bit must become visible
 * after the data and after the rest of the CQE:
 *
 *   fixed  dma_write_publish(cqe, 16, 14, 2): the policy's barrier (orders
 *          the data before the CQE), the CQE body, wmb, then the status
 *          word holding the phase bit as one 16-bit store.
 *   buggy  dma_write_relaxed(cqe, 16): the whole entry, phase bit
 *          included, in one relaxed write - no barrier after the data, and
 *          no promise about the order of the entry's own bytes. On Arm or
 *          POWER the guest can see the new phase before the data.
 *
 * Subset of NVMe: opcodes FLUSH (0x00), WRITE (0x01), READ (0x02); one
 * namespace of 512-byte blocks; the transfer must fit in the 4 KiB page
 * at PRP1 (no PRP2 or lists). Command: opcode @0, CID @2 (le16), PRP1 @24
 * (le64), SLBA @40 (le64), NLB @48 (le16, 0-based). CQE: DW0 @0, SQ head
 * @8 (le16), SQ id @10, CID @12, status @14 (le16: bit 0 phase, bits 1-8
 * status code). The guest must not post more than qsize - 1 commands
 * ahead of the completions it has consumed (CQ head doorbell left out).
 */
#ifndef NVME_CQ_H
#define NVME_CQ_H

#include <odma.h>

#define NVME_SQE_SIZE 64
#define NVME_CQE_SIZE 16
#define NVME_BLOCK 512
#define NVME_PAGE 4096

enum { NVME_CMD_FLUSH = 0x00, NVME_CMD_WRITE = 0x01, NVME_CMD_READ = 0x02 };
enum {
    NVME_SC_SUCCESS = 0x00,
    NVME_SC_INVALID_OPCODE = 0x01,
    NVME_SC_INVALID_FIELD = 0x02,
    NVME_SC_DATA_XFER_ERROR = 0x04,
    NVME_SC_LBA_RANGE = 0x80
};

struct nvme_queue {
    struct dma_ctx dma;      /* the controller's view of guest memory */
    uint64_t sq_base;        /* guest address of the SQ */
    uint64_t cq_base;        /* guest address of the CQ */
    uint16_t qsize;          /* entries in each queue */
    uint16_t sq_head;        /* next command to fetch */
    uint16_t cq_tail;        /* next CQE slot */
    uint16_t phase;          /* phase bit of the current CQ pass: 1, then 0, ... */
    unsigned char *ns;       /* namespace storage, nblocks * NVME_BLOCK bytes */
    uint64_t nblocks;
    int buggy;               /* post CQEs with one relaxed write */
    void (*raise_irq)(void *opaque);
    void *irq_opaque;
};

/* A queue pair over guest memory the caller then adds with
 * dma_ctx_add_region(&q->dma, ...). ns: nblocks * NVME_BLOCK bytes. */
static inline void nvme_queue_init(struct nvme_queue *q, const struct dma_policy *policy,
                                   uint64_t sq_base, uint64_t cq_base, uint16_t qsize,
                                   unsigned char *ns, uint64_t nblocks)
{
    memset(q, 0, sizeof *q);
    dma_ctx_init(&q->dma, policy);
    q->sq_base = sq_base;
    q->cq_base = cq_base;
    q->qsize = qsize;
    q->phase = 1; /* the guest zeroes the CQ; the first pass posts phase 1 */
    q->ns = ns;
    q->nblocks = nblocks;
}

static inline uint64_t nvme_get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    while (n--)
        v = v << 8 | p[n];
    return v;
}

static inline void nvme_put_le(unsigned char *p, uint64_t v, int n)
{
    int i;
    for (i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Execute one command; returns its status code. */
static inline unsigned nvme_execute(struct nvme_queue *q, const unsigned char *cmd)
{
    uint64_t prp1 = nvme_get_le(cmd + 24, 8), slba = nvme_get_le(cmd + 40, 8);
    uint64_t nlb = nvme_get_le(cmd + 48, 2) + 1, len = nlb * NVME_BLOCK;
    unsigned char *blocks;
    dma_result r;
    switch (cmd[0]) {
    case NVME_CMD_FLUSH:
        return NVME_SC_SUCCESS;
    case NVME_CMD_READ:
    case NVME_CMD_WRITE:
        break;
    default:
        return NVME_SC_INVALID_OPCODE;
    }
    if (slba >= q->nblocks || nlb > q->nblocks - slba)
        return NVME_SC_LBA_RANGE;
    if ((prp1 & 3) || (prp1 % NVME_PAGE) + len > NVME_PAGE)
        return NVME_SC_INVALID_FIELD; /* would need PRP2 or a list */
    blocks = q->ns + slba * NVME_BLOCK;
    if (cmd[0] == NVME_CMD_READ)
        r = dma_write(&q->dma, prp1, blocks, (size_t)len); /* device -> guest */
    else
        r = dma_read(&q->dma, prp1, blocks, (size_t)len); /* guest -> device */
    return r == DMA_OK ? NVME_SC_SUCCESS : NVME_SC_DATA_XFER_ERROR;
}

/* Post the CQE for command `cid`: the bug and its fix side by side. */
static inline dma_result nvme_post_cqe(struct nvme_queue *q, uint16_t cid, unsigned sc)
{
    unsigned char cqe[NVME_CQE_SIZE] = { 0 };
    uint64_t addr = q->cq_base + (uint64_t)q->cq_tail * NVME_CQE_SIZE;
    dma_result r;
    nvme_put_le(cqe + 8, q->sq_head, 2);
    nvme_put_le(cqe + 10, 1, 2); /* SQ id */
    nvme_put_le(cqe + 12, cid, 2);
    nvme_put_le(cqe + 14, (uint64_t)(sc << 1 | q->phase), 2);
    if (q->buggy)
        r = dma_write_relaxed(&q->dma, addr, cqe, NVME_CQE_SIZE);
    else
        r = dma_write_publish(&q->dma, addr, cqe, NVME_CQE_SIZE, 14, 2);
    if (r == DMA_OK && ++q->cq_tail == q->qsize) {
        q->cq_tail = 0;
        q->phase ^= 1;
    }
    return r;
}

/*
 * The SQ tail doorbell was written with `sq_tail`: run every new command.
 * Returns the number of completions posted, or -1 if the CQ could not be
 * written (then the device stops, as a real controller would go fatal).
 */
static inline int nvme_process(struct nvme_queue *q, uint16_t sq_tail)
{
    unsigned char cmd[NVME_SQE_SIZE];
    int done = 0;
    if (sq_tail >= q->qsize)
        return -1;
    while (q->sq_head != sq_tail) {
        uint64_t addr = q->sq_base + (uint64_t)q->sq_head * NVME_SQE_SIZE;
        unsigned sc;
        uint16_t cid;
        if (dma_read(&q->dma, addr, cmd, sizeof cmd) != DMA_OK)
            return -1;
        q->sq_head = (uint16_t)((q->sq_head + 1) % q->qsize);
        cid = (uint16_t)nvme_get_le(cmd + 2, 2);
        sc = nvme_execute(q, cmd);
        if (nvme_post_cqe(q, cid, sc) != DMA_OK)
            return -1;
        done++;
    }
    if (done) {
        dma_notify_barrier(&q->dma); /* every CQE visible before the IRQ */
        if (q->raise_irq)
            q->raise_irq(q->irq_opaque);
    }
    return done;
}

#endif /* NVME_CQ_H */
