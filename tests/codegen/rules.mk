# SPDX-License-Identifier: MIT
# tests/codegen/rules.mk - `make codegen` (included by the top-level Makefile).
#
# Three parts, each a script of tests/codegen/ (see its README.md):
#   codegen.sh  compiles tests/codegen/probe.c for every architecture x
#               compiler (gcc and clang; x86-64 and the five cross
#               targets), prints the markdown tables of the instructions
#               emitted (also written to $(BUILD)/codegen/table.md) and
#               checks statically: no atomic RMW or library copy on the
#               device path, x86-64 odma_mb() one lock-prefixed
#               instruction, relaxed accessors barrier-free;
#   run.sh      runs the probes under qemu-user: fence instructions each
#               barrier executes (the table, $(BUILD)/codegen/fences.md),
#               every device-region call through odma__device_move;
#   steps.sh    counts the barriers an ordered W->R pair executes.
# Last line: "codegen: N passed, N failed"; exit 1 on any failure.

codegen:
	@mkdir -p $(BUILD)/codegen
	@d=$(BUILD)/codegen; rc=0; \
	  tests/codegen/codegen.sh $$d >$$d/table.md || rc=1; cat $$d/table.md; echo; \
	  tests/codegen/run.sh $$d >$$d/run.txt || rc=1; cat $$d/run.txt; echo; \
	  tests/codegen/steps.sh $$d >$$d/steps.txt || rc=1; cat $$d/steps.txt; \
	  for f in table.md run.txt steps.txt; do tail -n 1 $$d/$$f; done | \
	    awk -v rc=$$rc '/^[a-z]+: [0-9]+ passed, [0-9]+ failed$$/ { p += $$2; f += $$4; n++ } \
	      END { if (n != 3 || (rc && !f)) f++; printf "codegen: %d passed, %d failed\n", p, f; exit f > 0 }'
