/* SPDX-License-Identifier: MIT */
/*
 * Integration test: examples/kvm_device, a real KVM guest driving an odma
 * device model. Where KVM cannot be used here the example exits 77 and
 * these tests are reported as skipped, not passed. The clean run must
 * verify every request under every policy; the fault-injection runs show
 * that the guest's checks catch a corrupted completion, a lost one (the
 * watchdog), and a device model that hands a completion over before
 * writing it. The skip path itself is tested everywhere, by pointing the
 * example at a path that is not /dev/kvm.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "run_example.h"

#define N "20000"

static void run_or_skip(struct example_run *r, char *const argv[])
{
    assert_int_equal(example_run(r, "kvm_device", argv, NULL), 0);
    if (r->status == 77) {
        print_message("kvm_device: %s", r->out); /* why */
        skip();
    }
}

static void test_every_request_verified(void **state)
{
    char *argv[] = { "kvm_device", "-n", "200000", NULL };
    struct example_run r;
    struct example_row rows[8];
    int i, n;
    (void)state;
    run_or_skip(&r, argv);
    assert_int_equal(r.status, 0);
    n = example_rows(&r, rows, 8);
    assert_int_equal(n, 4); /* one per named policy */
    for (i = 0; i < n; i++) {
        assert_string_equal(rows[i].example, "kvm_device");
        assert_int_equal(rows[i].items, 200000);
        assert_int_equal(rows[i].errors, 0);
        assert_true(rows[i].rate > 0);
        assert_string_equal(rows[i].verdict, "PASS");
    }
    assert_string_equal(rows[0].policy, "strict");
    assert_string_equal(rows[3].policy, "none");
}

static void test_corrupted_completion_fails(void **state)
{
    char *argv[] = { "kvm_device", "-n", N, "-p", "pcie", "-c", "777", NULL };
    struct example_run r;
    struct example_row row;
    (void)state;
    run_or_skip(&r, argv);
    assert_int_equal(r.status, 1);
    assert_int_equal(example_rows(&r, &row, 1), 1);
    assert_string_equal(row.policy, "pcie");
    assert_int_equal(row.errors, 1); /* exactly the corrupted one */
    assert_string_equal(row.verdict, "FAIL");
    assert_non_null(strstr(r.err, "first for request 777"));
}

static void test_lost_completion_fails(void **state)
{
    char *argv[] = { "kvm_device", "-n", N, "-p", "strict", "-d", "5000", "-t", "1", NULL };
    struct example_run r;
    struct example_row row;
    (void)state;
    run_or_skip(&r, argv);
    assert_int_equal(r.status, 1);
    assert_int_equal(example_rows(&r, &row, 1), 1);
    /* The guest verified requests 0..4999, then waited for 5000. */
    assert_int_equal(row.errors, 20000 - 5000);
    assert_string_equal(row.verdict, "FAIL");
    assert_non_null(strstr(r.err, "timed out"));
}

static void test_flag_before_body_fails(void **state)
{
    char *argv[] = { "kvm_device", "-n", "5000", "-p", "none", "-f", NULL };
    struct example_run r;
    struct example_row row;
    (void)state;
    run_or_skip(&r, argv);
    assert_int_equal(r.status, 1);
    assert_int_equal(example_rows(&r, &row, 1), 1);
    assert_true(row.errors > 0);
    assert_string_equal(row.verdict, "FAIL");
}

static void expect_skip(const char *dev, const char *why)
{
    char *argv[] = { "kvm_device", "-n", "1000", NULL };
    struct example_run r;
    struct example_row row;
    assert_int_equal(example_run(&r, "kvm_device", argv, dev), 0);
    assert_int_equal(r.status, 77);
    assert_int_equal(example_lines(&r), 1); /* one line saying so */
    assert_int_equal(example_rows(&r, &row, 1), 0);
    assert_non_null(strstr(r.out, dev));
    assert_non_null(strstr(r.out, why));
}

static void test_missing_kvm_skips(void **state)
{
    (void)state;
    expect_skip("/nonexistent/kvm", "No such file or directory");
}

static void test_not_kvm_skips(void **state)
{
    (void)state;
    expect_skip("/dev/null", "not a KVM device");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_request_verified),
        cmocka_unit_test(test_corrupted_completion_fails),
        cmocka_unit_test(test_lost_completion_fails),
        cmocka_unit_test(test_flag_before_body_fails),
        cmocka_unit_test(test_missing_kvm_skips),
        cmocka_unit_test(test_not_kvm_skips),
    };
    return cmocka_run_group_tests_name("kvm_device", tests, NULL, NULL);
}
