# SPDX-License-Identifier: MIT
# Issue 16: odma inside QEMU. `make qemu-check` fetches QEMU's source from
# Debian, builds a minimal x86_64-softmmu with our odma-ring device
# (examples/qemu/) and runs the qtest scenarios; see tests/qemu/README.md.
# Options: ODMA_QEMU_CACHE (build cache, default ~/.cache/odma-qemu),
#          QEMU_COMPILERS ("gcc clang"), JOBS (default 2), QEMU_MUTANTS=0,
#          SANITIZE (for our qtest client).
qemu-check:
	@SANITIZE=$(SANITIZE) bash tests/qemu/qemu-check.sh $(BUILD)/qemu
