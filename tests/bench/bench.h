/* SPDX-License-Identifier: MIT */
/*
 * tests/bench/bench.h - what the micro-benchmark kernels export.
 *
 * kernels.c is compiled once with gcc and once with clang (each object
 * exports its own bench_set_<cc>) and both are linked into one program,
 * so every gcc/clang and odma/raw/QEMU-style ratio is measured side by
 * side, in the same process, in interleaved rounds.
 */
#ifndef ODMA_BENCH_H
#define ODMA_BENCH_H

#include <stddef.h>
#include <stdint.h>

struct bench_kernel {
    const char *size;     /* "4B", "8B", "64B", "4KiB", "16B rec", "fence" */
    const char *pattern;  /* "rd", "wr", "rw", "publish", "consume", "mb" */
    const char *variant;  /* "raw", "relaxed", "strict", ... "qemu" */
    unsigned accesses;    /* accesses per iteration (rw: 2) */
    /* Run n iterations; returns a value that depends on every access (or
     * an error count) so that nothing can be optimised away. */
    uint64_t (*run)(unsigned long n);
};

struct bench_set {
    const char *cc;       /* "gcc" or "clang" */
    int (*init)(void);    /* 0 on success */
    const struct bench_kernel *kernels;
    size_t count;
};

extern const struct bench_set bench_set_gcc;
extern const struct bench_set bench_set_clang;

#endif
