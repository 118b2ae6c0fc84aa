/* SPDX-License-Identifier: MIT */
/*
 * tests/virtio_wakeup.h - the lost-wake-up harness, shared by
 * tests/test_virtio.c (the real barriers, and the driver's removed) and
 * tests/test_virtio_nomb.c (the device's removed, by the test-only build
 * switch ODMA_VQ_TEST_NO_SUPPRESSION_MB).
 *
 * Two threads, both sleeping when idle, as a real device and driver do:
 *   device: pop + push until pop says 0; interrupt when
 *           dma_vq_should_notify says so; then dma_vq_enable_notify: if it
 *           says something arrived, disable and go on, else sleep until a
 *           kick (bounded wait).
 *   driver: add buffers while there is room, kick when vring_need_event
 *           (or the flags) say so (vdrv_kick_prepare); reap used buffers;
 *           with nothing to do, vdrv_enable_cb: if used buffers arrived,
 *           go on, else sleep until an interrupt (bounded wait).
 * A kick and an interrupt are a counter under a mutex with a condition
 * variable (an eventfd's semantics).
 *
 * A lost wake-up is detected exactly, not guessed from a timeout: when a
 * side's wait times out, it counts a loss if (1) the other side is asleep
 * too, (2) work for this side is pending in the ring (read with seq_cst
 * loads straight from memory, not through the code under test) and (3) no
 * signal came since it went to sleep. Each side raises its signal before
 * it sleeps, so a sleeping peer has no signal in flight: (1)-(3) mean the
 * notification was suppressed when it was needed, the deadlock that a
 * missing full barrier on either side allows (store buffering). After a
 * loss the side polls again, so the run continues and finishes.
 */
#ifndef ODMA_TEST_VIRTIO_WAKEUP_H
#define ODMA_TEST_VIRTIO_WAKEUP_H

#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <stdatomic.h>
#include <time.h>

#include "virtio_driver.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

/*
 * Builds whose timing may hide the race: sanitizers (their checks sit
 * between each side's store and load) and make cross-test's runs under
 * qemu-user (it sets ODMA_LITMUS_ITER; the guest code is translated, and
 * the translation decides which host fences stand where). There a power
 * run that sees no loss says so and skips; the plain x86 build must lose
 * one.
 */
static inline bool wk_power_may_hide(void)
{
    return UNDER_SANITIZER || getenv("ODMA_LITMUS_ITER") != NULL;
}
#define WK_SANITIZER_NOTE                                                      \
    "instrumented or emulated build (sanitizer, or qemu-user): no lost "       \
    "wake-up within the bound; its timing between each side's store and load " \
    "hides the race, so this build cannot show the test's power (the plain "  \
    "build does)\n"

struct wk_signal {
    pthread_mutex_t m;
    pthread_cond_t c;
    unsigned long n;
};

static inline void wk_signal_init(struct wk_signal *s)
{
    pthread_condattr_t a;
    pthread_mutex_init(&s->m, NULL);
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&s->c, &a);
    pthread_condattr_destroy(&a);
    s->n = 0;
}

static inline void wk_signal_destroy(struct wk_signal *s)
{
    pthread_cond_destroy(&s->c);
    pthread_mutex_destroy(&s->m);
}

static inline unsigned long wk_count(struct wk_signal *s)
{
    unsigned long n;
    pthread_mutex_lock(&s->m);
    n = s->n;
    pthread_mutex_unlock(&s->m);
    return n;
}

static inline void wk_raise(struct wk_signal *s)
{
    pthread_mutex_lock(&s->m);
    s->n++;
    pthread_cond_broadcast(&s->c);
    pthread_mutex_unlock(&s->m);
}

/* Wait until the count differs from `seen` or `ms` pass; true if it did. */
static inline bool wk_wait(struct wk_signal *s, unsigned long seen, unsigned ms)
{
    struct timespec t;
    bool got;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_nsec += (long)(ms % 1000u) * 1000000l;
    t.tv_sec += ms / 1000u + t.tv_nsec / 1000000000l;
    t.tv_nsec %= 1000000000l;
    pthread_mutex_lock(&s->m);
    while (s->n == seen)
        if (pthread_cond_timedwait(&s->c, &s->m, &t) == ETIMEDOUT)
            break;
    got = s->n != seen;
    pthread_mutex_unlock(&s->m);
    return got;
}

struct wk_run {
    struct dma_ctx *ctx;
    struct dma_vq vq;
    struct vdrv drv;
    unsigned long chains;      /* to complete (0: until stop_at_loss or deadline) */
    bool stop_at_loss;         /* power runs: stop at the first loss */
    double deadline;           /* now_seconds() bound */
    uint64_t buf_area;         /* one 64-byte buffer per id */
    struct wk_signal kick, irq;
    atomic_int dev_asleep, drv_asleep, stop;
    atomic_ulong lost_kicks, lost_irqs;
    unsigned long completed, kicks, irqs, dev_sleeps, drv_sleeps;
    int dev_fail, drv_fail;    /* nonzero: what went wrong (see wk_fail_str) */
};

static inline const char *wk_fail_str(int f)
{
    switch (f) {
    case 0: return "none";
    case 1: return "dma_vq_pop returned -1";
    case 2: return "dma_vq_push failed";
    case 3: return "driver: bad used element";
    case 4: return "driver: wrong used length";
    }
    return "?";
}

/* Work for the device in the ring, read straight from memory (seq_cst). */
static inline bool wk_avail_pending(struct wk_run *r)
{
    const struct vdrv *d = &r->drv;
    if (!d->cfg.packed)
        return vdrv_load16(d, d->cfg.driver + 2, memory_order_seq_cst) != r->vq.last_avail;
    {
        uint16_t f = vdrv_load16(d, d->cfg.desc + 16u * r->vq.last_avail + 14,
                                 memory_order_seq_cst);
        return ((f & DMA_VQ_DESC_F_AVAIL) != 0) == r->vq.avail_wrap &&
               ((f & DMA_VQ_DESC_F_USED) != 0) != r->vq.avail_wrap;
    }
}

static inline bool wk_done(struct wk_run *r)
{
    return atomic_load(&r->stop) || (r->stop_at_loss && (atomic_load(&r->lost_kicks) ||
                                                         atomic_load(&r->lost_irqs)));
}

static void *wk_device(void *p)
{
    struct wk_run *r = (struct wk_run *)p;
    struct dma_vq_chain *c = (struct dma_vq_chain *)malloc(sizeof *c);
    if (!c)
        return NULL;
    while (!wk_done(r)) {
        unsigned long seen;
        int n;
        while ((n = dma_vq_pop(&r->vq, c)) > 0) {
            /* One byte into the writable segment: the id's low byte. */
            uint8_t b = (uint8_t)c->id;
            uint32_t w = c->writable ? 1 : 0;
            if (w)
                dma_write(r->ctx, c->seg[c->nseg - 1].addr, &b, 1);
            if (dma_vq_push(&r->vq, c, w) != DMA_OK) {
                r->dev_fail = 2;
                atomic_store(&r->stop, 1);
                break;
            }
            if (dma_vq_should_notify(&r->vq)) {
                r->irqs++;
                wk_raise(&r->irq);
            }
        }
        if (n < 0) {
            r->dev_fail = 1;
            atomic_store(&r->stop, 1);
            wk_raise(&r->irq);
            break;
        }
        if (wk_done(r))
            break;
        if (now_seconds() > r->deadline) {
            atomic_store(&r->stop, 1);
            break;
        }
        seen = wk_count(&r->kick);
        if (dma_vq_enable_notify(&r->vq)) {
            dma_vq_disable_notify(&r->vq);
            continue;
        }
        r->dev_sleeps++;
        atomic_store(&r->dev_asleep, 1);
        if (!wk_wait(&r->kick, seen, 20)) {
            if (atomic_load(&r->drv_asleep) && wk_avail_pending(r) && wk_count(&r->kick) == seen)
                atomic_fetch_add(&r->lost_kicks, 1);
            if (now_seconds() > r->deadline)
                atomic_store(&r->stop, 1);
        }
        atomic_store(&r->dev_asleep, 0);
        dma_vq_disable_notify(&r->vq);
    }
    wk_raise(&r->irq);
    free(c);
    return NULL;
}

static void *wk_driver(void *p)
{
    struct wk_run *r = (struct wk_run *)p;
    struct vdrv *d = &r->drv;
    unsigned long submitted = 0;
    while (!wk_done(r) && (r->chains == 0 || r->completed < r->chains)) {
        bool progress = false, added = false;
        uint64_t cookie;
        uint32_t len;
        int g;
        while (r->chains == 0 || submitted < r->chains) {
            uint16_t id = vdrv_next_id(d);
            struct vdrv_buf b[2];
            b[0].addr = r->buf_area + 64u * id;
            b[0].len = 8;
            b[0].device_writes = false;
            b[1].addr = r->buf_area + 64u * id + 32;
            b[1].len = 8;
            b[1].device_writes = true;
            if (vdrv_add(d, b, 1 + (submitted & 1), submitted, false) < 0)
                break;
            submitted++;
            added = true;
        }
        if (added && vdrv_kick_prepare(d)) {
            r->kicks++;
            wk_raise(&r->kick);
        }
        while ((g = vdrv_get_used(d, &cookie, &len)) > 0) {
            if (len != (cookie & 1)) {
                r->drv_fail = 4;
                atomic_store(&r->stop, 1);
            }
            r->completed++;
            progress = true;
        }
        if (g < 0) {
            r->drv_fail = 3;
            atomic_store(&r->stop, 1);
            break;
        }
        if (progress || added) {
            if (progress)
                continue; /* room again: add before sleeping */
        }
        if (now_seconds() > r->deadline)
            break;
        {
            unsigned long seen = wk_count(&r->irq);
            if (vdrv_enable_cb(d)) {
                vdrv_disable_cb(d);
                continue;
            }
            r->drv_sleeps++;
            atomic_store(&r->drv_asleep, 1);
            if (!wk_wait(&r->irq, seen, 20)) {
                if (atomic_load(&r->dev_asleep) && vdrv_more_used(d) &&
                    wk_count(&r->irq) == seen)
                    atomic_fetch_add(&r->lost_irqs, 1);
                if (now_seconds() > r->deadline)
                    atomic_store(&r->stop, 1);
            }
            atomic_store(&r->drv_asleep, 0);
            vdrv_disable_cb(d);
        }
    }
    atomic_store(&r->stop, 1);
    wk_raise(&r->kick);
    return NULL;
}

/*
 * One run on a fresh ring in `mem` (guest address `gpa`, `size` bytes,
 * one region of `ctx`). chains: to complete; stop_at_loss: end at the
 * first lost wake-up; seconds: the bound.
 */
static inline void wk_run_once(struct wk_run *r, struct dma_ctx *ctx, unsigned char *mem,
                               uint64_t gpa, uint64_t size, uint16_t num, bool packed,
                               bool event_idx, bool driver_no_mb, unsigned long chains,
                               bool stop_at_loss, double seconds)
{
    struct dma_vq_config cfg;
    pthread_t th[2];
    uint64_t end = vdrv_layout(&cfg, num, packed, gpa);
    cfg.event_idx = event_idx;
    memset(r, 0, sizeof *r);
    r->ctx = ctx;
    r->buf_area = end;
    assert_true(end + 64u * num <= gpa + size);
    assert_int_equal(vdrv_init(&r->drv, &cfg, mem, gpa, size, 0), 0);
    r->drv.test_no_mb = driver_no_mb;
    assert_int_equal(dma_vq_init(&r->vq, ctx, &cfg), DMA_OK);
    r->chains = chains;
    r->stop_at_loss = stop_at_loss;
    r->deadline = now_seconds() + seconds;
    wk_signal_init(&r->kick);
    wk_signal_init(&r->irq);
    atomic_init(&r->dev_asleep, 0);
    atomic_init(&r->drv_asleep, 0);
    atomic_init(&r->stop, 0);
    atomic_init(&r->lost_kicks, 0);
    atomic_init(&r->lost_irqs, 0);
    assert_int_equal(pthread_create(&th[0], NULL, wk_device, r), 0);
    assert_int_equal(pthread_create(&th[1], NULL, wk_driver, r), 0);
    assert_int_equal(pthread_join(th[0], NULL), 0);
    assert_int_equal(pthread_join(th[1], NULL), 0);
    wk_signal_destroy(&r->kick);
    wk_signal_destroy(&r->irq);
    vdrv_destroy(&r->drv);
}

/*
 * The same race, lined up. Free-running, the two threads rarely meet
 * inside the few nanoseconds of a store-buffer window (on this loaded
 * 2-CPU machine the sleeping run above saw none in minutes with a barrier
 * removed), so the power of the test is shown here: each round both
 * threads meet at a handshake (tests/threads.h, with its stagger) and then
 * run exactly the two sides of one suppression decision with the code
 * under test:
 *   kick:      driver vdrv_add + vdrv_kick_prepare  ||  device dma_vq_enable_notify
 *   interrupt: device dma_vq_flush + dma_vq_should_notify  ||  driver vdrv_enable_cb
 *              (the used element was filled before the round)
 * A wake-up is lost when both say "no": the device would sleep although a
 * buffer arrived and no kick comes (or the driver would sleep on a used
 * buffer with no interrupt). Between rounds each side tidies up alone
 * (device: disable_notify, pop; driver: reap, disable_cb).
 */
struct wk_race {
    struct dma_vq vq;
    struct vdrv drv;
    struct handshake hs;
    uint64_t buf;
    unsigned long rounds, done;
    double deadline;
    /* each round's answers; read by the other side after a handshake */
    bool dev_a, drv_a, dev_b, drv_b;
    int dev_stop, drv_stop; /* see wk_race_driver */
    int fail;
    bool stop_when_lost;            /* power runs: stop at the first loss */
    atomic_ulong lost_kicks, lost_irqs; /* counted by the device / by the driver */
    unsigned long kicks, irqs;
};

/* Either side delayed by 0..255 spins, by round: a sweep over both orders
 * (threads.h's stagger() delays only thread 1). */
static inline void wk_stagger(int me, unsigned long i)
{
    volatile unsigned k;
    unsigned long h = (i * 2654435761ul) >> 5;
    unsigned d = (unsigned)(h % 256u);
    if ((int)((h >> 8) & 1) == me)
        for (k = 0; k < d; k++)
            ;
}

static void *wk_race_device(void *p)
{
    struct wk_race *w = (struct wk_race *)p;
    struct dma_vq_chain *c = (struct dma_vq_chain *)malloc(sizeof *c);
    unsigned long i, step = 0;
    pin_to_nth_cpu(0);
    for (i = 0;; i++) {
        if (i == w->rounds || !c || (i % 256 == 0 && now_seconds() > w->deadline) ||
            (w->stop_when_lost && (atomic_load(&w->lost_kicks) || atomic_load(&w->lost_irqs))))
            w->dev_stop = 1;
        handshake_wait(&w->hs, 0, ++step); /* A: the kick race */
        if (w->dev_stop)
            break;
        wk_stagger(0, i);
        w->dev_a = dma_vq_enable_notify(&w->vq);
        handshake_wait(&w->hs, 0, ++step);
        if (w->drv_stop)
            break;
        w->kicks += w->drv_a;
        if (!w->dev_a && !w->drv_a)
            atomic_fetch_add(&w->lost_kicks, 1);
        dma_vq_disable_notify(&w->vq);
        if (dma_vq_pop(&w->vq, c) != 1) { /* the buffer is there now */
            w->fail = 1;
            w->dev_stop = 1;
        } else if (dma_vq_fill(&w->vq, c, 0) != DMA_OK) { /* written, not yet visible */
            w->fail = 2;
            w->dev_stop = 1;
        }
        handshake_wait(&w->hs, 0, ++step); /* B: the interrupt race */
        if (w->dev_stop)
            break;
        wk_stagger(0, i + 7);
        if (dma_vq_flush(&w->vq) != DMA_OK) /* the used idx / flags store */
            w->fail = 2;
        w->dev_b = dma_vq_should_notify(&w->vq);
        handshake_wait(&w->hs, 0, ++step);
        w->done = i + 1;
    }
    free(c);
    return NULL;
}

/* Stops: the device sets dev_stop only just before the A or B handshake,
 * and the driver reads it only just after them; the driver sets drv_stop
 * only before the handshake that ends A, the device reads it just after. */
static void *wk_race_driver(void *p)
{
    struct wk_race *w = (struct wk_race *)p;
    struct vdrv *d = &w->drv;
    unsigned long i, step = 0;
    pin_to_nth_cpu(1);
    for (i = 0;; i++) {
        struct vdrv_buf b;
        uint64_t cookie;
        uint32_t len;
        handshake_wait(&w->hs, 1, ++step); /* A */
        if (w->dev_stop)
            break;
        b.addr = w->buf;
        b.len = 16;
        b.device_writes = false;
        wk_stagger(1, i);
        if (vdrv_add(d, &b, 1, i, false) < 0) {
            w->fail = 3;
            w->drv_stop = 1;
        }
        w->drv_a = vdrv_kick_prepare(d);
        handshake_wait(&w->hs, 1, ++step);
        if (w->drv_stop)
            break;
        handshake_wait(&w->hs, 1, ++step); /* B */
        if (w->dev_stop)
            break;
        wk_stagger(1, i + 7);
        w->drv_b = vdrv_enable_cb(d);
        handshake_wait(&w->hs, 1, ++step);
        w->irqs += w->dev_b;
        if (!w->dev_b && !w->drv_b)
            atomic_fetch_add(&w->lost_irqs, 1);
        if (vdrv_get_used(d, &cookie, &len) != 1 || cookie != i)
            w->fail = 4; /* reported by the caller; the rounds go on */
        vdrv_disable_cb(d);
    }
    return NULL;
}

static inline void wk_race_run(struct wk_race *w, struct dma_ctx *ctx, unsigned char *mem,
                               uint64_t gpa, uint64_t size, bool packed, bool event_idx,
                               bool driver_no_mb, unsigned long rounds, double seconds,
                               bool stop_when_lost)
{
    struct dma_vq_config cfg;
    pthread_t th[2];
    uint64_t end = vdrv_layout(&cfg, 8, packed, gpa);
    cfg.event_idx = event_idx;
    memset(w, 0, sizeof *w);
    assert_true(end + 16 <= gpa + size);
    w->buf = end;
    assert_int_equal(vdrv_init(&w->drv, &cfg, mem, gpa, size, 0), 0);
    w->drv.test_no_mb = driver_no_mb;
    vdrv_disable_cb(&w->drv);
    assert_int_equal(dma_vq_init(&w->vq, ctx, &cfg), DMA_OK);
    dma_vq_disable_notify(&w->vq);
    handshake_init(&w->hs);
    w->rounds = rounds;
    w->stop_when_lost = stop_when_lost;
    atomic_init(&w->lost_kicks, 0);
    atomic_init(&w->lost_irqs, 0);
    w->deadline = now_seconds() + seconds;
    assert_int_equal(pthread_create(&th[0], NULL, wk_race_device, w), 0);
    assert_int_equal(pthread_create(&th[1], NULL, wk_race_driver, w), 0);
    assert_int_equal(pthread_join(th[0], NULL), 0);
    assert_int_equal(pthread_join(th[1], NULL), 0);
    vdrv_destroy(&w->drv);
}

/*
 * The test's power, swept. A power run removes one side's full barrier
 * and must then lose a wake-up in each of the four variants (split or
 * packed, flags or event_idx). The variants take turns in slices of
 * WK_POWER_SLICE seconds, each slice on a fresh ring, until each has
 * lost one or `budget` seconds have passed. Why turns and not one long
 * run each: on a shared 2-vCPU VM the rate at which the two threads line
 * up swings by three orders of magnitude from one second to the next
 * (where the host runs the two vCPUs); one CI run sat 4,000,000 rounds
 * (10 s) in one variant without a loss while the variant before it lost
 * in 0.8 s. Turns spread every variant over the good and the bad spells.
 */
#define WK_POWER_SLICE 0.5
/* the whole sweep's budget; a quiet machine needs about a second */
#define WK_POWER_BUDGET (wk_power_may_hide() ? 4.0 : 30.0)

struct wk_power {
    unsigned long rounds[4], lost_kicks[4], lost_irqs[4];
    double seconds[4];
    int fail;          /* a round failed (see wk_race_driver) */
};

static inline const char *wk_variant(unsigned k)
{
    static const char *const name[4] = {"split  flags", "packed flags", "split  event_idx",
                                        "packed event_idx"};
    return name[k & 3];
}

static inline bool wk_power_lost(const struct wk_power *p, unsigned k)
{
    return p->lost_kicks[k] + p->lost_irqs[k] > 0;
}

static inline void wk_power_sweep(struct wk_power *p, const struct dma_policy *policy,
                                  bool driver_no_mb, double budget)
{
    double end = now_seconds() + budget;
    struct wk_race *w = (struct wk_race *)malloc(sizeof *w);
    unsigned char *mem = (unsigned char *)aligned_alloc(4096, 1u << 16);
    unsigned k, open = 4;
    assert_non_null(w);
    assert_non_null(mem);
    memset(p, 0, sizeof *p);
    for (k = 0; open > 0 && now_seconds() < end; k = (k + 1) & 3) {
        struct dma_ctx ctx;
        double t0 = now_seconds();
        if (wk_power_lost(p, k))
            continue;
        memset(mem, 0, 1u << 16);
        dma_ctx_init(&ctx, policy);
        assert_int_equal(dma_ctx_add_region(&ctx, 0x10000, 1u << 16, mem, 0), DMA_OK);
        wk_race_run(w, &ctx, mem, 0x10000, 1u << 16, k & 1, k & 2, driver_no_mb, ULONG_MAX,
                    WK_POWER_SLICE, true);
        p->rounds[k] += w->done;
        p->seconds[k] += now_seconds() - t0;
        p->lost_kicks[k] += atomic_load(&w->lost_kicks);
        p->lost_irqs[k] += atomic_load(&w->lost_irqs);
        if (w->fail)
            p->fail = w->fail;
        open -= wk_power_lost(p, k);
    }
    free(mem);
    free(w);
}

/*
 * Report a sweep and judge it. Every variant that lost a wake-up shows
 * the test's power there. A variant that did not, in its share of the
 * budget, is named as not observed on this machine in this run; the run
 * fails only if no variant lost one (then the harness has no power here
 * at all), or, where the race may hide (wk_power_may_hide), skips.
 */
static inline void wk_power_judge(const struct wk_power *p, const char *what, double budget)
{
    unsigned k, shown = 0;
    for (k = 0; k < 4; k++) {
        print_message("  %-16s %s: lost kicks %lu, lost interrupts %lu after %lu rounds, "
                      "%.2f s\n", wk_variant(k), what, p->lost_kicks[k], p->lost_irqs[k],
                      p->rounds[k], p->seconds[k]);
        shown += wk_power_lost(p, k);
    }
    for (k = 0; k < 4; k++)
        if (!wk_power_lost(p, k) && shown > 0)
            print_message("  NOT OBSERVED: %s lost no wake-up in its %.1f s of a %.0f s "
                          "budget; the other variants show the harness has power on this "
                          "machine, but this run did not line this one up\n",
                          wk_variant(k), p->seconds[k], budget);
    if (p->fail)
        fail_msg("a round failed (%d: 1 pop, 2 push, 3 add, 4 reap)", p->fail);
    if (shown == 0 && wk_power_may_hide()) {
        print_message("  %s", WK_SANITIZER_NOTE);
        skip();
    }
    assert_true(shown > 0);
}

#endif /* ODMA_TEST_VIRTIO_WAKEUP_H */
