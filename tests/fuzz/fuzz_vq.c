/* SPDX-License-Identifier: MIT */
/*
 * tests/fuzz/fuzz_vq.c - odma/virtio.h's device side against a model of
 * the virtio 1.2 rules (libFuzzer target; tests/fuzz/rules.mk).
 *
 * Each input is decoded into a queue configuration (split or packed,
 * size 1..16 (split: powers of two), event_idx, indirect, ring addresses
 * anywhere around one 8 KiB region of guest memory, partly outside it or
 * misaligned) and then up to 200 operations:
 *   - the driver's side, done straight on guest memory: raw byte writes,
 *     whole descriptors (in the ring/table or in a scratch area used for
 *     indirect tables, with addresses in or out of the region), split
 *     avail ring publishes, the driver's event suppression area;
 *   - the device's side: dma_vq_pop, dma_vq_push / dma_vq_fill /
 *     dma_vq_flush of popped chains (used length in or beyond the chain's
 *     writable bytes), dma_vq_enable_notify, dma_vq_disable_notify,
 *     dma_vq_should_notify.
 * The model below is a separate implementation written from the spec
 * text: it first gathers a chain's descriptors, then judges them; it
 * tracks wrap counters as booleans and decides event suppression by
 * stepping along the ring instead of modular arithmetic. After every
 * operation the return value (pop: 1/0/-1, accept or reject, the chain's
 * id, segments and totals; push: the result; notify calls: the answer),
 * and every byte of guest memory must equal the model's. The region sits
 * between PROT_NONE pages, so a stray host access outside it crashes
 * (and ASan watches the rest).
 *
 * The model does not pin down which rule a doubly-broken chain reports
 * (dma_vq_why); it checks the verdict, and that a memory failure is
 * reported as the accessor's error and a protocol one as DMA_ERR_INVALID
 * when only one kind applies.
 *
 * Reproduce a failure: $(BUILD)/fuzz/fuzz_vq FILE, or the replay build
 * (make fuzz-replay) with FUZZ_VERBOSE=1 to list every pop.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <odma/virtio.h>

#define GPA 0x10000ull
#define SIZE 8192u
#define MAX_OPS 200
#define HELD 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- input ---------------------------------------------------------------- */

struct in {
    const uint8_t *p;
    size_t n;
};

static unsigned u8(struct in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}
static unsigned u16(struct in *in)
{
    return u8(in) | u8(in) << 8;
}
static uint32_t u32(struct in *in)
{
    return (uint32_t)u16(in) | (uint32_t)u16(in) << 16;
}
static uint64_t u64(struct in *in)
{
    return (uint64_t)u32(in) | (uint64_t)u32(in) << 32;
}

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "check failed: %s (line %d): ", #cond, __LINE__);   \
            fprintf(stderr, __VA_ARGS__);                                       \
            fprintf(stderr, "\n");                                              \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* ---- the model ------------------------------------------------------------ */

struct mseg {
    uint64_t addr;
    uint32_t len;
    int writes;
};

struct model {
    uint8_t mem[SIZE];
    struct dma_vq_config cfg;
    int broken;
    int mem_error; /* the break came from an unreadable ring area */
    unsigned last_avail, shadow;  /* split: 16-bit counters */
    unsigned used, fill, pending; /* split: counters; packed: positions */
    unsigned long pend_descs;     /* descriptors of the pending elements */
    int avail_wrap, used_wrap, fill_wrap;
    unsigned head_pos, head_flags;
    unsigned sig;                 /* used at the last should_notify */
    int sig_wrap;
    unsigned long span;
    int notify; /* -1 unknown, 0 disabled, 1 enabled */
};

struct mchain {
    unsigned id, ndesc, nseg;
    uint64_t readable, writable;
    struct mseg seg[80];
};

static int in_mem(uint64_t a, uint64_t n)
{
    return a >= GPA && n <= SIZE && a - GPA <= SIZE - n;
}
static int mrd(const struct model *m, uint64_t a, unsigned n, uint64_t *v)
{
    unsigned i;
    if (!in_mem(a, n))
        return 0;
    *v = 0;
    for (i = 0; i < n; i++)
        *v |= (uint64_t)m->mem[a - GPA + i] << (8 * i);
    return 1;
}
static void mwr(struct model *m, uint64_t a, unsigned n, uint64_t v)
{
    unsigned i;
    if (!in_mem(a, n))
        abort(); /* the model only writes where init checked */
    for (i = 0; i < n; i++)
        m->mem[a - GPA + i] = (uint8_t)(v >> (8 * i));
}

struct rawd {
    uint64_t addr;
    uint32_t len;
    unsigned flags, w12, w14;
};

static int rd_desc(const struct model *m, uint64_t a, struct rawd *d)
{
    uint64_t x, y;
    if (!mrd(m, a, 8, &x) || !mrd(m, a + 8, 8, &y))
        return 0;
    d->addr = x;
    d->len = (uint32_t)y;
    d->w12 = (unsigned)(y >> 32) & 0xffff;
    d->w14 = (unsigned)(y >> 48);
    return 1;
}

/* Judge gathered buffer descriptors: order, totals, count. 1 ok, 0 bad. */
static int judge(struct mchain *c, const struct rawd *list, unsigned n)
{
    unsigned i, first_write = n;
    c->readable = c->writable = 0;
    for (i = 0; i < n; i++) {
        int w = list[i].flags != 0;
        if (w && first_write == n)
            first_write = i;
        if (!w && first_write < i)
            return 0;
        if (w)
            c->writable += list[i].len;
        else
            c->readable += list[i].len;
    }
    if (c->readable > 0xffffffffull || c->writable > 0xffffffffull)
        return 0;
    if (n > ODMA_VQ_MAX_SEGS)
        return 0;
    for (i = 0; i < n; i++) {
        c->seg[i].addr = list[i].addr;
        c->seg[i].len = list[i].len;
        c->seg[i].writes = list[i].flags != 0;
    }
    c->nseg = n;
    return 1;
}

/* Returns 1, 0, -1 like pop; *memfail says a ring read failed. */
static int model_pop_split(struct model *m, struct mchain *c, int *memfail)
{
    unsigned num = m->cfg.num, head, i, size, steps = 0, n = 0;
    uint64_t v, table;
    static struct rawd list[1 << 17];
    int in_table = 0;
    *memfail = 0;
    if (m->last_avail == m->shadow) {
        if (!mrd(m, m->cfg.driver + 2, 2, &v))
            return *memfail = 1, -1;
        if (((unsigned)v - m->last_avail) % 65536u > num)
            return -1;
        m->shadow = (unsigned)v;
        if (m->shadow == m->last_avail)
            return 0;
    }
    if (!mrd(m, m->cfg.driver + 4 + 2 * (m->last_avail % num), 2, &v))
        return *memfail = 1, -1;
    head = (unsigned)v;
    table = m->cfg.desc;
    size = num;
    i = head;
    /* Gather: follow NEXT (and one indirect table) until the end. */
    for (;;) {
        struct rawd d;
        if (i >= size)
            return -1;
        if (++steps > num)
            return -1; /* loop, or longer than num */
        if (!rd_desc(m, table + 16ull * i, &d))
            return *memfail = 1, -1;
        d.flags = d.w12;
        if (d.flags & 4) {
            if (in_table || !m->cfg.indirect || (d.flags & 1) || d.len == 0 || d.len % 16)
                return -1;
            in_table = 1;
            table = d.addr;
            size = d.len / 16;
            i = 0;
            steps--;
            continue;
        }
        list[n] = d;
        list[n].flags = d.flags & 2;
        n++;
        if (!(d.flags & 1))
            break;
        i = d.w14;
    }
    if (!judge(c, list, n))
        return -1;
    c->id = head;
    c->ndesc = 1;
    m->last_avail = (m->last_avail + 1) % 65536u;
    return 1;
}

static int packed_avail(unsigned flags, int wrap)
{
    return !!(flags & 0x80) == wrap && !!(flags & 0x8000) != wrap;
}

static int model_pop_packed(struct model *m, struct mchain *c, int *memfail)
{
    unsigned num = m->cfg.num, pos = m->last_avail, n = 0, ndesc = 0, id = 0;
    int wrap = m->avail_wrap;
    uint64_t v;
    static struct rawd list[1 << 12];
    *memfail = 0;
    if (!mrd(m, m->cfg.desc + 16ull * pos + 14, 2, &v))
        return *memfail = 1, -1;
    if (!packed_avail((unsigned)v, wrap))
        return 0;
    for (;;) {
        struct rawd d;
        if (++ndesc > num)
            return -1;
        if (!rd_desc(m, m->cfg.desc + 16ull * pos, &d))
            return *memfail = 1, -1;
        id = d.w12;
        pos++;
        if (pos == num) {
            pos = 0;
            wrap = !wrap;
        }
        if (d.w14 & 4) {
            unsigned k;
            if (!m->cfg.indirect || (d.w14 & 1) || ndesc > 1 || d.len == 0 || d.len % 16 ||
                d.len / 16 > num)
                return -1;
            for (k = 0; k < d.len / 16; k++) {
                struct rawd t;
                if (n >= ODMA_VQ_MAX_SEGS + 1)
                    return -1; /* too many segments either way */
                if (!rd_desc(m, d.addr + 16ull * k, &t))
                    return *memfail = 1, -1;
                if (t.w14 & 4)
                    return -1;
                t.flags = t.w14 & 2;
                list[n++] = t;
            }
            break;
        }
        if (n >= ODMA_VQ_MAX_SEGS + 1)
            return -1;
        d.flags = d.w14 & 2;
        list[n++] = d;
        if (!(d.w14 & 1))
            break;
    }
    if (!judge(c, list, n))
        return -1;
    c->id = id;
    c->ndesc = ndesc;
    m->last_avail = pos;
    m->avail_wrap = wrap;
    return 1;
}

static int model_fill(struct model *m, const struct mchain *c, uint32_t written)
{
    unsigned num = m->cfg.num;
    if (m->broken)
        return -1;
    if (written > c->writable || m->pending >= num ||
        (m->cfg.packed ? (c->ndesc == 0 || c->ndesc > num) : c->id >= num))
        return 1; /* refused */
    if (!m->cfg.packed) {
        uint64_t e = m->cfg.device + 4 + 8ull * (m->fill % num);
        mwr(m, e, 4, c->id);
        mwr(m, e + 4, 4, written);
        m->fill = (m->fill + 1) % 65536u;
        m->pend_descs++;
    } else {
        uint64_t d = m->cfg.desc + 16ull * m->fill;
        unsigned f = m->fill_wrap ? 0x8080u : 0;
        mwr(m, d + 8, 4, written);
        mwr(m, d + 12, 2, c->id);
        if (m->pending)
            mwr(m, d + 14, 2, f);
        else {
            m->head_pos = m->fill;
            m->head_flags = f;
        }
        m->pend_descs += c->ndesc;
        m->fill += c->ndesc;
        if (m->fill >= num) {
            m->fill -= num;
            m->fill_wrap = !m->fill_wrap;
        }
    }
    m->pending++;
    return 0;
}

static void model_flush(struct model *m)
{
    if (m->broken || !m->pending)
        return;
    if (!m->cfg.packed)
        mwr(m, m->cfg.device + 2, 2, m->fill);
    else
        mwr(m, m->cfg.desc + 16ull * m->head_pos + 14, 2, m->head_flags);
    /* every descriptor of every flushed chain was stepped over once */
    m->span += m->pend_descs;
    m->pend_descs = 0;
    m->used = m->fill;
    m->used_wrap = m->fill_wrap;
    m->pending = 0;
}

/* Is (off, wrap) among the positions stepped from `from` up to, not
 * including, `to`? (At most 2 num steps: then every position was.) */
static int model_passed(const struct model *m, unsigned off, int ewrap, unsigned from,
                        int fwrap, unsigned to, int twrap)
{
    unsigned steps = 0;
    while ((from != to || fwrap != twrap) && steps < 2u * m->cfg.num) {
        if (from == off && fwrap == ewrap)
            return 1;
        if (++from == m->cfg.num) {
            from = 0;
            fwrap = !fwrap;
        }
        steps++;
    }
    return 0;
}

static int model_should_notify(struct model *m)
{
    unsigned old = m->sig, num = m->cfg.num;
    int old_wrap = m->sig_wrap;
    unsigned long span = m->span;
    uint64_t v;
    if (m->broken || !span)
        return 0;
    m->sig = m->used;
    m->sig_wrap = m->used_wrap;
    m->span = 0;
    if (!m->cfg.packed) {
        if (m->cfg.event_idx) {
            unsigned ev, k;
            mrd(m, m->cfg.driver + 4 + 2ull * num, 2, &v);
            ev = (unsigned)v;
            if (span >= 65536)
                return 1;
            /* notify if the driver's used_event is one of old .. used-1 */
            for (k = old; k != m->used; k = (k + 1) % 65536u)
                if (k == ev)
                    return 1;
            return 0;
        }
        mrd(m, m->cfg.driver, 2, &v);
        return !(v & 1);
    }
    mrd(m, m->cfg.driver, 4, &v);
    switch ((v >> 16) & 3) {
    case 1:
        return 0;
    case 2:
        if (!m->cfg.event_idx)
            return 1;
        if (span >= 2ul * num || (v & 0x7fff) >= num)
            return 1;
        return model_passed(m, v & 0x7fff, !!(v & 0x8000), old, old_wrap, m->used, m->used_wrap);
    default:
        return 1;
    }
}

static int model_enable(struct model *m)
{
    uint64_t v;
    if (m->broken)
        return 1;
    if (!m->cfg.packed) {
        if (m->shadow != m->last_avail)
            return 1;
        if (m->cfg.event_idx)
            mwr(m, m->cfg.device + 4 + 8ull * m->cfg.num, 2, m->last_avail);
        else
            mwr(m, m->cfg.device, 2, 0);
        m->notify = 1;
        mrd(m, m->cfg.driver + 2, 2, &v);
        if (((unsigned)v - m->last_avail) % 65536u > m->cfg.num) {
            m->broken = 1;
            return 1;
        }
        m->shadow = (unsigned)v;
        return m->shadow != m->last_avail;
    }
    if (m->cfg.event_idx)
        mwr(m, m->cfg.device, 4, 2u << 16 | m->last_avail | (unsigned)m->avail_wrap << 15);
    else
        mwr(m, m->cfg.device, 4, 0);
    m->notify = 1;
    mrd(m, m->cfg.desc + 16ull * m->last_avail + 14, 2, &v);
    return packed_avail((unsigned)v, m->avail_wrap);
}

static void model_disable(struct model *m)
{
    if (m->broken || m->notify == 0)
        return;
    if (!m->cfg.packed) {
        if (m->cfg.event_idx)
            return;
        mwr(m, m->cfg.device, 2, 1);
    } else {
        mwr(m, m->cfg.device, 4, 1u << 16);
    }
    m->notify = 0;
}

/* The model's init verdict: the documented checks. */
static int model_init_ok(const struct dma_vq_config *c)
{
    uint64_t n = c->num;
    if (n == 0 || n > 32768 || (!c->packed && (n & (n - 1))))
        return 0;
    if (c->desc % 16)
        return 0;
    if (c->packed ? (c->driver % 4 || c->device % 4) : (c->driver % 2 || c->device % 4))
        return 0;
    if (c->packed)
        return in_mem(c->desc, 16 * n) && in_mem(c->driver, 4) && in_mem(c->device, 4);
    return in_mem(c->desc, 16 * n) && in_mem(c->driver, 6 + 2 * n) && in_mem(c->device, 6 + 8 * n);
}

/* ---- the harness ------------------------------------------------------------ */

static unsigned char *guarded(void)
{
    static unsigned char *base;
    long pg = sysconf(_SC_PAGESIZE);
    if (!base) {
        base = (unsigned char *)mmap(NULL, SIZE + 2 * (size_t)pg, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED)
            abort();
        mprotect(base, (size_t)pg, PROT_NONE);
        mprotect(base + pg + SIZE, (size_t)pg, PROT_NONE);
    }
    return base + pg;
}

static uint64_t pick_addr(struct in *in, unsigned align)
{
    unsigned mode = u8(in);
    uint64_t off = u16(in) % (SIZE + 256u);
    uint64_t a = GPA - 128 + off;
    if (mode % 8 == 0)
        return u64(in); /* anywhere */
    if (mode % 8 != 1)
        a &= ~(uint64_t)(align - 1); /* usually aligned */
    return a;
}

static void compare(const struct model *m, const unsigned char *mem, const char *after)
{
    unsigned i;
    if (memcmp(mem, m->mem, SIZE) == 0)
        return;
    for (i = 0; i < SIZE; i++)
        CHECK(mem[i] == m->mem[i], "after %s: guest byte 0x%llx is 0x%02x, model 0x%02x", after,
              (unsigned long long)(GPA + i), mem[i], m->mem[i]);
}

static void compare_chain(const struct dma_vq_chain *c, const struct mchain *mc)
{
    unsigned i;
    CHECK(c->nseg == mc->nseg, "nseg %u, model %u", c->nseg, mc->nseg);
    CHECK(c->id == mc->id, "id %u, model %u", c->id, mc->id);
    CHECK(c->readable == mc->readable && c->writable == mc->writable, "totals");
    CHECK(c->ndesc == mc->ndesc, "ndesc %u, model %u", c->ndesc, mc->ndesc);
    for (i = 0; i < c->nseg; i++)
        CHECK(c->seg[i].addr == mc->seg[i].addr && c->seg[i].len == mc->seg[i].len &&
                  c->seg[i].device_writes == (mc->seg[i].writes != 0),
              "segment %u", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct model m;
    static struct dma_vq vq;
    static struct dma_vq_chain chain, held[HELD];
    static struct mchain mheld[HELD], mc;
    struct in in = { data, size };
    struct dma_ctx ctx;
    unsigned char *mem = guarded();
    unsigned nheld = 0, op, b0 = u8(&in), sel = u8(&in);
    dma_result r;

    memset(&m, 0, sizeof m);
    memset(mem, 0, SIZE);
    dma_ctx_init(&ctx, (b0 & 8) ? DMA_POLICY_PCIE : DMA_POLICY_NONE);
    if (dma_ctx_add_region(&ctx, GPA, SIZE, mem, 0) != DMA_OK)
        abort();
    m.cfg.packed = b0 & 1;
    m.cfg.event_idx = (b0 & 2) != 0;
    m.cfg.indirect = (b0 & 4) != 0;
    m.cfg.num = (uint16_t)(m.cfg.packed ? 1 + sel % 16 : 1u << (sel % 5));
    if (b0 & 0x80)
        m.cfg.num = (uint16_t)u16(&in); /* bad sizes too */
    m.cfg.desc = pick_addr(&in, 16);
    m.cfg.driver = pick_addr(&in, 4);
    m.cfg.device = pick_addr(&in, 4);
    r = dma_vq_init(&vq, &ctx, &m.cfg);
    CHECK((r == DMA_OK) == model_init_ok(&m.cfg), "init %s, model %d", dma_result_str(r),
          model_init_ok(&m.cfg));
    if (r != DMA_OK) {
        CHECK(dma_vq_pop(&vq, &chain) == -1, "pop on a refused queue");
        compare(&m, mem, "a refused init");
        return 0;
    }
    m.avail_wrap = m.used_wrap = m.fill_wrap = m.sig_wrap = 1;
    m.notify = -1;

    for (op = 0; op < MAX_OPS && in.n; op++) {
        unsigned kind = u8(&in) % 12;
        switch (kind) {
        case 0: { /* raw bytes */
            uint64_t off = u16(&in) % SIZE;
            unsigned n = 1 + u8(&in) % 8, i;
            for (i = 0; i < n && off + i < SIZE; i++)
                mem[off + i] = m.mem[off + i] = (uint8_t)u8(&in);
            break;
        }
        case 1:
        case 2: { /* a descriptor in the ring/table, or in the scratch area */
            unsigned idx = u8(&in);
            uint64_t at = kind == 1 ? m.cfg.desc + 16ull * (idx % (m.cfg.num ? m.cfg.num : 1))
                                    : GPA + SIZE - 1024 + 16ull * (idx % 64);
            unsigned char d[16];
            unsigned mode = u8(&in), i;
            uint64_t addr = (mode & 1) ? u64(&in) : GPA + SIZE - 1024 + (u16(&in) % 1100);
            uint32_t len = (mode & 2) ? u32(&in) : 16u * (u8(&in) % 20) + (mode & 4 ? 8 : 0);
            unsigned w12 = u16(&in), w14 = u16(&in);
            if (m.cfg.packed && !(mode & 8)) /* make it available on the current lap */
                w14 = (w14 & ~0x8080u) | (m.avail_wrap ? 0x80u : 0x8000u);
            for (i = 0; i < 8; i++)
                d[i] = (uint8_t)(addr >> (8 * i));
            for (i = 0; i < 4; i++)
                d[8 + i] = (uint8_t)(len >> (8 * i));
            d[12] = (uint8_t)w12;
            d[13] = (uint8_t)(w12 >> 8);
            d[14] = (uint8_t)w14;
            d[15] = (uint8_t)(w14 >> 8);
            for (i = 0; i < 16; i++)
                if (in_mem(at + i, 1))
                    mem[at + i - GPA] = m.mem[at + i - GPA] = d[i];
            break;
        }
        case 3: { /* split publish */
            uint64_t v;
            unsigned head = u8(&in) % 20;
            if (m.cfg.packed || !mrd(&m, m.cfg.driver + 2, 2, &v))
                break;
            mwr(&m, m.cfg.driver + 4 + 2 * ((unsigned)v % m.cfg.num), 2, head);
            mwr(&m, m.cfg.driver + 2, 2, (v + 1 + (u8(&in) == 0xff ? 40 : 0)) & 0xffff);
            memcpy(mem, m.mem, SIZE);
            break;
        }
        case 4: { /* the driver's event area (split: flags and used_event too) */
            uint32_t v = u32(&in);
            if (m.cfg.packed)
                mwr(&m, m.cfg.driver, 4, v);
            else if (u8(&in) & 1)
                mwr(&m, m.cfg.driver, 2, v & 0xffff);
            else
                mwr(&m, m.cfg.driver + 4 + 2ull * m.cfg.num, 2, v & 0xffff);
            memcpy(mem, m.mem, SIZE);
            break;
        }
        case 5:
        case 6: { /* pop */
            int memfail = 0, want, got;
            if (m.broken)
                want = -1;
            else if (m.cfg.packed)
                want = model_pop_packed(&m, &mc, &memfail);
            else
                want = model_pop_split(&m, &mc, &memfail);
            if (want < 0 && !m.broken) {
                m.broken = 1;
                m.mem_error = memfail;
            }
            got = dma_vq_pop(&vq, &chain);
            if (getenv("FUZZ_VERBOSE"))
                fprintf(stderr, "op %u: pop %d (model %d) nseg %u why %s\n", op, got, want,
                        chain.nseg, dma_vq_why_str(dma_vq_why(&vq)));
            CHECK(got == want, "pop %d, model %d (why: %s)", got, want,
                  dma_vq_why_str(dma_vq_why(&vq)));
            if (got == 1) {
                compare_chain(&chain, &mc);
                if (nheld < HELD) {
                    held[nheld] = chain;
                    mheld[nheld] = mc;
                    nheld++;
                }
            } else if (got < 0) {
                CHECK(chain.nseg == 0, "failed pop left segments");
                if (m.mem_error == 0)
                    CHECK(dma_vq_error(&vq) == DMA_ERR_INVALID, "error %s",
                          dma_result_str(dma_vq_error(&vq)));
            }
            compare(&m, mem, "pop");
            break;
        }
        case 7:
        case 8: { /* push or fill (+ flush sometimes) */
            unsigned k, sel2 = u8(&in);
            uint32_t written;
            int mr;
            if (!nheld)
                break;
            k = sel2 % nheld;
            written = (sel2 & 0x80) ? u32(&in) : (uint32_t)(mheld[k].writable * (sel2 & 7) / 7);
            mr = model_fill(&m, &mheld[k], written);
            r = kind == 7 ? dma_vq_push(&vq, &held[k], written)
                          : dma_vq_fill(&vq, &held[k], written);
            if (kind == 7 && mr == 0)
                model_flush(&m);
            CHECK((r == DMA_OK) == (mr == 0), "push/fill %s, model %d", dma_result_str(r), mr);
            if (r == DMA_OK) {
                held[k] = held[nheld - 1];
                mheld[k] = mheld[nheld - 1];
                nheld--;
            }
            compare(&m, mem, "push/fill");
            break;
        }
        case 9:
            model_flush(&m);
            r = dma_vq_flush(&vq);
            CHECK((r == DMA_OK) == !m.broken, "flush %s", dma_result_str(r));
            compare(&m, mem, "flush");
            break;
        case 10: {
            int want = model_enable(&m), got = dma_vq_enable_notify(&vq);
            CHECK(got == want, "enable_notify %d, model %d", got, want);
            compare(&m, mem, "enable_notify");
            if (u8(&in) & 1) {
                model_disable(&m);
                dma_vq_disable_notify(&vq);
                compare(&m, mem, "disable_notify");
            }
            break;
        }
        case 11: {
            int want, got;
            if (getenv("FUZZ_VERBOSE")) {
                uint64_t ev = 0;
                mrd(&m, m.cfg.packed ? m.cfg.driver : m.cfg.driver + 4 + 2ull * m.cfg.num,
                    m.cfg.packed ? 4 : 2, &ev);
                fprintf(stderr, "op %u: should_notify: %s num %u event_idx %d, last %u/%d, "
                        "used %u/%d, span %lu, event area 0x%llx\n", op,
                        m.cfg.packed ? "packed" : "split", m.cfg.num, m.cfg.event_idx, m.sig,
                        m.sig_wrap, m.used, m.used_wrap, m.span, (unsigned long long)ev);
                fprintf(stderr, "  device: span %u used %u/%d pending %u fill %u/%d\n", vq.span, vq.used, vq.used_wrap, vq.pending, vq.fill, vq.fill_wrap);
            }
            want = model_should_notify(&m);
            got = dma_vq_should_notify(&vq);
            CHECK(got == want, "should_notify %d, model %d", got, want);
            compare(&m, mem, "should_notify");
            break;
        }
        }
        CHECK((dma_vq_error(&vq) != DMA_OK) == (m.broken != 0), "broken %d, model %d",
              dma_vq_error(&vq) != DMA_OK, m.broken);
    }
    return 0;
}
