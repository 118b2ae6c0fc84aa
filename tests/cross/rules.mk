# SPDX-License-Identifier: MIT
# tests/cross/rules.mk - the unit tests on other architectures, under
# qemu-user (included by the top-level Makefile).
#
#   make cross-test                  every arch in CROSS_ARCHES
#   make cross-test CROSS_ARCHES=s390x
#   make cross-test CROSS_REQUIRE=1  a missing compiler or qemu is an error
#                                    (CI), not a skip
#
# Each tests/test_*.c is built with the arch's cross gcc, linked statically
# against a cmocka built from Debian's source package (tests/cross/cmocka.sh
# says why not multiarch), and run with qemu-user. qemu-user runs guest
# threads as host threads on this x86 host and maps guest barriers onto
# x86's strong ordering: it checks byte order, atomicity and that every
# barrier compiles and links, not Arm/POWER/RISC-V reordering.

CROSS_ARCHES ?= aarch64 ppc64le riscv64 s390x armhf
# Not the integration tests that run the host's example programs
# (kvm_device needs x86 KVM); what they exercise is in the unit tests.
CROSS_TEST_NAMES := $(filter-out test_kvm_device test_xen_ioreq test_rules_xen,$(TEST_NAMES))
CROSS_LITMUS_ITER ?= 100000
CROSS_BUILD := $(BUILD)/cross
CROSS_CMOCKA := $(CROSS_BUILD)/cmocka
CROSS_CFLAGS = $(CSTD) $(WARN) $(OPT) -Iinclude -I$(CROSS_CMOCKA)/include $(CFLAGS)

cross_cc_aarch64 := aarch64-linux-gnu-gcc
cross_cc_ppc64le := powerpc64le-linux-gnu-gcc
cross_cc_riscv64 := riscv64-linux-gnu-gcc
cross_cc_s390x := s390x-linux-gnu-gcc
cross_cc_armhf := arm-linux-gnueabihf-gcc
cross_qemu_aarch64 := qemu-aarch64
cross_qemu_ppc64le := qemu-ppc64le
cross_qemu_riscv64 := qemu-riscv64
cross_qemu_s390x := qemu-s390x
cross_qemu_armhf := qemu-arm
cross_endian_s390x := big

$(CROSS_CMOCKA)/src/.stamp: tests/cross/cmocka.sh
	tests/cross/cmocka.sh fetch $(CROSS_CMOCKA)
	@touch $@

define cross_rules
$(CROSS_CMOCKA)/$(1)/libcmocka.a: $(CROSS_CMOCKA)/src/.stamp
	tests/cross/cmocka.sh build $(CROSS_CMOCKA) $(1) $(cross_cc_$(1))

$(CROSS_BUILD)/$(1)/%: tests/%.c $(TEST_DEPS) $(CROSS_CMOCKA)/$(1)/libcmocka.a
	@mkdir -p $$(@D)
	$(cross_cc_$(1)) $$(CROSS_CFLAGS) -static $$< -o $$@ $(CROSS_CMOCKA)/$(1)/libcmocka.a -pthread

cross-build-$(1): $(addprefix $(CROSS_BUILD)/$(1)/,$(CROSS_TEST_NAMES))
endef
$(foreach a,$(CROSS_ARCHES),$(eval $(call cross_rules,$(a))))

# Arches whose compiler and qemu are both installed.
cross_have = $(strip $(foreach a,$(CROSS_ARCHES),$(if $(shell command -v $(cross_cc_$(a)) >/dev/null 2>&1 && command -v $(cross_qemu_$(a)) >/dev/null 2>&1 && echo y),$(a))))
cross_missing = $(filter-out $(cross_have),$(CROSS_ARCHES))

cross-test:
	@$(if $(cross_missing),echo "cross-test: SKIP $(cross_missing): compiler or qemu-user not installed" \
	  "(apt-get install $(foreach a,$(cross_missing),gcc-$(patsubst %-gcc,%,$(cross_cc_$(a)))) qemu-user)"; \
	  $(if $(CROSS_REQUIRE),exit 1,:))
	@$(MAKE) --no-print-directory $(addprefix cross-build-,$(cross_have))
	@passed=""; failed=""; \
	for triple in $(foreach a,$(cross_have),$(a):$(cross_qemu_$(a)):$(or $(cross_endian_$(a)),little)); do \
	  a=$${triple%%:*}; rest=$${triple#*:}; q=$${rest%%:*}; endian=$${rest#*:}; ok=1; \
	  for t in $(CROSS_TEST_NAMES); do \
	    echo "== $$a $$t"; \
	    ODMA_LITMUS_ITER=$(CROSS_LITMUS_ITER) ODMA_EXPECT_ENDIAN=$$endian \
	      $$q $(CROSS_BUILD)/$$a/$$t || { ok=0; failed="$$failed $$a/$$t"; }; \
	  done; \
	  [ $$ok = 1 ] && passed="$$passed $$a"; \
	done; \
	echo "cross-test: passed under qemu-user:$${passed:- none}"; \
	$(if $(cross_missing),echo "cross-test: skipped (not installed): $(cross_missing)";) \
	if [ -n "$$failed" ]; then echo "cross-test: FAILED:$$failed"; exit 1; fi

.PHONY: cross-test $(addprefix cross-build-,$(CROSS_ARCHES))
