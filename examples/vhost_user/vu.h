/* SPDX-License-Identifier: MIT */
/*
 * examples/vhost_user/vu.h - the backend's shared state: listeners,
 * connections, guest memory and virtqueues, and the device interface the
 * virtio-net (net.c) and virtio-blk (blk.c) models implement.
 *
 * One process, one thread, one epoll loop (loop.c). Each listener is a
 * Unix socket serving one device type; every front-end that connects gets
 * its own connection: its own memory table (one odma context, one region
 * per SET_MEM_TABLE entry), its own queues (one struct dma_vq each). A
 * queue the driver breaks stays broken until the driver sets it up again;
 * the connection, the other queues and the process carry on.
 */
#ifndef VU_H
#define VU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "odma/virtio.h"
#include "proto.h"

#define VU_MAX_QUEUES 2
#define VU_BUDGET 256 /* chains per queue per turn of the loop */

struct vu_conn;

/* What a device model supplies. */
struct vu_device_ops {
    const char *name;       /* "net", "blk" */
    unsigned nqueues;
    uint64_t (*features)(const struct vu_conn *c);          /* device + transport bits */
    size_t (*config)(const struct vu_conn *c, uint8_t *buf, size_t size); /* config space */
    /* Serve queue q: pop, process, push, notify. Returns true if it
     * stopped on its budget (more may be waiting: call again soon). */
    bool (*serve)(struct vu_conn *c, unsigned q);
    /* Work the device wants to do without a kick (a traffic source, a
     * backlog); true if it could not finish. May be NULL. */
    bool (*idle)(struct vu_conn *c);
    void (*open)(struct vu_conn *c);   /* new connection; may be NULL */
    void (*close)(struct vu_conn *c);  /* connection gone: print counters */
};

struct vu_queue {
    int kick_fd, call_fd, err_fd;
    uint16_t num;
    uint16_t base;               /* SET_VRING_BASE */
    uint64_t desc_ua, avail_ua, used_ua;
    bool addr_set, kick_set, enabled, started, broken;
    bool pending;                /* stopped on its budget */
    uint16_t unflushed;          /* used elements filled, index not yet published */
    uint64_t chains;             /* chains popped since start */
    uint64_t calls;              /* interrupts sent */
    struct dma_vq vq;
};

struct vu_region_map {
    void *base;       /* mmap() result */
    size_t maplen;
    uint64_t gpa, uaddr, size;
};

struct vu_listener {
    const char *path;
    int fd;
    const struct vu_device_ops *ops;
    void *opaque;                /* the device's per-listener state */
    unsigned next_id;
};

struct vu_conn {
    struct vu_listener *l;
    int sock;
    int backend_req_fd;          /* the backend request channel, kept open */
    unsigned id;
    uint64_t features;           /* acked by SET_FEATURES */
    uint64_t protocol_features;
    bool features_set;
    struct dma_ctx ctx;          /* guest memory of this front-end */
    struct vu_region_map maps[VU_MAX_REGIONS];
    unsigned nmaps;
    struct vu_queue q[VU_MAX_QUEUES];
    void *dev;                   /* the device's per-connection state */
    struct vu_conn *next;
};

/* Options (main.c). */
struct vu_options {
    const struct dma_policy *policy; /* of every connection's context */
    const char *policy_name;
    bool poll;         /* busy-poll every queue; never sleep on kicks */
    bool packed;       /* offer VIRTIO_F_RING_PACKED */
    bool verbose;      /* log every message */
};
extern struct vu_options vu_opt;

/* server.c: one message from the front-end. 0 ok, -1 drop the connection. */
int vu_handle_message(struct vu_conn *c);
void vu_conn_reset(struct vu_conn *c);   /* unmap memory, close fds, stop queues */
uint64_t vu_transport_features(void);

/* loop.c */
void vu_log(const struct vu_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void vu_queue_started(struct vu_conn *c, unsigned q);  /* register its kick */
void vu_queue_stopping(struct vu_conn *c, unsigned q); /* unregister its kick */
void vu_call(struct vu_conn *c, unsigned q);           /* interrupt the driver */
void vu_wake_later(void);                              /* loop: don't sleep */
struct vu_conn *vu_conns(void);                        /* every live connection */

/* A queue the device may use right now. */
static inline bool vu_queue_ready(const struct vu_conn *c, unsigned q)
{
    return q < VU_MAX_QUEUES && c->q[q].started && c->q[q].enabled && !c->q[q].broken;
}

/* Pop with the error path done once: a driver error breaks this queue
 * (logged with the reason), nothing else. */
int vu_pop(struct vu_conn *c, unsigned q, struct dma_vq_chain *ch);

/* Return a chain to the driver with `written` bytes written: filled now,
 * published in batches of VU_BATCH (one used idx store per batch). */
#define VU_BATCH 32
void vu_complete(struct vu_conn *c, unsigned q, const struct dma_vq_chain *ch, uint32_t written);
void vu_flush(struct vu_conn *c, unsigned q);

/* After completions: publish them, interrupt the driver if the ring
 * says so. */
void vu_notify_if_needed(struct vu_conn *c, unsigned q);

/* Copy between a chain's segments (from byte `off` of its readable or
 * writable part) and a host buffer, through odma. DMA_OK or the error. */
dma_result vu_chain_read(struct vu_conn *c, const struct dma_vq_chain *ch, uint32_t off,
                         void *buf, uint32_t len);
dma_result vu_chain_write(struct vu_conn *c, const struct dma_vq_chain *ch, uint32_t off,
                          const void *buf, uint32_t len);

extern const struct vu_device_ops vu_net_ops, vu_blk_ops;

#endif
