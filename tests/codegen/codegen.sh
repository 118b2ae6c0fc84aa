#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tests/codegen/codegen.sh OUTDIR - compile tests/codegen/probe.c for every
# architecture x compiler installed (gcc and clang for x86-64; the gcc
# cross compiler and clang --target=... for aarch64, ppc64le, riscv64,
# s390x, armhf), disassemble each probe, and print markdown tables: the
# barrier instructions and the guest access instruction of every
# primitive, next to what Linux uses.
#
# The guest access is found through the debug line table: it is the
# instruction attributed to the line of odma/access.h that expands
# ODMA__MOVE_ATOMIC(uint32_t) (or uint64_t), of the access's width, minus
# stack traffic.
#
# Static checks (exit 1 if one fails):
#  every target (issue 11 item 3): the device-region path, the function
#    odma__device_move and every function of the object it calls, holds no
#    atomic read-modify-write (riscv amo*, lr/sc; armhf ldrex*/strex*;
#    aarch64 exclusives and LSE atomics; ppc l[bhwd]arx/st[bhwd]cx.;
#    s390x cs*/la*, and its storage-to-storage copies mvc/xc/exrl; x86
#    lock/xchg/cmpxchg, rep movs/stos), no `dc zva`, and no call to
#    memcpy/memset/memmove or to an atomics helper (__atomic_*, __sync_*,
#    __aarch64_* outline atomics);
#    Negative controls (an atomic fetch_add of 4 and 8 bytes, a variable
#    memcpy) must be caught by the same scan on every target;
#  x86-64 (item 7): odma_mb() with gcc is the instruction of gcc's seq_cst
#    fence; with clang its CPU form is exactly one `lock`-prefixed
#    instruction and no `mfence` (negative control: clang's fence is
#    `mfence`);
#  x86-64 and aarch64 (gcc and clang):
#  - a relaxed ld/st (32 and 64 bit) contains no barrier instruction;
#  - an ordered ld/st does contain a full-barrier site (so the pattern the
#    first check relies on does match this compiler's output).
# How many fence instructions each barrier *executes* (one, or none where
# it is free; a barrier's code holds a CPU-form and an I/O-form site, so
# sites are not counted), and that every device access really goes
# through odma__device_move, is checked by running the probes:
# tests/codegen/run.sh.
# That an ordered W->R pair executes exactly one full barrier is checked
# by tests/codegen/steps.sh.
set -euo pipefail
out=${1:-build/codegen}
mkdir -p "$out"
top=$(cd "$(dirname "$0")/../.." && pwd)
line32=$(grep -n 'ODMA__MOVE_ATOMIC(uint32_t)' "$top/include/odma/access.h" | cut -d: -f1 || true)
line64=$(grep -n 'ODMA__MOVE_ATOMIC(uint64_t)' "$top/include/odma/access.h" | cut -d: -f1 || true)
# "file:line" of every use of the I/O barriers (not their #define): the
# I/O form an explicit or policy barrier takes after a device access.
# Static counts of a barrier's CPU form leave these instructions out; what
# runs after a device access is counted by run.sh.
io_lines=$(cd "$top/include/odma" && grep -nE '^[^#]*ODMA_IO_(MB|WMB|RMB)\(\);' ./*.h |
  sed -E 's|^\./([^:]+):([0-9]+):.*|\1:\2|' | paste -sd' ' || true)

. "$top/tests/codegen/targets.sh"

# Linux's smp_mb / smp_wmb / smp_rmb on the same architecture.
linux_of() {
  case $1 in
  x86-64) echo '`lock addl $0,-4(%rsp)`;none;none' ;;
  aarch64) echo '`dmb ish`;`dmb ishst`;`dmb ishld`' ;;
  ppc64le) echo '`sync`;`lwsync`;`lwsync`' ;;
  riscv64) echo '`fence rw,rw`;`fence w,w`;`fence r,r`' ;;
  s390x) echo '`bcr 14,0` (z196 and later, else `bcr 15,0`);none;none' ;;
  armhf) echo '`dmb ish`;`dmb ishst`;`dmb ish`' ;;
  esac
}

# disasm OBJDUMP OBJ -> "function<TAB>file:line<TAB>mnemonic operands" rows
disasm() {
  "$1" -d -l --no-show-raw-insn "$2" | awk '
    /^[0-9a-f]+ <[^.][^>]*>:$/ { fn = $2; gsub(/[<>:]/, "", fn); next }
    /^\/.*:[0-9]+/ { src = $1; sub(/.*\//, "", src); next }
    /^ *[0-9a-f]+:\t/ {
      ins = $0; sub(/^ *[0-9a-f]+:\t/, "", ins); gsub(/\t/, " ", ins)
      sub(/ *[#;@].*$/, "", ins); sub(/ <.*>$/, "", ins); gsub(/  +/, " ", ins)
      print fn "\t" src "\t" ins
    }'
}

# calls_of OBJDUMP OBJ -> "function<TAB>referenced symbol" rows: every
# relocation (calls to other objects, and on some targets to local
# functions too) and every branch target `<sym>` at a symbol's start.
calls_of() {
  "$1" -dr --no-show-raw-insn "$2" | awk '
    /^[0-9a-f]+ <[^.][^>]*>:$/ { fn = $2; gsub(/[<>:]/, "", fn); next }
    /^[ \t]*[0-9a-f]+: R_[A-Z0-9_]+[ \t]/ {
      r = $NF; sub(/[-+]0x[0-9a-f]+$/, "", r); print fn "\t" r; next }
    /^ *[0-9a-f]+:\t/ && match($0, /<[^>+]+>$/) {
      print fn "\t" substr($0, RSTART + 1, RLENGTH - 2) }' | sort -u
}

# path_funcs ROOT -> function ROOT (and its clones: gcc may name it
# odma__device_move.constprop.0) and every function of this object it
# reaches through calls, one a line
path_funcs() {
  local todo seen f g
  todo=$(awk -F'\t' -v r="$1" 'index($1, r) == 1 && (length($1) == length(r) || substr($1, length(r) + 1, 1) == ".") { print $1 }' "$dis" | sort -u)
  seen=""
  while [ -n "$todo" ]; do
    f=${todo%%$'\n'*}
    [ "$f" = "$todo" ] && todo="" || todo=${todo#*$'\n'}
    case " $seen " in *" $f "*) continue ;; esac
    seen="$seen $f"
    for g in $(awk -F'\t' -v f="$f" '$1 == f { print $2 }' "$calls"); do
      if awk -F'\t' -v g="$g" '$1 == g { found = 1; exit } END { exit !found }' "$dis"; then
        todo="$todo"$'\n'"$g"
      fi
    done
    todo=$(sed '/^$/d' <<<"$todo")
  done
  tr ' ' '\n' <<<"$seen" | sed '/^$/d'
}

# scan_path ROOT -> sets dfuncs (ROOT and what it calls), n_ins, bad_ins
# (forbidden instructions, "`x` ×N, ..."), bad_calls (forbidden callees)
scan_path() {
  dfuncs=$(path_funcs "$1")
  bad_ins=$(for f in $dfuncs; do insns "$f"; done | matching "$forbid" | sed -E 's/ .*//' | sort | uniq -c |
    awk '{ printf "%s`%s`%s", (NR > 1 ? ", " : ""), $2, ($1 > 1 ? " ×" $1 : "") }')
  bad_calls=$(for f in $dfuncs; do awk -F'\t' -v f="$f" '$1 == f { print $2 }' "$calls"; done |
    matching "$codegen_forbidden_calls" | sort -u | awk '{ printf "%s`%s`", (NR > 1 ? ", " : ""), $0 }')
  n_ins=$(for f in $dfuncs; do insns "$f"; done | wc -l)
}

# insns FN -> the function's instructions, one a line
insns() { awk -F'\t' -v f="$1" '$1 == f { print $3 }' "$dis"; }
# cpu_insns FN -> the same, without the I/O barrier sites (io_lines)
cpu_insns() {
  awk -F'\t' -v f="$1" -v io=" $io_lines " '$1 == f && index(io, " " $2 " ") == 0 { print $3 }' "$dis"
}
# matching PATTERN: stdin lines that match (never fails)
matching() { grep -E "$1" || true; }
# barriers FN -> "`a`, `b` ×2", in order of first appearance; "none" if none
barriers() {
  insns "$1" | matching "$bar" |
    awk '{ n[$0]++; if (n[$0] == 1) o[++k] = $0 }
         END { for (i = 1; i <= k; i++) printf "%s`%s`%s", (i > 1 ? ", " : ""), o[i], (n[o[i]] > 1 ? " ×" n[o[i]] : "")
               if (!k) printf "none" }'
}
count() { insns "$1" | matching "$2" | wc -l; }
cpu_count() { cpu_insns "$1" | matching "$2" | wc -l; }
# cpu_barriers FN -> as barriers, the CPU form only
cpu_barriers() {
  cpu_insns "$1" | matching "$bar" |
    awk '{ n[$0]++; if (n[$0] == 1) o[++k] = $0 }
         END { for (i = 1; i <= k; i++) printf "%s`%s`%s", (i > 1 ? ", " : ""), o[i], (n[o[i]] > 1 ? " ×" n[o[i]] : "")
               if (!k) printf "none" }'
}
# access FN LINE PATTERN [ld|st] -> mnemonics of the guest access at that
# access.h line (of one direction, if given)
stores='^(st|sw|sd|amoswap|strex)|^mov[a-z]* [^(]*,.*\('
access() {
  awk -F'\t' -v f="$1" -v l="access.h:$2" '$1 == f && $2 == l { print $3 }' "$dis" |
    matching "$3" | { grep -vE "$stack" || true; } |
    case ${4:-} in
    st) matching "$stores" ;;
    ld) { grep -vE "$stores" || true; } ;;
    *) cat ;;
    esac | sed -E 's/ .*//' | sort -u |
    awk '{ printf "%s`%s`", (NR > 1 ? " " : ""), $0 } END { if (!NR) printf "?" }'
}
calls() {
  insns "$1" | { grep -oE '__atomic_[a-z_0-9]+' || true; } | sort -u |
    awk '{ printf " + call `%s`", $0 }'
}
cell32() { # FN ld|st
  local b
  b=$(barriers "$1")
  printf '%s%s' "$(access "$1" "$line32" "$acc32" "$2")" "$([ "$b" = none ] || echo " + $b")"
}
# How objdump spells some barriers, in the assembler's usual spelling.
respell() {
  sed -e 's/`fence`/`fence iorw,iorw`/g' -e 's/`bnor %r0`/`bcr 14,0`/g' -e 's/`br %r0`/`bcr 15,0`/g'
}
check() { # CONDITION-TEXT: report a failed static check
  echo "codegen: FAIL $name: $*" >&2
  fail=$((fail + 1))
}
pass() { passed=$((passed + 1)); }

fail=0 passed=0
# The device path's root; set CODEGEN_DEVICE_ROOT=odma__move_range to see
# the check fail on a path that does call memcpy.
device_root=${CODEGEN_DEVICE_ROOT:-odma__device_move}
barrier_rows=() access_rows=() wide_rows=() device_rows=() x86_rows=() checked=() devchecked=()
# Compile every target first, two at a time (most of this script's CPU
# time). -DPROBE_RUN: the same object is linked into the program run.sh
# runs. A compile error fails that target below.
jobs=0
for t in "${codegen_targets[@]}"; do
  IFS=';' read -r name arch cc <<<"$t"
  IFS=';' read -r objdump _ <<<"$(arch_info "$arch")"
  target_ok "$cc" "$objdump" || continue
  tag=${name// /-}
  rm -f "$out/probe-$tag.o"
  # shellcheck disable=SC2086 # $cc is a command with its flags
  $cc -std=c11 -Wall -Wextra -Werror -O2 -g -I"$top/include" -DPROBE_RUN -c \
    "$top/tests/codegen/probe.c" -o "$out/probe-$tag.o" 2>"$out/probe-$tag.err" &
  jobs=$((jobs + 1))
  if [ $jobs -ge 2 ]; then
    wait -n || true
    jobs=$((jobs - 1))
  fi
done
wait || true

for t in "${codegen_targets[@]}"; do
  IFS=';' read -r name arch cc <<<"$t"
  IFS=';' read -r objdump qemu bar full acc32 acc64 stack fence forbid <<<"$(arch_info "$arch")"
  if ! target_ok "$cc" "$objdump"; then
    echo "codegen: skip $name: ${cc%% *} or $objdump not installed" >&2
    continue
  fi
  tag=${name// /-}
  obj=$out/probe-$tag.o
  dis=$out/probe-$tag.dis
  calls=$out/probe-$tag.calls
  if [ ! -s "$obj" ]; then
    cat "$out/probe-$tag.err" >&2
    check "tests/codegen/probe.c does not compile"
    continue
  fi
  disasm "$objdump" "$obj" >"$dis"
  calls_of "$objdump" "$obj" >"$calls"

  IFS=';' read -r lmb lwmb lrmb <<<"$(linux_of "$arch")"
  barrier_rows+=("| $name | $(barriers probe_mb) | $(barriers probe_wmb) | $(barriers probe_rmb) | $lmb | $lwmb | $lrmb |")
  access_rows+=("| $name | $(cell32 probe_ld ld) | $(cell32 probe_st st) | $(cell32 probe_ld_relaxed ld) | $(cell32 probe_st_relaxed st) | $(cell32 probe_ld_acquire ld) | $(cell32 probe_st_release st) |")
  wide_rows+=("| $name | $(access probe_ld64_relaxed "$line64" "$acc64")$(calls probe_ld64_relaxed) | $(access probe_st64_relaxed "$line64" "$acc64")$(calls probe_st64_relaxed) |")

  # Issue 11 item 3: the device path holds no atomic RMW and calls no
  # library copy or atomics helper. The negative controls (probe_neg_*: an
  # atomic fetch_add of 4 and of 8 bytes, a memcpy of variable size) must
  # be caught on every target, or the patterns above miss this target's
  # spelling and the check proves nothing.
  scan_path "$device_root"
  if [ -z "$dfuncs" ]; then
    check "no $device_root in the object: the device probes do not reach it"
    device_rows+=("| $name | (missing) | | |")
  else
    [ -z "$bad_ins" ] && pass || check "device path ($(echo $dfuncs)) holds atomic RMW / forbidden instructions: $bad_ins"
    [ -z "$bad_calls" ] && pass || check "device path ($(echo $dfuncs)) calls $bad_calls"
    device_rows+=("| $name | $(echo $dfuncs | sed -E 's/([^ ]+)/`\1`/g; s/ /, /g') ($n_ins insns) | ${bad_ins:-none} | ${bad_calls:-none} |")
    devchecked+=("$name")
  fi
  controls=""
  for f in probe_neg_rmw32 probe_neg_rmw64 probe_neg_copy; do
    scan_path $f
    [ -n "$bad_ins$bad_calls" ] && pass || check "negative control $f: the device-path check finds nothing in it"
    controls="$controls${controls:+; }${bad_ins}${bad_ins:+${bad_calls:+, }}${bad_calls}"
  done
  device_rows[-1]="${device_rows[-1]} $controls |"

  # Issue 11 item 7: x86-64's odma_mb() is one lock-prefixed instruction
  # (gcc: its seq_cst fence; clang: a seq_cst RMW, as clang's fence would
  # be mfence), never mfence.
  if [ "$arch" = x86-64 ]; then
    # gcc: every barrier site of odma_mb() (its CPU form and, behind the
    # device-bit test, its I/O form, whose default is the same fence: gcc
    # merges them) is the instruction of gcc's seq_cst fence.
    # clang: the CPU form (the sites not on an ODMA_IO_* line) is exactly
    # one lock-prefixed instruction and no mfence.
    c11=$(insns probe_c11_mb | matching "$bar")
    if [ "$cc" = gcc ]; then
      got=$(insns probe_mb | matching "$bar" | sort -u)
      [ "$got" = "$c11" ] && pass ||
        check "odma_mb() is $(barriers probe_mb), gcc's seq_cst fence is \`$c11\`: not the fence"
    else
      n=$(cpu_count probe_mb '^lock ') m=$(cpu_count probe_mb '^mfence')
      [ "$n" = 1 ] && [ "$m" = 0 ] && pass ||
        check "odma_mb() (CPU form) is $n lock-prefixed and $m mfence instruction(s), want 1 and 0: $(cpu_barriers probe_mb)"
    fi
    # Negative control: clang's C11 fence is mfence, which the pin above
    # must be able to see (the pattern matches clang's spelling).
    if [ "${cc%% *}" = clang ]; then
      [ "$(count probe_c11_mb '^mfence')" -ge 1 ] && pass ||
        check "negative control: clang's seq_cst fence shows no mfence ($(barriers probe_c11_mb))"
    fi
    cpu=$(cpu_barriers probe_mb)
    [ "$cpu" != none ] || cpu="(one site with the I/O form)"
    x86_rows+=("| $name | $cpu | $(barriers probe_mb) | $(barriers probe_c11_mb) |")
  fi

  case $arch in
  x86-64|aarch64)
    checked+=("$name")
    for f in probe_ld_relaxed probe_st_relaxed probe_ld64_relaxed probe_st64_relaxed; do
      n=$(count $f "$bar")
      [ "$n" = 0 ] && pass || check "$f contains $n barrier instruction(s): $(barriers $f)"
    done
    for f in probe_ld probe_st; do
      n=$(count $f "$full")
      [ "$n" -ge 1 ] && pass || check "$f has no full-barrier site: the pattern '$full' matches nothing"
    done
    ;;
  esac
done

echo "Barrier sites (none: no instruction, a compiler barrier only): each barrier's CPU form and,"
echo "behind a test of the thread's device bit, its I/O form (ODMA_IO_MB/WMB/RMB(), at $io_lines;"
echo "the compiler merges the two where they are the same instruction). One of them runs: what runs"
echo "is counted by run.sh (fences.md)."
echo
echo "| target | \`odma_mb()\` | \`odma_wmb()\` | \`odma_rmb()\` | Linux \`smp_mb()\` | Linux \`smp_wmb()\` | Linux \`smp_rmb()\` |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${barrier_rows[@]}" | respell
echo
echo "32-bit accessors: the guest access instruction + every barrier instruction in the function."
echo "An ordered accessor picks its barrier at run time from the context's compiled policy table and"
echo "the thread's pending accesses (odma/order.h), so its code holds every barrier site the table can"
echo "ask for, each behind a branch; the policy (STRICT, PCIE, ...) is data, not code."
echo
echo "| target | \`dma_ld_le32\` (ordered) | \`dma_st_le32\` (ordered) | \`_relaxed\` ld | \`_relaxed\` st | \`dma_ld_le32_acquire\` | \`dma_st_le32_release\` |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${access_rows[@]}" | respell
echo
echo "64-bit relaxed accessors (single-copy atomic): the access instruction(s), and any libatomic call."
echo
echo "| target | \`dma_ld_le64_relaxed\` | \`dma_st_le64_relaxed\` |"
echo "|---|---|---|"
printf '%s\n' "${wide_rows[@]}"
echo
echo "Device-region path (odma__device_move and what it calls): atomic read-modify-write"
echo "instructions and forbidden calls found; both must be none."
echo
echo "The last column is the negative controls (an atomic fetch_add of 4 and 8 bytes, a memcpy of"
echo "variable size), which the same check must catch on every target."
echo
echo "| target | functions | atomic RMW / exclusive / \`dc zva\` | memcpy, memset, atomics helpers | controls caught |"
echo "|---|---|---|---|---|"
printf '%s\n' "${device_rows[@]}"
echo
echo "x86-64 \`odma_mb()\`: one lock-prefixed instruction, no \`mfence\` (with gcc: the seq_cst fence itself)."
echo
echo "| target | \`odma_mb()\` CPU form | all its sites (with the I/O form) | \`atomic_thread_fence(memory_order_seq_cst)\` |"
echo "|---|---|---|---|"
printf '%s\n' "${x86_rows[@]}"
echo
if [ ${#checked[@]} = 0 ] || [ ${#devchecked[@]} = 0 ]; then
  echo "codegen: no compiler for the checked targets" >&2
  fail=$((fail + 1))
fi
[ $fail != 0 ] || echo "codegen: static checks passed for: ${checked[*]}; device path: ${devchecked[*]}"
echo "static: $passed passed, $fail failed"
[ $fail = 0 ]
