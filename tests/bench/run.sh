#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/bench/run.sh BENCH_DIR [--quick] - run by `make bench`.
# Runs the micro-benchmarks, the callgrind instruction counts and the
# ring; collects everything in BENCH_DIR/results.csv; prints a markdown
# report with each target's PASS/MISS; draws BENCH_DIR/bench.png.
set -euo pipefail
dir=$1
quick=${2:-}
here=$(dirname "$0")
csv=$dir/results.csv
echo "group,size,pattern,variant,cc,metric,median,min,max,runs" >"$csv"

field() { lscpu 2>/dev/null | sed -n "s/^$1: *//p" | head -n1; }
cpu="$(field 'Model name') (family $(field 'CPU family'), model $(field 'Model'))"
hv=$(field 'Hypervisor vendor')
cpuline="CPU: $cpu${hv:+, under $hv}"
echo "# odma benchmarks"
echo
echo "- CPU: $cpu${hv:+, under $hv}, $(nproc) CPUs online; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $(gcc --version | head -n1); $(clang --version | head -n1)"
[ -n "$quick" ] && echo "- QUICK run: too short to mean anything; checks the harness only"
echo
echo "## Micro-benchmarks: ns per access"
echo
echo "$cpuline"
echo
"$dir/micro" $quick --csv "$csv"
echo
echo "## Peer: rust-vmm vm-memory beside odma (one process)"
echo
echo "$cpuline"
echo
"$here/vmm.sh" "$dir" $quick
echo
echo "## Instructions per call (callgrind)"
echo
echo "$cpuline"
echo
if command -v valgrind >/dev/null 2>&1; then
    echo "| accessor | gcc | gcc - raw | clang | clang - raw |"
    echo "|---|---:|---:|---:|---:|"
    for cc in gcc clang; do
        out=$dir/$cc/callgrind.out
        calls=$(valgrind --tool=callgrind --callgrind-out-file="$out" "$dir/$cc/icount" 2>/dev/null |
                sed -n 's/^calls //p')
        callgrind_annotate --inclusive=yes --threshold=100 "$out" 2>/dev/null |
            awk -v calls="$calls" -v cc="$cc" -f "$here/icount.awk" >>"$csv"
    done
    awk -F, -f "$here/icount_table.awk" "$csv"
    echo
    echo "## Instructions per loop iteration of the timed kernels (callgrind)"
    echo
    echo "$cpuline"
    echo
    "$here/loopcount.sh" "$dir"
else
    echo "(valgrind not installed: skipped)"
fi
echo
echo "## Ring: requests/s"
echo
echo "$cpuline"
echo
for cc in gcc clang; do
    "$dir/$cc/ring" $quick --cc "$cc" --csv "$csv"
    echo
done
echo "## Targets"
echo
echo "$cpuline"
echo
awk -F, -v quick="$quick" -f "$here/report.awk" "$csv"
echo
if command -v gnuplot >/dev/null 2>&1; then
    if "$here/plot.sh" "$csv" "$dir/bench.png" 2>"$dir/gnuplot.log"; then
        echo "Chart: $dir/bench.png; CSV: $csv"
    else
        echo "gnuplot failed; CSV: $csv"
    fi
else
    echo "(gnuplot not installed: no chart); CSV: $csv"
fi
