/* SPDX-License-Identifier: MIT */
/*
 * tests/tsan/probe.c - one out-of-line function per ordered primitive, for
 * tests/tsan/identical.sh: built from the headers as they are and from a
 * copy with every ThreadSanitizer-only branch removed, the objects must be
 * byte-identical (what a TSan build changes must not leak into a normal
 * build). Covers every place odma orders something: the three barriers,
 * ordered / relaxed / acquire / release ld and st of each width, bulk
 * read, write, rw and set, publish and consume, the notify barrier, map
 * and unmap, bus mastering, the dirty log and quiesce.
 */
#define _GNU_SOURCE
#include <odma.h>

#define PROBE __attribute__((noinline, used))

PROBE void probe_mb(void) { odma_mb(); }
PROBE void probe_wmb(void) { odma_wmb(); }
PROBE void probe_rmb(void) { odma_rmb(); }

#define PROBE_LDST(name, T)                                                   \
    PROBE dma_result probe_ld_##name(struct dma_ctx *c, uint64_t a, T *v)     \
    { return odma_ld_##name(c, a, v); }                                       \
    PROBE dma_result probe_ld_##name##_relaxed(struct dma_ctx *c, uint64_t a, T *v) \
    { return odma_ld_##name##_relaxed(c, a, v); }                             \
    PROBE dma_result probe_ld_##name##_acquire(struct dma_ctx *c, uint64_t a, T *v) \
    { return odma_ld_##name##_acquire(c, a, v); }                             \
    PROBE dma_result probe_st_##name(struct dma_ctx *c, uint64_t a, T v)      \
    { return odma_st_##name(c, a, v); }                                       \
    PROBE dma_result probe_st_##name##_relaxed(struct dma_ctx *c, uint64_t a, T v) \
    { return odma_st_##name##_relaxed(c, a, v); }                             \
    PROBE dma_result probe_st_##name##_release(struct dma_ctx *c, uint64_t a, T v) \
    { return odma_st_##name##_release(c, a, v); }
PROBE_LDST(u8, uint8_t)
PROBE_LDST(le16, uint16_t)
PROBE_LDST(le32, uint32_t)
PROBE_LDST(be64, uint64_t)

PROBE dma_result probe_read(struct dma_ctx *c, uint64_t a, void *b, size_t n)
{
    return odma_read(c, a, b, n);
}
PROBE dma_result probe_write(struct dma_ctx *c, uint64_t a, const void *b, size_t n)
{
    return odma_write(c, a, b, n);
}
PROBE dma_result probe_read_relaxed(struct dma_ctx *c, uint64_t a, void *b, size_t n)
{
    return odma_read_relaxed(c, a, b, n);
}
PROBE dma_result probe_rw(struct dma_ctx *c, uint64_t a, void *b, size_t n, dma_dir d)
{
    return odma_rw(c, a, b, n, d);
}
PROBE dma_result probe_set(struct dma_ctx *c, uint64_t a, int byte, size_t n)
{
    return odma_set(c, a, byte, n);
}
/* Fixed-size records, as device models call them (the flag width known). */
PROBE dma_result probe_publish16(struct dma_ctx *c, uint64_t a, const void *rec)
{
    return odma_write_publish(c, a, rec, 16, 12, 4);
}
PROBE dma_result probe_consume16(struct dma_ctx *c, uint64_t a, void *rec)
{
    return odma_read_consume(c, a, rec, 16, 12, 4);
}
PROBE dma_result probe_publish(struct dma_ctx *c, uint64_t a, const void *rec, size_t n,
                               size_t off, size_t flen)
{
    return odma_write_publish(c, a, rec, n, off, flen);
}
PROBE dma_result probe_consume(struct dma_ctx *c, uint64_t a, void *rec, size_t n, size_t off,
                               size_t flen)
{
    return odma_read_consume(c, a, rec, n, off, flen);
}
PROBE void probe_notify(struct dma_ctx *c) { odma_notify_barrier(c); }
PROBE void *probe_map(struct dma_ctx *c, uint64_t a, uint64_t *len, dma_dir d, dma_result *r)
{
    return odma_map(c, a, len, d, r);
}
PROBE void probe_unmap(struct dma_ctx *c, void *h, uint64_t len, dma_dir d, uint64_t alen)
{
    odma_unmap(c, h, len, d, alen);
}
PROBE void probe_bus_master(struct dma_ctx *c, bool on) { odma_ctx_set_bus_master(c, on); }
PROBE dma_result probe_dirty_log(struct dma_ctx *c, uint64_t gpa, struct dma_dirty_log *log)
{
    return odma_ctx_set_dirty_log(c, gpa, log);
}
PROBE bool probe_quiesce(struct dma_ctx *c, uint64_t ns) { return odma_ctx_quiesce(c, ns); }
