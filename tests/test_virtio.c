/* SPDX-License-Identifier: MIT */
/*
 * odma/virtio.h against a driver written from the virtio spec
 * (tests/virtio_driver.h), on two threads.
 *
 * stress_*: the driver adds chains of 1..16 segments (random split into
 * device-readable then device-writable ones, random lengths 0..96 bytes,
 * some through indirect tables) filled with a pattern of (sequence number,
 * byte offset); the device pops them, checks every readable byte through
 * odma, writes a pattern into a prefix of the writable bytes (a length
 * chosen from the sequence number), and completes them out of order:
 * it holds up to 8 chains and pushes them shuffled, some one by one, some
 * as a batch (dma_vq_fill + one dma_vq_flush). The driver checks every
 * used length, every written byte and that the bytes after it were not
 * touched, and that every chain comes back exactly once. Both layouts,
 * policies STRICT and PCIE, event_idx and flags modes: 4 x 262144 chains
 * (1,048,576). Under ASan/UBSan a quarter of that; under qemu-user (make
 * cross-test sets ODMA_LITMUS_ITER) scaled down in the same proportion as
 * the litmus suite.
 *
 * lost_wakeup_*: tests/virtio_wakeup.h, both threads sleeping for real
 * (device on kicks, driver on interrupts), both layouts, event_idx and
 * flags: no wake-up lost in either direction, every chain completes.
 * race_*: the same suppression decisions lined up round by round
 * (wk_race_run): none lost with the real barriers; with the driver's
 * seq_cst fences removed (vdrv.test_no_mb) a loss within the budget on
 * this machine - the test's power (wk_power_sweep). The device's barriers
 * are removed in tests/test_virtio_nomb.c.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include "threads.h"
#define ODMA_TESTING_IMPLEMENTATION
#include "fixture.h"
#include "virtio_wakeup.h"


#define MEM_GPA 0x100000ull
#define MEM_SIZE (2u << 20)
#define MAXSEG 16u
#define MAXLEN 96u
#define AREA_PER_ID 8192u
#define HOLD 8

static unsigned long chains_per_config(void)
{
    unsigned long n = 262144ul;
    const char *s = getenv("ODMA_LITMUS_ITER"); /* make cross-test: qemu-user */
    if (s && strtoul(s, NULL, 10) && strtoul(s, NULL, 10) < 1000000ul)
        n = n * strtoul(s, NULL, 10) / 1000000ul;
    if (UNDER_SANITIZER)
        n /= 4;
    return n ? n : 1;
}

static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static inline uint8_t rd_byte(uint64_t seq, uint32_t k)
{
    return (uint8_t)((seq * 131u) ^ (k * 7u) ^ (k >> 8) ^ 0x5a);
}
static inline uint8_t wr_byte(uint64_t seq, uint32_t k)
{
    return (uint8_t)((seq * 29u) + k * 13u + 0xc3);
}
#define CANARY 0xee

/* How much the device writes into a chain of `writable` bytes. */
static inline uint32_t written_for(uint64_t seq, uint32_t writable)
{
    uint32_t cut = (uint32_t)(seq % 5u) * 37u;
    return cut >= writable ? (seq & 1 ? writable : 0) : writable - cut;
}

struct shadow { /* the driver's copy of an in-flight chain */
    uint64_t seq;
    unsigned n;
    uint32_t writable;
    struct vdrv_buf b[MAXSEG];
};

struct stress {
    struct dma_ctx ctx;
    unsigned char *mem;
    struct dma_vq_config cfg;
    struct vdrv drv;
    struct dma_vq vq;
    unsigned long chains;
    uint64_t area;      /* per-id buffer areas */
    uint64_t tables;    /* per-id indirect tables */
    struct shadow *sh;  /* per id */
    atomic_int stop;
    /* results */
    unsigned long dev_popped, dev_batches, dev_bad_bytes, dev_bad_seq, dev_fail;
    unsigned long drv_done, drv_bad_len, drv_bad_bytes, drv_bad_cookie, drv_indirect;
    char why[160];
};

static void *stress_device(void *p)
{
    struct stress *s = (struct stress *)p;
    struct dma_vq_chain *held = (struct dma_vq_chain *)malloc(HOLD * sizeof *held);
    uint64_t seqs[HOLD];
    unsigned nheld = 0, want = 1;
    uint64_t rng = 0x9e3779b97f4a7c15ull ^ s->chains;
    unsigned char buf[MAXLEN];
    if (!held)
        return NULL;
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        int n = nheld < want ? dma_vq_pop(&s->vq, &held[nheld]) : 0;
        if (n < 0) {
            snprintf(s->why, sizeof s->why, "pop: %s",
                     dma_vq_why_str(dma_vq_why(&s->vq)));
            s->dev_fail++;
            break;
        }
        if (n > 0) {
            struct dma_vq_chain *c = &held[nheld];
            uint64_t seq = s->dev_popped++;
            uint32_t k = 0, w, left;
            unsigned i;
            /* Every readable byte, through odma. */
            for (i = 0; i < c->nseg && !c->seg[i].device_writes; i++) {
                uint32_t j;
                if (dma_read(&s->ctx, c->seg[i].addr, buf, c->seg[i].len) != DMA_OK) {
                    s->dev_bad_bytes++;
                    continue;
                }
                for (j = 0; j < c->seg[i].len; j++, k++)
                    if (buf[j] != rd_byte(seq, k))
                        s->dev_bad_bytes++;
            }
            if (k != c->readable)
                s->dev_bad_seq++;
            /* The writable prefix. */
            w = written_for(seq, c->writable);
            left = w;
            k = 0;
            for (; i < c->nseg && left; i++) {
                uint32_t j, m = c->seg[i].len < left ? c->seg[i].len : left;
                for (j = 0; j < m; j++)
                    buf[j] = wr_byte(seq, k + j);
                if (dma_write(&s->ctx, c->seg[i].addr, buf, m) != DMA_OK)
                    s->dev_bad_bytes++;
                k += m;
                left -= m;
            }
            seqs[nheld++] = w;
            continue;
        }
        if (nheld == 0) {
            if (s->dev_popped == s->chains)
                break;
            want = 1 + (unsigned)(rng_next(&rng) % HOLD);
            sched_yield();
            continue;
        }
        /* Complete what we hold, shuffled; sometimes as one batch. */
        {
            bool batch = rng_next(&rng) & 1;
            while (nheld) {
                unsigned j = (unsigned)(rng_next(&rng) % nheld);
                dma_result r = batch ? dma_vq_fill(&s->vq, &held[j], (uint32_t)seqs[j])
                                     : dma_vq_push(&s->vq, &held[j], (uint32_t)seqs[j]);
                if (r != DMA_OK) {
                    snprintf(s->why, sizeof s->why, "push/fill: %s", dma_result_str(r));
                    s->dev_fail++;
                    atomic_store(&s->stop, 1);
                    break;
                }
                nheld--;
                if (j != nheld) {
                    memcpy(&held[j], &held[nheld], sizeof held[j]);
                    seqs[j] = seqs[nheld];
                }
            }
            if (batch) {
                dma_vq_flush(&s->vq);
                s->dev_batches++;
            }
            want = 1 + (unsigned)(rng_next(&rng) % HOLD);
        }
    }
    free(held);
    return NULL;
}

static void check_used(struct stress *s, uint64_t cookie, uint32_t len, uint16_t *inflight_ids)
{
    /* The cookie is the id; the shadow says which chain it carried. */
    struct shadow *sh;
    uint32_t w, k = 0;
    unsigned i;
    if (cookie >= s->cfg.num || !inflight_ids[cookie]) {
        s->drv_bad_cookie++;
        return;
    }
    inflight_ids[cookie] = 0;
    sh = &s->sh[cookie];
    w = written_for(sh->seq, sh->writable);
    if (len != w)
        s->drv_bad_len++;
    for (i = 0; i < sh->n; i++) {
        unsigned char *h;
        uint32_t j;
        if (!sh->b[i].device_writes)
            continue;
        h = vdrv_host(&s->drv, sh->b[i].addr);
        for (j = 0; j < sh->b[i].len; j++, k++)
            if (h[j] != (k < w ? wr_byte(sh->seq, k) : CANARY))
                s->drv_bad_bytes++;
    }
    s->drv_done++;
}

static void *stress_driver(void *p)
{
    struct stress *s = (struct stress *)p;
    struct vdrv *d = &s->drv;
    uint64_t rng = 0x2545f4914f6cdd1dull ^ s->chains ^ ((uint64_t)s->cfg.packed << 40);
    uint16_t *inflight = (uint16_t *)calloc(s->cfg.num, sizeof *inflight);
    unsigned long submitted = 0;
    unsigned idle = 0;
    if (!inflight)
        return NULL;
    while (s->drv_done < s->chains && !atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        uint64_t cookie;
        uint32_t len;
        int g;
        bool progress = false;
        while (submitted < s->chains) {
            uint16_t id = vdrv_next_id(d);
            struct shadow *sh = &s->sh[id];
            unsigned n = 1 + (unsigned)(rng_next(&rng) % MAXSEG);
            unsigned nread = (unsigned)(rng_next(&rng) % (n + 1));
            bool ind = s->cfg.indirect && (rng_next(&rng) % 3 == 0);
            uint64_t a = s->area + (uint64_t)id * AREA_PER_ID;
            uint32_t k = 0;
            unsigned i;
            if (d->num_free < (ind ? 1 : n))
                break;
            sh->seq = submitted;
            sh->n = n;
            sh->writable = 0;
            for (i = 0; i < n; i++) {
                uint32_t len_i = (uint32_t)(rng_next(&rng) % (MAXLEN + 1));
                unsigned char *h = vdrv_host(d, a);
                uint32_t j;
                sh->b[i].addr = a;
                sh->b[i].len = len_i;
                sh->b[i].device_writes = i >= nread;
                if (i < nread)
                    for (j = 0; j < len_i; j++, k++)
                        h[j] = rd_byte(submitted, k);
                else {
                    memset(h, CANARY, len_i);
                    sh->writable += len_i;
                }
                a += len_i + (rng_next(&rng) % 8);
            }
            if (vdrv_add(d, sh->b, n, id, ind) < 0)
                break;
            inflight[id] = 1;
            s->drv_indirect += ind && n > 1;
            submitted++;
            progress = true;
        }
        (void)vdrv_kick_prepare(d); /* polled device: exercise the read only */
        while ((g = vdrv_get_used(d, &cookie, &len)) > 0) {
            check_used(s, cookie, len, inflight);
            progress = true;
        }
        if (g < 0) {
            s->drv_bad_cookie++;
            break;
        }
        if (!progress && ++idle % 16 == 0)
            sched_yield();
    }
    atomic_store(&s->stop, 1);
    free(inflight);
    return NULL;
}

static void stress_run(const struct dma_policy *policy, bool packed, bool event_idx,
                       bool indirect, uint16_t num)
{
    struct stress *s = (struct stress *)calloc(1, sizeof *s);
    pthread_t th[2];
    uint64_t end;
    double t0;
    assert_non_null(s);
    s->mem = (unsigned char *)aligned_alloc(4096, MEM_SIZE);
    s->sh = (struct shadow *)calloc(num, sizeof *s->sh);
    assert_non_null(s->mem);
    assert_non_null(s->sh);
    memset(s->mem, 0, MEM_SIZE);
    dma_ctx_init(&s->ctx, policy);
    assert_int_equal(dma_ctx_add_region(&s->ctx, MEM_GPA, MEM_SIZE, s->mem, 0), DMA_OK);
    end = vdrv_layout(&s->cfg, num, packed, MEM_GPA);
    s->cfg.event_idx = event_idx;
    s->cfg.indirect = indirect;
    s->tables = end;
    s->area = (end + (uint64_t)num * VDRV_TABLE_BYTES + 4095) & ~4095ull;
    assert_true(s->area + (uint64_t)num * AREA_PER_ID <= MEM_GPA + MEM_SIZE);
    assert_int_equal(vdrv_init(&s->drv, &s->cfg, s->mem, MEM_GPA, MEM_SIZE, s->tables), 0);
    assert_int_equal(dma_vq_init(&s->vq, &s->ctx, &s->cfg), DMA_OK);
    s->chains = chains_per_config();
    atomic_init(&s->stop, 0);
    t0 = now_seconds();
    assert_int_equal(pthread_create(&th[0], NULL, stress_device, s), 0);
    assert_int_equal(pthread_create(&th[1], NULL, stress_driver, s), 0);
    assert_int_equal(pthread_join(th[0], NULL), 0);
    assert_int_equal(pthread_join(th[1], NULL), 0);
    print_message("  %s %-6s %s%s num %u: %lu chains (%lu indirect, %lu batches) in %.2f s\n",
                  packed ? "packed" : "split ", policy->name, event_idx ? "event_idx" : "flags",
                  indirect ? "+indirect" : "", num, s->drv_done, s->drv_indirect,
                  s->dev_batches, now_seconds() - t0);
    if (s->dev_fail)
        fail_msg("device: %s", s->why);
    assert_int_equal(s->dev_bad_bytes, 0);
    assert_int_equal(s->dev_bad_seq, 0);
    assert_int_equal(s->drv_bad_cookie, 0);
    assert_int_equal(s->drv_bad_len, 0);
    assert_int_equal(s->drv_bad_bytes, 0);
    assert_int_equal(s->drv_done, s->chains);
    assert_int_equal(s->dev_popped, s->chains);
    assert_int_equal(dma_vq_error(&s->vq), DMA_OK);
    vdrv_destroy(&s->drv);
    free(s->sh);
    free(s->mem);
    free(s);
}

static void stress_split_strict(void **state)
{
    (void)state;
    stress_run(DMA_POLICY_STRICT, false, true, true, 64);
}
static void stress_split_pcie(void **state)
{
    (void)state;
    stress_run(DMA_POLICY_PCIE, false, false, true, 32);
}
static void stress_packed_strict(void **state)
{
    (void)state;
    stress_run(DMA_POLICY_STRICT, true, true, true, 50);
}
static void stress_packed_pcie(void **state)
{
    (void)state;
    stress_run(DMA_POLICY_PCIE, true, false, false, 61);
}

/* ---- lost wake-ups ------------------------------------------------------- */

struct wk_mem {
    struct dma_ctx ctx;
    unsigned char *mem;
};

static struct wk_mem *wk_mem_new(const struct dma_policy *policy)
{
    struct wk_mem *m = (struct wk_mem *)calloc(1, sizeof *m);
    assert_non_null(m);
    m->mem = (unsigned char *)aligned_alloc(4096, 1u << 16);
    assert_non_null(m->mem);
    memset(m->mem, 0, 1u << 16);
    dma_ctx_init(&m->ctx, policy);
    assert_int_equal(dma_ctx_add_region(&m->ctx, 0x10000, 1u << 16, m->mem, 0), DMA_OK);
    return m;
}

static void wk_mem_free(struct wk_mem *m)
{
    free(m->mem);
    free(m);
}

#define WK_CHAINS (UNDER_SANITIZER ? 10000ul : 30000ul)

static void wakeup_correct(bool packed, bool event_idx)
{
    struct wk_mem *m = wk_mem_new(DMA_POLICY_NONE); /* the barrier is virtio.h's own */
    struct wk_run *r = (struct wk_run *)malloc(sizeof *r);
    double t0 = now_seconds();
    assert_non_null(r);
    wk_run_once(r, &m->ctx, m->mem, 0x10000, 1u << 16, 8, packed, event_idx, false,
                WK_CHAINS, false, 60.0);
    print_message("  %s %-9s: %lu chains in %.2f s, device slept %lu, driver slept %lu, "
                  "kicks %lu, interrupts %lu, lost kicks %lu, lost interrupts %lu\n",
                  packed ? "packed" : "split ", event_idx ? "event_idx" : "flags",
                  r->completed, now_seconds() - t0, r->dev_sleeps, r->drv_sleeps, r->kicks,
                  r->irqs, (unsigned long)atomic_load(&r->lost_kicks),
                  (unsigned long)atomic_load(&r->lost_irqs));
    if (r->dev_fail || r->drv_fail)
        fail_msg("device: %s, driver: %s", wk_fail_str(r->dev_fail), wk_fail_str(r->drv_fail));
    assert_int_equal(atomic_load(&r->lost_kicks), 0);
    assert_int_equal(atomic_load(&r->lost_irqs), 0);
    assert_int_equal(r->completed, WK_CHAINS);
    /* Both sides really slept, or the test showed nothing. */
    assert_true(r->dev_sleeps > 0);
    assert_true(r->drv_sleeps > 0);
    free(r);
    wk_mem_free(m);
}

static void lost_wakeup_split_event_idx(void **state)
{
    (void)state;
    wakeup_correct(false, true);
}
static void lost_wakeup_split_flags(void **state)
{
    (void)state;
    wakeup_correct(false, false);
}
static void lost_wakeup_packed_event_idx(void **state)
{
    (void)state;
    wakeup_correct(true, true);
}
static void lost_wakeup_packed_flags(void **state)
{
    (void)state;
    wakeup_correct(true, false);
}

/* The same decisions lined up (tests/virtio_wakeup.h, wk_race_run). */
#define RACE_ROUNDS (UNDER_SANITIZER ? 50000ul : 200000ul)
#define RACE_SECONDS 1.0  /* each of the four correct runs */

static void race(bool packed, bool event_idx, struct wk_race *w)
{
    struct wk_mem *m = wk_mem_new(DMA_POLICY_NONE);
    double t0 = now_seconds();
    wk_race_run(w, &m->ctx, m->mem, 0x10000, 1u << 16, packed, event_idx, false, RACE_ROUNDS,
                RACE_SECONDS, false);
    print_message("  %s %-9s real barriers: %lu rounds in %.2f s, lost kicks %lu, lost "
                  "interrupts %lu (kicks %lu, interrupts %lu)\n",
                  packed ? "packed" : "split ", event_idx ? "event_idx" : "flags", w->done,
                  now_seconds() - t0, (unsigned long)atomic_load(&w->lost_kicks),
                  (unsigned long)atomic_load(&w->lost_irqs), w->kicks, w->irqs);
    wk_mem_free(m);
    if (w->fail)
        fail_msg("round failed (%d: 1 pop, 2 push, 3 add, 4 reap)", w->fail);
}

static void race_correct(void **state)
{
    struct wk_race *w = (struct wk_race *)malloc(sizeof *w);
    unsigned k;
    (void)state;
    assert_non_null(w);
    for (k = 0; k < 4; k++) {
        race(k & 1, k & 2, w);
        assert_int_equal(atomic_load(&w->lost_kicks), 0);
        assert_int_equal(atomic_load(&w->lost_irqs), 0);
        assert_true(w->done > 0);
    }
    free(w);
}

/* The test's power, driver side: vdrv.test_no_mb drops the driver's
 * seq_cst fences; store buffering on this x86 machine then loses a
 * wake-up within the budget, in every layout and mode (wk_power_judge
 * names one that this run did not line up). */
static void race_power_driver(void **state)
{
    struct wk_power p;
    (void)state;
    if (usable_cpus() < 2) {
        print_message("  one CPU: the two threads never run at once, so store buffering "
                      "(and a lost wake-up) cannot be observed on this machine\n");
        skip();
    }
    wk_power_sweep(&p, DMA_POLICY_NONE, true, WK_POWER_BUDGET);
    wk_power_judge(&p, "driver WITHOUT its full barrier", WK_POWER_BUDGET);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stress_split_strict),
        cmocka_unit_test(stress_split_pcie),
        cmocka_unit_test(stress_packed_strict),
        cmocka_unit_test(stress_packed_pcie),
        cmocka_unit_test(lost_wakeup_split_event_idx),
        cmocka_unit_test(lost_wakeup_split_flags),
        cmocka_unit_test(lost_wakeup_packed_event_idx),
        cmocka_unit_test(lost_wakeup_packed_flags),
        cmocka_unit_test(race_correct),
        cmocka_unit_test(race_power_driver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
