#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/tsan/run.sh BUILD_DIR - `make tsan`: tests/tsan/ring.c built with
# -fsanitize=thread by gcc and clang at -O1 and -O2 (warnings are errors,
# no -Wno-tsan), run, and TSan's reports counted: each must print none and
# exit 0. Then the control (-DBROKEN_DRIVER: the driver's request flag is a
# relaxed store, a real race) must get at least one report from each
# compiler, or the check has no power. Then tests/tsan/identical.sh (normal
# builds byte-for-byte unchanged by the TSan-only code); its checks count
# here too. Last line: tsan: N passed, N failed.
set -u
out=${1:-build/tsan}
mkdir -p "$out"
pass=0
fail=0
CCS=${TSAN_CCS:-gcc clang}
FLAGS="-std=c11 -g -Wall -Wextra -Werror -fsanitize=thread -Iinclude"
# halt_on_error=0: count every report; exitcode 66 marks "TSan reported".
export TSAN_OPTIONS="halt_on_error=0 exitcode=66 ${TSAN_OPTIONS:-}"

# Run $1; retry without address-space randomisation if the TSan runtime
# cannot map its shadow (some kernels use more ASLR bits than it expects).
run() {
    "$1" >"$1.out" 2>"$1.err"
    rc=$?
    if grep -q "unexpected memory mapping" "$1.err" && command -v setarch >/dev/null; then
        setarch "$(uname -m)" -R "$1" >"$1.out" 2>"$1.err"
        rc=$?
    fi
    reports=$(grep -c "^WARNING: ThreadSanitizer" "$1.err")
}

for cc in $CCS; do
    for opt in O1 O2; do
        bin="$out/ring_${cc}_$opt"
        name="$cc -$opt"
        if ! $cc $FLAGS -$opt tests/tsan/ring.c -o "$bin" -pthread 2>"$bin.cc.err"; then
            cat "$bin.cc.err"
            echo "FAIL  $name: does not compile with -fsanitize=thread -Werror"
            fail=$((fail + 1))
            continue
        fi
        run "$bin"
        if [ "$reports" -eq 0 ] && [ "$rc" -eq 0 ]; then
            echo "PASS  $name: 0 TSan reports, $(cat "$bin.out")"
            pass=$((pass + 1))
        else
            grep -A8 "^WARNING: ThreadSanitizer" "$bin.err" | head -20
            echo "FAIL  $name: $reports TSan reports, exit $rc (full log: $bin.err)"
            fail=$((fail + 1))
        fi
    done
    bin="$out/broken_${cc}"
    name="$cc -O2 control (driver flag relaxed: a real race)"
    if ! $cc $FLAGS -O2 -DBROKEN_DRIVER tests/tsan/ring.c -o "$bin" -pthread 2>"$bin.cc.err"; then
        cat "$bin.cc.err"
        echo "FAIL  $name: does not compile"
        fail=$((fail + 1))
        continue
    fi
    run "$bin"
    if [ "$reports" -gt 0 ]; then
        echo "PASS  $name: $reports TSan reports, as it must"
        pass=$((pass + 1))
    else
        echo "FAIL  $name: TSan reported nothing; the check has no power"
        fail=$((fail + 1))
    fi
done
tests/tsan/identical.sh "$out/identical" >"$out/identical.log" 2>&1
grep -v '^tsan-identical:' "$out/identical.log"
set -- $(sed -n 's/^tsan-identical: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out/identical.log")
if [ $# -eq 2 ]; then
    pass=$((pass + $1))
    fail=$((fail + $2))
else
    echo "FAIL  tests/tsan/identical.sh did not finish"
    fail=$((fail + 1))
fi
echo "tsan: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
