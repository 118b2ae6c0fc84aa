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
#   QEMU_COMPILERS    compilers that build a whole QEMU and run the scenarios
#                     (default: gcc)
#   QEMU_CLANG_OBJECTS  1 (default, when clang is installed and not in
#                     QEMU_COMPILERS): also configure QEMU for clang and
#                     compile only our two files there, with QEMU's flags and
#                     -Werror (a whole clang build doubles the time)
#   JOBS              ninja jobs (default 2; the build runs under nice)
#   QEMU_MUTANTS      0 to skip step 6 (default 1)
#   SANITIZE          e.g. address,undefined: build our qtest client with it
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
#  3. configure: a minimal x86_64-softmmu per compiler (for clang, by
#                default, only our two files are compiled, see above): no default devices
#                or features, no TCG (the qtest accelerator needs none; KVM
#                is compiled in as the one real accelerator QEMU insists
#                on), no docs, tools, guest agent or UIs; QEMU's own
#                warning flags with -Werror;
#  4. build:     ninja qemu-system-x86_64;
#  5. run:       the scenarios against each build;
#  6. mutants:   the scenarios' power: five deliberately broken copies of
#                the glue and the device (each a sed on the copy in QEMU's
#                tree, rebuilt with the first compiler) must each make at
#                least one scenario fail; each mutant caught is a pass, each
#                one that survives a failure. The tree is restored after.
# Last line: "qemu-check: N passed, N failed".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$top/build/qemu}
cache=${ODMA_QEMU_CACHE:-$HOME/.cache/odma-qemu}
jobs=${JOBS:-2}
QEMU_COMPILERS=${QEMU_COMPILERS:-gcc}
clang_objects=${QEMU_CLANG_OBJECTS:-1}
command -v clang >/dev/null 2>&1 || clang_objects=0
case " $QEMU_COMPILERS " in *" clang "*) clang_objects=0 ;; esac
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
cp /tmp/shim/odma-shim.h "$dev/"; grep -q odma-shim.h "$dev/odma-qemu.h" || sed -i 's|#include "odma.h"|#include "odma.h"\n#include "odma-shim.h"|' "$dev/odma-qemu.h"

# ---- 3./4. configure and build, per compiler ------------------------------
confopts=(--target-list=x86_64-softmmu --without-default-features
          --without-default-devices --with-devices-x86_64=odma
          --disable-tcg --enable-kvm --disable-docs --disable-tools
          --disable-guest-agent --disable-debug-info --enable-werror)
# configure_for CC: the build directory for CC, configured (once).
configure_for() {
    local cc=$1 b=$cache/build-$version-$1 key
    key="${confopts[*]} --cc=$cc"
    if [ ! -f "$b/build.ninja" ] || [ "$(cat "$b/.odma-config" 2>/dev/null)" != "$key" ]; then
        rm -rf "$b"
        mkdir -p "$b"
        (cd "$b" && nice "$src/configure" "${confopts[@]}" --cc="$cc" --host-cc="$cc" \
            >configure.log 2>&1) || { tail -n 30 "$b/configure.log"; fail "configure with $cc failed"; }
        echo "$key" > "$b/.odma-config"
        say "configured $version with $cc"
    fi
}
# build_in DIR TARGET...: ninja, with the first errors shown on failure.
build_in() {
    local b=$1
    shift
    nice ninja -C "$b" -j"$jobs" "$@" >"$b/ninja.log" 2>&1 \
        || { grep -B2 -A12 -m3 'error' "$b/ninja.log" || tail -n 40 "$b/ninja.log"; \
             fail "building $* in $b failed (log: $b/ninja.log)"; }
}
qemus=()
for cc in $QEMU_COMPILERS; do
    configure_for "$cc"
    b=$cache/build-$version-$cc
    build_in "$b" qemu-system-x86_64
    say "built $b/qemu-system-x86_64"
    qemus+=("$cc=$b/qemu-system-x86_64")
done
if [ "$clang_objects" = 1 ]; then
    configure_for clang
    b=$cache/build-$version-clang
    rm -f "$b"/libcommon.fa.p/hw_misc_odma_*.o
    build_in "$b" libcommon.fa.p/hw_misc_odma_odma-ring.c.o libcommon.fa.p/hw_misc_odma_odma-qemu.c.o
    say "compiled our files with clang under QEMU's flags"
fi

# ---- 5. run --------------------------------------------------------------
# (-O1 under sanitizers: gcc 12 reports false -Warray-bounds with UBSan at -O2.)
san=(-O2)
[ -n "${SANITIZE:-}" ] && san=(-O1 -fsanitize="$SANITIZE" -fno-omit-frame-pointer -fno-sanitize-recover=all)
gcc -std=c11 -Wall -Wextra -Werror -g "${san[@]}" -I"$top/examples/qemu" -I"$top/include" \
    "$here/scenarios.c" "$here/qtest.c" -o "$out/scenarios" \
    || fail "building the qtest client failed"
# The PC machine wants a BIOS image; under qtest no CPU runs, so 64 KiB of
# zeros will do (Debian's QEMU source has the firmware blobs removed).
head -c 65536 /dev/zero > "$out/zero-bios.bin"
set +e
"$out/scenarios" "$out" "${qemus[@]}" | tee "$out/scenarios.out"
set -e
read -r passed failed < <(sed -n 's/^qemu-check: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
                          "$out/scenarios.out") || true
[ -n "${passed:-}" ] || { passed=0; failed=1; echo "qemu-check: the scenarios did not finish"; }
if [ "$clang_objects" = 1 ]; then
    echo "PASS clang  odma-ring.c and odma-qemu.c compile with QEMU's flags, -Werror"
    passed=$((passed + 1))
fi

# ---- 6. mutants ------------------------------------------------------------
# NAME|FILE|SED: what is broken, where, how.
mutants=(
  "readonly-ignored: ROM and read-only RAM enter the table writable|odma-qemu.c|s/flags |= DMA_REGION_READONLY;/(void)0;/"
  "bus-master-on-only: the command register turns bus mastering on, never off|odma-qemu.c|/^        odma_ctx_set_bus_master(&bus->ctx, false);$/d; s/^    odma_ctx_set_bus_master(&bus->ctx, now);$/    if (now) { odma_ctx_set_bus_master(\&bus->ctx, true); }/"
  "table-frozen: once the table has regions, the listener stops updating it|odma-qemu.c|s/r = odma_ctx_set_regions(&bus->ctx, bus->next, bus->nnext);/r = bus->nregions ? DMA_OK : odma_ctx_set_regions(\&bus->ctx, bus->next, bus->nnext);/"
  "attrs-misplaced: MemTxAttrs' requester id packed into the wrong bits|odma-qemu.c|s/(dma_attrs)a.requester_id << 16/(dma_attrs)a.requester_id << 8/"
  "reset-keeps-running: reset forgets the DMA engine|odma-ring.c|/^static void odma_ring_reset_all/,/^}/{/s->running = false;/d; s/s->num = s->head = s->tail = 0;/(void)0;/}"
)
if [ "${QEMU_MUTANTS:-1}" != 0 ]; then
    cc=${QEMU_COMPILERS%% *}
    b=$cache/build-$version-$cc
    mkdir -p "$out/mutant"
    cp "$out/zero-bios.bin" "$out/mutant/"
    for m in "${mutants[@]}"; do
        name=${m%%|*} rest=${m#*|}
        file=${rest%%|*} expr=${rest#*|}
        sed "$expr" "$top/examples/qemu/$file" > "$dev/$file"
        if cmp -s "$top/examples/qemu/$file" "$dev/$file"; then
            echo "FAIL mutant $name: the sed changed nothing (the code moved?)"
            failed=$((failed + 1))
            continue
        fi
        if ! nice ninja -C "$b" -j"$jobs" qemu-system-x86_64 >"$b/mutant.log" 2>&1; then
            echo "FAIL mutant $name: does not build (log: $b/mutant.log)"
            failed=$((failed + 1))
            continue
        fi
        if "$out/scenarios" "$out/mutant" "$cc=$b/qemu-system-x86_64" >"$out/mutant.out" 2>&1; then
            echo "FAIL mutant $name: survived every scenario"
            failed=$((failed + 1))
        else
            echo "PASS mutant $name: caught by $(grep '^FAIL' "$out/mutant.out" | awk '{print $3}' | paste -sd, -)"
            passed=$((passed + 1))
        fi
    done
    for f in "$top"/examples/qemu/*.c; do cp "$f" "$dev/$(basename "$f")"; done
    nice ninja -C "$b" -j"$jobs" qemu-system-x86_64 >"$b/ninja.log" 2>&1 \
        || { echo "qemu-check: rebuilding after the mutants failed"; failed=$((failed + 1)); }
fi
say "done"
echo "qemu-check: $passed passed, $failed failed"
[ "$failed" = 0 ]
