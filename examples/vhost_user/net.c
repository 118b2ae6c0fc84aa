// SPDX-License-Identifier: MIT
/*
 * examples/vhost_user/net.c - a virtio-net device (queue 0 receive,
 * queue 1 transmit, from the driver's side; no control queue, no
 * offloads, VIRTIO_F_VERSION_1 so every buffer starts with the 12-byte
 * struct virtio_net_hdr including num_buffers).
 *
 * Where the frames go (per listener, --net PATH[,MODE][,count=N]):
 *   hub     (default) a frame one connection transmits is received by
 *           every other connection on the same socket: two kernels
 *           booted against one socket share an Ethernet segment.
 *           A receiver with no free buffer keeps up to NET_BACKLOG
 *           frames and asks for a kick (enable_notify); beyond that it
 *           drops (counted).
 *   sink    transmitted frames are read, counted and dropped.
 *   source  like sink, and the device also fills every receive buffer
 *           the driver posts with a 64-byte frame, N frames in all
 *           (count=N; 0 = until the driver goes away).
 * Each connection prints its counters when it ends (see net_close).
 */
#define _GNU_SOURCE
#include "vu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NET_HDR 12
#define NET_MAX_FRAME 65536
#define NET_BACKLOG 256
#define NET_SLOT 1536
#define NET_SRC_LEN 64
#define NET_SRC_BATCH 32

/*
 * Feature bits the net device adds to the transport's: VIRTIO_F_IN_ORDER
 * (virtio 1.1, 2.6.9 split / 2.7.9 packed: the device uses buffers in
 * the order the driver made them available). Every queue here returns
 * its chains in the order it popped them (net_take, net_fill, and a bad
 * buffer is returned with length 0 in its turn), so the promise holds
 * without any help from virtio.h; we still write one used element per
 * chain, which the spec allows. A driver that negotiates it can free
 * its buffers without looking up each used id: DPDK's virtio-user then
 * takes its in-order paths (the ones it takes against its own backend,
 * which also offers the bit). Linux 6.1 does not negotiate it.
 */

enum net_mode { NET_HUB, NET_SINK, NET_SOURCE };

struct net_listener { /* vu_listener.opaque */
    enum net_mode mode;
    uint64_t count;
};

struct net_conn {
    uint64_t rx_frames, rx_bytes;   /* device -> driver (driver's receive queue) */
    uint64_t tx_frames, tx_bytes;   /* driver -> device (driver's transmit queue) */
    uint64_t dropped, bad;
    unsigned bl_head, bl_len;       /* hub backlog */
    uint16_t bl_size[NET_BACKLOG];
    unsigned char bl[NET_BACKLOG][NET_SLOT];
    unsigned char src[NET_HDR + NET_SRC_LEN];  /* source mode's frame */
    unsigned char frame[NET_HDR + NET_MAX_FRAME];
    struct dma_vq_chain batch[NET_SRC_BATCH]; /* source mode's buffers in hand */
    struct dma_vq_chain txbatch[NET_SRC_BATCH]; /* transmitted chains in hand */
};

void *vu_net_listener(const char *spec);
void *vu_net_listener(const char *spec)
{
    struct net_listener *nl = calloc(1, sizeof(*nl));
    if (!nl)
        return NULL;
    nl->mode = NET_HUB;
    while (spec && *spec) {
        const char *end = strchr(spec, ',');
        size_t n = end ? (size_t)(end - spec) : strlen(spec);
        if (n == 3 && !strncmp(spec, "hub", 3))
            nl->mode = NET_HUB;
        else if (n == 4 && !strncmp(spec, "sink", 4))
            nl->mode = NET_SINK;
        else if (n == 6 && !strncmp(spec, "source", 6))
            nl->mode = NET_SOURCE;
        else if (n > 6 && !strncmp(spec, "count=", 6))
            nl->count = strtoull(spec + 6, NULL, 0);
        else {
            fprintf(stderr, "vhost_user: net option '%.*s': expected hub, sink, source or "
                            "count=N\n", (int)n, spec);
            free(nl);
            return NULL;
        }
        spec = end ? end + 1 : NULL;
    }
    return nl;
}

static uint64_t net_features(const struct vu_conn *c)
{
    (void)c;
    return 1ull << VU_F_IN_ORDER;
}

static size_t net_config(const struct vu_conn *c, uint8_t *buf, size_t size)
{
    (void)c;
    (void)buf;
    (void)size;
    return 0; /* no MAC, STATUS, MQ or MTU features: nothing in it */
}

static void net_open(struct vu_conn *c)
{
    c->dev = calloc(1, sizeof(struct net_conn));
    if (!c->dev) {
        vu_log(c, "out of memory");
        abort();
    }
}

static void net_close(struct vu_conn *c)
{
    struct net_conn *n = c->dev;
    /* One line the scripts parse: the device's view of the traffic. */
    printf("net %u: received %llu frames %llu bytes, sent %llu frames %llu bytes, "
           "dropped %llu, bad %llu, queue0 %s, queue1 %s, interrupts %llu %llu\n",
           c->id, (unsigned long long)n->tx_frames, (unsigned long long)n->tx_bytes,
           (unsigned long long)n->rx_frames, (unsigned long long)n->rx_bytes,
           (unsigned long long)n->dropped, (unsigned long long)n->bad,
           c->q[0].broken ? "broken" : "ok", c->q[1].broken ? "broken" : "ok",
           (unsigned long long)c->q[0].calls, (unsigned long long)c->q[1].calls);
    fflush(stdout);
    free(n);
    c->dev = NULL;
}

/* Put one frame (with its virtio-net header) into receive buffer ch and
 * return the buffer. 1 done, -1 dropped (bad buffer). */
static int net_fill(struct vu_conn *c, const struct dma_vq_chain *ch,
                    const unsigned char *frame, uint32_t len)
{
    struct net_conn *n = c->dev;
    /* the frame, behind a header: in place if there is room for one */
    unsigned char *buf = frame == n->src + NET_HDR ? n->src : n->frame;
    memset(buf, 0, NET_HDR);
    buf[10] = 1; /* num_buffers = 1, little-endian */
    if (buf + NET_HDR != frame)
        memcpy(buf + NET_HDR, frame, len);
    if (ch->writable < NET_HDR + len ||
        vu_chain_write(c, ch, 0, buf, NET_HDR + len) != DMA_OK) {
        n->bad++;
        vu_complete(c, 0, ch, 0);
        return -1;
    }
    vu_complete(c, 0, ch, NET_HDR + len);
    n->rx_frames++;
    n->rx_bytes += len;
    return 1;
}

/* The same into the driver's next receive buffer. 1 done, 0 no buffer,
 * -1 dropped (bad buffer or broken queue). */
static int net_put(struct vu_conn *c, const unsigned char *frame, uint32_t len)
{
    struct dma_vq_chain ch;
    int r = vu_pop(c, 0, &ch);
    if (r <= 0)
        return r;
    return net_fill(c, &ch, frame, len);
}

/* Drain c's hub backlog into its receive queue. true if some is left. */
static bool net_flush_backlog(struct vu_conn *c)
{
    struct net_conn *n = c->dev;
    bool pushed = false;
    while (n->bl_len) {
        int r = net_put(c, n->bl[n->bl_head], n->bl_size[n->bl_head]);
        if (r == 0) {
            if (!vu_opt.poll && dma_vq_enable_notify(&c->q[0].vq)) {
                dma_vq_disable_notify(&c->q[0].vq);
                continue;
            }
            break;
        }
        if (r < 0)
            n->dropped++;
        pushed |= r > 0;
        n->bl_head = (n->bl_head + 1) % NET_BACKLOG;
        n->bl_len--;
    }
    if (pushed)
        vu_notify_if_needed(c, 0);
    return false; /* the rest waits for a kick (or the next poll) */
}

static void hub_deliver(struct vu_conn *from, const unsigned char *frame, uint32_t len)
{
    for (struct vu_conn *c = vu_conns(); c; c = c->next) {
        if (c == from || c->l != from->l || !c->dev)
            continue;
        struct net_conn *n = c->dev;
        if (!vu_queue_ready(c, 0) || len > NET_SLOT || n->bl_len == NET_BACKLOG) {
            n->dropped++;
            continue;
        }
        unsigned slot = (n->bl_head + n->bl_len) % NET_BACKLOG;
        memcpy(n->bl[slot], frame, len);
        n->bl_size[slot] = (uint16_t)len;
        n->bl_len++;
        net_flush_backlog(c);
    }
}

/* One transmitted chain: read its frame, count it (and in hub mode hand
 * it to the other connections), give the buffer back. */
static void net_take(struct vu_conn *c, const struct dma_vq_chain *ch)
{
    struct net_conn *n = c->dev;
    struct net_listener *nl = c->l->opaque;
    uint32_t len = ch->readable;
    if (len < NET_HDR || len > NET_HDR + NET_MAX_FRAME ||
        vu_chain_read(c, ch, 0, n->frame, len) != DMA_OK) {
        n->bad++;
    } else {
        n->tx_frames++;
        n->tx_bytes += len - NET_HDR;
        if (nl->mode == NET_HUB)
            hub_deliver(c, n->frame + NET_HDR, len - NET_HDR);
    }
    vu_complete(c, 1, ch, 0);
}

/* The driver's transmit queue: take frames out, NET_SRC_BATCH chains at
 * a time (popped back to back, then read and returned: as in net_source,
 * the ring and descriptor cache misses overlap). */
static bool net_serve_tx(struct vu_conn *c)
{
    struct net_conn *n = c->dev;
    bool pushed = false;
    unsigned budget = VU_BUDGET;

    if (!vu_opt.poll)
        dma_vq_disable_notify(&c->q[1].vq);
    while (budget) {
        unsigned want = budget < NET_SRC_BATCH ? budget : NET_SRC_BATCH, got = 0;
        int r = 1;
        while (got < want && (r = vu_pop(c, 1, &n->txbatch[got])) > 0)
            got++;
        for (unsigned k = 0; k < got; k++)
            net_take(c, &n->txbatch[k]);
        pushed |= got > 0;
        budget -= got;
        if (r < 0)
            break;
        if (got < want) { /* the ring is empty */
            if (vu_opt.poll || !dma_vq_enable_notify(&c->q[1].vq))
                break;
            dma_vq_disable_notify(&c->q[1].vq);
        }
    }
    if (pushed)
        vu_notify_if_needed(c, 1);
    return budget == 0;
}

/* Source mode: fill receive buffers with 64-byte frames, a batch at a
 * time: first take up to NET_SRC_BATCH buffers, then write the frames.
 * Taking them back to back lets the CPU overlap the cache misses on the
 * ring entries and descriptors the driver just wrote (one packet's worth
 * of code between them would not fit its out-of-order window). true if
 * it stopped on its budget. */
static bool net_source(struct vu_conn *c)
{
    struct net_conn *n = c->dev;
    struct net_listener *nl = c->l->opaque;
    unsigned char *f = n->src + NET_HDR;
    unsigned budget = VU_BUDGET;
    bool pushed = false;

    if (!vu_queue_ready(c, 0))
        return false;
    if (f[12] != 0x88) {
        memset(f, 0, NET_SRC_LEN);
        memset(f, 0xff, 6);                                 /* broadcast */
        memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);       /* locally administered */
        f[12] = 0x88, f[13] = 0xb5;                          /* local experimental type */
    }
    while (budget && (nl->count == 0 || n->rx_frames < nl->count)) {
        unsigned want = budget < NET_SRC_BATCH ? budget : NET_SRC_BATCH, got = 0;
        int r = 1;
        if (nl->count && nl->count - n->rx_frames < want)
            want = (unsigned)(nl->count - n->rx_frames);
        while (got < want && (r = vu_pop(c, 0, &n->batch[got])) > 0)
            got++;
        for (unsigned k = 0; k < got; k++) {
            memcpy(f + 14, &n->rx_frames, sizeof(n->rx_frames)); /* sequence number */
            if (net_fill(c, &n->batch[k], f, NET_SRC_LEN) < 0)
                r = -1;
        }
        pushed |= got > 0;
        budget -= got;
        if (r < 0)
            break;
        if (got < want) { /* no buffer left */
            if (!vu_opt.poll && dma_vq_enable_notify(&c->q[0].vq)) {
                dma_vq_disable_notify(&c->q[0].vq);
                continue;
            }
            break;
        }
    }
    if (pushed)
        vu_notify_if_needed(c, 0);
    return budget == 0;
}

static bool net_serve(struct vu_conn *c, unsigned q)
{
    struct net_listener *nl = c->l->opaque;
    if (q == 1)
        return net_serve_tx(c);
    /* receive queue kicked: the driver posted buffers */
    if (nl->mode == NET_SOURCE)
        return net_source(c);
    if (nl->mode == NET_HUB)
        return net_flush_backlog(c);
    return false; /* sink: nothing to send */
}

static bool net_idle(struct vu_conn *c)
{
    struct net_listener *nl = c->l->opaque;
    if (nl->mode == NET_SOURCE && vu_opt.poll)
        return net_source(c);
    return false;
}

const struct vu_device_ops vu_net_ops = {
    .name = "net",
    .nqueues = 2,
    .features = net_features,
    .config = net_config,
    .serve = net_serve,
    .idle = net_idle,
    .open = net_open,
    .close = net_close,
};
