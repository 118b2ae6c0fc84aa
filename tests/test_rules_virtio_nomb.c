/* SPDX-License-Identifier: MIT */
/*
 * Real broken code for the virtio rule sets: odma/virtio.h built with
 * ODMA_VQ_TEST_NO_SUPPRESSION_MB (TEST ONLY), which compiles out exactly
 * the full barriers of notification suppression (used idx / used flags,
 * then used_event / driver event; avail_event, then avail idx). The same
 * run as test_rules_virtio.c, under every feature combination: the trace
 * must break the suppression rules (the "by mb" rules) and nothing else.
 * (On this x86 machine the lost wake-up this causes is observable too:
 * the virtio issue's own tests show it; here it is the trace that shows.)
 */
#define ODMA_VQ_TEST_NO_SUPPRESSION_MB
#define ODMA_TESTING_IMPLEMENTATION
#define ODMA_TRACE
#include <odma/virtio.h> /* before the implementation: the virtio generators */
#include <stdio.h>
#include "fixture.h"
#include "rules_check.h"
#include "rules_virtio_run.h"

static struct vq_world w;

/* Split `all` into the "by mb" rules and the others (roles in both). */
static void split_rules(const char *all, char *mb_rules, char *other_rules, size_t size)
{
    const char *line = all;
    size_t a = 0, b = 0;
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
        bool is_rule = strncmp(line, "order ", 6) == 0 || strncmp(line, "last ", 5) == 0;
        bool by_mb = is_rule && strstr(line, " by mb") && strstr(line, " by mb") < line + len;
        assert_true(a + len < size && b + len < size);
        if (!is_rule || by_mb) {
            memcpy(mb_rules + a, line, len);
            a += len;
        }
        if (!is_rule || !by_mb) {
            memcpy(other_rules + b, line, len);
            b += len;
        }
        line += len;
    }
    mb_rules[a] = other_rules[b] = '\0';
}

static void test_no_suppression_mb_breaks_only_those_rules(void **state)
{
    static char rules[8192], mb_rules[8192], other_rules[8192];
    int combo;
    (void)state;
    for (combo = 0; combo < 8; combo++) {
        bool packed = combo & 1, event_idx = combo & 2, indirect = combo & 4;
        struct dma_vq_config cfg = { VQ_NUM, packed, event_idx, indirect, VQ_DESC, VQ_DRIVER,
                                     VQ_DEVICE };
        int all, mb_only, others;
        if (packed)
            assert_true(dma_rules_virtio_packed(rules, sizeof rules, &cfg) > 0);
        else
            assert_true(dma_rules_virtio_split(rules, sizeof rules, &cfg) > 0);
        split_rules(rules, mb_rules, other_rules, sizeof rules);
        vq_world_init(&w, DMA_POLICY_STRICT, packed, event_idx, indirect);
        odma_mb();
        dma_trace_reset();
        vq_run(&w, 24);
        dma_trace_stop();
        all = dma_trace_check_rules(rules, rules_report, sizeof rules_report);
        mb_only = dma_trace_check_rules(mb_rules, NULL, 0);
        others = dma_trace_check_rules(other_rules, NULL, 0);
        if (all <= 0 || others != 0 || mb_only != all)
            fail_msg("virtio %s%s%s without the suppression mb: %d violations, %d of the "
                     "\"by mb\" rules, %d of the others\n%s", packed ? "packed" : "split",
                     event_idx ? " event_idx" : "", indirect ? " indirect" : "", all, mb_only,
                     others, rules_report);
        assert_non_null(strstr(rules_report, " by mb"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_suppression_mb_breaks_only_those_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
