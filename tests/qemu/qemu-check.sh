#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# make qemu-check: odma built into QEMU from Debian's source package, our
# own odma-ring PCI device (examples/qemu/) run under -accel qtest and
# driven by our own qtest client (tests/qemu/scenarios.c).
#
#   tests/qemu/qemu-check.sh [BUILD_DIR]
#
# Environment:
#   ODMA_QEMU_CACHE   where the QEMU source and builds live, outside the
#                     clone (default $HOME/.cache/odma-qemu); delete it to
#                     start from scratch
#   QEMU_COMPILERS    "gcc clang" (default: gcc, and clang if installed)
#   JOBS              ninja jobs (default 2; the build runs under nice)
#
# Steps (each is skipped when its result is already in the cache):
#  1. fetch:     apt-get source qemu through a private sources list and
#                lists directory (no system apt state changes; as
#                tests/cross/cmocka.sh does), unpacked with Debian's own
#                patches by dpkg-source;
#  2. add:       our device to the tree: hw/misc/odma/ gets
#                examples/qemu/*.[ch] and include/ (copied only when they
#                changed, so ninja rebuilds only what changed), one line
#                appended to hw/misc/meson.build and a Kconfig symbol to
#                hw/misc/Kconfig, and a devices file
#                configs/devices/x86_64-softmmu/odma.mak (i440FX + us);
#  3. configure: a minimal x86_64-softmmu per compiler: no default devices
#                or features, no TCG (the qtest accelerator needs none; KVM
#                is compiled in as the one real accelerator QEMU insists
#                on), no docs, tools, guest agent or UIs; QEMU's own
#                warning flags with -Werror;
#  4. build:     ninja qemu-system-x86_64;
#  5. run:       the scenarios against each build; last line
#                "qemu-check: N passed, N failed".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/build/qemu}
cache=${ODMA_QEMU_CACHE:-$HOME/.cache/odma-qemu}
jobs=${JOBS:-2}
if [ -z "${QEMU_COMPILERS:-}" ]; then
    QEMU_COMPILERS=gcc
    command -v clang >/dev/null 2>&1 && QEMU_COMPILERS="gcc clang"
fi
mkdir -p "$cache" "$out"
cache=$(cd "$cache" && pwd)
t0=$SECONDS
say() { echo "qemu-check: $* ($((SECONDS - t0)) s)"; }
fail() { echo "qemu-check: $*" >&2; echo "qemu-check: 0 passed, 1 failed"; exit 1; }

# ---- 1. fetch ---------------------------------------------------------
src=$cache/src
if [ ! -f "$src/.odma-fetched" ]; then
    apt=$cache/apt
    rm -rf "$apt" "$src"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
         "http://deb.debian.org/debian bookworm main" > "$apt/sources.list"
    aptopts=(-qq -o "Dir::Etc::SourceList=$apt/sources.list"
             -o "Dir::Etc::SourceParts=/dev/null" -o "Dir::State::Lists=$apt/lists"
             -o "Dir::Cache=$apt/cache")
    # As root apt would hand the download to user _apt, who cannot write here.
    [ "$(id -u)" = 0 ] && aptopts+=(-o "APT::Sandbox::User=root")
    apt-get "${aptopts[@]}" update || fail "apt-get update (private list) failed"
    (cd "$apt" && apt-get "${aptopts[@]}" source --download-only qemu >/dev/null) \
        || fail "apt-get source qemu failed"
    dsc=$(ls "$apt"/qemu_*.dsc | head -n 1)
    dpkg-source --no-check -x "$dsc" "$src" >"$cache/unpack.log" 2>&1 \
        || { cat "$cache/unpack.log"; fail "dpkg-source -x failed"; }
    basename "$dsc" .dsc > "$src/.odma-fetched"
    say "fetched $(cat "$src/.odma-fetched")"
fi
version=$(cat "$src/.odma-fetched")

# ---- 2. add our device --------------------------------------------------
dev=$src/hw/misc/odma
mkdir -p "$dev/odma"
# Copy $1 to $2 unless identical (keeps timestamps, so ninja stays quiet).
put() { cmp -s "$1" "$2" || cp "$1" "$2"; }
for f in "$top"/examples/qemu/*.c "$top"/examples/qemu/*.h; do
    put "$f" "$dev/$(basename "$f")"
done
put "$top/include/odma.h" "$dev/odma.h"
for f in "$top"/include/odma/*.h; do
    put "$f" "$dev/odma/$(basename "$f")"
done
# Files that left our tree leave QEMU's too.
for f in "$dev"/*.[ch] "$dev"/odma/*.h; do
    case $f in
    "$dev"/odma.h) ;;
    "$dev"/odma/*) [ -e "$top/include/odma/$(basename "$f")" ] || rm -f "$f" ;;
    *) [ -e "$top/examples/qemu/$(basename "$f")" ] || rm -f "$f" ;;
    esac
done
if ! grep -q CONFIG_ODMA_RING "$src/hw/misc/meson.build"; then
    printf '\n# odma: the odma-ring example device (added by tests/qemu/qemu-check.sh)\n%s\n' \
        "softmmu_ss.add(when: 'CONFIG_ODMA_RING', if_true: files('odma/odma-ring.c', 'odma/odma-qemu.c'))" \
        >> "$src/hw/misc/meson.build"
    printf '\nconfig ODMA_RING\n    bool\n    default y if TEST_DEVICES\n    depends on PCI\n' \
        >> "$src/hw/misc/Kconfig"
fi
printf '# odma: the i440FX PC and the odma-ring device, nothing else\nCONFIG_I440FX=y\nCONFIG_ODMA_RING=y\n' \
    > "$cache/odma.mak.new"
put "$cache/odma.mak.new" "$src/configs/devices/x86_64-softmmu/odma.mak"

# ---- 3./4. configure and build, per compiler ------------------------------
confopts=(--target-list=x86_64-softmmu --without-default-features
          --without-default-devices --with-devices-x86_64=odma
          --disable-tcg --enable-kvm --disable-docs --disable-tools
          --disable-guest-agent --disable-debug-info --enable-werror)
qemus=()
for cc in $QEMU_COMPILERS; do
    b=$cache/build-$version-$cc
    key="${confopts[*]} --cc=$cc"
    if [ ! -f "$b/build.ninja" ] || [ "$(cat "$b/.odma-config" 2>/dev/null)" != "$key" ]; then
        rm -rf "$b"
        mkdir -p "$b"
        (cd "$b" && nice "$src/configure" "${confopts[@]}" --cc="$cc" --host-cc="$cc" \
            >configure.log 2>&1) || { tail -n 30 "$b/configure.log"; fail "configure with $cc failed"; }
        echo "$key" > "$b/.odma-config"
        say "configured $version with $cc"
    fi
    nice ninja -C "$b" -j"$jobs" qemu-system-x86_64 >"$b/ninja.log" 2>&1 \
        || { grep -B2 -A12 -m3 'error' "$b/ninja.log" || tail -n 40 "$b/ninja.log"; \
             fail "building QEMU with $cc failed (log: $b/ninja.log)"; }
    say "built $b/qemu-system-x86_64"
    qemus+=("$cc=$b/qemu-system-x86_64")
done

# ---- 5. run --------------------------------------------------------------
gcc -std=c11 -Wall -Wextra -Werror -O2 -g -I"$top/examples/qemu" -I"$top/include" \
    "$here/scenarios.c" "$here/qtest.c" -o "$out/scenarios" \
    || fail "building the qtest client failed"
# The PC machine wants a BIOS image; under qtest no CPU runs, so 64 KiB of
# zeros will do (Debian's QEMU source has the firmware blobs removed).
head -c 65536 /dev/zero > "$out/zero-bios.bin"
"$out/scenarios" "$out" "${qemus[@]}"
