/* SPDX-License-Identifier: MIT */
/*
 * Integration test: examples/xen_ioreq, the Xen ioreq handshake. A fixed
 * number of rounds under every policy must all verify; a corrupted
 * response and a device model that sets IORESP_READY before writing the
 * result must both be caught.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "run_example.h"

static void test_every_round_verified(void **state)
{
    char *argv[] = { "xen_ioreq", "-n", "100000", NULL };
    static const char *const policies[4] = { "strict", "pcie", "pcie-relaxed", "none" };
    struct example_run r;
    struct example_row rows[8];
    int i;
    (void)state;
    assert_int_equal(example_run(&r, "xen_ioreq", argv, NULL), 0);
    assert_int_equal(r.status, 0);
    assert_int_equal(example_rows(&r, rows, 8), 4);
    for (i = 0; i < 4; i++) {
        assert_string_equal(rows[i].example, "xen_ioreq");
        assert_string_equal(rows[i].policy, policies[i]);
        assert_int_equal(rows[i].items, 100000);
        assert_int_equal(rows[i].errors, 0);
        assert_true(rows[i].rate > 0);
        assert_string_equal(rows[i].verdict, "PASS");
    }
}

static void test_corrupted_response_fails(void **state)
{
    char *argv[] = { "xen_ioreq", "-n", "50000", "-p", "pcie", "-c", "4321", NULL };
    struct example_run r;
    struct example_row row;
    (void)state;
    assert_int_equal(example_run(&r, "xen_ioreq", argv, NULL), 0);
    assert_int_equal(r.status, 1);
    assert_int_equal(example_rows(&r, &row, 1), 1);
    assert_int_equal(row.errors, 1);
    assert_string_equal(row.verdict, "FAIL");
    assert_non_null(strstr(r.err, "request 4321 "));
}

static void test_state_before_data_fails(void **state)
{
    char *argv[] = { "xen_ioreq", "-n", "2000", "-p", "strict", "-f", NULL };
    struct example_run r;
    struct example_row row;
    (void)state;
    assert_int_equal(example_run(&r, "xen_ioreq", argv, NULL), 0);
    assert_int_equal(r.status, 1);
    assert_int_equal(example_rows(&r, &row, 1), 1);
    assert_true(row.errors > 0);
    assert_string_equal(row.verdict, "FAIL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_round_verified),
        cmocka_unit_test(test_corrupted_response_fails),
        cmocka_unit_test(test_state_before_data_fails),
    };
    return cmocka_run_group_tests_name("xen_ioreq", tests, NULL, NULL);
}
