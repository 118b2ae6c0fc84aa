// SPDX-License-Identifier: MIT
/*
 * tests/vhost/bad_driver.c - a vhost-user front-end that breaks its own
 * transmit ring, for `make vhost-check` (d).
 *
 *   bad_driver SOCKET
 *
 * The backend must serve SOCKET as `--net SOCKET,source` (it fills every
 * receive buffer with a 64-byte frame and counts transmitted ones). For
 * each way of corrupting a split ring below, on a fresh connection:
 *   1. set up both queues (16 entries, flags-mode notifications) in one
 *      memfd region, receive 4 frames and transmit 4, checked;
 *   2. corrupt the transmit ring, kick it, wait; the whole guest memory
 *      must be byte for byte what it was (the failing pop writes nothing,
 *      and the used index does not move);
 *   3. the receive queue must still work (4 more frames) and the
 *      connection must still answer GET_FEATURES;
 * and at the end one more fresh connection must work normally. Before
 * all that, bad protocol messages: each must get a failure status (or
 * an empty answer) and leave the connection usable, and an oversized
 * message must cost only that connection. Exit 0 when every check
 * passed; each failure is printed.
 */
#define _GNU_SOURCE
#include "../../examples/vhost_user/proto.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (1u << 20)
#define GPA_BASE 0x40000000ull
#define QSZ 16
#define F_NEXT 1
#define F_WRITE 2

struct ring {
    uint64_t desc, avail, used; /* offsets in mem */
    uint16_t avail_idx, used_seen;
    int kick, call;
};

static unsigned char *mem;
static int sock = -1, memfd = -1;
static struct ring rq[2];
static int failures;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            printf("bad_driver: FAIL: " __VA_ARGS__);                         \
            printf("\n");                                                     \
            failures++;                                                       \
        }                                                                     \
    } while (0)

static uint16_t ld16(uint64_t off)
{
    uint16_t v;
    __atomic_load(( uint16_t *)(mem + off), &v, __ATOMIC_ACQUIRE);
    return v;
}

static void st16_release(uint64_t off, uint16_t v)
{
    __atomic_store((uint16_t *)(mem + off), &v, __ATOMIC_RELEASE);
}

static void put_desc(struct ring *r, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    unsigned char *d = mem + r->desc + 16 * i;
    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
}

static int send_msg(uint32_t req, const void *payload, uint32_t size, const int *fds, int nfds,
                    bool ack)
{
    struct vu_msg m;
    memset(&m, 0, sizeof(m));
    m.hdr.request = req;
    m.hdr.flags = VU_VERSION | (ack ? VU_FLAG_NEED_REPLY : 0);
    m.hdr.size = size;
    if (size)
        memcpy(&m.u, payload, size);
    m.nfds = nfds;
    for (int i = 0; i < nfds; i++)
        m.fds[i] = fds[i];
    if (vu_msg_send(sock, &m) < 0)
        return -1;
    if (!ack)
        return 0;
    if (vu_msg_recv(sock, &m) != 1 || !(m.hdr.flags & VU_FLAG_REPLY) || m.hdr.request != req)
        return -1;
    return m.u.u64 == 0 ? 0 : -1;
}

static int get_u64(uint32_t req, uint64_t *v)
{
    struct vu_msg m;
    if (send_msg(req, NULL, 0, NULL, 0, false) < 0 || vu_msg_recv(sock, &m) != 1 ||
        m.hdr.request != req || m.hdr.size != 8)
        return -1;
    *v = m.u.u64;
    return 0;
}

static void kick(struct ring *r)
{
    uint64_t one = 1;
    if (write(r->kick, &one, 8) != 8)
        perror("kick");
}

/* Wait up to 2 s for the used idx of r to reach want. */
static bool wait_used(struct ring *r, uint16_t want)
{
    for (int i = 0; i < 2000; i++) {
        if (ld16(r->used + 2) == want)
            return true;
        usleep(1000);
    }
    return false;
}

static int connect_and_setup(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    uint64_t features, pf;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    sock = socket(AF_UNIX, SOCK_STREAM, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        printf("bad_driver: connect %s: %s\n", path, strerror(errno));
        return -1;
    }
    memfd = memfd_create("bad_driver", MFD_CLOEXEC);
    if (memfd < 0 || ftruncate(memfd, MEM_SIZE) < 0)
        return -1;
    mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    if (mem == MAP_FAILED)
        return -1;
    if (send_msg(VU_SET_OWNER, NULL, 0, NULL, 0, false) < 0 ||
        get_u64(VU_GET_FEATURES, &features) < 0 ||
        !(features & (1ull << VU_F_PROTOCOL_FEATURES)))
        return -1;
    uint64_t want = (1ull << VU_F_VERSION_1) | (1ull << VU_F_PROTOCOL_FEATURES);
    if (send_msg(VU_SET_FEATURES, &want, 8, NULL, 0, false) < 0 ||
        get_u64(VU_GET_PROTOCOL_FEATURES, &pf) < 0 || !(pf & (1ull << VU_PF_REPLY_ACK)))
        return -1;
    pf = 1ull << VU_PF_REPLY_ACK;
    if (send_msg(VU_SET_PROTOCOL_FEATURES, &pf, 8, NULL, 0, true) < 0)
        return -1;
    struct vu_mem_table t = {.nregions = 1};
    t.regions[0] = (struct vu_mem_region){
        .gpa = GPA_BASE, .size = MEM_SIZE, .uaddr = (uint64_t)(uintptr_t)mem, .mmap_offset = 0};
    if (send_msg(VU_SET_MEM_TABLE, &t, 8 + sizeof(t.regions[0]), &memfd, 1, true) < 0)
        return -1;
    for (unsigned q = 0; q < 2; q++) {
        struct ring *r = &rq[q];
        memset(r, 0, sizeof(*r));
        r->desc = 0x1000 * (q + 1);
        r->avail = r->desc + 0x400;
        r->used = r->desc + 0x800;
        r->kick = eventfd(0, EFD_CLOEXEC);
        r->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        struct vu_vring_state st = {q, QSZ};
        struct vu_vring_addr a = {.index = q,
                                  .desc_uaddr = (uint64_t)(uintptr_t)(mem + r->desc),
                                  .avail_uaddr = (uint64_t)(uintptr_t)(mem + r->avail),
                                  .used_uaddr = (uint64_t)(uintptr_t)(mem + r->used)};
        uint64_t idx = q;
        struct vu_vring_state base = {q, 0}, en = {q, 1};
        if (send_msg(VU_SET_VRING_NUM, &st, sizeof(st), NULL, 0, true) < 0 ||
            send_msg(VU_SET_VRING_BASE, &base, sizeof(base), NULL, 0, true) < 0 ||
            send_msg(VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0, true) < 0 ||
            send_msg(VU_SET_VRING_CALL, &idx, 8, &r->call, 1, true) < 0 ||
            send_msg(VU_SET_VRING_KICK, &idx, 8, &r->kick, 1, true) < 0 ||
            send_msg(VU_SET_VRING_ENABLE, &en, sizeof(en), NULL, 0, true) < 0)
            return -1;
    }
    return 0;
}

static void teardown(void)
{
    for (unsigned q = 0; q < 2; q++) {
        close(rq[q].kick);
        close(rq[q].call);
    }
    close(sock);
    munmap(mem, MEM_SIZE);
    close(memfd);
}

/* Post n receive buffers (2 KiB each) on queue 0 and check the frames. */
static void receive(unsigned n)
{
    struct ring *r = &rq[0];
    uint16_t start = r->avail_idx;
    for (unsigned k = 0; k < n; k++) {
        unsigned i = (uint16_t)(start + k) % QSZ;
        uint64_t buf = 0x10000 + 0x800 * i;
        memset(mem + buf, 0xee, 0x800);
        put_desc(r, i, GPA_BASE + buf, 0x800, F_WRITE, 0);
        uint16_t slot = (uint16_t)(start + k) % QSZ;
        memcpy(mem + r->avail + 4 + 2 * slot, &(uint16_t){(uint16_t)i}, 2);
    }
    r->avail_idx = (uint16_t)(start + n);
    st16_release(r->avail + 2, r->avail_idx);
    kick(r);
    CHECK(wait_used(r, r->avail_idx), "receive queue: used idx %u, expected %u",
          ld16(r->used + 2), r->avail_idx);
    for (unsigned k = 0; k < n; k++) {
        uint16_t slot = (uint16_t)(start + k) % QSZ;
        uint32_t id, len;
        memcpy(&id, mem + r->used + 4 + 8 * slot, 4);
        memcpy(&len, mem + r->used + 8 + 8 * slot, 4);
        unsigned char *f = mem + 0x10000 + 0x800 * (id % QSZ);
        CHECK(len == 12 + 64, "receive: used len %u, expected 76", len);
        CHECK(f[12 + 12] == 0x88 && f[12 + 13] == 0xb5, "receive: frame type %02x%02x",
              f[24], f[25]);
    }
}

/* Transmit n 60-byte frames on queue 1, each as header + frame (2 descs). */
static void transmit(unsigned n)
{
    struct ring *r = &rq[1];
    uint16_t start = r->avail_idx;
    for (unsigned k = 0; k < n; k++) {
        unsigned head = 2 * ((uint16_t)(start + k) % (QSZ / 2));
        uint64_t buf = 0x20000 + 0x100 * head;
        memset(mem + buf, 0, 12);
        memset(mem + buf + 0x80, 0x5a, 60);
        put_desc(r, head, GPA_BASE + buf, 12, F_NEXT, (uint16_t)(head + 1));
        put_desc(r, head + 1, GPA_BASE + buf + 0x80, 60, 0, 0);
        uint16_t slot = (uint16_t)(start + k) % QSZ;
        memcpy(mem + r->avail + 4 + 2 * slot, &(uint16_t){(uint16_t)head}, 2);
    }
    r->avail_idx = (uint16_t)(start + n);
    st16_release(r->avail + 2, r->avail_idx);
    kick(r);
    CHECK(wait_used(r, r->avail_idx), "transmit queue: used idx %u, expected %u",
          ld16(r->used + 2), r->avail_idx);
}

enum corruption { C_BAD_INDEX, C_LOOP, C_AVAIL_AHEAD, C_READ_AFTER_WRITE, C_INDIRECT, C_COUNT };
static const char *const cname[] = {"descriptor index >= queue size", "descriptor loop",
                                    "avail idx 1000 ahead", "readable after writable",
                                    "indirect table not negotiated"};

static void corrupt(enum corruption how)
{
    struct ring *r = &rq[1];
    uint16_t slot = r->avail_idx % QSZ;
    unsigned head = 0;
    uint16_t new_idx = (uint16_t)(r->avail_idx + 1);
    switch (how) {
    case C_BAD_INDEX:
        put_desc(r, 0, GPA_BASE + 0x20000, 12, F_NEXT, 200);
        break;
    case C_LOOP:
        put_desc(r, 0, GPA_BASE + 0x20000, 12, F_NEXT, 1);
        put_desc(r, 1, GPA_BASE + 0x20000, 12, F_NEXT, 0);
        break;
    case C_AVAIL_AHEAD:
        put_desc(r, 0, GPA_BASE + 0x20000, 12, 0, 0);
        new_idx = (uint16_t)(r->avail_idx + 1000);
        break;
    case C_READ_AFTER_WRITE:
        put_desc(r, 0, GPA_BASE + 0x20000, 12, F_NEXT, 1);
        put_desc(r, 1, GPA_BASE + 0x20000, 64, F_WRITE | F_NEXT, 2);
        put_desc(r, 2, GPA_BASE + 0x20000, 12, 0, 0);
        break;
    case C_INDIRECT: /* VIRTIO_F_INDIRECT_DESC was not negotiated */
        put_desc(r, 0, GPA_BASE + 0x30000, 32, 4, 0);
        break;
    default:
        break;
    }
    memcpy(mem + r->avail + 4 + 2 * slot, &(uint16_t){(uint16_t)head}, 2);
    unsigned char *before = malloc(MEM_SIZE);
    uint16_t used_before = ld16(r->used + 2);
    st16_release(r->avail + 2, new_idx);
    memcpy(before, mem, MEM_SIZE);
    kick(r);
    usleep(300 * 1000);
    CHECK(ld16(r->used + 2) == used_before, "%s: used idx moved", cname[how]);
    /* The used ring's flags word (notification suppression) is the
     * device's to write whenever it likes (disable_notify on the kick);
     * everything else must be as it was. */
    memcpy(before + r->used, mem + r->used, 2);
    memcpy(before + rq[0].used, mem + rq[0].used, 2);
    for (size_t i = 0; i < MEM_SIZE; i++)
        if (before[i] != mem[i]) {
            CHECK(0, "%s: guest byte 0x%zx changed (0x%02x -> 0x%02x)", cname[how], i,
                  before[i], mem[i]);
            break;
        }
    free(before);
}

static int connect_only(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    sock = socket(AF_UNIX, SOCK_STREAM, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return -1;
    uint64_t pf = 1ull << VU_PF_REPLY_ACK, f;
    if (get_u64(VU_GET_FEATURES, &f) < 0 ||
        send_msg(VU_SET_PROTOCOL_FEATURES, &pf, 8, NULL, 0, true) < 0)
        return -1;
    return 0;
}

/* Bad messages: refused one by one, the connection stays usable. */
static void bad_messages(const char *path)
{
    uint64_t f;
    int before = failures;
    if (connect_only(path) < 0) {
        CHECK(0, "protocol phase: connect");
        return;
    }
    struct vu_vring_state st3 = {0, 3}, st7 = {7, 256};
    CHECK(send_msg(VU_SET_VRING_NUM, &st3, sizeof(st3), NULL, 0, true) < 0,
          "SET_VRING_NUM 3 (not a power of two) accepted");
    CHECK(send_msg(VU_SET_VRING_NUM, &st7, sizeof(st7), NULL, 0, true) < 0,
          "SET_VRING_NUM for queue 7 accepted");
    CHECK(send_msg(99, NULL, 0, NULL, 0, true) < 0, "unknown request 99 accepted");
    struct vu_mem_table t = {.nregions = 9};
    CHECK(send_msg(VU_SET_MEM_TABLE, &t, 8, NULL, 0, true) < 0,
          "SET_MEM_TABLE with 9 regions and no fds accepted");
    t.nregions = 1;
    t.regions[0] = (struct vu_mem_region){.gpa = 0, .size = 4096, .uaddr = 0};
    CHECK(send_msg(VU_SET_MEM_TABLE, &t, 8 + sizeof(t.regions[0]), NULL, 0, true) < 0,
          "SET_MEM_TABLE with a region but no fd accepted");
    struct vu_config cfg = {.offset = 250, .size = 16};
    struct vu_msg m;
    CHECK(send_msg(VU_GET_CONFIG, &cfg, 12 + 16, NULL, 0, false) == 0 &&
              vu_msg_recv(sock, &m) == 1 && m.hdr.size == 0,
          "GET_CONFIG past the end of config space not refused with an empty answer");
    CHECK(get_u64(VU_GET_FEATURES, &f) == 0, "connection unusable after bad messages");
    /* A header announcing more payload than any message has: the backend
     * must drop this connection, nothing else. */
    struct vu_hdr h = {VU_SET_FEATURES, VU_VERSION, 1u << 20};
    CHECK(write(sock, &h, sizeof(h)) == (ssize_t)sizeof(h), "write oversized header");
    char c;
    CHECK(read(sock, &c, 1) == 0, "oversized message: connection not dropped");
    close(sock);
    printf("bad_driver: bad messages: %s\n",
           failures == before ? "each refused, connection kept; oversized one dropped only it"
                              : "FAILED");
}

int main(int argc, char **argv)
{
    uint64_t f;
    if (argc != 2) {
        fprintf(stderr, "usage: bad_driver SOCKET\n");
        return 2;
    }
    bad_messages(argv[1]);
    for (int how = 0; how < C_COUNT; how++) {
        int before = failures;
        if (connect_and_setup(argv[1]) < 0) {
            printf("bad_driver: FAIL: set-up of connection %d\n", how);
            return 1;
        }
        receive(4);
        transmit(4);
        corrupt((enum corruption)how);
        receive(4);                                  /* the other queue still works */
        CHECK(get_u64(VU_GET_FEATURES, &f) == 0, "connection dead after the corruption");
        teardown();
        printf("bad_driver: %s: %s\n", cname[how],
               failures == before ? "queue broken alone, memory unchanged, rest served"
                                  : "FAILED");
    }
    if (connect_and_setup(argv[1]) < 0) {
        printf("bad_driver: FAIL: a fresh connection after the corruptions\n");
        return 1;
    }
    /* A bad memory table on a working connection: refused, and the old
     * table (and the running queues) still serve. */
    struct vu_mem_table t = {.nregions = 2};
    CHECK(send_msg(VU_SET_MEM_TABLE, &t, 8 + 2 * sizeof(t.regions[0]), &memfd, 1, true) < 0,
          "SET_MEM_TABLE with 2 regions and 1 fd accepted");
    receive(8);
    transmit(8);
    teardown();
    printf("bad_driver: fresh connection (and a refused memory table on it): %s\n",
           failures ? "FAILED" : "served");
    return failures ? 1 : 0;
}
