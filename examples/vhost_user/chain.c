// SPDX-License-Identifier: MIT
/*
 * examples/vhost_user/chain.c - what every device model does with a
 * queue: pop a chain (a driver error breaks that queue, logged once),
 * copy between its segments and host buffers through odma, and interrupt
 * the driver when the ring asks for it.
 */
#define _GNU_SOURCE
#include "vu.h"

#include <errno.h>
#include <unistd.h>

int vu_pop(struct vu_conn *c, unsigned q, struct dma_vq_chain *ch)
{
    struct vu_queue *vq = &c->q[q];
    if (!vu_queue_ready(c, q))
        return 0;
    int r = dma_vq_pop(&vq->vq, ch);
    if (r > 0) {
        vq->chains++;
        return 1;
    }
    if (r < 0) {
        vq->broken = true;
        vq->pending = false;
        vu_log(c, "queue %u broken by the driver: %s (%s; after %llu chains; the "
                  "connection and its other queues carry on)",
               q, dma_vq_why_str(dma_vq_why(&vq->vq)), dma_result_str(dma_vq_error(&vq->vq)),
               (unsigned long long)vq->chains);
        if (vq->err_fd >= 0) {
            uint64_t one = 1;
            if (write(vq->err_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
                vu_log(c, "queue %u: writing the error fd failed", q);
        }
        return -1;
    }
    return 0;
}

void vu_flush(struct vu_conn *c, unsigned q)
{
    struct vu_queue *vq = &c->q[q];
    if (!vq->unflushed)
        return;
    vq->unflushed = 0;
    dma_result r = dma_vq_flush(&vq->vq);
    if (r != DMA_OK)
        vu_log(c, "queue %u: publishing used elements: %s", q, dma_result_str(r));
}

void vu_complete(struct vu_conn *c, unsigned q, const struct dma_vq_chain *ch, uint32_t written)
{
    struct vu_queue *vq = &c->q[q];
    dma_result r = dma_vq_fill(&vq->vq, ch, written);
    if (r != DMA_OK) {
        vu_log(c, "queue %u: used element for chain %u: %s", q, ch->id, dma_result_str(r));
        return;
    }
    if (++vq->unflushed >= VU_BATCH || vq->unflushed >= vq->num)
        vu_flush(c, q);
}

void vu_notify_if_needed(struct vu_conn *c, unsigned q)
{
    vu_flush(c, q);
    if (vu_queue_ready(c, q) && dma_vq_should_notify(&c->q[q].vq))
        vu_call(c, q);
}

static dma_result chain_copy(struct vu_conn *c, const struct dma_vq_chain *ch, uint32_t off,
                             void *buf, uint32_t len, bool to_guest)
{
    unsigned char *p = buf;
    for (unsigned i = 0; i < ch->nseg && len; i++) {
        const struct dma_vq_seg *s = &ch->seg[i];
        if (s->device_writes != to_guest)
            continue;
        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        uint32_t n = s->len - off;
        if (n > len)
            n = len;
        dma_result r = to_guest ? dma_write(&c->ctx, s->addr + off, p, n)
                                : dma_read(&c->ctx, s->addr + off, p, n);
        if (r != DMA_OK)
            return r;
        p += n;
        len -= n;
        off = 0;
    }
    return len ? DMA_ERR_INVALID : DMA_OK;
}

dma_result vu_chain_read(struct vu_conn *c, const struct dma_vq_chain *ch, uint32_t off,
                         void *buf, uint32_t len)
{
    return chain_copy(c, ch, off, buf, len, false);
}

dma_result vu_chain_write(struct vu_conn *c, const struct dma_vq_chain *ch, uint32_t off,
                          const void *buf, uint32_t len)
{
    return chain_copy(c, ch, off, (void *)buf, len, true);
}
