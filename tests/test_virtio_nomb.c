/* SPDX-License-Identifier: MIT */
/*
 * The power of the lost-wake-up test, device side: odma/virtio.h built
 * with the TEST-ONLY switch ODMA_VQ_TEST_NO_SUPPRESSION_MB, which removes
 * the full barrier of notification suppression from dma_vq_enable_notify
 * and dma_vq_should_notify. Against the correct driver of
 * tests/virtio_driver.h, the lined-up race of tests/virtio_wakeup.h must
 * then lose a wake-up within its bound (store buffering is observable on
 * x86), in both layouts and both modes. If it does not, the test cannot
 * tell a correct device from a broken one, and this program fails.
 * (With one CPU it says that this machine cannot observe it, and skips;
 * so do sanitizer and qemu-user builds that happen not to lose one in
 * their bound: see wk_power_may_hide().)
 */
#define _GNU_SOURCE
#define ODMA_VQ_TEST_NO_SUPPRESSION_MB /* TEST ONLY: the bug, on purpose */
#include <stdio.h>
#include "threads.h"
#define ODMA_TESTING_IMPLEMENTATION
#include "fixture.h"
#include "virtio_wakeup.h"

#define POWER_SECONDS (wk_power_may_hide() ? 2.0 : 10.0) /* it stops at its first loss */

static void power_device(void **state)
{
    unsigned k;
    (void)state;
    if (usable_cpus() < 2) {
        print_message("  one CPU: the two threads never run at once, so store buffering "
                      "(and a lost wake-up) cannot be observed on this machine\n");
        skip();
    }
    for (k = 0; k < 4; k++) {
        bool packed = k & 1, event_idx = k & 2;
        struct wk_race *w = (struct wk_race *)malloc(sizeof *w);
        unsigned char *mem = (unsigned char *)aligned_alloc(4096, 1u << 16);
        struct dma_ctx ctx;
        double t0 = now_seconds();
        unsigned long lk, li;
        assert_non_null(w);
        assert_non_null(mem);
        memset(mem, 0, 1u << 16);
        dma_ctx_init(&ctx, DMA_POLICY_STRICT);
        assert_int_equal(dma_ctx_add_region(&ctx, 0x10000, 1u << 16, mem, 0), DMA_OK);
        /* no round cap: only the time bounds it (2,000,000 rounds, 0.84 s,
         * once passed without a loss on a quiet machine) */
        wk_race_run(w, &ctx, mem, 0x10000, 1u << 16, packed, event_idx, false, ULONG_MAX,
                    POWER_SECONDS, true);
        lk = atomic_load(&w->lost_kicks);
        li = atomic_load(&w->lost_irqs);
        print_message("  %s %-9s device WITHOUT its full barrier: lost kicks %lu, lost "
                      "interrupts %lu after %lu rounds, %.2f s (bound %.0f s)\n",
                      packed ? "packed" : "split ", event_idx ? "event_idx" : "flags", lk, li,
                      w->done, now_seconds() - t0, POWER_SECONDS);
        free(mem);
        free(w);
        if (wk_power_may_hide() && lk + li == 0) {
            print_message("  %s", WK_SANITIZER_NOTE);
            skip();
        }
        assert_true(lk + li > 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(power_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
