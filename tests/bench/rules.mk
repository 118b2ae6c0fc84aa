# SPDX-License-Identifier: MIT
# make bench: micro-benchmarks (gcc and clang copies in one process),
# callgrind instruction counts, and the two-thread descriptor ring.
# Writes build/bench/results.csv and build/bench/bench.png; prints a
# markdown report. QUICK=1: a few seconds, only checks that it all works.
# Needs gcc and clang; valgrind and gnuplot are used when installed.

BENCH := $(BUILD)/bench
BENCH_OPT ?= -O2
BENCH_FLAGS = $(CSTD) $(WARN) $(BENCH_OPT) -Iinclude $(CFLAGS)
# Timed loops (kernels.c, ring.c): every function and loop starts on a
# 64-byte line (the same loop runs at 1.1 or 2.0 cycles per iteration on
# Zen 3 depending on whether it straddles a line), and no compiler unrolls
# a loop (clang unrolled only the raw baselines 4x): like with like.
# icount.c keeps plain $(BENCH_OPT): instruction counts of a user's build.
BENCH_TIMED = -falign-functions=64 -falign-loops=64 -fno-unroll-loops
BENCH_DEPS := $(HEADERS) tests/bench/bench.h tests/bench/qemu_style.h tests/threads.h tests/bench/rules.mk

$(BENCH)/kernels-%.o: tests/bench/kernels.c $(BENCH_DEPS)
	@mkdir -p $(@D)
	$* $(BENCH_FLAGS) $(BENCH_TIMED) -DBENCH_CC=$* -c $< -o $@

# The same two kernel objects as a static library for the Rust peer
# (tests/bench/vmm.sh).
$(BENCH)/libodmakernels.a: $(BENCH)/kernels-gcc.o $(BENCH)/kernels-clang.o
	rm -f $@
	ar rcs $@ $^

$(BENCH)/micro: tests/bench/micro.c $(BENCH)/kernels-gcc.o $(BENCH)/kernels-clang.o
	gcc $(BENCH_FLAGS) $^ -o $@ $(LDLIBS_ALL)

# Instructions per iteration of those same kernel objects (callgrind).
$(BENCH)/loopcount: tests/bench/loopcount.c $(BENCH)/kernels-gcc.o $(BENCH)/kernels-clang.o
	gcc $(BENCH_FLAGS) $^ -o $@ $(LDLIBS_ALL)

$(BENCH)/%/ring: tests/bench/ring.c $(BENCH_DEPS)
	@mkdir -p $(@D)
	$* $(BENCH_FLAGS) $(BENCH_TIMED) $< -o $@ $(LDLIBS_ALL)

$(BENCH)/%/icount: tests/bench/icount.c $(BENCH_DEPS)
	@mkdir -p $(@D)
	$* $(BENCH_FLAGS) $< -o $@ $(LDLIBS_ALL)

BENCH_BINS := $(BENCH)/libodmakernels.a $(BENCH)/micro $(BENCH)/loopcount $(BENCH)/gcc/ring $(BENCH)/clang/ring \
              $(BENCH)/gcc/icount $(BENCH)/clang/icount

bench: $(BENCH_BINS)
	tests/bench/run.sh $(BENCH) $(if $(QUICK),--quick)
	$(MAKE) --no-print-directory bench-vhost $(if $(QUICK),QUICK=1)

# make bench-icount-check: instructions per access (callgrind, gcc and
# clang) against tests/bench/icount.expected, failing on a regression of
# more than ICOUNT_TOL (1) instructions; make bench-icount-update rewrites
# the expectations. Needs valgrind; about 10 s.
ICOUNT_BINS := $(BENCH)/gcc/icount $(BENCH)/clang/icount

bench-icount-check: $(ICOUNT_BINS)
	tests/bench/icount_check.sh $(BENCH) check

bench-icount-update: $(ICOUNT_BINS)
	tests/bench/icount_check.sh $(BENCH) update
