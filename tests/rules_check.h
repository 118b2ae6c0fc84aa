/* SPDX-License-Identifier: MIT */
/*
 * tests/rules_check.h - helpers shared by the protocol-rule tests
 * (tests/test_rules*.c): run the checker on a text trace and assert the
 * verdict, the rule named and the roles named.
 */
#ifndef ODMA_TEST_RULES_CHECK_H
#define ODMA_TEST_RULES_CHECK_H

#include <stdio.h>
#include <string.h>

static char rules_report[16384];

/* A trace that must break exactly one rule (`rule`, a prefix of its line
 * after "rule line N: "), `count` times, naming both roles. */
struct broken_trace {
    const char *what;
    const char *trace;
    const char *rule;
    int count;
    const char *role_a, *role_b;
};

static inline void rules_fail(const char *what, const char *trace, const char *why)
{
    fail_msg("%s: %s\n  trace: %s\n%s", what, why, trace, rules_report);
}

/* Every numbered entry of the report is about `rule`. */
static inline int report_only_rule(const char *rule)
{
    const char *p = rules_report;
    int entries = 0;
    while ((p = strstr(p, ". rule line ")) != NULL) {
        const char *colon = strchr(p, ':');
        if (!colon || strncmp(colon + 2, rule, strlen(rule)) != 0)
            return -1;
        entries++;
        p = colon;
    }
    return entries;
}

static inline void expect_pass(const char *what, const char *trace, const char *rules)
{
    int r = dma_trace_check_text(trace, rules, rules_report, sizeof rules_report);
    if (r != 0)
        rules_fail(what, trace, "a faithful trace must keep every rule");
    assert_non_null(strstr(rules_report, "ok: the trace keeps all"));
}

static inline void expect_broken(const char *rules, const struct broken_trace *b)
{
    int r = dma_trace_check_text(b->trace, rules, rules_report, sizeof rules_report);
    char why[256];
    if (r != b->count) {
        snprintf(why, sizeof why, "%d violations, expected %d of \"%s\"", r, b->count, b->rule);
        rules_fail(b->what, b->trace, why);
    }
    if (report_only_rule(b->rule) < 1)
        rules_fail(b->what, b->trace, "the report must name only the broken rule");
    if (!strstr(rules_report, b->role_a) || !strstr(rules_report, b->role_b))
        rules_fail(b->what, b->trace, "the report must name both roles");
}

/*
 * Every order and last rule of `rules` is broken by at least one of the n
 * traces (the rule sets' completeness check): each rule line's statement
 * must start with some b[i].rule.
 */
static inline void expect_every_rule_broken(const char *rules, const struct broken_trace *b,
                                            size_t n)
{
    const char *line = rules;
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line), i;
        if ((len > 6 && strncmp(line, "order ", 6) == 0) ||
            (len > 5 && strncmp(line, "last ", 5) == 0)) {
            int found = 0;
            for (i = 0; i < n && !found; i++)
                found = strncmp(line, b[i].rule, strlen(b[i].rule)) == 0;
            if (!found)
                fail_msg("no broken trace for the rule: %.*s", (int)len, line);
        }
        line += len + (nl ? 1 : 0);
    }
}

#endif /* ODMA_TEST_RULES_CHECK_H */
