# SPDX-License-Identifier: MIT
# tests/vhost/rules.mk - make vhost-check, make bench-vhost (included by
# the top-level Makefile). See tests/vhost/README.md.

VHOST_BAD := $(BUILD)/vhost/bad_driver

$(VHOST_BAD): tests/vhost/bad_driver.c examples/vhost_user/msg.c examples/vhost_user/proto.h
	@mkdir -p $(@D)
	$(DEMO_CC) $(CSTD) $(WARN) $(OPT) $(SAN) $(CFLAGS) tests/vhost/bad_driver.c \
	  examples/vhost_user/msg.c -o $@

vhost-check: $(BUILD)/examples/vhost_user_backend $(VHOST_BAD)
	sh tests/vhost/check.sh $(BUILD)/examples/vhost_user_backend $(VHOST_BAD)

bench-vhost: $(BUILD)/examples/vhost_user_backend
	sh tests/vhost/bench.sh $(BUILD)/examples/vhost_user_backend $(if $(QUICK),--quick)
