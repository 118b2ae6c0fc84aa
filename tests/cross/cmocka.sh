#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# A static libcmocka.a per cross compiler, built from Debian bookworm's own
# cmocka source package (the same 1.1.5 that libcmocka-dev is built from).
#
#   tests/cross/cmocka.sh fetch DIR            DIR/src: the unpacked source,
#                                              DIR/include/cmocka.h
#   tests/cross/cmocka.sh build DIR NAME CC    DIR/NAME/libcmocka.a
#
# Why not Debian multiarch (dpkg --add-architecture ARCH; libcmocka-dev:ARCH)?
#  - bookworm has no riscv64 port, so one arch needs this path anyway;
#  - a foreign architecture changes the machine for every later
#    `apt-get update`. On this workplace's mirror the bookworm-security
#    indexes for ppc64el and armhf are served inconsistent ("File has
#    unexpected size ... Mirror sync in progress?"), and with those
#    architectures added every `apt-get update` exits 100 - including the
#    one at the top of .ci/run, for every later CI run on that machine.
# So the source comes through apt with a private sources list and lists
# directory: no system apt or dpkg state changes. The library is static,
# and so are the test binaries: qemu-user runs them with no sysroot.
set -euo pipefail
cmd=$1 dir=$2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

case $cmd in
fetch)
    apt=$dir/apt src=$dir/src
    rm -rf "$apt" "$src"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$src" "$dir/include"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
         "http://deb.debian.org/debian bookworm main" > "$apt/sources.list"
    aptopts=(-qq -o "Dir::Etc::SourceList=$apt/sources.list"
             -o "Dir::Etc::SourceParts=/dev/null" -o "Dir::State::Lists=$apt/lists"
             -o "Dir::Cache=$apt/cache")
    # As root apt would hand the download to user _apt, who cannot write here.
    [ "$(id -u)" = 0 ] && aptopts+=(-o "APT::Sandbox::User=root")
    apt-get "${aptopts[@]}" update
    (cd "$apt" && apt-get "${aptopts[@]}" source --download-only cmocka >/dev/null)
    orig=$(ls "$apt"/cmocka_*.orig.tar.* | grep -v '\.asc$' | head -n 1)
    tar -C "$src" --strip-components=1 -xf "$orig"
    cp "$src/include/cmocka.h" "$dir/include/"
    echo "cmocka: source $(basename "$orig")"
    ;;
build)
    name=$3 cc=$4
    b=$dir/$name/build
    rm -rf "$b"
    mkdir -p "$b"
    cmake -S "$dir/src" -B "$b" -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_C_COMPILER="$cc" \
          -DCMAKE_BUILD_TYPE=Release -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF \
          -DUNIT_TESTING=OFF >"$b/cmake.log" 2>&1 || { cat "$b/cmake.log"; exit 1; }
    cmake --build "$b" --target cmocka-static >"$b/build.log" 2>&1 \
          || { cat "$b/build.log"; exit 1; }
    cp "$(find "$b" -name 'libcmocka*.a' | head -n 1)" "$dir/$name/libcmocka.a"
    echo "cmocka: built $dir/$name/libcmocka.a with $cc"
    ;;
*)
    echo "usage: $0 fetch DIR | build DIR NAME CC" >&2
    exit 2
    ;;
esac
