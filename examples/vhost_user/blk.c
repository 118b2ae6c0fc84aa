// SPDX-License-Identifier: MIT
/*
 * examples/vhost_user/blk.c - a virtio-blk device backed by a file
 * (--blk PATH,FILE). One request queue. A request is a chain: a 16-byte
 * readable header {le32 type, le32 reserved, le64 sector}, data segments
 * (readable for writes, writable for reads), and a last writable status
 * byte. Types served: IN (read), OUT (write), FLUSH (fdatasync), GET_ID;
 * anything else gets status UNSUPP. A data buffer outside guest memory
 * or a request past the end of the file gets status IOERR (the request
 * fails, the queue carries on; a broken *ring* breaks the queue).
 *
 * Config space: capacity in 512-byte sectors, seg_max (so that header,
 * data and status fit ODMA_VQ_MAX_SEGS segments).
 */
#define _GNU_SOURCE
#include "vu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef ODMA_VQ_MAX_SEGS
#define BLK_MAX_SEGS ODMA_VQ_MAX_SEGS
#else
#define BLK_MAX_SEGS 64
#endif

#define BLK_F_SEG_MAX 2
#define BLK_F_FLUSH 9
#define BLK_T_IN 0
#define BLK_T_OUT 1
#define BLK_T_FLUSH 4
#define BLK_T_GET_ID 8
#define BLK_S_OK 0
#define BLK_S_IOERR 1
#define BLK_S_UNSUPP 2
#define BLK_CHUNK (128 * 1024)

struct blk_listener {
    int fd;
    uint64_t sectors;
};

struct blk_conn {
    uint64_t reads, writes, flushes, errors, bytes_in, bytes_out;
    unsigned char buf[BLK_CHUNK];
};

void *vu_blk_listener(const char *file);
void *vu_blk_listener(const char *file)
{
    struct blk_listener *bl = calloc(1, sizeof(*bl));
    struct stat st;
    if (!bl)
        return NULL;
    bl->fd = open(file, O_RDWR | O_CLOEXEC);
    if (bl->fd < 0 || fstat(bl->fd, &st) < 0) {
        fprintf(stderr, "vhost_user: blk backing file %s: %s\n", file, strerror(errno));
        free(bl);
        return NULL;
    }
    bl->sectors = (uint64_t)st.st_size / 512;
    if (bl->sectors == 0) {
        fprintf(stderr, "vhost_user: blk backing file %s is smaller than one sector\n", file);
        close(bl->fd);
        free(bl);
        return NULL;
    }
    return bl;
}

void vu_blk_listener_free(void *opaque);
void vu_blk_listener_free(void *opaque)
{
    struct blk_listener *bl = opaque;
    close(bl->fd);
    free(bl);
}

static uint64_t blk_features(const struct vu_conn *c)
{
    (void)c;
    return (1ull << BLK_F_SEG_MAX) | (1ull << BLK_F_FLUSH);
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static size_t blk_config(const struct vu_conn *c, uint8_t *buf, size_t size)
{
    const struct blk_listener *bl = c->l->opaque;
    if (size < 16)
        return 0;
    put_le(buf, bl->sectors, 8);               /* capacity */
    put_le(buf + 12, BLK_MAX_SEGS - 2, 4);     /* seg_max */
    return 16;
}

static void blk_open(struct vu_conn *c)
{
    c->dev = calloc(1, sizeof(struct blk_conn));
    if (!c->dev) {
        vu_log(c, "out of memory");
        abort();
    }
}

static void blk_close(struct vu_conn *c)
{
    struct blk_conn *b = c->dev;
    printf("blk %u: %llu reads %llu bytes, %llu writes %llu bytes, %llu flushes, "
           "%llu errors, queue0 %s\n",
           c->id, (unsigned long long)b->reads, (unsigned long long)b->bytes_out,
           (unsigned long long)b->writes, (unsigned long long)b->bytes_in,
           (unsigned long long)b->flushes, (unsigned long long)b->errors,
           c->q[0].broken ? "broken" : "ok");
    fflush(stdout);
    free(b);
    c->dev = NULL;
}

/* One request; returns the status byte and sets *data (bytes written to
 * the driver before the status). */
static uint8_t blk_request(struct vu_conn *c, const struct dma_vq_chain *ch, uint32_t *data)
{
    struct blk_listener *bl = c->l->opaque;
    struct blk_conn *b = c->dev;
    uint8_t hdr[16];
    *data = 0;
    if (vu_chain_read(c, ch, 0, hdr, sizeof(hdr)) != DMA_OK)
        return BLK_S_IOERR;
    uint32_t type = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
                    (uint32_t)hdr[3] << 24;
    uint64_t sector = 0;
    for (int i = 7; i >= 0; i--)
        sector = sector << 8 | hdr[8 + i];

    switch (type) {
    case BLK_T_IN: {
        uint64_t len = ch->writable - 1;
        if (len % 512 || sector > bl->sectors || len / 512 > bl->sectors - sector)
            return BLK_S_IOERR;
        for (uint64_t off = 0; off < len;) {
            size_t n = len - off < BLK_CHUNK ? (size_t)(len - off) : BLK_CHUNK;
            ssize_t k = pread(bl->fd, b->buf, n, (off_t)(sector * 512 + off));
            if (k != (ssize_t)n ||
                vu_chain_write(c, ch, (uint32_t)off, b->buf, (uint32_t)n) != DMA_OK)
                return BLK_S_IOERR;
            off += n;
        }
        b->reads++;
        b->bytes_out += len;
        *data = (uint32_t)len;
        return BLK_S_OK;
    }
    case BLK_T_OUT: {
        uint64_t len = ch->readable - 16;
        if (len % 512 || sector > bl->sectors || len / 512 > bl->sectors - sector)
            return BLK_S_IOERR;
        for (uint64_t off = 0; off < len;) {
            size_t n = len - off < BLK_CHUNK ? (size_t)(len - off) : BLK_CHUNK;
            if (vu_chain_read(c, ch, (uint32_t)(16 + off), b->buf, (uint32_t)n) != DMA_OK ||
                pwrite(bl->fd, b->buf, n, (off_t)(sector * 512 + off)) != (ssize_t)n)
                return BLK_S_IOERR;
            off += n;
        }
        b->writes++;
        b->bytes_in += len;
        return BLK_S_OK;
    }
    case BLK_T_FLUSH:
        b->flushes++;
        return fdatasync(bl->fd) == 0 ? BLK_S_OK : BLK_S_IOERR;
    case BLK_T_GET_ID: {
        static const char id[20] = "odma-vhost-blk";
        uint32_t n = ch->writable - 1 < sizeof(id) ? ch->writable - 1 : sizeof(id);
        if (vu_chain_write(c, ch, 0, id, n) != DMA_OK)
            return BLK_S_IOERR;
        *data = n;
        return BLK_S_OK;
    }
    default:
        return BLK_S_UNSUPP;
    }
}

static bool blk_serve(struct vu_conn *c, unsigned q)
{
    struct blk_conn *b = c->dev;
    struct dma_vq_chain ch;
    unsigned budget = VU_BUDGET;
    bool pushed = false;

    if (!vu_opt.poll)
        dma_vq_disable_notify(&c->q[q].vq);
    for (;;) {
        int r = vu_pop(c, q, &ch);
        if (r == 0) {
            if (vu_opt.poll || !dma_vq_enable_notify(&c->q[q].vq))
                break;
            dma_vq_disable_notify(&c->q[q].vq);
            continue;
        }
        if (r < 0)
            break;
        uint32_t data = 0;
        uint8_t st;
        if (ch.readable < 16 || ch.writable < 1) {
            st = BLK_S_IOERR;
            b->errors++;
            vu_log(c, "request %u: %u readable, %u writable bytes: no header or status", ch.id,
                   ch.readable, ch.writable);
            vu_complete(c, q, &ch, 0);
            pushed = true;
            continue;
        }
        st = blk_request(c, &ch, &data);
        if (st != BLK_S_OK)
            b->errors++;
        if (vu_chain_write(c, &ch, ch.writable - 1, &st, 1) != DMA_OK)
            data = 0; /* the status byte itself is not in guest memory */
        else
            data += 1;
        vu_complete(c, q, &ch, data);
        pushed = true;
        if (--budget == 0)
            break;
    }
    if (pushed)
        vu_notify_if_needed(c, q);
    return budget == 0;
}

const struct vu_device_ops vu_blk_ops = {
    .name = "blk",
    .nqueues = 1,
    .features = blk_features,
    .config = blk_config,
    .serve = blk_serve,
    .idle = NULL,
    .open = blk_open,
    .close = blk_close,
};
