#!/bin/sh
# SPDX-License-Identifier: MIT
#
# examples/demo.sh - `make demo`: run every example, then print one table.
#
#   usage: demo.sh BINDIR NAME...
#
# Each example is BINDIR/NAME, run with no arguments. It prints a header
# line starting with "example" and rows in the format documented above
# EXAMPLES in the Makefile:
#   example policy items errors items/s verdict
# Its output is shown as it finishes; the rows (lines of at least six
# fields whose last is PASS, FAIL or SKIP) go into the closing table.
# Exit status 77 means "cannot run here" (e.g. no /dev/kvm): a SKIP row,
# with the example's one-line reason printed under the table. Any other
# non-zero status, a FAIL row, a missing row or a time-out (DEMO_TIMEOUT
# seconds per example, default 40) fails the demo: exit status 1.
set -u

bindir=$1
shift
timeout_s=${DEMO_TIMEOUT:-40}
fmt='%-10s %-13s %9s %7s %12s  %s\n'
rows=$(mktemp)
notes=$(mktemp)
trap 'rm -f "$rows" "$notes"' EXIT
rc=0
start=$(date +%s.%N)

row() { # example policy items errors items/s verdict
    printf "$fmt" "$@" >> "$rows"
}

for e in "$@"; do
    echo "== $e"
    t0=$(date +%s.%N)
    out=$(timeout "$timeout_s" "$bindir/$e")
    st=$?
    t1=$(date +%s.%N)
    secs=$(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }')
    case $st in
    77)
        printf '%s\n' "$out"
        row "$e" - - - - SKIP
        why=$(printf '%s\n' "$out" | head -n 1)
        case $why in
        "$e:"*) printf '%s\n' "$why" >> "$notes" ;;
        *) printf '%s: skipped: %s\n' "$e" "$why" >> "$notes" ;;
        esac
        continue ;;
    124)
        printf '%s\n' "$out"
        row "$e" - - - - FAIL
        printf '%s: FAIL: timed out after %s s\n' "$e" "$timeout_s" >> "$notes"
        rc=1
        continue ;;
    esac
    printf '%s\n' "$out"
    body=$(printf '%s\n' "$out" | awk 'NF >= 6 && $NF ~ /^(PASS|FAIL|SKIP)$/')
    nrows=0
    nfail=0
    if [ -n "$body" ]; then
        printf '%s\n' "$body" >> "$rows"
        nrows=$(printf '%s\n' "$body" | wc -l)
        nfail=$(printf '%s\n' "$body" | awk '$NF == "FAIL"' | wc -l)
    fi
    if [ "$nrows" -eq 0 ]; then
        row "$e" - - - - FAIL
        printf '%s: FAIL: printed no rows (exit status %s)\n' "$e" "$st" >> "$notes"
        rc=1
    elif [ "$st" -ne 0 ] || [ "$nfail" -ne 0 ]; then
        [ "$nfail" -ne 0 ] || row "$e" - - - - FAIL
        printf '%s: FAIL: exit status %s, %s of %s rows failed\n' \
            "$e" "$st" "$nfail" "$nrows" >> "$notes"
        rc=1
    fi
    echo "($e: ${secs} s)"
done

total=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
echo
echo "== demo summary"
printf "$fmt" example policy items errors items/s verdict
cat "$rows"
[ -s "$notes" ] && cat "$notes"
if [ "$rc" -eq 0 ]; then
    echo "demo: PASS ($# examples, ${total} s)"
else
    echo "demo: FAIL ($# examples, ${total} s)"
fi
exit "$rc"
