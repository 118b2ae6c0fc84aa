/* SPDX-License-Identifier: MIT */
/*
 * odma/virtio.h: every driver error of DESIGN "Virtio", one by one, in
 * both layouts where the layout has it. Each case first pops a correct
 * chain built the same way (so the set-up is sound and the error below
 * comes from the one corruption), then corrupts the ring, snapshots all of
 * guest memory, and checks that the pop returns -1 with the documented
 * dma_vq_error / dma_vq_why, that every guest byte is unchanged, that the
 * caller's chain is left empty, and that the queue stays broken: later
 * pops return -1 and push, fill, flush and the notify calls write nothing.
 * Also dma_vq_init's refusals (bad size, alignment, ring memory outside
 * every region or in a read-only one).
 */
#include <stdio.h>
#define ODMA_TESTING_IMPLEMENTATION
#include "fixture.h"
#include "virtio_driver.h"

#define GPA 0x10000ull
#define MEM (64u * 1024u)
#define RO_GPA 0x40000ull /* a read-only region */
#define HOLE_GPA 0x80000ull /* no region */

struct env {
    struct dma_ctx ctx;
    unsigned char *mem;
    unsigned char *ro;
    unsigned char *before;
    struct dma_vq_config cfg;
    struct vdrv d;
    struct dma_vq vq;
    struct dma_vq_chain c;
    uint64_t tables, bufs;
};

static int env_alloc(void **state)
{
    struct env *e = (struct env *)calloc(1, sizeof *e);
    assert_non_null(e);
    e->mem = (unsigned char *)aligned_alloc(4096, MEM);
    e->ro = (unsigned char *)aligned_alloc(4096, 4096);
    e->before = (unsigned char *)malloc(MEM);
    assert_non_null(e->mem);
    assert_non_null(e->ro);
    assert_non_null(e->before);
    *state = e;
    return 0;
}

static int env_free(void **state)
{
    struct env *e = (struct env *)*state;
    vdrv_destroy(&e->d);
    free(e->mem);
    free(e->ro);
    free(e->before);
    free(e);
    return 0;
}

static void env_setup(struct env *e, bool packed, uint16_t num, bool indirect)
{
    uint64_t end;
    size_t i;
    vdrv_destroy(&e->d);
    for (i = 0; i < MEM; i++)
        e->mem[i] = (unsigned char)(i * 13u + 1u);
    memset(e->ro, 0, 4096);
    dma_ctx_init(&e->ctx, DMA_POLICY_STRICT);
    assert_int_equal(dma_ctx_add_region(&e->ctx, GPA, MEM, e->mem, 0), DMA_OK);
    assert_int_equal(dma_ctx_add_region(&e->ctx, RO_GPA, 4096, e->ro, DMA_REGION_READONLY),
                     DMA_OK);
    end = vdrv_layout(&e->cfg, num, packed, GPA);
    e->cfg.indirect = indirect;
    e->cfg.event_idx = true;
    e->tables = end;
    e->bufs = end + 4u * VDRV_TABLE_BYTES;
    assert_true(e->bufs + 4096 <= GPA + MEM);
    assert_int_equal(vdrv_init(&e->d, &e->cfg, e->mem, GPA, MEM, e->tables), 0);
    assert_int_equal(dma_vq_init(&e->vq, &e->ctx, &e->cfg), DMA_OK);
}

/* Raw ring writes (the driver's publishing order does not matter here:
 * one thread). */
static void desc_put(struct env *e, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next_or_id)
{
    if (e->cfg.packed)
        vdrv_put_desc(&e->d, table + 16u * i, addr, len, next_or_id, flags);
    else
        vdrv_put_desc(&e->d, table + 16u * i, addr, len, flags, next_or_id);
}

/* Split: publish head at the next avail slot. */
static void split_publish(struct env *e, uint16_t head)
{
    uint16_t idx = vdrv_load16(&e->d, e->cfg.driver + 2, memory_order_relaxed);
    vdrv_store16(&e->d, e->cfg.driver + 4 + 2u * (idx & (e->cfg.num - 1u)), head,
                 memory_order_relaxed);
    vdrv_store16(&e->d, e->cfg.driver + 2, (uint16_t)(idx + 1), memory_order_relaxed);
}

/* Packed, first lap (wrap counter 1): flags that make a descriptor available. */
static uint16_t avail1(uint16_t f)
{
    return (uint16_t)(f | DMA_VQ_DESC_F_AVAIL);
}

static void expect_ok_pop(struct env *e, uint16_t nseg)
{
    assert_int_equal(dma_vq_pop(&e->vq, &e->c), 1);
    assert_int_equal(e->c.nseg, nseg);
    assert_int_equal(dma_vq_error(&e->vq), DMA_OK);
}

static void assert_mem_unchanged(struct env *e, const char *what)
{
    size_t i;
    for (i = 0; i < MEM; i++)
        if (e->mem[i] != e->before[i])
            fail_msg("%s wrote guest byte 0x%llx: 0x%02x -> 0x%02x", what,
                     (unsigned long long)(GPA + i), e->before[i], e->mem[i]);
}

static void expect_break(struct env *e, dma_result res, enum dma_vq_why why)
{
    memcpy(e->before, e->mem, MEM);
    e->c.nseg = 7;
    assert_int_equal(dma_vq_pop(&e->vq, &e->c), -1);
    assert_mem_unchanged(e, "the failing pop");
    if (dma_vq_why(&e->vq) != why)
        fail_msg("why: got \"%s\", expected \"%s\"", dma_vq_why_str(dma_vq_why(&e->vq)),
                 dma_vq_why_str(why));
    assert_int_equal(dma_vq_error(&e->vq), res);
    assert_int_equal(e->c.nseg, 0);
    /* Broken for good, and silent. */
    assert_int_equal(dma_vq_pop(&e->vq, &e->c), -1);
    e->c.ndesc = 1;
    e->c.id = 0;
    e->c.writable = 0;
    assert_int_equal(dma_vq_push(&e->vq, &e->c, 0), res);
    assert_int_equal(dma_vq_fill(&e->vq, &e->c, 0), res);
    assert_int_equal(dma_vq_flush(&e->vq), res);
    assert_false(dma_vq_should_notify(&e->vq));
    assert_true(dma_vq_enable_notify(&e->vq));
    dma_vq_disable_notify(&e->vq);
    assert_int_equal(dma_vq_pop(&e->vq, &e->c), -1);
    assert_mem_unchanged(e, "a call on the broken queue");
    assert_int_equal(dma_vq_why(&e->vq), why);
    /* dma_vq_init repairs it. */
    assert_int_equal(dma_vq_init(&e->vq, &e->ctx, &e->cfg), DMA_OK);
    assert_int_equal(dma_vq_error(&e->vq), DMA_OK);
}

/* ---- split -------------------------------------------------------------- */

static void split_bad_head_index(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, false, 8, false);
    desc_put(e, e->cfg.desc, 3, e->bufs, 16, 0, 0);
    split_publish(e, 3);
    expect_ok_pop(e, 1);
    split_publish(e, 8); /* num */
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_BAD_INDEX);
}

static void split_bad_next_index(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, false, 8, false);
    desc_put(e, e->cfg.desc, 0, e->bufs, 16, DMA_VQ_DESC_F_NEXT, 7);
    desc_put(e, e->cfg.desc, 7, e->bufs, 16, 0, 0);
    split_publish(e, 0);
    expect_ok_pop(e, 2);
    desc_put(e, e->cfg.desc, 0, e->bufs, 16, DMA_VQ_DESC_F_NEXT, 0xffff);
    split_publish(e, 0);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_BAD_INDEX);
}

static void split_loop(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, false, 8, false);
    desc_put(e, e->cfg.desc, 1, e->bufs, 16, DMA_VQ_DESC_F_NEXT, 2);
    desc_put(e, e->cfg.desc, 2, e->bufs, 16, 0, 1);
    split_publish(e, 1);
    expect_ok_pop(e, 2);
    desc_put(e, e->cfg.desc, 2, e->bufs, 16, DMA_VQ_DESC_F_NEXT, 1);
    split_publish(e, 1);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_CHAIN_TOO_LONG);
}

/* num descriptors in a chain are fine; num + 1 (through an indirect table,
 * the only way without a loop) are not. */
static void split_chain_longer_than_num(void **state)
{
    struct env *e = (struct env *)*state;
    unsigned k;
    env_setup(e, false, 8, true);
    for (k = 0; k < 9; k++)
        desc_put(e, e->tables, k, e->bufs + 16u * k, 16, DMA_VQ_DESC_F_NEXT, (uint16_t)(k + 1));
    desc_put(e, e->tables, 7, e->bufs + 16u * 7, 16, 0, 0);
    desc_put(e, e->cfg.desc, 0, e->tables, 16u * 8, DMA_VQ_DESC_F_INDIRECT, 0);
    split_publish(e, 0);
    expect_ok_pop(e, 8);
    desc_put(e, e->tables, 7, e->bufs + 16u * 7, 16, DMA_VQ_DESC_F_NEXT, 8);
    desc_put(e, e->tables, 8, e->bufs + 16u * 8, 16, 0, 0);
    desc_put(e, e->cfg.desc, 0, e->tables, 16u * 9, DMA_VQ_DESC_F_INDIRECT, 0);
    split_publish(e, 0);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_CHAIN_TOO_LONG);
}

/* A loop inside an indirect table. */
static void split_indirect_loop(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, false, 8, true);
    desc_put(e, e->tables, 0, e->bufs, 16, DMA_VQ_DESC_F_NEXT, 1);
    desc_put(e, e->tables, 1, e->bufs, 16, 0, 0);
    desc_put(e, e->cfg.desc, 0, e->tables, 32, DMA_VQ_DESC_F_INDIRECT, 0);
    split_publish(e, 0);
    expect_ok_pop(e, 2);
    desc_put(e, e->tables, 1, e->bufs, 16, DMA_VQ_DESC_F_NEXT, 0);
    split_publish(e, 0);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_CHAIN_TOO_LONG);
}

static void split_index_beyond_table(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, false, 8, true);
    desc_put(e, e->tables, 0, e->bufs, 16, DMA_VQ_DESC_F_NEXT, 1);
    desc_put(e, e->tables, 1, e->bufs, 16, 0, 0);
    desc_put(e, e->cfg.desc, 0, e->tables, 32, DMA_VQ_DESC_F_INDIRECT, 0);
    split_publish(e, 0);
    expect_ok_pop(e, 2);
    desc_put(e, e->tables, 0, e->bufs, 16, DMA_VQ_DESC_F_NEXT, 2); /* table has 2 */
    split_publish(e, 0);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_BAD_INDEX);
}

static void split_read_after_write(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, false, 8, false);
    desc_put(e, e->cfg.desc, 0, e->bufs, 16, DMA_VQ_DESC_F_NEXT, 1);
    desc_put(e, e->cfg.desc, 1, e->bufs, 16, DMA_VQ_DESC_F_WRITE, 0);
    split_publish(e, 0);
    expect_ok_pop(e, 2);
    desc_put(e, e->cfg.desc, 0, e->bufs, 16, DMA_VQ_DESC_F_NEXT | DMA_VQ_DESC_F_WRITE, 1);
    desc_put(e, e->cfg.desc, 1, e->bufs, 16, 0, 0);
    split_publish(e, 0);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_READ_AFTER_WRITE);
}

static void split_nested_indirect(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, false, 8, true);
    desc_put(e, e->tables, 0, e->bufs, 16, 0, 0);
    desc_put(e, e->cfg.desc, 0, e->tables, 16, DMA_VQ_DESC_F_INDIRECT, 0);
    split_publish(e, 0);
    expect_ok_pop(e, 1);
    desc_put(e, e->tables, 0, e->tables + 64, 16, DMA_VQ_DESC_F_INDIRECT, 0);
    split_publish(e, 0);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_NESTED_INDIRECT);
}

static void split_indirect_not_negotiated(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, false, 8, false);
    desc_put(e, e->tables, 0, e->bufs, 16, 0, 0);
    desc_put(e, e->cfg.desc, 0, e->bufs, 16, 0, 0);
    split_publish(e, 0);
    expect_ok_pop(e, 1);
    desc_put(e, e->cfg.desc, 0, e->tables, 16, DMA_VQ_DESC_F_INDIRECT, 0);
    split_publish(e, 0);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_INDIRECT_NOT_NEGOTIATED);
}

static void split_indirect_len(uint32_t len)
{
    struct env *e;
    assert_int_equal(env_alloc((void **)&e), 0);
    env_setup(e, false, 8, true);
    desc_put(e, e->tables, 0, e->bufs, 16, 0, 0);
    desc_put(e, e->cfg.desc, 0, e->tables, 16, DMA_VQ_DESC_F_INDIRECT, 0);
    split_publish(e, 0);
    expect_ok_pop(e, 1);
    desc_put(e, e->cfg.desc, 0, e->tables, len, DMA_VQ_DESC_F_INDIRECT, 0);
    split_publish(e, 0);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_INDIRECT_LEN);
    env_free((void **)&e);
}

static void split_indirect_len_zero(void **state)
{
    (void)state;
    split_indirect_len(0);
}

static void split_indirect_len_not_16(void **state)
{
    (void)state;
    split_indirect_len(24);
}

/* The spec lets direct descriptors precede an indirect one (2.7.5.3.2);
 * INDIRECT with NEXT is the driver's error (2.7.5.3.1). */
static void split_indirect_with_next(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, false, 8, true);
    desc_put(e, e->tables, 0, e->bufs + 64, 16, DMA_VQ_DESC_F_WRITE, 0);
    desc_put(e, e->cfg.desc, 0, e->bufs, 16, DMA_VQ_DESC_F_NEXT, 1);
    desc_put(e, e->cfg.desc, 1, e->tables, 16, DMA_VQ_DESC_F_INDIRECT, 0);
    split_publish(e, 0);
    expect_ok_pop(e, 2);
    assert_true(e->c.seg[1].device_writes);
    desc_put(e, e->cfg.desc, 1, e->tables, 16, DMA_VQ_DESC_F_INDIRECT | DMA_VQ_DESC_F_NEXT, 2);
    desc_put(e, e->cfg.desc, 2, e->bufs, 16, DMA_VQ_DESC_F_WRITE, 0);
    split_publish(e, 0);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_INDIRECT_IN_CHAIN);
}

static void split_avail_ahead(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, false, 8, false);
    desc_put(e, e->cfg.desc, 0, e->bufs, 16, 0, 0);
    vdrv_store16(&e->d, e->cfg.driver + 2, 8, memory_order_relaxed); /* num ahead: fine */
    expect_ok_pop(e, 1);
    assert_int_equal(dma_vq_init(&e->vq, &e->ctx, &e->cfg), DMA_OK);
    vdrv_store16(&e->d, e->cfg.driver + 2, 9, memory_order_relaxed);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_AVAIL_AHEAD);
}

static void split_avail_backwards(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, false, 8, false);
    desc_put(e, e->cfg.desc, 0, e->bufs, 16, 0, 0);
    split_publish(e, 0);
    split_publish(e, 0);
    expect_ok_pop(e, 1);
    expect_ok_pop(e, 1);
    assert_int_equal(dma_vq_pop(&e->vq, &e->c), 0);
    vdrv_store16(&e->d, e->cfg.driver + 2, 1, memory_order_relaxed); /* 2 -> 1 */
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_AVAIL_AHEAD);
}

static void split_len_overflow(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, false, 8, false);
    desc_put(e, e->cfg.desc, 0, e->bufs, 0x80000000u, DMA_VQ_DESC_F_NEXT, 1);
    desc_put(e, e->cfg.desc, 1, e->bufs, 0x7fffffffu, 0, 0);
    split_publish(e, 0);
    expect_ok_pop(e, 2);
    assert_int_equal(e->c.readable, 0xffffffffu);
    desc_put(e, e->cfg.desc, 1, e->bufs, 0x80000000u, 0, 0);
    split_publish(e, 0);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_LEN_OVERFLOW);
    /* the same with writable segments */
    desc_put(e, e->cfg.desc, 0, e->bufs, 0xffffffffu, DMA_VQ_DESC_F_NEXT | DMA_VQ_DESC_F_WRITE, 1);
    desc_put(e, e->cfg.desc, 1, e->bufs, 1, DMA_VQ_DESC_F_WRITE, 0);
    split_publish(e, 0);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_LEN_OVERFLOW);
}

static void split_too_many_segs(void **state)
{
    struct env *e = (struct env *)*state;
    unsigned k;
    env_setup(e, false, 128, false);
    for (k = 0; k < ODMA_VQ_MAX_SEGS; k++)
        desc_put(e, e->cfg.desc, k, e->bufs, 4,
                 k + 1 < ODMA_VQ_MAX_SEGS ? DMA_VQ_DESC_F_NEXT : 0, (uint16_t)(k + 1));
    split_publish(e, 0);
    expect_ok_pop(e, ODMA_VQ_MAX_SEGS);
    desc_put(e, e->cfg.desc, ODMA_VQ_MAX_SEGS - 1, e->bufs, 4, DMA_VQ_DESC_F_NEXT,
             ODMA_VQ_MAX_SEGS);
    desc_put(e, e->cfg.desc, ODMA_VQ_MAX_SEGS, e->bufs, 4, 0, 0);
    split_publish(e, 0);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_TOO_MANY_SEGS);
}

static void split_indirect_table_unmapped(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, false, 8, true);
    desc_put(e, e->tables, 0, e->bufs, 16, 0, 0);
    desc_put(e, e->cfg.desc, 0, e->tables, 16, DMA_VQ_DESC_F_INDIRECT, 0);
    split_publish(e, 0);
    expect_ok_pop(e, 1);
    desc_put(e, e->cfg.desc, 0, HOLE_GPA, 16, DMA_VQ_DESC_F_INDIRECT, 0);
    split_publish(e, 0);
    expect_break(e, DMA_ERR_UNMAPPED, DMA_VQ_WHY_RING_MEMORY);
}

/* ---- packed ------------------------------------------------------------- */

static void packed_chain_longer_than_num(void **state)
{
    struct env *e = (struct env *)*state;
    unsigned k;
    env_setup(e, true, 8, false);
    for (k = 0; k < 8; k++)
        desc_put(e, e->cfg.desc, k, e->bufs, 16, avail1(k < 7 ? DMA_VQ_DESC_F_NEXT : 0), 5);
    expect_ok_pop(e, 8); /* num descriptors: fine */
    assert_int_equal(e->c.id, 5);
    assert_int_equal(e->c.ndesc, 8);
    /* Second lap (wrap 0: AVAIL clear, USED set): every descriptor has
     * NEXT, so the chain wraps around into itself. */
    for (k = 0; k < 8; k++)
        desc_put(e, e->cfg.desc, k, e->bufs, 16, DMA_VQ_DESC_F_USED | DMA_VQ_DESC_F_NEXT, 5);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_CHAIN_TOO_LONG);
}

static void packed_read_after_write(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, true, 8, false);
    desc_put(e, e->cfg.desc, 0, e->bufs, 16, avail1(DMA_VQ_DESC_F_NEXT), 0);
    desc_put(e, e->cfg.desc, 1, e->bufs, 16, avail1(DMA_VQ_DESC_F_WRITE), 0);
    expect_ok_pop(e, 2);
    desc_put(e, e->cfg.desc, 2, e->bufs, 16, avail1(DMA_VQ_DESC_F_NEXT | DMA_VQ_DESC_F_WRITE), 1);
    desc_put(e, e->cfg.desc, 3, e->bufs, 16, avail1(0), 1);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_READ_AFTER_WRITE);
}

static void packed_nested_indirect(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, true, 8, true);
    desc_put(e, e->tables, 0, e->bufs, 16, 0, 0);
    desc_put(e, e->tables, 1, e->bufs, 16, DMA_VQ_DESC_F_WRITE, 0);
    desc_put(e, e->cfg.desc, 0, e->tables, 32, avail1(DMA_VQ_DESC_F_INDIRECT), 3);
    expect_ok_pop(e, 2);
    assert_int_equal(e->c.ndesc, 1);
    desc_put(e, e->tables, 1, e->tables + 256, 16, DMA_VQ_DESC_F_INDIRECT, 0);
    desc_put(e, e->cfg.desc, 1, e->tables, 32, avail1(DMA_VQ_DESC_F_INDIRECT), 3);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_NESTED_INDIRECT);
}

static void packed_indirect_not_negotiated(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, true, 8, false);
    desc_put(e, e->tables, 0, e->bufs, 16, 0, 0);
    desc_put(e, e->cfg.desc, 0, e->bufs, 16, avail1(0), 0);
    expect_ok_pop(e, 1);
    desc_put(e, e->cfg.desc, 1, e->tables, 16, avail1(DMA_VQ_DESC_F_INDIRECT), 0);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_INDIRECT_NOT_NEGOTIATED);
}

static void packed_indirect_len(void **state)
{
    struct env *e = (struct env *)*state;
    const uint32_t bad[2] = { 0, 40 };
    unsigned k;
    for (k = 0; k < 2; k++) {
        env_setup(e, true, 8, true);
        desc_put(e, e->tables, 0, e->bufs, 16, 0, 0);
        desc_put(e, e->cfg.desc, 0, e->tables, 16, avail1(DMA_VQ_DESC_F_INDIRECT), 0);
        expect_ok_pop(e, 1);
        desc_put(e, e->cfg.desc, 1, e->tables, bad[k], avail1(DMA_VQ_DESC_F_INDIRECT), 0);
        expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_INDIRECT_LEN);
    }
}

static void packed_indirect_table_longer_than_num(void **state)
{
    struct env *e = (struct env *)*state;
    unsigned k;
    env_setup(e, true, 8, true);
    for (k = 0; k < 9; k++)
        desc_put(e, e->tables, k, e->bufs, 16, 0, 0);
    desc_put(e, e->cfg.desc, 0, e->tables, 16u * 8, avail1(DMA_VQ_DESC_F_INDIRECT), 0);
    expect_ok_pop(e, 8);
    desc_put(e, e->cfg.desc, 1, e->tables, 16u * 9, avail1(DMA_VQ_DESC_F_INDIRECT), 0);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_CHAIN_TOO_LONG);
}

/* 2.8.19: no INDIRECT on a descriptor of a list linked by NEXT. */
static void packed_indirect_in_chain(void **state)
{
    struct env *e = (struct env *)*state;
    unsigned k;
    for (k = 0; k < 2; k++) {
        env_setup(e, true, 8, true);
        desc_put(e, e->tables, 0, e->bufs, 16, 0, 0);
        desc_put(e, e->cfg.desc, 0, e->tables, 16, avail1(DMA_VQ_DESC_F_INDIRECT), 0);
        expect_ok_pop(e, 1);
        if (k == 0) { /* indirect head with NEXT */
            desc_put(e, e->cfg.desc, 1, e->tables, 16,
                     avail1(DMA_VQ_DESC_F_INDIRECT | DMA_VQ_DESC_F_NEXT), 0);
            desc_put(e, e->cfg.desc, 2, e->bufs, 16, avail1(0), 0);
        } else { /* indirect as the second descriptor of a list */
            desc_put(e, e->cfg.desc, 1, e->bufs, 16, avail1(DMA_VQ_DESC_F_NEXT), 0);
            desc_put(e, e->cfg.desc, 2, e->tables, 16, avail1(DMA_VQ_DESC_F_INDIRECT), 0);
        }
        expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_INDIRECT_IN_CHAIN);
    }
}

static void packed_len_overflow(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, true, 8, false);
    desc_put(e, e->cfg.desc, 0, e->bufs, 0xffffffffu, avail1(DMA_VQ_DESC_F_NEXT | DMA_VQ_DESC_F_WRITE), 0);
    desc_put(e, e->cfg.desc, 1, e->bufs, 0, avail1(DMA_VQ_DESC_F_WRITE), 0);
    expect_ok_pop(e, 2);
    desc_put(e, e->cfg.desc, 2, e->bufs, 0xffffffffu, avail1(DMA_VQ_DESC_F_NEXT | DMA_VQ_DESC_F_WRITE), 0);
    desc_put(e, e->cfg.desc, 3, e->bufs, 1, avail1(DMA_VQ_DESC_F_WRITE), 0);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_LEN_OVERFLOW);
}

static void packed_too_many_segs(void **state)
{
    struct env *e = (struct env *)*state;
    unsigned k;
    env_setup(e, true, 128, true);
    for (k = 0; k <= ODMA_VQ_MAX_SEGS; k++)
        desc_put(e, e->tables, k, e->bufs, 4, 0, 0);
    desc_put(e, e->cfg.desc, 0, e->tables, 16u * ODMA_VQ_MAX_SEGS,
             avail1(DMA_VQ_DESC_F_INDIRECT), 0);
    expect_ok_pop(e, ODMA_VQ_MAX_SEGS);
    desc_put(e, e->cfg.desc, 1, e->tables, 16u * (ODMA_VQ_MAX_SEGS + 1),
             avail1(DMA_VQ_DESC_F_INDIRECT), 0);
    expect_break(e, DMA_ERR_INVALID, DMA_VQ_WHY_TOO_MANY_SEGS);
}

static void packed_indirect_table_unmapped(void **state)
{
    struct env *e = (struct env *)*state;
    env_setup(e, true, 8, true);
    desc_put(e, e->tables, 0, e->bufs, 16, 0, 0);
    desc_put(e, e->cfg.desc, 0, e->tables, 16, avail1(DMA_VQ_DESC_F_INDIRECT), 0);
    expect_ok_pop(e, 1);
    /* a table whose first entry is the last 16 bytes of guest memory and
     * whose second is in the hole after it */
    desc_put(e, GPA + MEM - 16, 0, e->bufs, 16, 0, 0);
    desc_put(e, e->cfg.desc, 1, GPA + MEM - 16, 32, avail1(DMA_VQ_DESC_F_INDIRECT), 0);
    expect_break(e, DMA_ERR_UNMAPPED, DMA_VQ_WHY_RING_MEMORY);
}

/* Regions may change while devices run: ring memory that disappears after
 * dma_vq_init breaks the queue at the next access (both layouts). */
static void ring_region_removed(void **state)
{
    struct env *e = (struct env *)*state;
    unsigned k;
    for (k = 0; k < 2; k++) {
        env_setup(e, k, 8, false);
        desc_put(e, e->cfg.desc, 0, e->bufs, 16, k ? avail1(0) : 0, 0);
        if (!k)
            split_publish(e, 0);
        memcpy(e->before, e->mem, MEM);
        assert_int_equal(dma_ctx_del_region(&e->ctx, GPA, MEM), DMA_OK);
        assert_int_equal(dma_vq_pop(&e->vq, &e->c), -1);
        assert_int_equal(dma_vq_error(&e->vq), DMA_ERR_UNMAPPED);
        assert_int_equal(dma_vq_why(&e->vq), DMA_VQ_WHY_RING_MEMORY);
        assert_int_equal(dma_vq_pop(&e->vq, &e->c), -1);
        assert_true(dma_vq_enable_notify(&e->vq));
        assert_mem_unchanged(e, "a pop after the region went away");
        /* and init now refuses the same rings */
        assert_int_equal(dma_vq_init(&e->vq, &e->ctx, &e->cfg), DMA_ERR_UNMAPPED);
        dma_ctx_destroy(&e->ctx); /* frees the table del_region made */
    }
}

/* ---- dma_vq_init -------------------------------------------------------- */

static void init_refusals(void **state)
{
    struct env *e = (struct env *)*state;
    struct dma_vq_config c;
    env_setup(e, false, 8, false);
    memcpy(e->before, e->mem, MEM);
#define REFUSE(expr, res, why)                                                  \
    do {                                                                        \
        c = e->cfg;                                                             \
        expr;                                                                   \
        assert_int_equal(dma_vq_init(&e->vq, &e->ctx, &c), res);               \
        assert_int_equal(dma_vq_error(&e->vq), res);                            \
        assert_int_equal(dma_vq_why(&e->vq), why);                              \
        assert_int_equal(dma_vq_pop(&e->vq, &e->c), -1);                        \
    } while (0)
    REFUSE(c.num = 0, DMA_ERR_INVALID, DMA_VQ_WHY_BAD_CONFIG);
    REFUSE(c.num = 6, DMA_ERR_INVALID, DMA_VQ_WHY_BAD_CONFIG); /* split: power of two */
    REFUSE(c.num = 65535, DMA_ERR_INVALID, DMA_VQ_WHY_BAD_CONFIG);
    REFUSE(c.desc += 8, DMA_ERR_ALIGN, DMA_VQ_WHY_BAD_CONFIG);
    REFUSE(c.driver += 1, DMA_ERR_ALIGN, DMA_VQ_WHY_BAD_CONFIG);
    REFUSE(c.device += 2, DMA_ERR_ALIGN, DMA_VQ_WHY_BAD_CONFIG);
    REFUSE(c.desc = HOLE_GPA, DMA_ERR_UNMAPPED, DMA_VQ_WHY_RING_MEMORY);
    REFUSE(c.driver = GPA + MEM - 8, DMA_ERR_UNMAPPED, DMA_VQ_WHY_RING_MEMORY); /* runs off */
    REFUSE(c.device = RO_GPA, DMA_ERR_READONLY, DMA_VQ_WHY_RING_MEMORY);
    REFUSE(c.packed = true; c.num = 6; c.device = RO_GPA, DMA_ERR_READONLY,
           DMA_VQ_WHY_RING_MEMORY);
    REFUSE(c.packed = true; c.num = 6; c.desc = RO_GPA, DMA_ERR_READONLY,
           DMA_VQ_WHY_RING_MEMORY); /* the device writes used descriptors */
    REFUSE(c.packed = true; c.num = 6; c.driver += 2, DMA_ERR_ALIGN, DMA_VQ_WHY_BAD_CONFIG);
#undef REFUSE
    c = e->cfg;
    c.driver = RO_GPA; /* the device only reads the avail ring: fine */
    assert_int_equal(dma_vq_init(&e->vq, &e->ctx, &c), DMA_OK);
    assert_int_equal(dma_vq_pop(&e->vq, &e->c), 0);
    assert_int_equal(dma_vq_init(&e->vq, NULL, &e->cfg), DMA_ERR_INVALID);
    assert_int_equal(dma_vq_init(&e->vq, &e->ctx, NULL), DMA_ERR_INVALID);
    assert_int_equal(dma_vq_init(NULL, &e->ctx, &e->cfg), DMA_ERR_INVALID);
    assert_mem_unchanged(e, "dma_vq_init");
}

/* Push refuses a used length beyond the chain's writable bytes, and
 * writes nothing then; the queue keeps working. */
static void push_refuses_bad_length(void **state)
{
    struct env *e = (struct env *)*state;
    unsigned k;
    for (k = 0; k < 2; k++) {
        env_setup(e, k, 8, false);
        if (k)
            desc_put(e, e->cfg.desc, 0, e->bufs, 16, avail1(DMA_VQ_DESC_F_WRITE), 0);
        else {
            desc_put(e, e->cfg.desc, 0, e->bufs, 16, DMA_VQ_DESC_F_WRITE, 0);
            split_publish(e, 0);
        }
        expect_ok_pop(e, 1);
        memcpy(e->before, e->mem, MEM);
        assert_int_equal(dma_vq_push(&e->vq, &e->c, 17), DMA_ERR_INVALID);
        assert_mem_unchanged(e, "a refused push");
        assert_int_equal(dma_vq_error(&e->vq), DMA_OK);
        assert_int_equal(dma_vq_push(&e->vq, &e->c, 16), DMA_OK);
    }
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, env_alloc, env_free)
    const struct CMUnitTest tests[] = {
        T(split_bad_head_index),
        T(split_bad_next_index),
        T(split_loop),
        T(split_chain_longer_than_num),
        T(split_indirect_loop),
        T(split_index_beyond_table),
        T(split_read_after_write),
        T(split_nested_indirect),
        T(split_indirect_not_negotiated),
        cmocka_unit_test(split_indirect_len_zero),
        cmocka_unit_test(split_indirect_len_not_16),
        T(split_indirect_with_next),
        T(split_avail_ahead),
        T(split_avail_backwards),
        T(split_len_overflow),
        T(split_too_many_segs),
        T(split_indirect_table_unmapped),
        T(packed_chain_longer_than_num),
        T(packed_read_after_write),
        T(packed_nested_indirect),
        T(packed_indirect_not_negotiated),
        T(packed_indirect_len),
        T(packed_indirect_table_longer_than_num),
        T(packed_indirect_in_chain),
        T(packed_len_overflow),
        T(packed_too_many_segs),
        T(packed_indirect_table_unmapped),
        T(ring_region_removed),
        T(init_refusals),
        T(push_refuses_bad_length),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
