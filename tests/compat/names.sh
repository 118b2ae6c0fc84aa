#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/compat/names.sh OUT_DIR - `make compat-names`: every dma_X function
# odma's headers define has an odma_X twin of the same type, and
# ODMA_NO_SHORT_NAMES leaves every dma_X function out. The list is not
# written down anywhere: gcc's -aux-info prints a prototype for every
# function a translation unit declares, macro-generated ones included, and
# the names come from the lines that point into odma's headers. The checks
# themselves are compile-time (_Static_assert, and file-scope objects that
# would clash with any function left behind), with gcc and clang.
# Last line: compat-names: N passed, N failed.
set -u
out=${1:-build/compat/names}
inc=${ODMA_INC:-include}
CCS=${COMPAT_CCS:-gcc clang}
mkdir -p "$out"
pass=0
fail=0
ok() { echo "PASS  $1"; pass=$((pass + 1)); }
ko() { echo "FAIL  $1"; fail=$((fail + 1)); }

abs_inc=$(cd "$inc" && pwd)
# One TU with every header (odma.h does not include testing.h and others).
{
    echo '#define _GNU_SOURCE'
    echo '#include <odma.h>'
    for h in "$inc"/odma/*.h; do echo "#include <odma/${h##*/}>"; done
} >"$out/all.h"

# functions MODE: the names of the functions declared in odma's headers.
functions() {
    rm -f "$out/aux.txt"
    # shellcheck disable=SC2086
    gcc -std=gnu11 $1 -I"$abs_inc" -aux-info "$out/aux.txt" -fsyntax-only -x c "$out/all.h" ||
        return 1
    grep "^/\* $abs_inc/" "$out/aux.txt" |
        sed 's|^/\*[^*]*\*/ *||; s| (.*||; s|.*[ *]||' | sort -u
}

if ! functions "" >"$out/names.txt"; then
    ko "gcc -aux-info: the headers do not compile"
else
    grep '^dma_' "$out/names.txt" >"$out/short.txt"
    grep '^odma_[a-z0-9]' "$out/names.txt" >"$out/long.txt"
    n=$(wc -l <"$out/short.txt")
    echo "note: $n dma_X functions, $(wc -l <"$out/long.txt") odma_X functions in the headers"
    # The derivation sees macro-made functions (the ld/st families) too.
    if [ "$n" -ge 10 ] && grep -q '^dma_ld_' "$out/short.txt" && grep -q '^dma_st_' "$out/short.txt"; then
        ok "the list of dma_X functions is derived from the headers ($n, ld/st families included)"
    else
        ko "derived only $n dma_X functions (no ld/st families?): the derivation is broken"
    fi
    missing=$(sed 's/^/o/' "$out/short.txt" | comm -23 - "$out/long.txt" | tr '\n' ' ')
    if [ -z "$missing" ]; then
        ok "every dma_X has an odma_X twin (by name)"
    else
        ko "no odma_X twin for:$(echo " $missing" | sed 's/ o/ /g')"
    fi

    # Compile time: each pair has one type; with ODMA_NO_SHORT_NAMES no
    # dma_X function is left (a file-scope object of that name would clash).
    {
        echo '#include "all.h"'
        sed 's/.*/_Static_assert(__builtin_types_compatible_p(__typeof__(&), __typeof__(o&)), "& and o& differ");/' \
            "$out/short.txt"
    } >"$out/twins.c"
    {
        echo '#define ODMA_NO_SHORT_NAMES'
        echo '#include "all.h"'
        sed 's/.*/static int &;/' "$out/short.txt"
        echo 'dma_result probe_result(void); dma_result probe_result(void) { return DMA_OK; }'
        echo 'int probe_use(void); int probe_use(void) { return 0'
        sed 's/.*/ + &/' "$out/short.txt"
        echo '; }'
    } >"$out/noshort.c"
    # Controls: a pair of different types, and one short name kept.
    first=$(head -n 1 "$out/short.txt")
    { cat "$out/twins.c"; echo "_Static_assert(__builtin_types_compatible_p(__typeof__($first), __typeof__(odma_ctx_bus_master)), \"control\");"; } >"$out/twins_control.c"
    { sed 's/#define ODMA_NO_SHORT_NAMES//' "$out/noshort.c"; } >"$out/noshort_control.c"
    for cc in $CCS; do
        f="-std=c11 -Wall -Wextra -Werror -I$abs_inc -I$out -c -o /dev/null"
        # shellcheck disable=SC2086
        if $cc $f "$out/twins.c" 2>"$out/twins.err"; then
            ok "$cc: each odma_X has the type of its dma_X ($n _Static_asserts)"
        else
            sed -n 1,10p "$out/twins.err"
            ko "$cc: a dma_X and its odma_X differ, or odma_X is missing"
        fi
        # shellcheck disable=SC2086
        if $cc $f "$out/twins_control.c" 2>"$out/control.err"; then
            ko "$cc control: a mismatched pair passed the type check"
        elif grep -q 'control' "$out/control.err" && [ "$(grep -c 'error:' "$out/control.err")" -eq 1 ]; then
            ok "$cc control: a mismatched pair ($first vs odma_ctx_bus_master) fails"
        else
            sed -n 1,6p "$out/control.err"
            ko "$cc control: failed, but not (only) on the mismatched pair"
        fi
        # shellcheck disable=SC2086
        if $cc $f "$out/noshort.c" 2>"$out/noshort.err"; then
            ok "$cc: ODMA_NO_SHORT_NAMES leaves no dma_X function ($n names free for the tree)"
        else
            sed -n 1,10p "$out/noshort.err"
            ko "$cc: with ODMA_NO_SHORT_NAMES some dma_X function is still defined"
        fi
        # shellcheck disable=SC2086
        if $cc $f "$out/noshort_control.c" 2>"$out/control.err"; then
            ko "$cc control: without ODMA_NO_SHORT_NAMES the clashing objects compiled"
        elif ! grep -q "different kind of symbol\|redefinition of '\?.\?dma_\|conflicting types\|redeclared" "$out/control.err"; then
            sed -n 1,6p "$out/control.err"
            ko "$cc control: failed, but not on a dma_X name clash"
        else
            ok "$cc control: without ODMA_NO_SHORT_NAMES the same names clash"
        fi
    done
    # And -aux-info agrees: under ODMA_NO_SHORT_NAMES no dma_X function at all.
    left=$(functions -DODMA_NO_SHORT_NAMES | grep '^dma_' | tr '\n' ' ')
    if [ -z "$left" ]; then
        ok "gcc -aux-info: no dma_X function declared under ODMA_NO_SHORT_NAMES"
    else
        ko "declared in spite of ODMA_NO_SHORT_NAMES: $left"
    fi
fi
echo "compat-names: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
