/* SPDX-License-Identifier: MIT */
/*
 * examples/vhost_user/proto.h - the vhost-user wire format (front-end to
 * back-end messages on a Unix stream socket, file descriptors passed as
 * SCM_RIGHTS ancillary data), as far as this backend speaks it.
 *
 * Every message is a 12-byte header {request, flags, size} in host byte
 * order, then `size` bytes of payload. flags: bits 0-1 the version (1),
 * bit 2 "this is a reply", bit 3 "the sender wants an ack".
 */
#ifndef VU_PROTO_H
#define VU_PROTO_H

#include <stdint.h>

enum vu_request {
    VU_GET_FEATURES = 1,
    VU_SET_FEATURES = 2,
    VU_SET_OWNER = 3,
    VU_RESET_OWNER = 4,
    VU_SET_MEM_TABLE = 5,
    VU_SET_LOG_BASE = 6,
    VU_SET_LOG_FD = 7,
    VU_SET_VRING_NUM = 8,
    VU_SET_VRING_ADDR = 9,
    VU_SET_VRING_BASE = 10,
    VU_GET_VRING_BASE = 11,
    VU_SET_VRING_KICK = 12,
    VU_SET_VRING_CALL = 13,
    VU_SET_VRING_ERR = 14,
    VU_GET_PROTOCOL_FEATURES = 15,
    VU_SET_PROTOCOL_FEATURES = 16,
    VU_GET_QUEUE_NUM = 17,
    VU_SET_VRING_ENABLE = 18,
    VU_SEND_RARP = 19,
    VU_NET_SET_MTU = 20,
    VU_SET_BACKEND_REQ_FD = 21,
    VU_IOTLB_MSG = 22,
    VU_SET_VRING_ENDIAN = 23,
    VU_GET_CONFIG = 24,
    VU_SET_CONFIG = 25,
    VU_REQUEST_MAX = 41,
};

#define VU_VERSION 0x1u
#define VU_FLAG_VERSION_MASK 0x3u
#define VU_FLAG_REPLY (1u << 2)
#define VU_FLAG_NEED_REPLY (1u << 3)

/* Feature bits (virtio and vhost-user). */
#define VU_F_INDIRECT_DESC 28
#define VU_F_EVENT_IDX 29
#define VU_F_PROTOCOL_FEATURES 30 /* vhost-user's own bit */
#define VU_F_VERSION_1 32
#define VU_F_RING_PACKED 34
#define VU_F_IN_ORDER 35
#define VU_F_IN_ORDER 35

/* Protocol feature bits. */
#define VU_PF_MQ 0
#define VU_PF_REPLY_ACK 3
#define VU_PF_BACKEND_REQ 5
#define VU_PF_CONFIG 9

/* SET_VRING_KICK/CALL/ERR payload: queue index in bits 0-7, bit 8 "no fd". */
#define VU_VRING_IDX_MASK 0xffu
#define VU_VRING_NOFD (1u << 8)

#define VU_MAX_REGIONS 8 /* regions in one SET_MEM_TABLE */
#define VU_MAX_FDS 8
#define VU_MAX_CONFIG 256

struct vu_hdr {
    uint32_t request;
    uint32_t flags;
    uint32_t size;
};

struct vu_vring_state {
    uint32_t index;
    uint32_t num;
};

struct vu_vring_addr {
    uint32_t index;
    uint32_t flags;
    uint64_t desc_uaddr;
    uint64_t used_uaddr;
    uint64_t avail_uaddr;
    uint64_t log_gaddr;
};

struct vu_mem_region {
    uint64_t gpa;
    uint64_t size;
    uint64_t uaddr;
    uint64_t mmap_offset;
};

struct vu_mem_table {
    uint32_t nregions;
    uint32_t padding;
    struct vu_mem_region regions[VU_MAX_REGIONS];
};

struct vu_config {
    uint32_t offset;
    uint32_t size;
    uint32_t flags;
    uint8_t data[VU_MAX_CONFIG];
};

struct vu_msg {
    struct vu_hdr hdr;
    union {
        uint64_t u64;
        struct vu_vring_state state;
        struct vu_vring_addr addr;
        struct vu_mem_table mem;
        struct vu_config config;
        uint8_t raw[sizeof(struct vu_mem_table) + 16];
    } u;
    int fds[VU_MAX_FDS];
    int nfds;
};

/* Message I/O (msg.c). recv: 1 a message, 0 the peer hung up, -1 error
 * (errno set; a malformed header is EPROTO). Received fds the caller
 * does not take must be closed with vu_msg_close_fds(). */
int vu_msg_recv(int sock, struct vu_msg *m);
int vu_msg_send(int sock, const struct vu_msg *m);
void vu_msg_close_fds(struct vu_msg *m);
const char *vu_request_name(uint32_t request);

#endif
