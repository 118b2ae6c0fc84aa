/* SPDX-License-Identifier: MIT */
/*
 * tests/bench/micro.c - ns per access for every kernel in kernels.c, the
 * gcc-built and the clang-built copies side by side in one process.
 *
 * Each kernel's iteration count is calibrated so that one run takes about
 * 0.5 ms (short enough to fit in one scheduler time slice on a busy
 * machine); then 21 rounds each run every kernel once (gcc and clang
 * copies back to back), so slow moments of a shared machine hit all of
 * them alike. Reported per kernel: the minimum ns per access over the
 * rounds (the figure least disturbed by other load) and the median; and
 * against the raw kernel of the same size and pattern, the paired median:
 * the median over rounds of (this kernel's time / raw's time in the same
 * round), which cancels slow moments that hit both.
 *
 * usage: micro [--quick] [--csv FILE]
 * Prints a markdown table on stdout; with --csv appends rows
 *   micro,SIZE,PATTERN,VARIANT,CC,ns,MEDIAN,MIN,MAX,RUNS
 *   micro,SIZE,PATTERN,VARIANT,CC,xraw,PAIRED_MEDIAN,MIN,MAX,RUNS
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_KERNELS 256

struct result {
    const struct bench_kernel *k;
    const char *cc;
    unsigned long n;
    double ns[64];
    double med, min, max;
    double pmed, pmin, pmax; /* paired ratio to raw; 0 if no raw kernel */
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile uint64_t sink;

static double time_run(const struct bench_kernel *k, unsigned long n)
{
    double t0 = now_ns();
    sink += k->run(n);
    return now_ns() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return v[n / 2];
}

static const struct result *find(const struct result *res, size_t nres, const char *size,
                                  const char *pattern, const char *variant, const char *cc)
{
    size_t i;
    for (i = 0; i < nres; i++)
        if (!strcmp(res[i].k->size, size) && !strcmp(res[i].k->pattern, pattern) &&
            !strcmp(res[i].k->variant, variant) && !strcmp(res[i].cc, cc))
            return &res[i];
    return NULL;
}

int main(int argc, char **argv)
{
    static struct result res[MAX_KERNELS];
    const struct bench_set *sets[2] = { &bench_set_gcc, &bench_set_clang };
    size_t nres = 0, i, s, nk;
    int quick = 0, rounds, r;
    double run_ns;
    const char *csv = NULL;
    FILE *out = NULL;

    for (i = 1; i < (size_t)argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--csv") && i + 1 < (size_t)argc)
            csv = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--quick] [--csv FILE]\n", argv[0]);
            return 2;
        }
    }
    rounds = quick ? 3 : 21;
    run_ns = quick ? 1e5 : 5e5;

    for (s = 0; s < 2; s++)
        if (sets[s]->init() != 0) {
            fprintf(stderr, "micro: init failed (%s)\n", sets[s]->cc);
            return 1;
        }
    nk = sets[0]->count;
    if (sets[1]->count != nk || 2 * nk > MAX_KERNELS) {
        fprintf(stderr, "micro: kernel tables differ\n");
        return 1;
    }
    /* Interleaved: gcc kernel i, clang kernel i, gcc kernel i+1, ... */
    for (i = 0; i < nk; i++)
        for (s = 0; s < 2; s++) {
            struct result *x = &res[nres++];
            x->k = &sets[s]->kernels[i];
            x->cc = sets[s]->cc;
            x->n = 64;
            while (time_run(x->k, x->n) < run_ns && x->n < (1ul << 30))
                x->n *= 2;
        }
    for (r = 0; r < rounds; r++)
        for (i = 0; i < nres; i++)
            res[i].ns[r] = time_run(res[i].k, res[i].n) / ((double)res[i].n * res[i].k->accesses);

    if (csv && !(out = fopen(csv, "a"))) {
        perror(csv);
        return 1;
    }
    for (i = 0; i < nres; i++) {
        struct result *x = &res[i];
        const struct result *raw = find(res, nres, x->k->size, x->k->pattern, "raw", x->cc);
        double sorted[64];
        memcpy(sorted, x->ns, sizeof(double) * (size_t)rounds);
        x->med = median(sorted, rounds);
        x->min = sorted[0];
        x->max = sorted[rounds - 1];
        if (out)
            fprintf(out, "micro,%s,%s,%s,%s,ns,%.4f,%.4f,%.4f,%d\n", x->k->size, x->k->pattern,
                    x->k->variant, x->cc, x->med, x->min, x->max, rounds);
        if (!raw)
            continue;
        for (r = 0; r < rounds; r++)
            sorted[r] = x->ns[r] / raw->ns[r];
        x->pmed = median(sorted, rounds);
        x->pmin = sorted[0];
        x->pmax = sorted[rounds - 1];
        if (out)
            fprintf(out, "micro,%s,%s,%s,%s,xraw,%.4f,%.4f,%.4f,%d\n", x->k->size,
                    x->k->pattern, x->k->variant, x->cc, x->pmed, x->pmin, x->pmax, rounds);
    }
    if (out)
        fclose(out);

    printf("| size | pattern | variant | gcc ns min (median) | clang ns min (median) "
           "| gcc x raw: paired median (of mins) | clang x raw: paired median (of mins) |\n");
    printf("|---|---|---|---:|---:|---:|---:|\n");
    for (i = 0; i < nres; i += 2) {
        const struct result *g = &res[i], *c = &res[i + 1];
        const struct result *gr = find(res, nres, g->k->size, g->k->pattern, "raw", "gcc");
        const struct result *cr = find(res, nres, g->k->size, g->k->pattern, "raw", "clang");
        printf("| %s | %s | %s | %.2f (%.2f) | %.2f (%.2f) |", g->k->size, g->k->pattern,
               g->k->variant, g->min, g->med, c->min, c->med);
        if (gr && cr)
            printf(" %.2f (%.2f) | %.2f (%.2f) |\n", g->pmed, g->min / gr->min, c->pmed,
                   c->min / cr->min);
        else
            printf(" - | - |\n");
    }
    printf("\n(%d interleaved rounds; one run is about %.1f ms; min = fastest round; "
           "paired median = median over rounds of the ratio within one round)\n",
           rounds, run_ns / 1e6);
    return 0;
}
