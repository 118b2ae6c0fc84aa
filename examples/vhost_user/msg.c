// SPDX-License-Identifier: MIT
/*
 * examples/vhost_user/msg.c - receive and send vhost-user messages.
 *
 * The front-end attaches file descriptors (SCM_RIGHTS) to the first byte
 * of a message, so the header is read with recvmsg() and the payload with
 * plain reads. A payload larger than struct vu_msg can hold is a protocol
 * error (EPROTO): the connection is then dropped by the caller.
 */
#define _GNU_SOURCE
#include "proto.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int read_full(int sock, void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len) {
        ssize_t n = read(sock, p, len);
        if (n == 0) {
            errno = ECONNRESET;
            return -1;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void vu_msg_close_fds(struct vu_msg *m)
{
    for (int i = 0; i < m->nfds; i++)
        if (m->fds[i] >= 0)
            close(m->fds[i]);
    m->nfds = 0;
}

int vu_msg_recv(int sock, struct vu_msg *m)
{
    union {
        char buf[CMSG_SPACE(VU_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = &m->hdr, .iov_len = sizeof(m->hdr)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
    ssize_t n;

    m->nfds = 0;
    do
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return 0;
    if (n < 0)
        return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int fds[VU_MAX_FDS];
        if (k > VU_MAX_FDS)
            k = VU_MAX_FDS;
        memcpy(fds, CMSG_DATA(c), k * sizeof(int));
        for (size_t i = 0; i < k && m->nfds < VU_MAX_FDS; i++)
            m->fds[m->nfds++] = fds[i];
    }
    if (mh.msg_flags & MSG_CTRUNC) {
        vu_msg_close_fds(m);
        errno = EPROTO;
        return -1;
    }
    if ((size_t)n < sizeof(m->hdr) &&
        read_full(sock, (char *)&m->hdr + n, sizeof(m->hdr) - (size_t)n) < 0)
        goto fail;
    if (m->hdr.size > sizeof(m->u) || (m->hdr.flags & VU_FLAG_VERSION_MASK) != VU_VERSION) {
        errno = EPROTO;
        goto fail;
    }
    memset(&m->u, 0, sizeof(m->u));
    if (read_full(sock, &m->u, m->hdr.size) < 0)
        goto fail;
    return 1;
fail:
    vu_msg_close_fds(m);
    return -1;
}

int vu_msg_send(int sock, const struct vu_msg *m)
{
    union {
        char buf[CMSG_SPACE(VU_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov[2] = {{.iov_base = (void *)&m->hdr, .iov_len = sizeof(m->hdr)},
                           {.iov_base = (void *)&m->u, .iov_len = m->hdr.size}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
    size_t total = sizeof(m->hdr) + m->hdr.size;
    ssize_t n;

    if (m->hdr.size > sizeof(m->u) || m->nfds > VU_MAX_FDS) {
        errno = EINVAL;
        return -1;
    }
    if (m->nfds > 0) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = CMSG_SPACE((size_t)m->nfds * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN((size_t)m->nfds * sizeof(int));
        memcpy(CMSG_DATA(c), m->fds, (size_t)m->nfds * sizeof(int));
    }
    do
        n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    if ((size_t)n != total) { /* a short send on a stream socket: finish it */
        const unsigned char *all = (const unsigned char *)&m->hdr;
        unsigned char tmp[sizeof(struct vu_hdr) + sizeof(m->u)];
        memcpy(tmp, all, sizeof(m->hdr));
        memcpy(tmp + sizeof(m->hdr), &m->u, m->hdr.size);
        for (size_t off = (size_t)n; off < total;) {
            ssize_t k = send(sock, tmp + off, total - off, MSG_NOSIGNAL);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                return -1;
            off += (size_t)k;
        }
    }
    return 0;
}

const char *vu_request_name(uint32_t r)
{
    static const char *const names[] = {
        [VU_GET_FEATURES] = "GET_FEATURES", [VU_SET_FEATURES] = "SET_FEATURES",
        [VU_SET_OWNER] = "SET_OWNER", [VU_RESET_OWNER] = "RESET_OWNER",
        [VU_SET_MEM_TABLE] = "SET_MEM_TABLE", [VU_SET_LOG_BASE] = "SET_LOG_BASE",
        [VU_SET_LOG_FD] = "SET_LOG_FD", [VU_SET_VRING_NUM] = "SET_VRING_NUM",
        [VU_SET_VRING_ADDR] = "SET_VRING_ADDR", [VU_SET_VRING_BASE] = "SET_VRING_BASE",
        [VU_GET_VRING_BASE] = "GET_VRING_BASE", [VU_SET_VRING_KICK] = "SET_VRING_KICK",
        [VU_SET_VRING_CALL] = "SET_VRING_CALL", [VU_SET_VRING_ERR] = "SET_VRING_ERR",
        [VU_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
        [VU_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
        [VU_GET_QUEUE_NUM] = "GET_QUEUE_NUM", [VU_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
        [VU_SEND_RARP] = "SEND_RARP", [VU_NET_SET_MTU] = "NET_SET_MTU",
        [VU_SET_BACKEND_REQ_FD] = "SET_BACKEND_REQ_FD", [VU_IOTLB_MSG] = "IOTLB_MSG",
        [VU_SET_VRING_ENDIAN] = "SET_VRING_ENDIAN", [VU_GET_CONFIG] = "GET_CONFIG",
        [VU_SET_CONFIG] = "SET_CONFIG",
    };
    if (r < sizeof(names) / sizeof(names[0]) && names[r])
        return names[r];
    return "UNKNOWN";
}
