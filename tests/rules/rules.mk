# SPDX-License-Identifier: MIT
# tests/rules/rules.mk - protocol-rule tests (issue 14), included by the
# Makefile. The test programs are ordinary tests/test_rules*.c (built and
# run by `make test`); these lines only add the example sources they
# compile in, so that editing an example rebuilds them.
$(foreach cc,$(COMPILERS),$(BUILD)/$(cc)/test_rules_xen): examples/xen_ioreq.c examples/example.h
$(foreach cc,$(COMPILERS),$(BUILD)/$(cc)/test_rules_devices): examples/nvme_cq.h examples/e1000_rx.h
