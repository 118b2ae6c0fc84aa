#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/tsan/identical.sh OUT_DIR - `make tsan-identical`: odma's
# ThreadSanitizer-only code must not change a normal build. The probes
# (tests/tsan/probe.c: every ordered primitive; tests/codegen/probe.c) are
# built by gcc and clang at -O2 from three copies of the headers:
#   as they are;
#   "off": every TSan-dependent #if resolved as TSan off
#          (tests/tsan/tsan_branches.pl, its own evaluation, not the
#          compiler's);
#   "on":  the same resolved as TSan on (without -fsanitize=thread).
# as-is and "off" must give byte-identical objects (no debug info, paths
# mapped away). "on" must differ from them for at least one probe per
# compiler: the control that shows the comparison sees a TSan branch,
# i.e. that the headers do express their ordering differently under TSan.
# Last line: tsan-identical: N passed, N failed.
set -u
out=${1:-build/tsan/identical}
inc=${ODMA_INC:-include}
CCS=${TSAN_CCS:-gcc clang}
PROBES="tests/tsan/probe.c tests/codegen/probe.c"
pass=0
fail=0
ok() { echo "PASS  $1"; pass=$((pass + 1)); }
ko() { echo "FAIL  $1"; fail=$((fail + 1)); }

rm -rf "$out"
for v in asis off on; do mkdir -p "$out/$v/odma"; done
cp "$inc"/odma.h "$out/asis/"
cp "$inc"/odma/*.h "$out/asis/odma/"
perl tests/tsan/tsan_branches.pl off "$out/asis" "$out/off" &&
    perl tests/tsan/tsan_branches.pl on "$out/asis" "$out/on" ||
    { ko "tests/tsan/tsan_branches.pl failed on the headers"; echo "tsan-identical: $pass passed, $fail failed"; exit 1; }
changed=$(cd "$out" && for h in $(cd asis && find . -name '*.h'); do
    cmp -s "asis/$h" "off/$h" || echo "${h#./}"; done | tr '\n' ' ')
echo "note: headers with TSan-dependent conditionals: ${changed:-none}"

for cc in $CCS; do
    differs=0
    for src in $PROBES; do
        base=$(basename "$src" .c)
        for v in asis off on; do
            # No -g; every header path mapped to one name.
            if ! $cc -std=c11 -O2 -Wall -Wextra -Werror -I"$out/$v" \
                 -fmacro-prefix-map="$out/$v/"=odma/ -c "$src" \
                 -o "$out/${cc}_${base}_$v.o" 2>"$out/${cc}_${base}_$v.err"; then
                sed -n 1,10p "$out/${cc}_${base}_$v.err"
                echo "note: $cc $src does not compile with the \"$v\" headers"
                : >"$out/${cc}_${base}_$v.o.failed"
            fi
        done
        name="$cc -O2 $src: as-is and TSan-branches-removed headers"
        if [ -e "$out/${cc}_${base}_asis.o.failed" ] || [ -e "$out/${cc}_${base}_off.o.failed" ]; then
            ko "$name: does not compile"
        elif cmp -s "$out/${cc}_${base}_asis.o" "$out/${cc}_${base}_off.o"; then
            ok "$name: byte-identical objects"
        else
            objdump -dr --no-show-raw-insn "$out/${cc}_${base}_asis.o" | tail -n +4 >"$out/a.dis"
            objdump -dr --no-show-raw-insn "$out/${cc}_${base}_off.o" | tail -n +4 >"$out/b.dis"
            diff "$out/a.dis" "$out/b.dis" | head -20
            ko "$name: the objects differ (a TSan branch is taken in a normal build)"
        fi
        if [ -e "$out/${cc}_${base}_on.o.failed" ] ||
           ! cmp -s "$out/${cc}_${base}_asis.o" "$out/${cc}_${base}_on.o"; then
            differs=$((differs + 1))
        fi
    done
    if [ "$differs" -gt 0 ]; then
        ok "$cc control: the TSan-on headers change $differs of the probes' objects"
    else
        ko "$cc control: the TSan-on headers build the same objects: no TSan-specific ordering in the headers"
    fi
done
echo "tsan-identical: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
