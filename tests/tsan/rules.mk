# SPDX-License-Identifier: MIT
# tests/tsan/rules.mk - `make tsan` (included by the top-level Makefile):
# a race-free device/driver program under ThreadSanitizer, gcc and clang,
# -O1 and -O2, must get 0 reports (a racy control must get some), and the
# TSan-only code in the headers must leave normal builds byte-for-byte
# unchanged (`make tsan-identical` runs that part alone).
# See tests/tsan/README.md.

tsan:
	@tests/tsan/run.sh $(BUILD)/tsan

tsan-identical:
	@tests/tsan/identical.sh $(BUILD)/tsan/identical
