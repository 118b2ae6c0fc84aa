#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/litmus/tune.sh [LITMUS_BINARY] [ITER] [RUNS] - how often the unfenced
# SB and R outcomes show, per stagger setting (tests/litmus/litmus.c
# --stagger/--span): the median of RUNS runs of ITER iterations each. The
# settings take turns within each round, so that all of them see the same
# load (the machine is shared: rates drift by 2x between minutes).
set -euo pipefail
bin=${1:-build/litmus/gcc/litmus} iter=${2:-1000000} runs=${3:-5}
settings=("none 1" "t0 256" "t1 256" "both 256" "both 512" "both 1024" "both 2048")
declare -A rates
for _ in $(seq "$runs"); do
    for shape in SB R; do
        for setting in "${settings[@]}"; do
            set -- $setting
            r=$("$bin" -n "$iter" --shape "$shape" --form relaxed --stagger "$1" --span "$2" |
                awk '$1 == "relaxed" && $6 ~ /%$/ { sub("%", "", $6); print $6 }')
            rates[$shape $setting]+="$r "
        done
    done
done
printf '| shape | stagger | span | median %% | runs (%%) |\n|---|---|---|---|---|\n'
for shape in SB R; do
    for setting in "${settings[@]}"; do
        set -- $setting
        v=${rates[$shape $setting]}
        med=$(printf '%s\n' $v | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
        printf '| %s | %s | %s | %s | %s |\n' "$shape" "$1" "$([ "$1" = none ] && echo - || echo "$2")" "$med" "$v"
    done
done
