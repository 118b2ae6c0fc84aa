// SPDX-License-Identifier: MIT
/*
 * examples/vhost_user/server.c - the vhost-user protocol: one message at
 * a time from the front-end, its reply, and the queue life cycle.
 *
 * A queue starts when everything it needs has arrived: the memory table,
 * its size, its ring addresses, its kick fd (or the "no fd, poll" bit),
 * and, with VHOST_USER_F_PROTOCOL_FEATURES, SET_VRING_ENABLE 1. Starting
 * it translates the ring addresses (front-end user addresses) to guest
 * addresses and calls dma_vq_init(); ring memory outside the table
 * breaks that queue only. GET_VRING_BASE serves what is already in the
 * ring, then stops the queue and returns how far it got.
 *
 * Replies: GET_* requests get their answer; any other request with the
 * NEED_REPLY flag gets a u64 status (0 ok, 1 failed), the REPLY_ACK
 * protocol feature. A request the backend does not know is answered with
 * status 1 if an ack was asked for, and otherwise only logged.
 */
#define _GNU_SOURCE
#include "vu.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

void vu_mem_unmap(struct vu_conn *c);
int vu_mem_set(struct vu_conn *c, const struct vu_msg *m);
int vu_mem_ua_to_gpa(const struct vu_conn *c, uint64_t ua, uint64_t len, uint64_t *gpa);

#define BIT(n) (1ull << (n))

static const uint64_t protocol_features =
    BIT(VU_PF_REPLY_ACK) | BIT(VU_PF_BACKEND_REQ) | BIT(VU_PF_CONFIG);

uint64_t vu_transport_features(void)
{
    uint64_t f = BIT(VU_F_VERSION_1) | BIT(VU_F_PROTOCOL_FEATURES) | BIT(VU_F_EVENT_IDX) |
                 BIT(VU_F_INDIRECT_DESC);
    if (vu_opt.packed)
        f |= BIT(VU_F_RING_PACKED);
    return f;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void queue_stop(struct vu_conn *c, unsigned q)
{
    struct vu_queue *vq = &c->q[q];
    if (vq->started)
        vu_queue_stopping(c, q);
    vq->started = false;
    vq->pending = false;
}

static void queue_reset(struct vu_conn *c, unsigned q)
{
    struct vu_queue *vq = &c->q[q];
    queue_stop(c, q);
    close_fd(&vq->kick_fd);
    close_fd(&vq->call_fd);
    close_fd(&vq->err_fd);
    memset(vq, 0, sizeof(*vq));
    vq->kick_fd = vq->call_fd = vq->err_fd = -1;
}

void vu_conn_reset(struct vu_conn *c)
{
    for (unsigned q = 0; q < VU_MAX_QUEUES; q++)
        queue_reset(c, q);
    vu_mem_unmap(c);
    close_fd(&c->backend_req_fd);
}

static void break_queue(struct vu_conn *c, unsigned q, const char *why)
{
    c->q[q].broken = true;
    vu_log(c, "queue %u broken: %s (the connection and its other queues carry on)", q, why);
}

/* Start queue q if it has all it needs and is not running yet. */
static void maybe_start(struct vu_conn *c, unsigned q)
{
    struct vu_queue *vq = &c->q[q];
    bool split;
    uint64_t n, dsz, drv, dev, dsize, drvsize, devsize;

    if (vq->started || vq->broken || !vq->addr_set || !vq->kick_set || !vq->num ||
        !c->nmaps || !vq->enabled)
        return;
    split = !(c->features & BIT(VU_F_RING_PACKED));
    n = vq->num;
    dsize = 16 * n;
    drvsize = split ? 6 + 2 * n : 4;
    devsize = split ? 6 + 8 * n : 4;
    if (vu_mem_ua_to_gpa(c, vq->desc_ua, dsize, &dsz) < 0 ||
        vu_mem_ua_to_gpa(c, vq->avail_ua, drvsize, &drv) < 0 ||
        vu_mem_ua_to_gpa(c, vq->used_ua, devsize, &dev) < 0) {
        break_queue(c, q, "a ring address is outside the memory table");
        return;
    }
    struct dma_vq_config cfg = {
        .num = vq->num,
        .packed = !split,
        .event_idx = !!(c->features & BIT(VU_F_EVENT_IDX)),
        .indirect = !!(c->features & BIT(VU_F_INDIRECT_DESC)),
        .desc = dsz,
        .driver = drv,
        .device = dev,
    };
    dma_result r = dma_vq_init(&vq->vq, &c->ctx, &cfg);
    if (r != DMA_OK) {
        break_queue(c, q, dma_vq_why_str(dma_vq_why(&vq->vq)));
        return;
    }
    if (vq->base != 0) {
        /* Resume where the front-end says. Split: the used idx is the one
         * in the ring; packed: nothing is in flight, both positions are
         * the same (wrap counter in bit 15). */
        uint16_t used = vq->base;
        if (split && dma_ld_le16_acquire(&c->ctx, dev + 2, &used) != DMA_OK) {
            break_queue(c, q, "used ring unreadable");
            return;
        }
        r = dma_vq_set_state(&vq->vq, vq->base, used);
        if (r != DMA_OK) {
            break_queue(c, q, "SET_VRING_BASE out of range");
            return;
        }
    }
    vq->started = true;
    vq->chains = 0;
    if (vu_opt.verbose)
        vu_log(c, "queue %u started: %s, %u entries, desc 0x%llx", q,
               split ? "split" : "packed", vq->num, (unsigned long long)dsz);
    vu_queue_started(c, q);
}

static int reply(struct vu_conn *c, struct vu_msg *m, uint32_t size)
{
    m->hdr.flags = VU_VERSION | VU_FLAG_REPLY;
    m->hdr.size = size;
    m->nfds = 0;
    if (vu_msg_send(c->sock, m) < 0) {
        vu_log(c, "reply to %s: %s", vu_request_name(m->hdr.request), strerror(errno));
        return -1;
    }
    return 0;
}

static int reply_u64(struct vu_conn *c, struct vu_msg *m, uint64_t v)
{
    m->u.u64 = v;
    return reply(c, m, sizeof(uint64_t));
}

/* The fd of SET_VRING_KICK/CALL/ERR, or -1 with the "no fd" bit. */
static int take_vring_fd(struct vu_conn *c, struct vu_msg *m, unsigned *q, int *fd)
{
    *q = (unsigned)(m->u.u64 & VU_VRING_IDX_MASK);
    *fd = -1;
    if (*q >= c->l->ops->nqueues || m->hdr.size < sizeof(uint64_t)) {
        vu_log(c, "%s: queue %u does not exist", vu_request_name(m->hdr.request), *q);
        return -1;
    }
    if (m->u.u64 & VU_VRING_NOFD)
        return m->nfds == 0 ? 0 : -1;
    if (m->nfds != 1) {
        vu_log(c, "%s: %d fds, expected 1", vu_request_name(m->hdr.request), m->nfds);
        return -1;
    }
    *fd = m->fds[0];
    m->nfds = 0;
    fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) | O_NONBLOCK);
    return 0;
}

static bool queue_index_ok(struct vu_conn *c, const struct vu_msg *m, uint32_t idx)
{
    if (idx < c->l->ops->nqueues)
        return true;
    vu_log(c, "%s: queue %u does not exist", vu_request_name(m->hdr.request), idx);
    return false;
}

int vu_handle_message(struct vu_conn *c)
{
    struct vu_msg m;
    int rc = vu_msg_recv(c->sock, &m);
    int ok = 0; /* 0: success; -1: failed (status 1 in an ack) */
    unsigned q;
    int fd;

    if (rc == 0)
        return -1;
    if (rc < 0) {
        vu_log(c, "receive: %s", strerror(errno));
        return -1;
    }
    if (vu_opt.verbose)
        vu_log(c, "%s size %u fds %d payload 0x%llx", vu_request_name(m.hdr.request), m.hdr.size,
               m.nfds, (unsigned long long)m.u.u64);

    switch (m.hdr.request) {
    case VU_SET_OWNER:
        break;
    case VU_RESET_OWNER:
        for (q = 0; q < VU_MAX_QUEUES; q++)
            queue_reset(c, q);
        break;
    case VU_GET_FEATURES:
        return reply_u64(c, &m, c->l->ops->features(c) | vu_transport_features());
    case VU_SET_FEATURES: {
        uint64_t offered = c->l->ops->features(c) | vu_transport_features();
        if (m.u.u64 & ~offered) {
            vu_log(c, "SET_FEATURES 0x%llx: bits 0x%llx were not offered",
                   (unsigned long long)m.u.u64, (unsigned long long)(m.u.u64 & ~offered));
            ok = -1;
            break;
        }
        c->features = m.u.u64;
        c->features_set = true;
        /* Without PROTOCOL_FEATURES a ring is enabled from the start. */
        for (q = 0; q < c->l->ops->nqueues; q++)
            if (!(c->features & BIT(VU_F_PROTOCOL_FEATURES)))
                c->q[q].enabled = true;
        break;
    }
    case VU_GET_PROTOCOL_FEATURES:
        return reply_u64(c, &m, protocol_features);
    case VU_SET_PROTOCOL_FEATURES:
        c->protocol_features = m.u.u64 & protocol_features;
        break;
    case VU_SET_MEM_TABLE:
        ok = vu_mem_set(c, &m);
        /* fds are mapped (or the table refused); either way, close them */
        vu_msg_close_fds(&m);
        for (q = 0; q < c->l->ops->nqueues && ok == 0; q++)
            maybe_start(c, q);
        break;
    case VU_SET_VRING_NUM:
        if (!queue_index_ok(c, &m, m.u.state.index)) {
            ok = -1;
            break;
        }
        if (m.u.state.num == 0 || m.u.state.num > 32768 ||
            (!vu_opt.packed && (m.u.state.num & (m.u.state.num - 1)))) {
            vu_log(c, "SET_VRING_NUM: queue %u: bad size %u", m.u.state.index, m.u.state.num);
            ok = -1;
            break;
        }
        c->q[m.u.state.index].num = (uint16_t)m.u.state.num;
        break;
    case VU_SET_VRING_BASE:
        if (!queue_index_ok(c, &m, m.u.state.index)) {
            ok = -1;
            break;
        }
        c->q[m.u.state.index].base = (uint16_t)m.u.state.num;
        /* A set-up again after a stop is a fresh ring: clear the break. */
        c->q[m.u.state.index].broken = false;
        break;
    case VU_SET_VRING_ADDR:
        if (!queue_index_ok(c, &m, m.u.addr.index)) {
            ok = -1;
            break;
        }
        q = m.u.addr.index;
        c->q[q].desc_ua = m.u.addr.desc_uaddr;
        c->q[q].avail_ua = m.u.addr.avail_uaddr;
        c->q[q].used_ua = m.u.addr.used_uaddr;
        c->q[q].addr_set = true;
        maybe_start(c, q);
        break;
    case VU_GET_VRING_BASE:
        if (!queue_index_ok(c, &m, m.u.state.index)) {
            m.u.state.num = 0;
            return reply(c, &m, sizeof(m.u.state));
        }
        q = m.u.state.index;
        if (vu_queue_ready(c, q)) {
            while (c->l->ops->serve(c, q))
                ; /* serve what the driver already queued */
            vu_flush(c, q);
        }
        queue_stop(c, q);
        c->q[q].kick_set = false;
        close_fd(&c->q[q].kick_fd);
        {
            uint16_t next_avail = 0, next_used = 0;
            if (c->q[q].vq.ctx)
                dma_vq_get_state(&c->q[q].vq, &next_avail, &next_used);
            m.u.state.num = next_avail;
        }
        return reply(c, &m, sizeof(m.u.state));
    case VU_SET_VRING_KICK:
        if (take_vring_fd(c, &m, &q, &fd) < 0) {
            ok = -1;
            break;
        }
        if (c->q[q].started) { /* a new kick fd for a running queue */
            vu_queue_stopping(c, q);
            close_fd(&c->q[q].kick_fd);
            c->q[q].kick_fd = fd;
            vu_queue_started(c, q);
            break;
        }
        close_fd(&c->q[q].kick_fd);
        c->q[q].kick_fd = fd;
        c->q[q].kick_set = true;
        maybe_start(c, q);
        break;
    case VU_SET_VRING_CALL:
        if (take_vring_fd(c, &m, &q, &fd) < 0) {
            ok = -1;
            break;
        }
        close_fd(&c->q[q].call_fd);
        c->q[q].call_fd = fd;
        break;
    case VU_SET_VRING_ERR:
        if (take_vring_fd(c, &m, &q, &fd) < 0) {
            ok = -1;
            break;
        }
        close_fd(&c->q[q].err_fd);
        c->q[q].err_fd = fd;
        break;
    case VU_SET_VRING_ENABLE:
        if (!queue_index_ok(c, &m, m.u.state.index)) {
            ok = -1;
            break;
        }
        q = m.u.state.index;
        c->q[q].enabled = m.u.state.num != 0;
        if (c->q[q].enabled)
            maybe_start(c, q);
        break;
    case VU_SET_BACKEND_REQ_FD:
        if (m.nfds != 1) {
            ok = -1;
            break;
        }
        close_fd(&c->backend_req_fd);
        c->backend_req_fd = m.fds[0];
        m.nfds = 0;
        break;
    case VU_GET_CONFIG: {
        uint32_t off = m.u.config.offset, size = m.u.config.size;
        uint8_t space[VU_MAX_CONFIG];
        if (m.hdr.size < offsetof(struct vu_config, data) || size > VU_MAX_CONFIG ||
            off > VU_MAX_CONFIG - size) {
            vu_log(c, "GET_CONFIG: offset %u size %u: refused", off, size);
            /* answer with an empty payload: the front-end sees the error */
            return reply(c, &m, 0);
        }
        memset(space, 0, sizeof(space));
        c->l->ops->config(c, space, sizeof(space));
        memcpy(m.u.config.data, space + off, size);
        return reply(c, &m, (uint32_t)offsetof(struct vu_config, data) + size);
    }
    case VU_SET_CONFIG:
        /* Nothing in our config spaces is writable: accept and ignore. */
        break;
    case VU_SET_VRING_ENDIAN:
    case VU_SET_LOG_BASE:
    case VU_SET_LOG_FD:
    default:
        vu_log(c, "%s (%u): not supported", vu_request_name(m.hdr.request), m.hdr.request);
        ok = -1;
        break;
    }
    vu_msg_close_fds(&m);
    if (m.hdr.flags & VU_FLAG_NEED_REPLY) {
        if (reply_u64(c, &m, ok == 0 ? 0 : 1) < 0)
            return -1;
    }
    return 0;
}
