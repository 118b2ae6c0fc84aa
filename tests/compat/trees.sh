#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/compat/trees.sh OUT_DIR - `make compat-trees`: odma built inside
# fake hypervisor trees (tests/compat/trees/: our own stand-ins for the
# headers of QEMU, QEMU 5.x and kvmtool), with each tree's exact warning
# set (DESIGN "Names"), by gcc and clang. Every program is built, run, and
# must exit 0; every control must fail to compile for the reason it names.
# Last line: compat-trees: N passed, N failed.
#
# Environment: COMPAT_CCS (default "gcc clang"); ODMA_INC (default
# include/) to try another copy of the headers, e.g. an older commit's.
set -u
out=${1:-build/compat/trees}
inc=${ODMA_INC:-include}
T=tests/compat/trees
CCS=${COMPAT_CCS:-gcc clang}
mkdir -p "$out"
pass=0
fail=0

# QEMU's and kvmtool's warning sets, exactly as DESIGN "Names" lists them.
QEMU_WARN="-Wall -Wextra -Wundef -Wwrite-strings -Wmissing-prototypes
  -Wstrict-prototypes -Wredundant-decls -Wold-style-declaration
  -Wold-style-definition -Wtype-limits -Wformat-security -Winit-self
  -Wignored-qualifiers -Wempty-body -Wnested-externs -Wendif-labels
  -Wexpansion-to-defined -Wimplicit-fallthrough=2 -Wshadow=local -Wvla -Werror"
KVMTOOL_WARN="-Wall -Wformat=2 -Wmissing-declarations -Wmissing-prototypes
  -Wredundant-decls -Wsign-compare -Wstrict-prototypes -Wundef -Werror"

# QEMU's build keeps only the warning flags the compiler knows (clang has
# no -Wold-style-declaration, -Wimplicit-fallthrough=2, -Wshadow=local);
# so do we, and say which were left out.
known_flags() { # cc flags...
    cc=$1
    shift
    for f in "$@"; do
        if $cc -Werror "$f" -x c -fsyntax-only /dev/null 2>/dev/null; then
            printf '%s ' "$f"
        else
            echo "note: $cc does not know $f; left out as QEMU's build does" >&2
        fi
    done
}

ok() { echo "PASS  $1"; pass=$((pass + 1)); }
ko() { echo "FAIL  $1"; fail=$((fail + 1)); }

# build_run NAME CC FLAGS SRC: compile and link, run, expect exit 0.
build_run() {
    name=$1 cc=$2 flags=$3 src=$4
    bin="$out/$(echo "$name" | tr ' /=' '__-')"
    # shellcheck disable=SC2086
    if ! $cc $flags "$src" -o "$bin" -pthread 2>"$bin.err"; then
        sed -n 1,25p "$bin.err"
        ko "$name: does not compile"
        return
    fi
    if "$bin" >"$bin.out" 2>&1; then ok "$name"; else cat "$bin.out"; ko "$name: exits non-zero"; fi
}

# must_fail NAME CC FLAGS SRC PATTERN: the compile fails, its errors match PATTERN.
must_fail() {
    name=$1 cc=$2 flags=$3 src=$4 pattern=$5
    log="$out/$(echo "$name" | tr ' /=' '__-').err"
    # shellcheck disable=SC2086
    if $cc $flags -c "$src" -o /dev/null >"$log" 2>&1; then
        ko "$name: compiled, but must not"
    elif grep -Eq "$pattern" "$log"; then
        ok "$name"
    else
        sed -n 1,15p "$log"
        ko "$name: failed, but not with /$pattern/"
    fi
}

for cc in $CCS; do
    qw=$(known_flags "$cc" $QEMU_WARN)
    kw=$(known_flags "$cc" $KVMTOOL_WARN)
    # QEMU: -std=gnu11, its code-generation flags, every include dir on -iquote.
    QEMU="-std=gnu11 -O2 -g -fno-strict-aliasing -fno-common -fwrapv -D_FILE_OFFSET_BITS=64 $qw"
    Q10="$QEMU -iquote $T/qemu/include -iquote $inc"
    Q51="$QEMU -iquote $T/qemu51/include -iquote $inc"
    # kvmtool: no -std, -D_GNU_SOURCE on the command line, include dirs on -I.
    KVM="-O2 -g -fno-strict-aliasing -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $kw -I$T/kvmtool/include -I$inc"

    # Every odma header alone, right after the tree's system headers.
    hdr_fail=""
    for h in "$inc"/odma.h "$inc"/odma/*.h; do
        rel=${h#"$inc"/}
        printf '#include "qemu/osdep.h"\n#include "%s"\n' "$rel" >"$out/hdr_q.c"
        printf '#include <unistd.h>\n#include <linux/types.h>\n#include <%s>\n' "$rel" >"$out/hdr_k.c"
        # shellcheck disable=SC2086
        $cc $Q10 -c "$out/hdr_q.c" -o /dev/null 2>"$out/hdr.err" &&
            $cc $KVM -c "$out/hdr_k.c" -o /dev/null 2>>"$out/hdr.err" ||
            { sed -n 1,10p "$out/hdr.err"; hdr_fail="$hdr_fail $rel"; }
    done
    if [ -z "$hdr_fail" ]; then
        ok "$cc: every odma header alone after qemu/osdep.h (QEMU flags) and <unistd.h> (kvmtool flags)"
    else
        ko "$cc: headers fail after the system headers:$hdr_fail"
    fi

    build_run "$cc qemu: osdep.h, tree headers, then \"odma.h\" (-iquote)" "$cc" "$Q10" \
        $T/qemu/hw/misc/odma_edu.c
    build_run "$cc qemu: osdep.h, \"odma.h\" (ODMA_NO_SMP_NAMES), then tree headers" "$cc" \
        "$Q10 -DODMA_BEFORE_HW" $T/qemu/hw/misc/odma_edu.c
    build_run "$cc qemu-5.1: static dma_read/dma_write/dma_rw/dma_map + ODMA_NO_SHORT_NAMES" \
        "$cc" "$Q51" $T/qemu51/hw/dma/clash.c
    must_fail "$cc qemu-5.1 control: the same file without ODMA_NO_SHORT_NAMES fails" "$cc" \
        "$Q51 -DCLASH_CONTROL" $T/qemu51/hw/dma/clash.c \
        "(conflicting types|redefinition|static declaration).*'?dma_(read|write|rw|map)'?"
    build_run "$cc qemu-5.1: the tree's atomic_* macros still work after \"odma.h\"" "$cc" \
        "$Q51" $T/qemu51/hw/misc/atomics_after.c
    build_run "$cc kvmtool: tree headers, then <odma.h> (-I, shadowed <linux/types.h>)" "$cc" \
        "$KVM" $T/kvmtool/virtio/odma_blk.c
    build_run "$cc kvmtool: <odma.h> first, then tree headers" "$cc" "$KVM -DODMA_FIRST" \
        $T/kvmtool/virtio/odma_blk.c
    # The -iquote set-up has power: <odma.h> is not found through it.
    printf '#include "qemu/osdep.h"\n#include <odma.h>\n' >"$out/angle.c"
    must_fail "$cc qemu control: <odma.h> with odma on -iquote is not found" "$cc" "$Q10" \
        "$out/angle.c" "odma.h.*(No such file|not found)"
done

# QEMU's flags have power against the bug this issue fixed: redeclaring a
# C library function after <unistd.h> (gcc; clang ignores -Wredundant-decls).
printf '#include "qemu/osdep.h"\nextern long syscall(long number, ...);\n' >"$out/redecl.c"
must_fail "gcc qemu control: a redeclared syscall() after osdep.h is an error" gcc \
    "-std=gnu11 $(known_flags gcc $QEMU_WARN) -iquote $T/qemu/include" "$out/redecl.c" \
    "redundant redeclaration of .syscall"

echo "compat-trees: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
