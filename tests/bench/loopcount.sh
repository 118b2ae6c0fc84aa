#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/bench/loopcount.sh BENCH_DIR - instructions per iteration of the
# timed kernels (tests/bench/loopcount.c under callgrind), the shape the
# issue-12 targets were first measured in (a loop of accesses, frame and
# context pointer paid once per loop). Prints a markdown table of the 4
# and 8-byte kernels, per access, gcc and clang side by side, and the
# issue-12 targets on this shape (a MISS is reported, it fails nothing).
set -eu
dir=$1
w=$(mktemp -d /tmp/loopcount.XXXXXX)
trap 'rm -rf "$w"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$w/cg" "$dir/loopcount" >"$w/out" 2>"$w/err" || {
    echo "loopcount did not run under callgrind:"; cat "$w/err"; exit 1; }
iters=$(sed -n 's/^iterations //p' "$w/out")
grep -v '^iterations' "$w/out" | while IFS=, read -r cc sz pat var acc n; do
    echo "$cc,$sz,$pat,$var,$acc,$(sed -n 's/^totals: //p' "$w/cg.$n")"
done | awk -F, -v it="$iters" '
    $2 == "4B" || $2 == "8B" { k = $2 " " $3 " " $4; v[$1 " " k] = $6 / it / $5
        if (!(k in seen)) { seen[k] = 1; ord[++n] = k } }
    function z(x) { return (x < 0.05 && x > -0.05) ? 0 : x }
    function t(name, a, b, lim,   d) {
        d = sprintf("%.1f", a - b) + 0 # rounds away the loop entry and exit, spread over N iterations
        printf "| %s | %.1f - %.1f = %+.1f | <= %+d | %s |\n", name, a, b, d, lim, (d <= lim) ? "PASS" : "MISS" }
    END {
        print "| kernel (per access) | gcc | gcc - raw | clang | clang - raw |"
        print "|---|---:|---:|---:|---:|"
        for (i = 1; i <= n; i++) { split(ord[i], p, " ")
            rg = v["gcc " p[1] " " p[2] " raw"]; rc = v["clang " p[1] " " p[2] " raw"]
            printf "| %s | %.1f | %+.1f | %.1f | %+.1f |\n", ord[i], v["gcc " ord[i]],
                   z(v["gcc " ord[i]] - rg), v["clang " ord[i]], z(v["clang " ord[i]] - rc) }
        print ""
        print "| issue-12 target, loop shape | measured | limit | verdict |"
        print "|---|---:|---:|---|"
        split("gcc clang", cs, " "); split("4B rd,4B wr,8B rd,8B wr", ks, ",")
        for (c = 1; c <= 2; c++) for (k = 1; k <= 4; k++)
            t(cs[c] " relaxed " ks[k] " - raw", v[cs[c] " " ks[k] " relaxed"], v[cs[c] " " ks[k] " raw"], 10)
        for (c = 1; c <= 2; c++) for (k = 1; k <= 4; k++)
            t(cs[c] " STRICT " ks[k] " stream - relaxed", v[cs[c] " " ks[k] " strict"], v[cs[c] " " ks[k] " relaxed"], 2)
    }'
