# SPDX-License-Identifier: MIT
# The test harness (odma/testing.h, issue 4): extra rules, included by the
# top-level Makefile.
#
# - The device models in examples/*.h are dependencies of the example
#   programs and of the tests that include them.
# - `make test` also runs `make readme-example`: it extracts the README's
#   cmocka example (the ```c block after README_MARK), compiles it with
#   every compiler in COMPILERS and runs it; then builds its buggy variant
#   (the completion written with dma_write_relaxed), which must fail, with
#   every line of the report the README shows (the block after REPORT_MARK).

MODEL_HEADERS := $(wildcard examples/*.h)
$(addprefix $(BUILD)/examples/,$(EXAMPLES)): $(MODEL_HEADERS)
$(foreach cc,$(COMPILERS),$(addprefix $(BUILD)/$(cc)/,$(TEST_NAMES))): $(MODEL_HEADERS)

README_MARK := <!-- readme-example: compiled and run by make test -->
REPORT_MARK := <!-- readme-report: make test checks that the buggy variant prints this -->
# The ``` block that follows the line $(1), from README.md into $@.
readme_block = awk -v mark='$(1)' 'f == 2 && /^```/ { exit } f == 2 { print } \
	  f == 1 && /^```/ { f = 2 } index($$0, mark) == 1 { f = 1 }' README.md > $@.tmp && \
	test -s $@.tmp && mv $@.tmp $@ || { echo "README.md: no block after '$(1)'"; exit 1; }

$(BUILD)/readme/example.c: README.md tests/harness/rules.mk
	@mkdir -p $(@D)
	@$(call readme_block,$(README_MARK))

$(BUILD)/readme/report.txt: README.md tests/harness/rules.mk
	@mkdir -p $(@D)
	@$(call readme_block,$(REPORT_MARK))

$(BUILD)/readme/buggy.c: $(BUILD)/readme/example.c
	sed -e 's|dma_write_publish(&dev, 0x1000, cqe, 16, 14, 2);|dma_write_relaxed(\&dev, 0x1000, cqe, 16);|' \
	    -e '/assert_dma_trace(/d' $< > $@.tmp
	@grep -q 'dma_write_relaxed(&dev' $@.tmp || { echo "$<: the publish line changed"; exit 1; }
	@mv $@.tmp $@

define readme_rules
$(BUILD)/$(1)/readme_example: $(BUILD)/readme/example.c $(HEADERS)
	@mkdir -p $$(@D)
	$(1) $$(CFLAGS_ALL) $$< -o $$@ -lcmocka $$(LDLIBS_ALL)
$(BUILD)/$(1)/readme_buggy: $(BUILD)/readme/buggy.c $(HEADERS)
	@mkdir -p $$(@D)
	$(1) $$(CFLAGS_ALL) $$< -o $$@ -lcmocka $$(LDLIBS_ALL)
endef
$(foreach cc,$(COMPILERS),$(eval $(call readme_rules,$(cc))))

readme-example: $(BUILD)/readme/report.txt \
                $(foreach cc,$(COMPILERS),$(BUILD)/$(cc)/readme_example $(BUILD)/$(cc)/readme_buggy)
	@for cc in $(COMPILERS); do \
	  echo "== $$cc readme_example"; $(BUILD)/$$cc/readme_example || exit 1; \
	  echo "== $$cc readme_buggy (must fail with the README's report)"; \
	  if $(BUILD)/$$cc/readme_buggy > $(BUILD)/readme/buggy.$$cc.out 2>&1; then \
	    echo "the buggy README example passed"; exit 1; fi; \
	  while IFS= read -r line; do \
	    grep -qF -- "$$line" $(BUILD)/readme/buggy.$$cc.out || \
	      { echo "not in its output: $$line"; cat $(BUILD)/readme/buggy.$$cc.out; exit 1; }; \
	  done < $(BUILD)/readme/report.txt; \
	  echo "   failed as documented"; \
	done

test: readme-example

# The short example at the top of the README (the block after
# SNIPPET_MARK): a fragment, so it is wrapped in a function whose
# parameters are the names it uses, then compiled (not run) with every
# compiler in COMPILERS.
SNIPPET_MARK := <!-- readme-snippet: compiled by make test, inside a function -->
$(BUILD)/readme/snippet.c: README.md tests/harness/rules.mk
	@mkdir -p $(@D)
	@$(call readme_block,$(SNIPPET_MARK))
	@{ grep '^#include' $@; \
	  echo 'void readme_snippet(void *ram, uint64_t ram_size, uint64_t desc_gpa,'; \
	  echo '                    uint64_t buf_gpa, void *data, size_t len, uint64_t cqe_gpa);'; \
	  echo 'void readme_snippet(void *ram, uint64_t ram_size, uint64_t desc_gpa,'; \
	  echo '                    uint64_t buf_gpa, void *data, size_t len, uint64_t cqe_gpa)'; \
	  echo '{'; grep -v '^#include' $@; echo '}'; } > $@.tmp && mv $@.tmp $@

readme-snippet: $(BUILD)/readme/snippet.c $(HEADERS)
	@for cc in $(COMPILERS); do \
	  echo "== $$cc readme_snippet (compile only)"; \
	  $$cc $(CFLAGS_ALL) -c $< -o $(BUILD)/readme/snippet.$$cc.o || exit 1; \
	done

test: readme-snippet
.PHONY: readme-snippet
