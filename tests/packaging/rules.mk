# SPDX-License-Identifier: MIT
# tests/packaging/rules.mk - `make packaging-check` (included by the Makefile):
# install into temporary prefixes, build consumers through pkg-config and
# CMake, uninstall, check nothing is left (tests/packaging/check.sh).
# Needs pkg-config (or pkgconf) and cmake.

packaging-check:
	MAKE="$(MAKE)" tests/packaging/check.sh
