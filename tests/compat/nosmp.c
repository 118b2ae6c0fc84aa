/* SPDX-License-Identifier: MIT */
/*
 * tests/compat/nosmp.c - ODMA_NO_SMP_NAMES leaves smp_mb/smp_wmb/smp_rmb
 * to the including tree: here they are ordinary external functions,
 * defined after odma.h, which would clash with odma's inline versions.
 * Built with -DNEGATIVE_CONTROL (no ODMA_NO_SMP_NAMES) this file must
 * fail to compile (tests/compat/rules.mk checks that it does).
 */
#ifndef NEGATIVE_CONTROL
#define ODMA_NO_SMP_NAMES
#endif
#include <odma.h>
#include <stdio.h>

void smp_mb(void);
void smp_wmb(void);
void smp_rmb(void);

static unsigned calls;

void smp_mb(void) { calls += 1; odma_mb(); }
void smp_wmb(void) { calls += 10; odma_wmb(); }
void smp_rmb(void) { calls += 100; odma_rmb(); }

int main(void)
{
    smp_mb();
    smp_wmb();
    smp_rmb();
    if (calls != 111) {
        fprintf(stderr, "nosmp: the tree's smp_* functions did not run (%u)\n", calls);
        return 1;
    }
    printf("nosmp: ODMA_NO_SMP_NAMES leaves smp_mb/wmb/rmb to the tree: ok\n");
    return 0;
}
