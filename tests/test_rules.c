/* SPDX-License-Identifier: MIT */
/*
 * The protocol-rules engine of odma/testing_rules.h: the rules text and
 * trace text parsers (bad input is refused with the line or token and
 * why), each kind of rule and exemption, the report, the generators'
 * calling convention, and dma_trace_check_rules on a recorded trace.
 * The device rule sets are tested in test_rules_devices.c,
 * test_rules_virtio.c and test_rules_xen.c.
 */
#define ODMA_TESTING_IMPLEMENTATION
#define ODMA_TRACE
#include <odma/virtio.h> /* before the implementation: the virtio generators */
#include <stdio.h>
#include "fixture.h"
#include "rules_check.h"

/* A small split-ring-like layout for the engine tests. */
#define RING_ROLES                                                                             \
    "role idx  at 0x2002 size 2\n"                                                             \
    "role ring at 0x2004 size 2 count 4 stride 2\n"                                            \
    "role desc at 0x1000 size 16 count 4 stride 16\n"

static void expect_report_has(const char *needle)
{
    if (!strstr(rules_report, needle))
        fail_msg("report lacks \"%s\":\n%s", needle, rules_report);
}

static void bad_rules(const char *rules, const char *needle)
{
    assert_int_equal(dma_trace_check_text("R@0x1000+4", rules, rules_report,
                                          sizeof rules_report), -1);
    expect_report_has(needle);
}

static void test_rules_parse_errors(void **state)
{
    char many[64 * 48 + 64];
    size_t len = 0;
    int i;
    (void)state;
    bad_rules("frobnicate R a -> R b\n", "rules line 1: unknown statement \"frobnicate\"");
    bad_rules("role a at 0x10 size 4\norder R a -> R b\n", "rules line 2: no role named \"b\"");
    bad_rules("role a at zz size 4\n", "bad address \"zz\"");
    bad_rules("role a at 0x10 size 0\n", "bad size \"0\"");
    bad_rules("role a at 0x10 size 8 count 4 stride 4\n", "bad stride \"4\"");
    bad_rules("role a at 0xfffffffffffffff0 size 8 count 4 stride 8\n", "wraps past 2^64");
    bad_rules("role a at 0x10 size 4\nrole a at 0x20 size 4\n", "role name \"a\" is taken");
    bad_rules("role other at 0x10 size 4\n", "role name \"other\" is taken");
    bad_rules(RING_ROLES "order R idx -> R ring same\n", "\"same\" needs two named roles");
    bad_rules(RING_ROLES "order R idx R ring\n", "expected \"->\"");
    bad_rules(RING_ROLES "order X idx -> R ring\n", "expected a direction");
    bad_rules(RING_ROLES "order R idx -> R ring by lfence\n", "unknown barrier \"lfence\"");
    bad_rules(RING_ROLES "order R idx -> R ring extra\n", "unexpected \"extra\"");
    bad_rules(RING_ROLES "last W idx in desc until notify\n", "must have the same slots");
    bad_rules("role r at 0x10 size 16\nrole f at 0x30 size 2\nlast W f in r until notify\n",
              "flag f must lie inside record r");
    bad_rules("role r at 0x10 size 16\nrole f at 0x1e size 2\nlast W f in r\n",
              "expected \"until HANDOVER\"");
    bad_rules("role r at 0x10 size 16\nrole f at 0x1e size 2\nlast W f in r until R\n",
              "needs a named role");
    bad_rules("role r at 0x10 size 16\nrole f at 0x1e size 2\nlast R f in r until notify\n",
              "expected \"W FLAG\" after last");
    bad_rules(RING_ROLES "dep R idx -> notify\n", "only an order rule can end at notify");
    for (i = 0; i < 65; i++)
        len += (size_t)snprintf(many + len, sizeof many - len, "role r%d at %d size 1\n", i,
                                i * 2);
    bad_rules(many, "more than 64 roles");
    assert_int_equal(dma_trace_check_text("R@0x1000+4", NULL, rules_report,
                                          sizeof rules_report), -1);
    expect_report_has("NULL rules text");
    /* A line of the rules is quoted back; comments are not statements. */
    assert_int_equal(dma_trace_check_text("R@0x1000+4", "# only a comment\n\n   \n", rules_report,
                                          sizeof rules_report), 0);
}

static void bad_trace(const char *trace, const char *needle)
{
    assert_int_equal(dma_trace_check_text(trace, RING_ROLES, rules_report, sizeof rules_report),
                     -1);
    expect_report_has(needle);
}

static void test_trace_parse_errors(void **state)
{
    (void)state;
    bad_trace("R@0x1000+4 X@0x10+2", "trace token 2: \"X@0x10+2\" is not an access");
    bad_trace("R@0x1000", "trace token 1: bad address in \"R@0x1000\"");
    bad_trace("R@0x1000+", "trace token 1: bad address");
    bad_trace("W@0x1000+4k", "trace token 1: bad length");
    bad_trace("W@0xffffffffffffffff+2", "wraps past 2^64");
    bad_trace("rmb overflow+x", "trace token 2: bad \"overflow+x\"");
    assert_int_equal(dma_trace_check_text(NULL, RING_ROLES, rules_report, sizeof rules_report),
                     -1);
    expect_report_has("NULL trace text");
    /* Every token of dma_trace_string() is understood. */
    assert_int_equal(dma_trace_check_text("  map:R@0x5000+4096 unmap:R@0x5000+64 none rmb wmb mb "
                                          "notify W@0x10+1\n", RING_ROLES, rules_report,
                                          sizeof rules_report), 0);
    /* An overflowed trace is never a pass. */
    assert_int_equal(dma_trace_check_text("R@0x2002+2 overflow+7", RING_ROLES, rules_report,
                                          sizeof rules_report), 1);
    expect_report_has("the trace overflowed: 7 events were not recorded");
}

static void test_order_rule(void **state)
{
    const char *rules = RING_ROLES "order R idx -> R ring # the index before the entry\n";
    (void)state;
    expect_pass("rmb between", "R@0x2002+2 rmb R@0x2006+2", rules);
    expect_pass("mb between", "R@0x2002+2 mb R@0x2006+2", rules);
    expect_pass("transitive", "R@0x2002+2 rmb R@0x1000+16 rmb R@0x2006+2", rules);
    expect_pass("ring before idx is no pair", "R@0x2006+2 R@0x2002+2", rules);
    assert_int_equal(dma_trace_check_text("R@0x2002+2 R@0x2006+2", rules, rules_report,
                                          sizeof rules_report), 1);
    expect_report_has("1 violation of 1 rules");
    expect_report_has("rule line 4: order R idx -> R ring # the index before the entry");
    expect_report_has("R@0x2002+2 (idx) then R@0x2006+2 (ring[1]) (events 0 and 1) are not "
                      "ordered: needs rmb between them; there is no barrier between them");
    expect_report_has("trace: [R@0x2002+2] [R@0x2006+2]");
    /* A wmb does not order a read before a later read: the report says so. */
    assert_int_equal(dma_trace_check_text("R@0x2002+2 wmb R@0x2004+2 R@0x2008+4", rules,
                                          rules_report, sizeof rules_report), 2);
    expect_report_has("between them only wmb");
    expect_report_has("(ring[0])");
    expect_report_has("(ring[2])");
    /* A read of two entries at once is in both slots. */
    assert_int_equal(dma_trace_check_text("R@0x2002+2 R@0x2004+4", rules, rules_report,
                                          sizeof rules_report), 1);
    /* by: only the barriers named count. */
    rules = RING_ROLES "order R idx -> R ring by mb\n";
    assert_int_equal(dma_trace_check_text("R@0x2002+2 rmb R@0x2006+2", rules, rules_report,
                                          sizeof rules_report), 1);
    expect_report_has("needs mb between them; between them only rmb");
    expect_pass("by mb, with mb", "R@0x2002+2 mb R@0x2006+2", rules);
    /* RW, any, other. */
    rules = RING_ROLES "order RW any -> W other\n";
    assert_int_equal(dma_trace_check_text("R@0x2002+2 W@0x9000+4 W@0x1000+4 W@0x9100+4", rules,
                                          rules_report, sizeof rules_report), 4);
    expect_pass("other is outside every role", "R@0x2002+2 wmb W@0x9000+4 W@0x1000+16", rules);
}

static void test_dep_rule(void **state)
{
    const char *no_dep = RING_ROLES "order R ring -> R other\n";
    const char *dep1 = RING_ROLES "order R ring -> R other\ndep R ring -> R desc\n";
    const char *dep2 = RING_ROLES "order R ring -> R other\ndep R ring -> R desc\n"
                                  "dep R desc -> R other\n";
    const char *trace = "R@0x2004+2 R@0x1020+16 R@0x8000+512";
    (void)state;
    /* The buffer address came from the descriptor, whose index came from the
     * ring entry: a chain of address dependencies orders the pair. */
    assert_int_equal(dma_trace_check_text(trace, no_dep, rules_report, sizeof rules_report), 1);
    assert_int_equal(dma_trace_check_text(trace, dep1, rules_report, sizeof rules_report), 1);
    expect_pass("dependency chain", trace, dep2);
    /* The dependency is role-level, but it only starts from accesses that
     * are ordered after the earlier one: an index read first breaks it. */
    assert_int_equal(dma_trace_check_text("R@0x1020+16 R@0x2004+2 R@0x8000+512", dep2,
                                          rules_report, sizeof rules_report), 1);
}

static void test_same_location(void **state)
{
    const char *rules = "role flag at 0x100e size 2\n"
                        "order W flag -> W flag\norder R flag -> R flag\norder R flag -> W flag\n";
    const char *w_r = "role flag at 0x100e size 2\norder W flag -> R flag\n";
    (void)state;
    /* Two stores to one 16-bit word, two loads of it, a load then a store:
     * coherence orders them. */
    expect_pass("same word twice", "W@0x100e+2 W@0x100e+2 R@0x2000+4 R@0x100e+2 R@0x100e+2 "
                "W@0x100e+2", rules);
    /* Not the same bytes: not exempt. */
    assert_int_equal(dma_trace_check_text("W@0x100e+2 W@0x100e+1", rules, rules_report,
                                          sizeof rules_report), 1);
    /* A write then a read of the same word: store forwarding, not ordered. */
    assert_int_equal(dma_trace_check_text("W@0x100e+2 R@0x100e+2", w_r, rules_report,
                                          sizeof rules_report), 1);
    expect_report_has("needs mb between them");
}

static void test_same_slot_and_roles_of_an_access(void **state)
{
    const char *rules = "role cq at 0x2000 size 16 count 4 stride 16\n"
                        "role cq.status at 0x200e size 2 count 4 stride 16\n"
                        "order W cq -> W cq.status same\n";
    const char *flags = "role desc at 0x1000 size 16 count 4 stride 16\n"
                        "role desc.flags at 0x100e size 2 count 4 stride 16\n"
                        "order R desc.flags -> R desc\n";
    (void)state;
    expect_pass("other slot", "W@0x2010+14 W@0x200e+2", rules);
    assert_int_equal(dma_trace_check_text("W@0x2010+14 W@0x201e+2", rules, rules_report,
                                          sizeof rules_report), 1);
    expect_report_has("W@0x2010+14 (cq[1]) then W@0x201e+2 (cq.status[1])");
    /* One write of the whole entry is a write of its status (the later side). */
    assert_int_equal(dma_trace_check_text("W@0x2010+14 W@0x2010+16", rules, rules_report,
                                          sizeof rules_report), 1);
    /* As the earlier side an access plays a role only from inside it: a
     * 16-byte descriptor read is not a flags read. */
    expect_pass("whole descriptor is no flag read", "R@0x1000+16 R@0x1010+16", flags);
    assert_int_equal(dma_trace_check_text("R@0x100e+2 R@0x1010+16", flags, rules_report,
                                          sizeof rules_report), 1);
}

static void test_last_rule(void **state)
{
    const char *rules = "role cq at 0x2000 size 16 count 4 stride 16\n"
                        "role cq.status at 0x200e size 2 count 4 stride 16\n"
                        "role sq at 0x1000 size 64 count 4 stride 64\n"
                        "last W cq.status in cq until notify, R sq # phase tag last\n";
    (void)state;
    expect_pass("flag last", "W@0x2000+14 wmb W@0x200e+2 notify mb", rules);
    expect_pass("two passes", "W@0x2000+14 W@0x200e+2 notify W@0x2000+14 W@0x200e+2", rules);
    expect_pass("handover by a read", "W@0x2000+8 W@0x200e+2 R@0x1040+64 W@0x2000+14 "
                "W@0x200e+2", rules);
    expect_pass("no write at all", "R@0x2000+16 notify", rules);
    /* The flag first, then the body. */
    assert_int_equal(dma_trace_check_text("W@0x200e+2 wmb W@0x2000+14 notify mb", rules,
                                          rules_report, sizeof rules_report), 1);
    expect_report_has("rule line 4: last W cq.status in cq until notify, R sq # phase tag last");
    expect_report_has("cq[0]: the last write before the handover (notify, event 3) is "
                      "W@0x2000+14 (event 2), not a write of the whole cq.status[0] alone; "
                      "the flag was written at event 0, before it");
    /* The phase byte then the status byte: the flag is never written whole. */
    assert_int_equal(dma_trace_check_text("W@0x2010+14 W@0x201e+1 W@0x201f+1", rules,
                                          rules_report, sizeof rules_report), 1);
    expect_report_has("cq[1]: the last write before the handover (end of trace)");
    expect_report_has("never written on its own");
    /* The whole entry, flag included, in one write. */
    assert_int_equal(dma_trace_check_text("W@0x2020+16 notify mb", rules, rules_report,
                                          sizeof rules_report), 1);
    expect_report_has("cq[2]");
    /* Windows are per slot: slot 1's flag does not close slot 0's window,
     * and a read of another record is no handover. */
    assert_int_equal(dma_trace_check_text("W@0x200e+2 W@0x2000+14 W@0x201e+2 R@0x3000+64", rules,
                                          rules_report, sizeof rules_report), 1);
    /* Each window counts once. */
    assert_int_equal(dma_trace_check_text("W@0x200e+2 W@0x2000+4 W@0x2004+4 W@0x201e+2 "
                                          "W@0x2010+4 notify", rules, rules_report,
                                          sizeof rules_report), 2);
}

static void test_notify_rule(void **state)
{
    const char *rules = "role flag at 0x200e size 2\norder W flag -> notify\n";
    (void)state;
    expect_pass("mb after notify", "W@0x200e+2 notify mb", rules);
    expect_pass("wmb before notify", "W@0x200e+2 wmb notify", rules);
    assert_int_equal(dma_trace_check_text("W@0x200e+2 notify", rules, rules_report,
                                          sizeof rules_report), 1);
    expect_report_has("W@0x200e+2 (flag) then notify (notify)");
    assert_int_equal(dma_trace_check_text("W@0x200e+2 notify rmb", rules, rules_report,
                                          sizeof rules_report), 1);
}

static void test_report_bounds(void **state)
{
    const char *rules = RING_ROLES "order R idx -> R ring\n";
    char small[40];
    char trace[4096];
    size_t len = 0;
    int i;
    (void)state;
    for (i = 0; i < 100; i++)
        len += (size_t)snprintf(trace + len, sizeof trace - len, "R@0x2002+2 R@0x2004+2 ");
    memset(small, 'x', sizeof small);
    /* Pairs: each idx read with each later ring read (100 * 101 / 2). */
    assert_int_equal(dma_trace_check_text(trace, rules, small, sizeof small), 5050);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_string_equal(small + sizeof small - 4, "...");
    assert_int_equal(dma_trace_check_text(trace, rules, NULL, 0), 5050);
    assert_int_equal(dma_trace_check_text(trace, rules, small, 0), 5050);
    assert_int_equal(dma_trace_check_text(trace, rules, rules_report, sizeof rules_report), 5050);
    expect_report_has("... and 5046 more");
}

static void test_generators_calling_convention(void **state)
{
    struct dma_nvme_config nvme = { 0x10000, 0x20000, 16, 16 };
    struct dma_xen_ioreq_config xen = { 0xfeff0000, 4 };
    struct dma_vq_config split = { 8, false, true, true, 0x1000, 0x2000, 0x3000 };
    struct dma_vq_config packed = { 6, true, false, false, 0x1000, 0x2000, 0x3000 };
    char buf[4096], tiny[16];
    int n;
    (void)state;
    n = dma_rules_nvme(NULL, 0, &nvme);
    assert_true(n < -1);
    memset(tiny, 'x', sizeof tiny);
    assert_int_equal(dma_rules_nvme(tiny, sizeof tiny, &nvme), n);
    assert_int_equal(tiny[0], 'x'); /* untouched */
    assert_int_equal(dma_rules_nvme(buf, (size_t)-n, &nvme), -n - 1);
    assert_int_equal(strlen(buf), (size_t)(-n - 1));
    assert_int_equal(dma_rules_nvme(buf, (size_t)-n - 1, &nvme), n);
    /* Invalid configurations. */
    assert_int_equal(dma_rules_nvme(buf, sizeof buf, NULL), -1);
    nvme.cq_entries = 0;
    assert_int_equal(dma_rules_nvme(buf, sizeof buf, &nvme), -1);
    nvme.cq_entries = 16;
    nvme.sq = UINT64_MAX - 100;
    assert_int_equal(dma_rules_nvme(buf, sizeof buf, &nvme), -1);
    assert_int_equal(dma_rules_xen_ioreq(buf, sizeof buf, NULL), -1);
    xen.vcpus = 0;
    assert_int_equal(dma_rules_xen_ioreq(buf, sizeof buf, &xen), -1);
    xen.vcpus = 129;
    assert_int_equal(dma_rules_xen_ioreq(buf, sizeof buf, &xen), -1);
    assert_int_equal(dma_rules_virtio_split(buf, sizeof buf, &packed), -1); /* packed config */
    assert_int_equal(dma_rules_virtio_packed(buf, sizeof buf, &split), -1);
    split.num = 6; /* not a power of two */
    assert_int_equal(dma_rules_virtio_split(buf, sizeof buf, &split), -1);
    split.num = 0;
    assert_int_equal(dma_rules_virtio_split(buf, sizeof buf, &split), -1);
    packed.num = 0;
    assert_int_equal(dma_rules_virtio_packed(buf, sizeof buf, &packed), -1);
    /* The odma_ names are the same functions. */
    packed.num = 6;
    n = odma_rules_virtio_packed(buf, sizeof buf, &packed);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "role desc.flags     at 0x100e size 2 count 6 stride 16\n"));
    assert_int_equal(odma_trace_check_text("", buf, rules_report, sizeof rules_report), 0);
}

/* dma_trace_check_rules reads this thread's recorded trace. */
static void test_recorded_trace(void **state)
{
    static struct fixture f;
    const char *rules = "role rec at 0x1000 size 16\nrole rec.flag at 0x100e size 2\n"
                        "order W other -> W rec.flag\norder W rec -> W rec.flag same\n"
                        "last W rec.flag in rec until notify\n";
    unsigned char data[64] = { 1 }, rec[16] = { 2 };
    (void)state;
    fixture_init(&f, DMA_POLICY_PCIE);
    odma_mb();
    dma_trace_reset();
    assert_int_equal(dma_write(&f.ctx, 0x2000, data, sizeof data), DMA_OK);
    assert_int_equal(dma_write_publish(&f.ctx, 0x1000, rec, 16, 14, 2), DMA_OK);
    dma_notify_barrier(&f.ctx);
    dma_trace_stop();
    assert_int_equal(dma_trace_check_rules(rules, rules_report, sizeof rules_report), 0);
    assert_dma_rules(rules);
    /* The same record written relaxed, flag included: two rules broken. */
    odma_mb();
    dma_trace_reset();
    assert_int_equal(dma_write(&f.ctx, 0x2000, data, sizeof data), DMA_OK);
    assert_int_equal(dma_write_relaxed(&f.ctx, 0x1000, rec, 16), DMA_OK);
    dma_trace_stop();
    assert_int_equal(odma_trace_check_rules(rules, rules_report, sizeof rules_report), 2);
    expect_report_has("W@0x2000+64 (other) then W@0x1000+16 (rec.flag)");
    expect_report_has("rec: the last write before the handover (end of trace) is W@0x1000+16");
    /* The policy checker is unchanged beside it. */
    assert_int_equal(dma_trace_check(DMA_POLICY_PCIE, NULL, 0), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_parse_errors),
        cmocka_unit_test(test_trace_parse_errors),
        cmocka_unit_test(test_order_rule),
        cmocka_unit_test(test_dep_rule),
        cmocka_unit_test(test_same_location),
        cmocka_unit_test(test_same_slot_and_roles_of_an_access),
        cmocka_unit_test(test_last_rule),
        cmocka_unit_test(test_notify_rule),
        cmocka_unit_test(test_report_bounds),
        cmocka_unit_test(test_generators_calling_convention),
        cmocka_unit_test(test_recorded_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
