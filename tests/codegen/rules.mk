# SPDX-License-Identifier: MIT
# tests/codegen/rules.mk - `make codegen` (included by the top-level Makefile).
#
# Compiles tests/codegen/probe.c with every installed cross compiler (and gcc
# and clang for x86-64), prints the markdown tables of the instructions
# emitted (also written to $(BUILD)/codegen/table.md), checks statically
# that relaxed accessors hold no barrier (x86-64, aarch64), then counts the
# barriers an ordered W->R pair really executes (tests/codegen/steps.sh).

codegen:
	@mkdir -p $(BUILD)/codegen
	@rc=0; tests/codegen/codegen.sh $(BUILD)/codegen >$(BUILD)/codegen/table.md || rc=$$?; \
	  cat $(BUILD)/codegen/table.md; exit $$rc
	@echo
	@tests/codegen/steps.sh $(BUILD)/codegen
