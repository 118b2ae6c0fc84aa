# SPDX-License-Identifier: MIT
# examples/rules.mk - included by the top-level Makefile.
#
# kvm_device is more than one C file: an x86-64 guest (guest.s),
# assembled with the system assembler, flattened with objcopy, and turned
# into C bytes that kvm_device.c includes. On a host that is not x86-64
# the program is built without a guest and exits 77 (skipped).

KVM_GUEST_DIR := $(BUILD)/examples/kvm_device.guest
ifeq ($(shell uname -m),x86_64)
KVM_GUEST_INC := $(KVM_GUEST_DIR)/guest.inc
endif

$(KVM_GUEST_DIR)/guest.o: examples/kvm_device/guest.s
	@mkdir -p $(@D)
	as --64 -o $@ $<
	@if objdump -r $@ | grep -q '^[0-9a-f]\{8,16\} '; then \
	  echo "$<: the guest image must need no relocations" >&2; rm -f $@; exit 1; fi

$(KVM_GUEST_DIR)/guest.bin: $(KVM_GUEST_DIR)/guest.o
	objcopy -O binary -j .text $< $@

$(KVM_GUEST_DIR)/guest.inc: $(KVM_GUEST_DIR)/guest.bin
	od -An -v -tx1 $< | sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g' > $@

$(BUILD)/examples/kvm_device: examples/kvm_device/kvm_device.c $(KVM_GUEST_INC) $(HEADERS)
	@mkdir -p $(@D)
	$(DEMO_CC) $(CFLAGS_ALL) -I$(KVM_GUEST_DIR) $< -o $@ $(LDLIBS_ALL)

# Tests that run an example binary (tests/run_example.h finds it next to
# their own build directory) need it built first, also in a fresh clone.
$(foreach cc,$(COMPILERS),$(BUILD)/$(cc)/test_kvm_device): $(BUILD)/examples/kvm_device
$(foreach cc,$(COMPILERS),$(BUILD)/$(cc)/test_xen_ioreq): $(BUILD)/examples/xen_ioreq

# vhost_user: a vhost-user backend (examples/vhost_user/*.c, one concern a
# file), served to real drivers by `make vhost-check` (tests/vhost/).
VHOST_SRCS := $(sort $(wildcard examples/vhost_user/*.c))
VHOST_DEPS := $(VHOST_SRCS) $(wildcard examples/vhost_user/*.h) $(HEADERS)

$(BUILD)/examples/vhost_user_backend: $(VHOST_DEPS)
	@mkdir -p $(@D)
	$(DEMO_CC) $(CFLAGS_ALL) $(VHOST_SRCS) -o $@ $(LDLIBS_ALL)

# `make demo` runs build/examples/vhost_user: a script that drives the
# backend with user-mode-linux and DPDK (tests/vhost/demo.sh), or says
# why it cannot (exit 77).
EXAMPLES += vhost_user
$(BUILD)/examples/vhost_user: tests/vhost/demo.sh tests/vhost/lib.sh $(BUILD)/examples/vhost_user_backend
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec sh "%s/tests/vhost/demo.sh" "%s/examples/vhost_user_backend" "%s/tests/vhost"\n' \
	  "$(CURDIR)" "$(abspath $(BUILD))" "$(CURDIR)" > $@
	chmod +x $@
