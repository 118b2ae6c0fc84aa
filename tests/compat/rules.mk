# SPDX-License-Identifier: MIT
# tests/compat/rules.mk - compile matrix, C++ and drop-in checks (included
# by the Makefile).
#
#   make compat          all three below, in parallel (COMPAT_JOBS, default nproc)
#   make compat-matrix   COMPAT_CCS x COMPAT_STDS x COMPAT_OPTS, with
#                        COMPAT_WARN: every header alone, all headers together
#                        (reverse order), and tests/compat/api.c (every public
#                        function, plain and with ODMA_TRACE + odma/testing.h).
#                        -O0: -fsyntax-only for the headers; -O2/-Os and api.c
#                        always generate code, so optimiser warnings show.
#   make compat-cxx      tests/compat/cxx_checks.cc built and run with each of
#                        COMPAT_CXXS x COMPAT_CXXSTDS (c++23 falls back to
#                        c++2b where a compiler does not know the name yet)
#   make compat-dropin   odma before/after a tree's barrier macros and DMA names;
#                        ODMA_NO_SMP_NAMES (+ a negative control); three files,
#                        C and C++, sharing the ordering state (+ a control)
#   make compat-trees    odma inside fake QEMU, QEMU 5.x and kvmtool trees
#                        (tests/compat/trees/) under each tree's exact warning
#                        set, gcc and clang; the static dma_* name clash and
#                        ODMA_NO_SHORT_NAMES (+ controls). tests/compat/trees.sh
#   make compat-names    every dma_X function has an odma_X twin of the same
#                        type; ODMA_NO_SHORT_NAMES leaves none (list derived
#                        from the headers by gcc -aux-info). tests/compat/names.sh
#
# `make compat` runs the five in parallel; its last line counts them:
#   compat: N passed, N failed

COMPAT_CCS ?= gcc clang
COMPAT_CXXS ?= g++ clang++
COMPAT_STDS ?= c11 c17 c2x
COMPAT_CXXSTDS ?= c++17 c++20 c++23
COMPAT_OPTS ?= O0 O2 Os
COMPAT_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
COMPAT_WARN := -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror
COMPAT_DIR := $(BUILD)/compat
COMPAT_HDRS := $(patsubst include/%,%,$(HEADERS))
COMPAT_REVERSED := $(shell printf '%s\n' $(COMPAT_HDRS) | sort -r)
COMPAT_CFGS := $(foreach c,$(COMPAT_CCS),$(foreach s,$(COMPAT_STDS),\
                 $(foreach o,$(COMPAT_OPTS),$(c)_$(s)_$(o))))
COMPAT_CXX_CFGS := $(foreach c,$(COMPAT_CXXS),$(foreach s,$(COMPAT_CXXSTDS),$(c)_$(s)))
COMPAT_TUS := $(words $(COMPAT_HDRS) all api api+trace)

COMPAT_PARTS := compat-matrix compat-cxx compat-dropin compat-trees compat-names

compat:
	@start=$$(date +%s); rm -rf $(COMPAT_DIR)/passed; mkdir -p $(COMPAT_DIR)/passed; \
	$(MAKE) --no-print-directory -k -Otarget -j$(COMPAT_JOBS) \
	  $(addprefix $(COMPAT_DIR)/passed/,$(COMPAT_PARTS)); \
	p=$$(ls $(COMPAT_DIR)/passed | wc -l); \
	echo "compat: took $$(( $$(date +%s) - start )) s; failed:" \
	  $$(for t in $(COMPAT_PARTS); do [ -e $(COMPAT_DIR)/passed/$$t ] || echo $$t; done); \
	echo "compat: $$p passed, $$(( $(words $(COMPAT_PARTS)) - p )) failed"; \
	[ $$p -eq $(words $(COMPAT_PARTS)) ]

# One part of `make compat`, marked when it passed.
$(COMPAT_DIR)/passed/%: FORCE_COMPAT
	@$(MAKE) --no-print-directory $* && touch $@
.PHONY: FORCE_COMPAT compat-trees compat-names
FORCE_COMPAT:

compat-trees:
	@tests/compat/trees.sh $(COMPAT_DIR)/trees

compat-names:
	@tests/compat/names.sh $(COMPAT_DIR)/names

compat-matrix: $(addprefix $(COMPAT_DIR)/,$(addsuffix .ok,$(COMPAT_CFGS)))
	@echo "compat-matrix: $(words $(COMPAT_CFGS)) configurations ($(COMPAT_CCS) x" \
	  "$(COMPAT_STDS) x $(COMPAT_OPTS)) x $(COMPAT_TUS) translation units =" \
	  "$$(( $(words $(COMPAT_CFGS)) * $(COMPAT_TUS) )) compiles, all clean"

# One configuration, CC_STD_OPT: every translation unit, stop at the first failure.
$(COMPAT_DIR)/%.ok: $(HEADERS) tests/compat/api.c tests/compat/rules.mk
	@mkdir -p $(@D)
	@set -e; set -- $(subst _, ,$*); cc=$$1; std=$$2; opt=$$3; \
	flags="-x c -std=$$std -$$opt $(COMPAT_WARN) -Iinclude"; \
	if [ $$opt = O0 ]; then out=-fsyntax-only; else out="-c -o /dev/null"; fi; \
	for h in $(COMPAT_HDRS); do \
	  printf '#include <%s>\n' $$h | $$cc $$flags $$out - || \
	    { echo "compat: $$cc -std=$$std -$$opt: <$$h> alone fails"; exit 1; }; \
	done; \
	printf '#include <%s>\n' $(COMPAT_REVERSED) | $$cc $$flags $$out - || \
	  { echo "compat: $$cc -std=$$std -$$opt: all headers together fail"; exit 1; }; \
	for t in "" -DCOMPAT_TRACE; do \
	  $$cc $$flags $$t -c tests/compat/api.c -o /dev/null || \
	    { echo "compat: $$cc -std=$$std -$$opt $$t: tests/compat/api.c fails"; exit 1; }; \
	done
	@touch $@

# C++: build with the standard's name, or its pre-release name (c++2b).
$(COMPAT_DIR)/cxx_%: tests/compat/cxx_checks.cc $(HEADERS) tests/compat/rules.mk
	@mkdir -p $(@D)
	@set -e; set -- $(subst _, ,$*); cxx=$$1; std=$$2; \
	if ! $$cxx -std=$$std -x c++ -fsyntax-only /dev/null 2>/dev/null; then \
	  std=$$(echo $$std | sed 's/23$$/2b/; s/26$$/2c/'); fi; \
	echo "$$cxx -std=$$std -O2 $(COMPAT_WARN) tests/compat/cxx_checks.cc"; \
	$$cxx -std=$$std -O2 $(COMPAT_WARN) -Iinclude tests/compat/cxx_checks.cc -o $@ -pthread

compat-cxx: $(addprefix $(COMPAT_DIR)/cxx_,$(COMPAT_CXX_CFGS))
	@for c in $(COMPAT_CXX_CFGS); do printf '%-20s ' "$$c:"; $(COMPAT_DIR)/cxx_$$c || exit 1; done

COMPAT_DROPIN_FLAGS := -O2 -Wall -Wextra -Wshadow -Wconversion -Werror -Iinclude

compat-dropin: $(HEADERS) $(wildcard tests/compat/*.c tests/compat/*.h tests/compat/*.cc)
	@mkdir -p $(COMPAT_DIR)/dropin
	@set -e; d=$(COMPAT_DIR)/dropin; \
	for cc in $(COMPAT_CCS); do for std in c11 gnu11; do for order in "" -DODMA_FIRST; do \
	  $$cc -std=$$std $$order $(COMPAT_DROPIN_FLAGS) tests/compat/dropin.c -o $$d/dropin; \
	  printf '%-6s %-6s ' $$cc $$std; $$d/dropin; \
	done; done; done; \
	for cxx in $(COMPAT_CXXS); do for order in "" -DODMA_FIRST; do \
	  $$cxx -x c++ -std=c++17 $$order $(COMPAT_DROPIN_FLAGS) tests/compat/dropin.c -o $$d/dropin; \
	  printf '%-6s %-6s ' $$cxx c++17; $$d/dropin; \
	done; done; \
	for cc in $(COMPAT_CCS); do \
	  $$cc -std=c11 $(COMPAT_DROPIN_FLAGS) tests/compat/nosmp.c -o $$d/nosmp; $$d/nosmp; \
	  if $$cc -std=c11 -DNEGATIVE_CONTROL $(COMPAT_DROPIN_FLAGS) tests/compat/nosmp.c \
	       -o $$d/nosmp-control 2>/dev/null; then \
	    echo "nosmp: negative control compiled: odma did not define smp_mb?"; exit 1; fi; \
	done; \
	echo "nosmp: without ODMA_NO_SMP_NAMES the same file fails to compile: ok"; \
	gcc -std=c11 $(COMPAT_DROPIN_FLAGS) -c tests/compat/tu_main.c -o $$d/tu_main.o; \
	clang -std=c11 $(COMPAT_DROPIN_FLAGS) -c tests/compat/tu_other.c -o $$d/tu_other.o; \
	g++ -std=c++17 $(COMPAT_DROPIN_FLAGS) -c tests/compat/tu_cxx.cc -o $$d/tu_cxx.o; \
	g++ $$d/tu_main.o $$d/tu_other.o $$d/tu_cxx.o -o $$d/two_tu; $$d/two_tu; \
	gcc -std=c11 $(COMPAT_DROPIN_FLAGS) -Dodma__thread_done=odma__thread_done_private \
	  -c tests/compat/tu_other.c -o $$d/tu_private.o; \
	g++ $$d/tu_main.o $$d/tu_private.o $$d/tu_cxx.o -o $$d/two_tu_control; \
	if $$d/two_tu_control >/dev/null 2>&1; then \
	  echo "two-TU: control with a private state passed: the test has no power"; exit 1; fi; \
	echo "two-TU: control (a private copy of the state in one file) is caught: ok"
