/* SPDX-License-Identifier: MIT */
/*
 * The fast path's shortcuts, built WITHOUT ODMA_TRACE (the traced build
 * takes the full path, so test_order.c cannot see them):
 * - ld/st check their bounds against a region's fit8 (size - 7): every
 *   width at every offset near a region's end, and regions shorter than
 *   8 bytes, must still work (through the slow path) and move the right
 *   bytes;
 * - an ordered access in a steady state skips the table lookups, the
 *   state is stored only when it changes, publish/consume update it once:
 *   after every step of a long pseudo-random mix of accessors, contexts
 *   and policies, the per-thread state must equal what the documented
 *   rules give, computed here from the policy tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <odma.h>

#ifdef ODMA_TRACE
#error "this test must be built without ODMA_TRACE"
#endif

/* Every width, at every offset of the last 24 bytes of a 256-byte region
 * (aligned or not, fit8 or not), through the ordered, relaxed and
 * acquire/release forms: the guest bytes and the value read back. */
static void test_region_end(void **state)
{
    static _Alignas(64) unsigned char ram[256 + 64];
    struct dma_ctx ctx;
    uint64_t base = 0x10000, off;
    (void)state;
    dma_ctx_init(&ctx, NULL);
    assert_int_equal(dma_ctx_add_region(&ctx, base, 256, ram, 0), DMA_OK);
    for (off = 256 - 24; off < 256; off++) {
        uint64_t a = base + off;
        int v;
        for (v = 0; v < 3; v++) {
            uint8_t b = 0;
            uint16_t h = 0;
            uint32_t w = 0;
            uint64_t q = 0;
            dma_result r;
            memset(ram, 0, sizeof ram);
            r = v == 0 ? dma_st_u8(&ctx, a, 0xa5) : v == 1 ? dma_st_u8_relaxed(&ctx, a, 0xa5)
                                                        : dma_st_u8_release(&ctx, a, 0xa5);
            assert_int_equal(r, DMA_OK);
            assert_int_equal(ram[off], 0xa5);
            r = v == 0 ? dma_ld_u8(&ctx, a, &b) : v == 1 ? dma_ld_u8_relaxed(&ctx, a, &b)
                                                       : dma_ld_u8_acquire(&ctx, a, &b);
            assert_int_equal(r, DMA_OK);
            assert_int_equal(b, 0xa5);
            if (off + 2 <= 256 && (v < 2 || !(a & 1))) {
                r = v == 0 ? dma_st_le16(&ctx, a, 0x0102)
                           : v == 1 ? dma_st_le16_relaxed(&ctx, a, 0x0102)
                                    : dma_st_le16_release(&ctx, a, 0x0102);
                assert_int_equal(r, DMA_OK);
                assert_int_equal(ram[off], 0x02);
                assert_int_equal(ram[off + 1], 0x01);
                r = v == 0 ? dma_ld_le16(&ctx, a, &h)
                           : v == 1 ? dma_ld_le16_relaxed(&ctx, a, &h) : dma_ld_le16_acquire(&ctx, a, &h);
                assert_int_equal(r, DMA_OK);
                assert_int_equal(h, 0x0102);
            } else if (off + 2 > 256) {
                assert_int_equal(dma_ld_le16(&ctx, a, &h), DMA_ERR_UNMAPPED);
                assert_int_equal(h, 0xffff);
            }
            if (off + 4 <= 256 && (v < 2 || !(a & 3))) {
                r = v == 0 ? dma_st_be32(&ctx, a, 0x01020304u)
                           : v == 1 ? dma_st_be32_relaxed(&ctx, a, 0x01020304u)
                                    : dma_st_be32_release(&ctx, a, 0x01020304u);
                assert_int_equal(r, DMA_OK);
                assert_memory_equal(ram + off, ((const unsigned char[]){ 1, 2, 3, 4 }), 4);
                r = v == 0 ? dma_ld_be32(&ctx, a, &w)
                           : v == 1 ? dma_ld_be32_relaxed(&ctx, a, &w) : dma_ld_be32_acquire(&ctx, a, &w);
                assert_int_equal(r, DMA_OK);
                assert_int_equal(w, 0x01020304u);
            } else if (off + 4 > 256) {
                assert_int_equal(dma_st_be32(&ctx, a, 1), DMA_ERR_UNMAPPED);
                assert_int_equal(dma_ld_be32_relaxed(&ctx, a, &w), DMA_ERR_UNMAPPED);
                assert_int_equal(w, 0xffffffffu);
            }
            if (off + 8 <= 256 && (v < 2 || !(a & 7))) {
                r = v == 0 ? dma_st_le64(&ctx, a, 0x0102030405060708ull)
                           : v == 1 ? dma_st_le64_relaxed(&ctx, a, 0x0102030405060708ull)
                                    : dma_st_le64_release(&ctx, a, 0x0102030405060708ull);
                assert_int_equal(r, DMA_OK);
                assert_memory_equal(ram + off, ((const unsigned char[]){ 8, 7, 6, 5, 4, 3, 2, 1 }), 8);
                r = v == 0 ? dma_ld_le64(&ctx, a, &q)
                           : v == 1 ? dma_ld_le64_relaxed(&ctx, a, &q) : dma_ld_le64_acquire(&ctx, a, &q);
                assert_int_equal(r, DMA_OK);
                assert_true(q == 0x0102030405060708ull);
            } else if (off + 8 > 256) {
                assert_int_equal(dma_ld_le64(&ctx, a, &q), DMA_ERR_UNMAPPED);
                assert_true(q == ~0ull);
            }
            assert_int_equal(ram[256], 0); /* nothing past the region */
        }
    }
}

/* Regions of 1..8 bytes (fit8 is 0 below 8): every access that fits works. */
static void test_tiny_regions(void **state)
{
    static _Alignas(64) unsigned char ram[16];
    uint64_t size;
    (void)state;
    for (size = 1; size <= 8; size++) {
        struct dma_ctx ctx;
        uint64_t off;
        dma_ctx_init(&ctx, DMA_POLICY_PCIE);
        assert_int_equal(dma_ctx_add_region(&ctx, 0x2000, size, ram, 0), DMA_OK);
        memset(ram, 0, sizeof ram);
        for (off = 0; off < size; off++) {
            uint8_t b = 0;
            assert_int_equal(dma_st_u8(&ctx, 0x2000 + off, (uint8_t)(0x10 + off)), DMA_OK);
            assert_int_equal(dma_ld_u8_relaxed(&ctx, 0x2000 + off, &b), DMA_OK);
            assert_int_equal(b, 0x10 + off);
        }
        if (size >= 4) {
            uint32_t w = 0;
            assert_int_equal(dma_st_le32_relaxed(&ctx, 0x2000, 0x11223344u), DMA_OK);
            assert_int_equal(dma_ld_le32(&ctx, 0x2000, &w), DMA_OK);
            assert_int_equal(w, 0x11223344u);
        } else {
            assert_int_equal(dma_st_le32(&ctx, 0x2000, 1), DMA_ERR_UNMAPPED);
        }
        if (size == 8) {
            uint64_t q = 0;
            assert_int_equal(dma_st_le64(&ctx, 0x2000, 0x0102030405060708ull), DMA_OK);
            assert_int_equal(dma_ld_le64_relaxed(&ctx, 0x2000, &q), DMA_OK);
            assert_true(q == 0x0102030405060708ull);
        } else {
            uint64_t q = 0;
            assert_int_equal(dma_ld_le64(&ctx, 0x2000, &q), DMA_ERR_UNMAPPED);
        }
        assert_int_equal(ram[size], 0);
    }
}

/*
 * The state model, from the documented rules (odma/order.h, publish.h,
 * barrier.h) and the context's compiled policy table. States are the
 * stored "done" bits: a set bit means that (earlier, later) pair is
 * ordered.
 */
enum { RR = 1, RW = 2, WR = 4, WW = 8 };
static unsigned pend(dma_dir d) { return d == DMA_DIR_READ ? (RR | RW) : (WR | WW); }
static unsigned cover(enum dma_barrier b)
{
    return b == DMA_BARRIER_MB ? 0xfu : b == DMA_BARRIER_WMB ? (RW | WW)
                                     : b == DMA_BARRIER_RMB ? (RR | RW) : 0u;
}
/* An ordered access: every pending earlier kind gets the policy's barrier. */
static unsigned model_ordered(const struct dma_policy *p, unsigned s, dma_dir d)
{
    /* The weakest barrier covering every pending pair the table orders. */
    unsigned pending = s ^ 0xfu, req = 0, b;
    unsigned rd = d == DMA_DIR_READ ? RR : RW, wr = d == DMA_DIR_READ ? WR : WW;
    if ((pending & rd) && p->order[DMA_DIR_READ][d] != DMA_BARRIER_NONE)
        req |= rd;
    if ((pending & wr) && p->order[DMA_DIR_WRITE][d] != DMA_BARRIER_NONE)
        req |= wr;
    b = !req                                    ? DMA_BARRIER_NONE
        : !(req & ~cover(DMA_BARRIER_RMB))      ? DMA_BARRIER_RMB
        : !(req & ~cover(DMA_BARRIER_WMB))      ? DMA_BARRIER_WMB
                                                : DMA_BARRIER_MB;
    return (s | cover((enum dma_barrier)b)) & ~pend(d);
}

static void test_state_model(void **state)
{
    static _Alignas(64) unsigned char ram[0x2000];
    const struct dma_policy *pol[4] = { DMA_POLICY_STRICT, DMA_POLICY_PCIE,
                                        DMA_POLICY_PCIE_RELAXED, DMA_POLICY_NONE };
    struct dma_ctx ctx[4];
    unsigned s, i, k;
    uint32_t seed = 12345;
    (void)state;
    for (k = 0; k < 4; k++) {
        dma_ctx_init(&ctx[k], pol[k]);
        assert_int_equal(dma_ctx_add_region(&ctx[k], 0x10000, 0x1000, ram, 0), DMA_OK);
    }
    odma_mb();
    s = 0xf;
    assert_int_equal(odma__thread_done, s);
    for (i = 0; i < 200000; i++) {
        unsigned op, c;
        uint64_t a;
        uint32_t w = 0;
        unsigned char rec[16] = { 0 };
        seed = seed * 1103515245u + 12345u;
        op = (seed >> 8) % 16;
        c = (seed >> 16) % 4;
        /* Mostly inside the region (fast path), sometimes in its last
         * bytes (a 4-byte access there takes the slow path). */
        a = ((seed >> 20) & 7) == 0 ? 0x10000 + 0x1000 - 4 : 0x10000 + ((seed >> 4) & 0xff0);
        switch (op) {
        case 0: case 1: case 2:
            assert_int_equal(dma_ld_le32(&ctx[c], a, &w), DMA_OK);
            s = model_ordered(pol[c], s, DMA_DIR_READ);
            break;
        case 3: case 4: case 5:
            assert_int_equal(dma_st_le32(&ctx[c], a, w), DMA_OK);
            s = model_ordered(pol[c], s, DMA_DIR_WRITE);
            break;
        case 6:
            assert_int_equal(dma_ld_le32_relaxed(&ctx[c], a, &w), DMA_OK);
            s &= ~pend(DMA_DIR_READ);
            break;
        case 7:
            assert_int_equal(dma_st_le32_relaxed(&ctx[c], a, w), DMA_OK);
            s &= ~pend(DMA_DIR_WRITE);
            break;
        case 8:
            assert_int_equal(dma_ld_le32_acquire(&ctx[c], a, &w), DMA_OK);
            s = (s & ~pend(DMA_DIR_READ)) | cover(DMA_BARRIER_RMB);
            break;
        case 9:
            assert_int_equal(dma_st_le32_release(&ctx[c], a, w), DMA_OK);
            s = (s | cover(DMA_BARRIER_WMB)) & ~pend(DMA_DIR_WRITE);
            break;
        case 10:
            assert_int_equal(dma_write_publish(&ctx[c], a & ~15ull, rec, 16, 14, 2), DMA_OK);
            s = model_ordered(pol[c], s, DMA_DIR_WRITE);
            s = (s | cover(DMA_BARRIER_WMB)) & ~pend(DMA_DIR_WRITE);
            break;
        case 11:
            assert_int_equal(dma_read_consume(&ctx[c], a & ~15ull, rec, 16, 14, 2), DMA_OK);
            s = model_ordered(pol[c], s, DMA_DIR_READ);
            s = (s | cover(DMA_BARRIER_RMB)) & ~pend(DMA_DIR_READ);
            break;
        case 12:
            assert_int_equal(dma_read(&ctx[c], a, rec, 16 - (a & 15)), DMA_OK);
            s = model_ordered(pol[c], s, DMA_DIR_READ);
            break;
        case 13:
            if (c == 0)
                odma_mb(), s |= cover(DMA_BARRIER_MB);
            else if (c == 1)
                odma_wmb(), s |= cover(DMA_BARRIER_WMB);
            else
                odma_rmb(), s |= cover(DMA_BARRIER_RMB);
            break;
        case 14:
            dma_notify_barrier(&ctx[c]);
            s |= cover(pol[c]->notify);
            break;
        default:
            assert_int_equal(dma_write(&ctx[c], a, rec, (a & 15) ? 4 : 8), DMA_OK);
            s = model_ordered(pol[c], s, DMA_DIR_WRITE);
            break;
        }
        if (odma__thread_done != s)
            fail_msg("step %u (op %u, policy %s): state 0x%x, rules say 0x%x", i, op,
                     pol[c]->name, odma__thread_done, s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_region_end),
        cmocka_unit_test(test_tiny_regions),
        cmocka_unit_test(test_state_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
