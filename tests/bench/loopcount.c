/* SPDX-License-Identifier: MIT */
/*
 * tests/bench/loopcount.c - instructions per loop iteration of the timed
 * micro-benchmark kernels (kernels.c, the same gcc and clang objects
 * make bench times), counted under valgrind --tool=callgrind.
 *
 * icount.c counts one accessor per call of a wrapper function, so each
 * count carries the wrapper's frame, argument moves and return; a device
 * model rarely calls an accessor that way: it walks a descriptor ring or
 * a register file in a loop, and the frame, the context pointer and the
 * loop's own work are paid once per loop or shared. This program counts
 * that shape: for each kernel it runs one warm-up iteration (the first
 * access of a context takes the slow path and sets its hint), zeroes
 * callgrind's counters, runs N iterations, and dumps the count, so the
 * figure is the steady state of the loop. Per iteration minus the raw
 * kernel's per iteration is what odma adds (the loop's own increment,
 * address arithmetic and branch cancel out).
 *
 * Prints, for each kernel, "cc,size,pattern,variant,accesses,dumpno";
 * tests/bench/loopcount.sh pairs the lines with the dump files.
 * Outside valgrind the client requests are no-ops and it only runs.
 */
#include "bench.h"

#include <stdio.h>
#include <valgrind/callgrind.h>

#define WARM 1
#define N 20000

int main(void)
{
    const struct bench_set *sets[] = {&bench_set_gcc, &bench_set_clang};
    unsigned dump = 0;
    for (unsigned s = 0; s < 2; s++) {
        const struct bench_set *bs = sets[s];
        if (bs->init() != 0) {
            fprintf(stderr, "loopcount: %s init failed\n", bs->cc);
            return 1;
        }
        for (size_t k = 0; k < bs->count; k++) {
            const struct bench_kernel *kk = &bs->kernels[k];
            kk->run(WARM);
            CALLGRIND_ZERO_STATS;
            kk->run(N);
            CALLGRIND_DUMP_STATS;
            printf("%s,%s,%s,%s,%u,%u\n", bs->cc, kk->size, kk->pattern, kk->variant,
                   kk->accesses, ++dump);
        }
    }
    printf("iterations %d\n", N);
    return 0;
}
