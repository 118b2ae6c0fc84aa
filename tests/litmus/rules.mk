# SPDX-License-Identifier: MIT
# tests/litmus/rules.mk - `make litmus` (included by the top-level Makefile).
#
#   make litmus                   every shape and form, ITER iterations each
#   make litmus ITER=10000000     a longer run
#   make litmus LITMUS_CC=clang   built with clang (odma_mb() differs on x86)
#   make litmus LITMUS_ARGS="--shape SB --stagger t1"   see tests/litmus/litmus.c

ITER ?= 1000000
LITMUS_CC ?= gcc
LITMUS_ARGS ?=

$(BUILD)/litmus/$(LITMUS_CC)/litmus: tests/litmus/litmus.c tests/threads.h $(HEADERS)
	@mkdir -p $(@D)
	$(LITMUS_CC) $(CFLAGS_ALL) $< -o $@ $(LDLIBS_ALL)

litmus: $(BUILD)/litmus/$(LITMUS_CC)/litmus
	$< -n $(ITER) $(LITMUS_ARGS)
