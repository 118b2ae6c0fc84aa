# SPDX-License-Identifier: MIT
# tests/herd/rules.mk - `make herd` (included by the top-level Makefile).
#
# Litmus tests built from the instructions gcc and clang emit for odma's
# promises (aarch64, ppc64le, riscv64, x86-64) and from odma's own trace
# (C11), judged by herd7; see tests/herd/README.md. herd7 is found through
# HERD7=..., then PATH, then ../shared/tools/herdtools7; without one the
# target prints SKIP (fails under CI=true). HERD_JOBS: parallel qemu/herd7
# runs (default 2). HERD_INCLUDE: the library to judge (default include/;
# point it at a modified copy to see `make herd` fail). Output and litmus
# files: $(BUILD)/herd/.

HERD_JOBS ?= 2
HERD_INCLUDE ?= include

herd:
	@python3 tests/herd/herd.py --out $(BUILD)/herd --jobs $(HERD_JOBS) --include $(HERD_INCLUDE)
