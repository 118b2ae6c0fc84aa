#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/packaging/check.sh - `make packaging-check`: install odma into
# temporary prefixes (plain PREFIX, and DESTDIR staging), check the exact
# file list, build and run tiny consumers through pkg-config and through
# CMake's find_package(odma) (C, C++, C++-only project, version
# requests), uninstall, and check that nothing is left behind.
set -eu
cd "$(dirname "$0")/../.."
MAKE=${MAKE:-make}
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
version=$(sed -n 's/^VERSION := //p' Makefile)
pass=0

ok() { pass=$((pass + 1)); printf 'packaging: ok: %s\n' "$*"; }
die() { printf 'packaging: FAILED: %s\n' "$*" >&2; exit 1; }

expected_files() { # prefix -> the files install must create, sorted
    { echo "$1/include/odma.h"
      for h in include/odma/*.h; do echo "$1/$h"; done
      echo "$1/lib/pkgconfig/odma.pc"
      echo "$1/lib/cmake/odma/odmaConfig.cmake"
      echo "$1/lib/cmake/odma/odmaConfigVersion.cmake"; } | sort
}

cmake_build() { # name prefix-path [cmake args...]
    name=$1; pp=$2; shift 2
    cmake -S tests/packaging -B "$tmp/$name" -DCMAKE_PREFIX_PATH="$pp" "$@" \
        >"$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log"; die "cmake configure ($name)"; }
    cmake --build "$tmp/$name" >>"$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log"; die "cmake build ($name)"; }
}

# 1. PREFIX
p=$tmp/prefix
$MAKE -s install PREFIX="$p" >/dev/null
find "$p" -type f | sort >"$tmp/got"
expected_files "$p" >"$tmp/want"
diff "$tmp/want" "$tmp/got" || die "installed files differ from the expected list"
ok "install PREFIX: exactly $(wc -l <"$tmp/want") files"

export PKG_CONFIG_PATH="$p/lib/pkgconfig"
[ "$(pkg-config --modversion odma)" = "$version" ] || die "pkg-config --modversion"
cflags=$(pkg-config --cflags odma | sed 's/ *$//')
[ "$cflags" = "-I$p/include" ] || die "pkg-config --cflags: '$cflags'"
pkg-config --atleast-version=0.1 odma || die "pkg-config --atleast-version"
$CC -std=c11 -Wall -Wextra -Werror $cflags tests/packaging/consumer.c -o "$tmp/pc-consumer"
$CC -std=c11 $cflags -M tests/packaging/consumer.c | grep -q "$p/include/odma.h" ||
    die "the consumer did not use the installed headers"
"$tmp/pc-consumer" >/dev/null || die "pkg-config consumer run"
ok "pkg-config --cflags odma = -I<prefix>/include; consumer built and ran"
unset PKG_CONFIG_PATH

cmake_build cm "$p"
grep -q "found odma $version in $p/lib/cmake/odma" "$tmp/cm.log" || die "find_package found another odma"
"$tmp/cm/consumer" >/dev/null && "$tmp/cm/consumer_cxx" >/dev/null || die "CMake consumers run"
ok "find_package(odma 0.1) -> odma::odma: C and C++ consumers built and ran"
cmake_build cm-cxx "$p" -DLANGS=CXX
"$tmp/cm-cxx/consumer_cxx" >/dev/null || die "C++-only consumer run"
ok "a C++-only CMake project uses odma::odma"
cmake_build cm-exact "$p" -DLANGS=C "-DODMA_WANT=$version"
cmake_build cm-range "$p" -DLANGS=C "-DODMA_WANT=0.1...<1"
for bad in 0.2 1.0 9; do
    if cmake -S tests/packaging -B "$tmp/cm-bad" -DCMAKE_PREFIX_PATH="$p" -DLANGS=C \
        -DODMA_WANT=$bad >/dev/null 2>&1; then
        die "find_package(odma $bad) accepted odma $version"
    fi
    rm -rf "$tmp/cm-bad"
done
ok "versions: $version, 0.1...<1 accepted; 0.2, 1.0, 9 refused"

$MAKE -s uninstall PREFIX="$p" >/dev/null
[ -z "$(find "$p" -mindepth 1)" ] || { find "$p"; die "uninstall left these behind"; }
ok "uninstall PREFIX: nothing left"

# 2. DESTDIR staging for PREFIX=/opt/odma
s=$tmp/stage
$MAKE -s install DESTDIR="$s" PREFIX=/opt/odma >/dev/null
find "$s" -type f | sort >"$tmp/got"
expected_files "$s/opt/odma" >"$tmp/want"
diff "$tmp/want" "$tmp/got" || die "DESTDIR: installed files differ"
grep -qx 'prefix=/opt/odma' "$s/opt/odma/lib/pkgconfig/odma.pc" || die "odma.pc must name the final prefix"
cflags=$(PKG_CONFIG_SYSROOT_DIR="$s" PKG_CONFIG_LIBDIR="$s/opt/odma/lib/pkgconfig" \
    pkg-config --cflags odma | sed 's/ *$//')
[ "$cflags" = "-I$s/opt/odma/include" ] || die "sysroot pkg-config --cflags: $cflags"
$CC -std=c11 -Wall -Wextra -Werror $cflags tests/packaging/consumer.c -o "$tmp/stage-consumer"
"$tmp/stage-consumer" >/dev/null || die "staged pkg-config consumer run"
cmake_build cm-stage "$s/opt/odma" -DLANGS=C
"$tmp/cm-stage/consumer" >/dev/null || die "staged CMake consumer run"
ok "DESTDIR staging: odma.pc says /opt/odma; sysroot pkg-config and relocated CMake package work"
$MAKE -s uninstall DESTDIR="$s" PREFIX=/opt/odma >/dev/null
[ -z "$(find "$s/opt/odma" -mindepth 1)" ] || { find "$s"; die "DESTDIR uninstall left these behind"; }
ok "uninstall DESTDIR: nothing left under the prefix"

echo "packaging: all $pass checks passed"
