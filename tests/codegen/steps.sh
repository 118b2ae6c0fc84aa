#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tests/codegen/steps.sh OUTDIR - count the barrier instructions *executed*
# by an ordered W->R pair (tests/codegen/wr_pair.c), on x86-64 (gcc and
# clang) and aarch64.
#
# An ordered accessor's code holds a conditional site for every barrier
# the policy table can ask for (odma/order.h chooses at run time), so a
# disassembly cannot say how many run. Here the program starts from a
# known state (odma_mb(): nothing pending), and everything executed
# between two out-of-line marker calls is inspected instruction by
# instruction:
#   x86-64   tests/codegen/stepcount.c single-steps it with ptrace;
#   aarch64  qemu-aarch64 -singlestep -d nochain,exec logs the address of
#            every instruction executed, mapped to objdump's disassembly.
# Expected, under DMA_POLICY_STRICT (full / other barrier instructions):
#   pair     st; ld            1 / 0
#   relaxed  st_relaxed; ld_relaxed   0 / 0
#   twice    st; ld; st; ld    2 / 0 on x86 (rmb is no instruction),
#                              2 / 1 on aarch64 (the R->W rmb: dmb ishld)
# The test fails on any other count: 0 or 2 full barriers for the pair
# would mean a missing or a doubled barrier.
set -euo pipefail
out=${1:-build/codegen}
mkdir -p "$out"
top=$(cd "$(dirname "$0")/../.." && pwd)
cflags=(-std=c11 -Wall -Wextra -Werror -O2 -g -I"$top/include" -static -fno-pie)
fail=0 ran=0
declare -A want_x86=([pair]="1 0" [relaxed]="0 0" [twice]="2 0")
declare -A want_a64=([pair]="1 0" [relaxed]="0 0" [twice]="2 1")

verdict() { # LABEL SCENARIO "FULL OTHER" "WANT_FULL WANT_OTHER" INSNS
  if [ "$3" = "$4" ]; then
    printf '  %-22s %-8s %4s instructions, full %s, other %s: ok\n' "$1" "$2" "$5" ${3}
  else
    printf '  %-22s %-8s %4s instructions, full %s, other %s: FAIL, want %s %s\n' "$1" "$2" "$5" ${3} ${4}
    fail=$((fail + 1))
  fi
}

addr() { "$1" "$2" | awk -v s="$3" '$3 == s { print $1 }'; }

echo "Barrier instructions executed between the markers (DMA_POLICY_STRICT, after odma_mb()):"
# x86-64: ptrace single-stepping.
if [ "$(uname -m)" = x86_64 ]; then
  gcc -std=c11 -Wall -Wextra -Werror -O2 "$top/tests/codegen/stepcount.c" -o "$out/stepcount"
  for cc in gcc clang; do
    command -v $cc >/dev/null 2>&1 || { echo "  x86-64 $cc: not installed, skipped"; continue; }
    bin=$out/wr_pair-x86-64-$cc
    $cc "${cflags[@]}" "$top/tests/codegen/wr_pair.c" -o "$bin"
    b=$(addr nm "$bin" odma_steps_begin) e=$(addr nm "$bin" odma_steps_end)
    for s in pair relaxed twice; do
      r=$("$out/stepcount" "$b" "$e" "$bin" "$s" | tail -n 1)
      n=$(sed -E 's/.*insns=([0-9]+).*/\1/' <<<"$r")
      got=$(sed -E 's/.*full=([0-9]+) other=([0-9]+).*/\1 \2/' <<<"$r")
      verdict "x86-64 $cc (ptrace)" $s "$got" "${want_x86[$s]}" "$n"
      ran=$((ran + 1))
    done
  done
fi

# aarch64: qemu-user's per-instruction execution log.
if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 && command -v qemu-aarch64 >/dev/null 2>&1; then
  bin=$out/wr_pair-aarch64
  aarch64-linux-gnu-gcc "${cflags[@]}" "$top/tests/codegen/wr_pair.c" -o "$bin"
  b=$(addr aarch64-linux-gnu-nm "$bin" odma_steps_begin)
  e=$(addr aarch64-linux-gnu-nm "$bin" odma_steps_end)
  aarch64-linux-gnu-objdump -d --no-show-raw-insn "$bin" |
    awk '/^ *[0-9a-f]+:\t/ { a = $1; sub(":", "", a); i = $0; sub(/^ *[0-9a-f]+:\t/, "", i);
                              gsub(/\t/, " ", i); sub(/ *\/\/.*$/, "", i); print a "\t" i }' >"$bin.dis"
  for s in pair relaxed twice; do
    log=$bin.$s.log
    rm -f "$log"
    qemu-aarch64 -singlestep -d nochain,exec -D "$log" "$bin" $s >/dev/null
    # "Trace 0: HOST [FLAGS/PC/...] SYMBOL": field 2 of the bracket is the PC.
    r=$(awk -v b="$b" -v e="$e" '
      function hex(s) { sub(/^0+/, "", s); return s == "" ? "0" : s }
      FNR == NR { insn[$1] = $0; sub(/^[^\t]*\t/, "", insn[$1]); next }
      /^Trace/ {
        split($0, p, "[][/]"); pc = hex(p[3])
        if (!on && pc == hex(b)) on = 1
        else if (on && pc == hex(e)) { done = 1; exit }
        if (on) {
          n++; i = insn[pc]
          if (i ~ /^dmb ish$/) full++
          else if (i ~ /^(dmb|dsb|isb|ldar|ldapr|stlr|ldaxr|stlxr)/) other++
        }
      }
      END { printf "%d %d %d %d\n", n, full, other, done }' "$bin.dis" "$log")
    read -r n f o done <<<"$r"
    if [ "$done" != 1 ]; then
      echo "  aarch64 (qemu exec log) $s: never ran from $b to $e: FAIL"
      fail=$((fail + 1)) ran=$((ran + 1))
      continue
    fi
    verdict "aarch64 (qemu log)" $s "$f $o" "${want_a64[$s]}" "$n"
    ran=$((ran + 1))
  done
else
  echo "  aarch64: aarch64-linux-gnu-gcc or qemu-aarch64 not installed, skipped"
fi

[ $ran != 0 ] || { fail=1 ran=1; }
echo "steps: $((ran - fail)) passed, $fail failed"
[ $fail = 0 ]
