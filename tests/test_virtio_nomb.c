/* SPDX-License-Identifier: MIT */
/*
 * The power of the lost-wake-up test, device side: odma/virtio.h built
 * with the TEST-ONLY switch ODMA_VQ_TEST_NO_SUPPRESSION_MB, which removes
 * the full barrier of notification suppression from dma_vq_enable_notify
 * and dma_vq_should_notify. Against the correct driver of
 * tests/virtio_driver.h, the lined-up race of tests/virtio_wakeup.h must
 * then lose a wake-up within its bound (store buffering is observable on
 * x86), in both layouts and both modes (wk_power_sweep: the variants
 * take turns until each has lost one or the budget ends; one that did not
 * is named as not observed). If none does, the test cannot tell a correct
 * device from a broken one, and this program fails.
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

static void power_device(void **state)
{
    struct wk_power p;
    (void)state;
    if (usable_cpus() < 2) {
        print_message("  one CPU: the two threads never run at once, so store buffering "
                      "(and a lost wake-up) cannot be observed on this machine\n");
        skip();
    }
    wk_power_sweep(&p, DMA_POLICY_STRICT, false, WK_POWER_BUDGET);
    wk_power_judge(&p, "device WITHOUT its full barrier", WK_POWER_BUDGET);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(power_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
