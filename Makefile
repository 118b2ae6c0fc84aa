# SPDX-License-Identifier: MIT
# odma - header-only; this Makefile builds and runs its tests and examples.
#
#   make test       cmocka unit tests, with gcc and (if installed) clang
#   make demo       build and run the examples
#   make install    headers, odma.pc, CMake package under $(DESTDIR)$(PREFIX)
#   make uninstall  removes them again
#   make clean
#
# Options: SANITIZE=address,undefined   build everything with sanitizers
#          COMPILERS="gcc clang"        which compilers `make test` uses

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
VERSION := 0.1.0

COMPILERS ?= gcc $(shell command -v clang >/dev/null 2>&1 && echo clang)
DEMO_CC ?= gcc

WARN := -Wall -Wextra -Werror
CSTD := -std=c11
ifneq ($(SANITIZE),)
SAN := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
# -O1: gcc 12 reports false -Warray-bounds errors under UBSan at -O2.
OPT ?= -O1 -g
endif
OPT ?= -O2 -g
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) $(SAN) -Iinclude $(CFLAGS)
LDLIBS_ALL = -pthread $(LDLIBS)

HEADERS := include/odma.h $(wildcard include/odma/*.h)
TEST_SRCS := $(wildcard tests/test_*.c)
TEST_NAMES := $(basename $(notdir $(TEST_SRCS)))
TEST_DEPS := $(HEADERS) $(wildcard tests/*.h)
# Every example is one program, build/examples/NAME, run by `make demo` with
# no arguments. Each prints rows of the demo table, in this format:
#   printf("%-10s %-13s %9lu %7lu %12.0f  %s\n",
#          example, policy, items, errors, items_per_second, "PASS"/"FAIL");
# and exits non-zero on any error; exit status 77 (after one line saying
# why) means "cannot run here" and shows as a SKIP row. examples/demo.sh
# runs them all and prints the closing table.
EXAMPLES := desc_ring nvme_cq e1000_rx xen_ioreq kvm_device

.PHONY: all test demo install uninstall clean readme-example litmus cross-test codegen bench
.PHONY: bench-icount-check bench-icount-update
.PHONY: fuzz fuzz-replay fuzz-cov compat compat-matrix compat-cxx compat-dropin packaging-check
.PHONY: herd

all: $(foreach cc,$(COMPILERS),$(addprefix $(BUILD)/$(cc)/,$(TEST_NAMES))) \
     $(addprefix $(BUILD)/examples/,$(EXAMPLES))

# One set of test binaries per compiler: build/gcc/test_x, build/clang/test_x.
define test_rules
$(BUILD)/$(1)/%: tests/%.c $(TEST_DEPS)
	@mkdir -p $$(@D)
	$(1) $$(CFLAGS_ALL) $$< -o $$@ -lcmocka $$(LDLIBS_ALL)
endef
$(foreach cc,$(COMPILERS),$(eval $(call test_rules,$(cc))))

test: $(foreach cc,$(COMPILERS),$(addprefix $(BUILD)/$(cc)/,$(TEST_NAMES)))
	@failed=""; \
	for cc in $(COMPILERS); do for t in $(TEST_NAMES); do \
	  echo "== $$cc $$t"; \
	  if $(BUILD)/$$cc/$$t; then :; else failed="$$failed $$cc/$$t"; fi; \
	done; done; \
	if [ -n "$$failed" ]; then echo "FAILED:$$failed"; exit 1; fi; \
	echo "all tests passed: $(words $(TEST_NAMES)) programs x $(words $(COMPILERS)) compilers"

$(BUILD)/examples/%: examples/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(DEMO_CC) $(CFLAGS_ALL) $< -o $@ $(LDLIBS_ALL)

include examples/rules.mk

demo: $(addprefix $(BUILD)/examples/,$(EXAMPLES))
	@sh examples/demo.sh $(BUILD)/examples $(EXAMPLES)

include tests/harness/rules.mk

# Headers, odma.pc (pkg-config) and a CMake package (find_package(odma),
# target odma::odma; templates in tests/packaging/). uninstall removes all
# of it, then every directory install made that is left empty.
CMAKE_DIR = $(DESTDIR)$(PREFIX)/lib/cmake/odma
install:
	install -d $(DESTDIR)$(PREFIX)/include/odma $(DESTDIR)$(PREFIX)/lib/pkgconfig $(CMAKE_DIR)
	install -m 644 include/odma.h $(DESTDIR)$(PREFIX)/include/odma.h
	install -m 644 $(wildcard include/odma/*.h) $(DESTDIR)$(PREFIX)/include/odma/
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' '' \
	  'Name: odma' 'Description: Ordered DMA accessors for emulated device models (header-only)' \
	  'Version: $(VERSION)' 'Cflags: -I$${includedir}' \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/odma.pc
	sed 's/@VERSION@/$(VERSION)/g' tests/packaging/odmaConfig.cmake.in > $(CMAKE_DIR)/odmaConfig.cmake
	sed 's/@VERSION@/$(VERSION)/g' tests/packaging/odmaConfigVersion.cmake.in \
	  > $(CMAKE_DIR)/odmaConfigVersion.cmake
	chmod 644 $(CMAKE_DIR)/odmaConfig.cmake $(CMAKE_DIR)/odmaConfigVersion.cmake

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/odma.h $(DESTDIR)$(PREFIX)/lib/pkgconfig/odma.pc
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/include/odma/,$(notdir $(wildcard include/odma/*.h)))
	rm -f $(CMAKE_DIR)/odmaConfig.cmake $(CMAKE_DIR)/odmaConfigVersion.cmake
	for d in include/odma lib/cmake/odma lib/cmake lib/pkgconfig lib include; do \
	  rmdir $(DESTDIR)$(PREFIX)/$$d 2>/dev/null || true; done

clean:
	rm -rf $(BUILD)

# Issue 6: litmus suite, cross-arch runs under qemu-user, codegen table.
include tests/litmus/rules.mk tests/cross/rules.mk tests/codegen/rules.mk
include tests/bench/rules.mk
# Issue 8: fuzzing, compile matrix / C++ / drop-in, packaging.
include tests/fuzz/rules.mk tests/compat/rules.mk tests/packaging/rules.mk
# Issue 15: herd7 judges litmus tests built from the emitted instructions.
include tests/herd/rules.mk
# Issue 11: ThreadSanitizer check.
.PHONY: tsan tsan-identical
include tests/tsan/rules.mk
# Issue 13: the vhost-user backend against real drivers, and its benchmark.
.PHONY: vhost-check bench-vhost
include tests/vhost/rules.mk
# Issue 14: protocol rules for the trace checker (tests in tests/test_rules*.c).
include tests/rules/rules.mk
# Issue 16: odma inside QEMU (make qemu-check).
.PHONY: qemu-check
include tests/qemu/rules.mk
