# SPDX-License-Identifier: MIT
# tests/fuzz/rules.mk - odma against a reference model (included by the Makefile).
#
#   make fuzz [SECONDS=60]  libFuzzer for SECONDS; the corpus grows in
#                           $(BUILD)/fuzz/corpus, seeded from tests/fuzz/corpus;
#                           a failing input is saved as $(BUILD)/fuzz/crash-*;
#                           then the virtqueue fuzzer (fuzz_vq.c) for VQ_SECONDS
#                           (default 30), corpus $(BUILD)/fuzz/vq-corpus seeded
#                           from tests/fuzz/corpus-vq
#   make fuzz-vq [VQ_SECONDS=30]  the virtqueue fuzzer alone
#   make fuzz-replay        replay tests/fuzz/corpus without libFuzzer, built
#                           with gcc and with clang under ASan+UBSan
#   make fuzz-cov           line coverage of include/ over the corpus
#                           (clang -fprofile-instr-generate, llvm-cov)
#
# FUZZ_CC=clang-16 (default clang) picks the compiler; with it set
# LLVM_PROFDATA/LLVM_COV to the matching llvm-profdata-16/llvm-cov-16.
# Reproduce a crash: $(BUILD)/fuzz/fuzz_odma FILE (FUZZ_VERBOSE=1 lists the calls).

FUZZ_CC ?= clang
SECONDS ?= 60
FUZZ_ARGS ?=
LLVM_PROFDATA ?= llvm-profdata
LLVM_COV ?= llvm-cov
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_WARN := -std=c11 -Wall -Wextra -Werror -Iinclude -g -fno-omit-frame-pointer
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_DEPS := tests/fuzz/fuzz_odma.c $(HEADERS) tests/fuzz/rules.mk
FUZZ_HEADERS := include/odma.h $(filter-out include/odma/testing.h,$(wildcard include/odma/*.h))

# The target is fuzz_odma.c built twice: with ODMA_TRACE (the model also
# predicts the trace) and without; the first input byte picks one.
$(FUZZ_DIR)/traced.o: $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_WARN) -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link -DFUZZ_TRACE=1 -c $< -o $@
$(FUZZ_DIR)/plain.o: $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_WARN) -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link -DFUZZ_TRACE=0 -c $< -o $@
$(FUZZ_DIR)/fuzz_odma: $(FUZZ_DIR)/traced.o $(FUZZ_DIR)/plain.o
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $^ -o $@

fuzz: $(FUZZ_DIR)/fuzz_odma
	@mkdir -p $(FUZZ_DIR)/corpus
	@echo "fuzzing for $(SECONDS) s (log: $(FUZZ_DIR)/log)"
	@rc=0; $(FUZZ_DIR)/fuzz_odma -max_total_time=$(SECONDS) -max_len=2048 -timeout=20 \
	  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_ARGS) \
	  $(FUZZ_DIR)/corpus tests/fuzz/corpus >$(FUZZ_DIR)/log 2>&1 || rc=$$?; \
	grep -E '^#[0-9]+ +(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec)' \
	  $(FUZZ_DIR)/log; \
	if [ $$rc -ne 0 ]; then grep -E -A40 'check failed|ERROR: (AddressSanitizer|libFuzzer)|runtime error' \
	  $(FUZZ_DIR)/log | head -60; echo "FUZZ FAILED (rc $$rc)"; exit 1; fi; \
	echo "fuzz: no failure in $(SECONDS) s"
	@$(MAKE) --no-print-directory fuzz-vq

# Replays: no libFuzzer, so gcc can build the target too.
$(FUZZ_DIR)/replay-%: tests/fuzz/replay.c $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$* $(FUZZ_WARN) -O1 $(FUZZ_SAN) -DFUZZ_TRACE=1 -c tests/fuzz/fuzz_odma.c -o $@-traced.o
	$* $(FUZZ_WARN) -O1 $(FUZZ_SAN) -DFUZZ_TRACE=0 -c tests/fuzz/fuzz_odma.c -o $@-plain.o
	$* $(FUZZ_WARN) -O1 $(FUZZ_SAN) tests/fuzz/replay.c $@-traced.o $@-plain.o -o $@

fuzz-replay: $(FUZZ_DIR)/replay-gcc $(FUZZ_DIR)/replay-$(FUZZ_CC) \
             $(FUZZ_DIR)/replay-vq-gcc $(FUZZ_DIR)/replay-vq-$(FUZZ_CC)
	$(FUZZ_DIR)/replay-gcc tests/fuzz/corpus
	$(FUZZ_DIR)/replay-$(FUZZ_CC) tests/fuzz/corpus
	$(FUZZ_DIR)/replay-vq-gcc tests/fuzz/corpus-vq
	$(FUZZ_DIR)/replay-vq-$(FUZZ_CC) tests/fuzz/corpus-vq

# Coverage: the checked-in corpus plus whatever `make fuzz` found.
$(FUZZ_DIR)/cov/replay: tests/fuzz/replay.c $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_WARN) -O0 -fprofile-instr-generate -fcoverage-mapping -DFUZZ_TRACE=1 \
	  -c tests/fuzz/fuzz_odma.c -o $@-traced.o
	$(FUZZ_CC) $(FUZZ_WARN) -O0 -fprofile-instr-generate -fcoverage-mapping -DFUZZ_TRACE=0 \
	  -c tests/fuzz/fuzz_odma.c -o $@-plain.o
	$(FUZZ_CC) $(FUZZ_WARN) -O0 -fprofile-instr-generate -fcoverage-mapping \
	  tests/fuzz/replay.c $@-traced.o $@-plain.o -o $@

fuzz-cov: $(FUZZ_DIR)/cov/replay
	rm -f $(FUZZ_DIR)/cov/*.profraw
	LLVM_PROFILE_FILE=$(FUZZ_DIR)/cov/%p.profraw $(FUZZ_DIR)/cov/replay tests/fuzz/corpus \
	  $(wildcard $(FUZZ_DIR)/corpus)
	$(LLVM_PROFDATA) merge -o $(FUZZ_DIR)/cov/all.profdata $(FUZZ_DIR)/cov/*.profraw
	$(LLVM_COV) report $(FUZZ_DIR)/cov/replay -instr-profile=$(FUZZ_DIR)/cov/all.profdata \
	  $(FUZZ_HEADERS)
	$(LLVM_COV) show $(FUZZ_DIR)/cov/replay -instr-profile=$(FUZZ_DIR)/cov/all.profdata \
	  -format=text $(FUZZ_HEADERS) > $(FUZZ_DIR)/cov/headers.txt
	@echo "line-by-line: $(FUZZ_DIR)/cov/headers.txt"

# Issue 13: the virtqueue fuzzer, odma/virtio.h against its own model of
# the virtio rules (tests/fuzz/fuzz_vq.c). CI's `make fuzz SECONDS=60` runs
# it for VQ_SECONDS after the odma fuzzer (about 100 s in all with builds).
VQ_SECONDS ?= 30
VQ_DEPS := tests/fuzz/fuzz_vq.c $(HEADERS) tests/fuzz/rules.mk
$(FUZZ_DIR)/fuzz_vq: $(VQ_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_WARN) -O1 $(FUZZ_SAN) -fsanitize=fuzzer $< -o $@

fuzz-vq: $(FUZZ_DIR)/fuzz_vq
	@mkdir -p $(FUZZ_DIR)/vq-corpus
	@echo "fuzzing the virtqueue parser for $(VQ_SECONDS) s (log: $(FUZZ_DIR)/vq-log)"
	@rc=0; $(FUZZ_DIR)/fuzz_vq -max_total_time=$(VQ_SECONDS) -max_len=1024 -timeout=20 \
	  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/vq- $(FUZZ_ARGS) \
	  $(FUZZ_DIR)/vq-corpus tests/fuzz/corpus-vq >$(FUZZ_DIR)/vq-log 2>&1 || rc=$$?; \
	grep -E '^#[0-9]+ +(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec)' \
	  $(FUZZ_DIR)/vq-log; \
	if [ $$rc -ne 0 ]; then grep -E -A40 'check failed|ERROR: (AddressSanitizer|libFuzzer)|runtime error' \
	  $(FUZZ_DIR)/vq-log | head -60; echo "FUZZ-VQ FAILED (rc $$rc)"; exit 1; fi; \
	echo "fuzz-vq: no failure in $(VQ_SECONDS) s"

$(FUZZ_DIR)/replay-vq-%: tests/fuzz/replay.c $(VQ_DEPS)
	@mkdir -p $(@D)
	$* $(FUZZ_WARN) -O1 $(FUZZ_SAN) tests/fuzz/replay.c tests/fuzz/fuzz_vq.c -o $@

.PHONY: fuzz-vq
