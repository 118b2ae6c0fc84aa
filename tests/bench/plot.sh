#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/bench/plot.sh RESULTS.csv OUT.png - bar charts of make bench results
# (gnuplot): 4-byte accesses per variant for gcc and clang, and the ring.
set -euo pipefail
csv=$1
png=$2
tmp=$(dirname "$png")
awk -F, -v out="$tmp/plot_4B.dat" '
    $1 == "micro" && $2 == "4B" && $6 == "ns" { v[$4] = 1; m[$4, $5, $3] = $8 }
    END {
        n = split("raw relaxed strict pcie pcie_relaxed acqrel qemu", order, " ")
        for (i = 1; i <= n; i++) { k = order[i]; if (!(k in v)) continue
            printf "%s %s %s %s %s %s %s\n", k, m[k, "gcc", "rd"], m[k, "gcc", "wr"], m[k, "gcc", "rw"],
                   m[k, "clang", "rd"], m[k, "clang", "wr"], m[k, "clang", "rw"] > out }
    }' "$csv"
awk -F, -v out="$tmp/plot_ring.dat" '
    $1 == "ring" && $3 == "requests" { v[$4] = 1; m[$4, $5] = $7 / 1e6 }
    END {
        n = split("handtuned handtuned+mb strict pcie qemu", order, " ")
        for (i = 1; i <= n; i++) { k = order[i]; if (!(k in v)) continue
            printf "%s %s %s\n", k, m[k, "gcc"], m[k, "clang"] > out }
    }' "$csv"
gnuplot <<GP
set terminal pngcairo size 1500,560 font "sans,11" noenhanced
set output "$png"
set multiplot layout 1,3
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top left
set xtics rotate by -30
set logscale y
set yrange [0.1:100]
set ylabel "ns per access (log scale)"
set title "4-byte ld/st, gcc 12 (min ns over rounds)"
plot "$tmp/plot_4B.dat" using 2:xtic(1) title "read stream" lc rgb "#4477aa", \
     "" using 3 title "write stream" lc rgb "#ee6677", \
     "" using 4 title "alternating" lc rgb "#228833"
set title "4-byte ld/st, clang 14 (min ns over rounds)"
plot "$tmp/plot_4B.dat" using 5:xtic(1) title "read stream" lc rgb "#4477aa", \
     "" using 6 title "write stream" lc rgb "#ee6677", \
     "" using 7 title "alternating" lc rgb "#228833"
unset logscale y
set yrange [0:*]
set key top right
set ylabel "million requests/s"
set title "descriptor ring, 2 threads (median)"
plot "$tmp/plot_ring.dat" using 2:xtic(1) title "gcc" lc rgb "#4477aa", \
     "" using 3 title "clang" lc rgb "#ccbb44"
unset multiplot
GP
