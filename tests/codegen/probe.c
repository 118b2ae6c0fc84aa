/* SPDX-License-Identifier: MIT */
/*
 * tests/codegen/probe.c - one out-of-line function per primitive, compiled
 * by tests/codegen/codegen.sh for each architecture x compiler and
 * disassembled.
 *
 * Built with -DPROBE_RUN it is also a program, which tests/codegen/run.sh
 * runs under qemu-user with an exec log. It calls probe_mark(i) before the
 * i-th probe call and probe_done() after it, and prints one label per
 * mark, so that the log can be cut into calls:
 *   probe-run fences   the barrier probes (mb, wmb, rmb, an _acquire load,
 *                      a _release store, dma_write_publish, the I/O
 *                      barriers) once each, on a RAM region under
 *                      DMA_POLICY_NONE (so no policy barrier runs: what
 *                      runs is the probe's own barrier);
 *   probe-run device   every device-region probe into a DMA_REGION_DEVICE
 *                      and a DMA_REGION_DEVICE|DMA_REGION_PREFETCHABLE
 *                      region (ordinary host memory here: what is checked
 *                      is the code path), checking every value that went
 *                      through.
 */
#include <odma.h>

#define PROBE __attribute__((noinline, used))

/* ---- barriers: each must be exactly one fence instruction (or none) ---- */
PROBE void probe_mb(void) { odma_mb(); }
PROBE void probe_wmb(void) { odma_wmb(); }
PROBE void probe_rmb(void) { odma_rmb(); }

/* The I/O barriers around device-region accesses (user-definable; what the
 * library's default emits is shown in the table, never checked). */
#ifdef ODMA_IO_MB
#define PROBE_HAVE_IO_MB 1
PROBE void probe_io_mb(void) { ODMA_IO_MB(); }
#endif
#ifdef ODMA_IO_WMB
#define PROBE_HAVE_IO_WMB 1
PROBE void probe_io_wmb(void) { ODMA_IO_WMB(); }
#endif
#ifdef ODMA_IO_RMB
#define PROBE_HAVE_IO_RMB 1
PROBE void probe_io_rmb(void) { ODMA_IO_RMB(); }
#endif
/* Tells codegen.sh which of the three the library defines. */
PROBE int probe_io_defined(void)
{
    int m = 0;
#ifdef PROBE_HAVE_IO_MB
    m |= 1;
#endif
#ifdef PROBE_HAVE_IO_WMB
    m |= 2;
#endif
#ifdef PROBE_HAVE_IO_RMB
    m |= 4;
#endif
    return m;
}

/* ---- references and negative controls (not odma code) ---- */
/* What the plain C11 full fence is on each target (x86-64 clang: mfence). */
PROBE void probe_c11_mb(void) { atomic_thread_fence(memory_order_seq_cst); }
/* What the device-path check must catch everywhere: atomic RMWs and a
 * library copy. */
PROBE uint32_t probe_neg_rmw32(volatile _Atomic uint32_t *p)
{
    return atomic_fetch_add_explicit(p, 1, memory_order_relaxed);
}
PROBE uint64_t probe_neg_rmw64(volatile _Atomic uint64_t *p)
{
    return atomic_fetch_add_explicit(p, 1, memory_order_relaxed);
}
PROBE void probe_neg_copy(void *d, const void *s, size_t n) { memcpy(d, s, n); }

/* ---- 32-bit RAM accessors ---- */
PROBE dma_result probe_ld(struct dma_ctx *c, uint64_t a, uint32_t *v)
{
    return dma_ld_le32(c, a, v);
}
PROBE dma_result probe_st(struct dma_ctx *c, uint64_t a, uint32_t v)
{
    return dma_st_le32(c, a, v);
}
PROBE dma_result probe_ld_relaxed(struct dma_ctx *c, uint64_t a, uint32_t *v)
{
    return dma_ld_le32_relaxed(c, a, v);
}
PROBE dma_result probe_st_relaxed(struct dma_ctx *c, uint64_t a, uint32_t v)
{
    return dma_st_le32_relaxed(c, a, v);
}
PROBE dma_result probe_ld_acquire(struct dma_ctx *c, uint64_t a, uint32_t *v)
{
    return dma_ld_le32_acquire(c, a, v);
}
PROBE dma_result probe_st_release(struct dma_ctx *c, uint64_t a, uint32_t v)
{
    return dma_st_le32_release(c, a, v);
}
/* 64-bit single-copy atomicity: what a 32-bit CPU needs for it. */
PROBE dma_result probe_ld64_relaxed(struct dma_ctx *c, uint64_t a, uint64_t *v)
{
    return dma_ld_le64_relaxed(c, a, v);
}
PROBE dma_result probe_st64_relaxed(struct dma_ctx *c, uint64_t a, uint64_t v)
{
    return dma_st_le64_relaxed(c, a, v);
}
/* A 16-byte record whose 4-byte flag comes last: body, wmb, flag. */
PROBE dma_result probe_publish(struct dma_ctx *c, uint64_t a, const void *rec)
{
    return odma_write_publish(c, a, rec, 16, 12, 4);
}

/* ---- device-region paths: every one must end in odma__device_move ---- */
PROBE dma_result probe_dev_read(struct dma_ctx *c, uint64_t a, void *b, size_t n)
{
    return odma_read(c, a, b, n);
}
PROBE dma_result probe_dev_write(struct dma_ctx *c, uint64_t a, const void *b, size_t n)
{
    return odma_write(c, a, b, n);
}
PROBE dma_result probe_dev_set(struct dma_ctx *c, uint64_t a, int byte, size_t n)
{
    return odma_set(c, a, byte, n);
}
PROBE dma_result probe_dev_ld8(struct dma_ctx *c, uint64_t a, uint8_t *v)
{
    return odma_ld_u8(c, a, v);
}
PROBE dma_result probe_dev_ld16(struct dma_ctx *c, uint64_t a, uint16_t *v)
{
    return odma_ld_le16(c, a, v);
}
PROBE dma_result probe_dev_ld32(struct dma_ctx *c, uint64_t a, uint32_t *v)
{
    return odma_ld_le32(c, a, v);
}
PROBE dma_result probe_dev_ld64(struct dma_ctx *c, uint64_t a, uint64_t *v)
{
    return odma_ld_le64(c, a, v);
}
PROBE dma_result probe_dev_st8(struct dma_ctx *c, uint64_t a, uint8_t v)
{
    return odma_st_u8(c, a, v);
}
PROBE dma_result probe_dev_st16(struct dma_ctx *c, uint64_t a, uint16_t v)
{
    return odma_st_le16(c, a, v);
}
PROBE dma_result probe_dev_st32(struct dma_ctx *c, uint64_t a, uint32_t v)
{
    return odma_st_le32(c, a, v);
}
PROBE dma_result probe_dev_st64(struct dma_ctx *c, uint64_t a, uint64_t v)
{
    return odma_st_le64(c, a, v);
}

#ifdef PROBE_RUN
#include <stdio.h>

/*
 * The exec log is cut at probe_mark's entry (a call starts) and at
 * probe_done's (it returned). Both are called through a volatile pointer,
 * so the compiler can move no memory access (and no memset of the buffers
 * below) across them: between the two there is only the probe.
 */
static volatile int probe_mark_sink;
PROBE void probe_mark(int i) { probe_mark_sink = i; }
PROBE void probe_done(void) { probe_mark_sink = -1; }
static void (*volatile mark_fn)(int) = probe_mark;
static void (*volatile done_fn)(void) = probe_done;

/* External linkage: the calls above may read or write them. */
_Alignas(64) unsigned char probe_dev[64];  /* DMA_REGION_DEVICE at 0x1000 */
_Alignas(64) unsigned char probe_pdev[64]; /* ... | PREFETCHABLE at 0x2000 */
unsigned char probe_src[8], probe_dst[8], probe_fill[8];
struct dma_ctx probe_ctx;
static int marks, failed;

/* The call about to be made: its label on stdout, then its mark. */
static void mark(const char *what, const char *region, unsigned off, unsigned n)
{
    printf("%d %s %s off=%u len=%u\n", marks, what, region, off, n);
    fflush(stdout);
    mark_fn(marks++);
}

static void expect(int ok, const char *what, const char *region, unsigned off, unsigned n)
{
    if (!ok) {
        fprintf(stderr, "probe-run: FAIL %s %s off=%u len=%u: wrong result or bytes\n", what,
                region, off, n);
        failed++;
    }
}

static void run_region(const char *name, uint64_t base, unsigned char *host, int pref)
{
    struct dma_ctx *c = &probe_ctx;
    dma_result r;
    /* dma_write/dma_read/dma_set, lengths 1..8, aligned and not. */
    for (unsigned off = 0; off < 2; off++) {
        for (unsigned n = 1; n <= 8; n++) {
            uint64_t a = base + 8 + off;
            for (unsigned i = 0; i < 8; i++)
                probe_src[i] = (unsigned char)(0x11 * (i + 1) + n + off);
            memset(host, 0, 64);
            memset(probe_dst, 0, sizeof probe_dst);
            memset(probe_fill, 0x5a, sizeof probe_fill);
            mark("write", name, off, n);
            r = probe_dev_write(c, a, probe_src, n);
            done_fn();
            expect(r == DMA_OK && !memcmp(host + 8 + off, probe_src, n) && !host[8 + off + n],
                   "write", name, off, n);
            mark("read", name, off, n);
            r = probe_dev_read(c, a, probe_dst, n);
            done_fn();
            expect(r == DMA_OK && !memcmp(probe_dst, probe_src, n), "read", name, off, n);
            mark("set", name, off, n);
            r = probe_dev_set(c, a, 0x5a, n);
            done_fn();
            expect(r == DMA_OK && !memcmp(host + 8 + off, probe_fill, n) && !host[8 + off + n],
                   "set", name, off, n);
        }
    }
    /* ld/st of every width, naturally aligned (8 bytes: prefetchable only;
     * a plain device region takes at most 4 bytes at a time). */
    {
        uint8_t v8 = 0;
        uint16_t v16 = 0;
        uint32_t v32 = 0;
        uint64_t v64 = 0;
        dma_result s;
        mark("st", name, 0, 1);
        r = probe_dev_st8(c, base + 16, 0xa5);
        done_fn();
        mark("ld", name, 0, 1);
        s = probe_dev_ld8(c, base + 16, &v8);
        done_fn();
        expect(r == DMA_OK && s == DMA_OK && v8 == 0xa5 && host[16] == 0xa5, "st/ld", name, 0, 1);
        mark("st", name, 0, 2);
        r = probe_dev_st16(c, base + 16, 0xbeef);
        done_fn();
        mark("ld", name, 0, 2);
        s = probe_dev_ld16(c, base + 16, &v16);
        done_fn();
        expect(r == DMA_OK && s == DMA_OK && v16 == 0xbeef && host[16] == 0xef, "st/ld", name, 0,
               2);
        mark("st", name, 0, 4);
        r = probe_dev_st32(c, base + 16, 0x01234567u);
        done_fn();
        mark("ld", name, 0, 4);
        s = probe_dev_ld32(c, base + 16, &v32);
        done_fn();
        expect(r == DMA_OK && s == DMA_OK && v32 == 0x01234567u && host[16] == 0x67, "st/ld",
               name, 0, 4);
        if (pref) {
            mark("st", name, 0, 8);
            r = probe_dev_st64(c, base + 16, 0x0123456789abcdefull);
            done_fn();
            mark("ld", name, 0, 8);
            s = probe_dev_ld64(c, base + 16, &v64);
            done_fn();
            expect(r == DMA_OK && s == DMA_OK && v64 == 0x0123456789abcdefull &&
                       host[16] == 0xef && host[23] == 0x01,
                   "st/ld", name, 0, 8);
        }
    }
}

/* Each barrier probe once, from a warm state (region hints set). */
static int run_fences(void)
{
    static _Alignas(64) unsigned char ram[256];
    static struct dma_ctx rc;
    static const uint32_t rec[4] = {1, 2, 3, 4};
    static _Alignas(64) unsigned char dev[64];
    uint32_t v = 0;
    uint8_t b = 0;
    int ok;
    dma_result r;
    dma_ctx_init(&rc, DMA_POLICY_NONE);
    if (dma_ctx_add_region(&rc, 0x4000, sizeof ram, ram, 0) != DMA_OK ||
        dma_ctx_add_region(&rc, 0x8000, sizeof dev, dev, DMA_REGION_DEVICE) != DMA_OK ||
        dma_ld_le32_relaxed(&rc, 0x4000, &v) != DMA_OK ||
        dma_st_le32_relaxed(&rc, 0x4040, 0) != DMA_OK) {
        fprintf(stderr, "probe-run: cannot set up the RAM region\n");
        return 2;
    }
    mark("mb", "-", 0, 0);
    probe_mb();
    done_fn();
    mark("wmb", "-", 0, 0);
    probe_wmb();
    done_fn();
    mark("rmb", "-", 0, 0);
    probe_rmb();
    done_fn();
    mark("c11_mb", "-", 0, 0);
    probe_c11_mb();
    done_fn();
    mark("acquire", "-", 0, 4);
    r = probe_ld_acquire(&rc, 0x4000, &v);
    done_fn();
    expect(r == DMA_OK, "acquire", "ram", 0, 4);
    mark("release", "-", 0, 4);
    r = probe_st_release(&rc, 0x4040, 7);
    done_fn();
    expect(r == DMA_OK && ram[0x40] == 7, "release", "ram", 0, 4);
    mark("publish", "-", 0, 16);
    r = probe_publish(&rc, 0x4080, rec);
    done_fn();
    expect(r == DMA_OK && !memcmp(ram + 0x80, rec, 16), "publish", "ram", 0, 16);
    /* The same barriers after a device access: their I/O form. */
    ok = dma_st_u8_relaxed(&rc, 0x8000, 1) == DMA_OK;
    mark("dev_mb", "-", 0, 0);
    probe_mb();
    done_fn();
    ok = ok && dma_st_u8_relaxed(&rc, 0x8000, 1) == DMA_OK;
    mark("dev_wmb", "-", 0, 0);
    probe_wmb();
    done_fn();
    ok = ok && dma_ld_u8_relaxed(&rc, 0x8000, &b) == DMA_OK;
    mark("dev_rmb", "-", 0, 0);
    probe_rmb();
    done_fn();
    expect(ok && b == 1 && dev[0] == 1, "device set-up", "device", 0, 1);
#ifdef PROBE_HAVE_IO_MB
    mark("io_mb", "-", 0, 0);
    probe_io_mb();
    done_fn();
#endif
#ifdef PROBE_HAVE_IO_WMB
    mark("io_wmb", "-", 0, 0);
    probe_io_wmb();
    done_fn();
#endif
#ifdef PROBE_HAVE_IO_RMB
    mark("io_rmb", "-", 0, 0);
    probe_io_rmb();
    done_fn();
#endif
    printf("probe-run: %d calls, %d failed\n", marks, failed);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "fences"))
        return run_fences();
    if (argc > 1 && strcmp(argv[1], "device")) {
        fprintf(stderr, "usage: probe-run [fences|device]\n");
        return 2;
    }
    dma_ctx_init(&probe_ctx, DMA_POLICY_STRICT);
    if (dma_ctx_add_region(&probe_ctx, 0x1000, sizeof probe_dev, probe_dev,
                           DMA_REGION_DEVICE) != DMA_OK ||
        dma_ctx_add_region(&probe_ctx, 0x2000, sizeof probe_pdev, probe_pdev,
                           DMA_REGION_DEVICE | DMA_REGION_PREFETCHABLE) != DMA_OK) {
        fprintf(stderr, "probe-run: cannot add the device regions\n");
        return 2;
    }
    run_region("device", 0x1000, probe_dev, 0);
    run_region("prefetchable", 0x2000, probe_pdev, 1);
    printf("probe-run: %d calls, %d failed\n", marks, failed);
    return failed ? 1 : 0;
}
#endif
