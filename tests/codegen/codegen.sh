#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tests/codegen/codegen.sh OUTDIR - compile tests/codegen/probe.c for every
# architecture whose compiler is installed, disassemble each probe, and
# print markdown tables: the barrier instructions and the guest access
# instruction of every primitive, next to what Linux uses.
#
# The guest access is found through the debug line table: it is the
# instruction attributed to the line of odma/access.h that expands
# ODMA__MOVE_ATOMIC(uint32_t) (or uint64_t), of the access's width, minus
# stack traffic.
#
# Static checks (exit 1 if one fails), for x86-64 (gcc and clang) and
# aarch64:
#  - a relaxed ld/st (32 and 64 bit) contains no barrier instruction;
#  - odma_mb() is exactly one full barrier; odma_wmb()/odma_rmb() are one
#    barrier instruction on aarch64 and none on x86-64;
#  - an ordered ld/st does contain a full-barrier site (so the pattern the
#    first check relies on does match this compiler's output).
# That an ordered W->R pair *executes* exactly one full barrier is checked
# on the executed path by tests/codegen/steps.sh.
set -euo pipefail
out=${1:-build/codegen}
mkdir -p "$out"
top=$(cd "$(dirname "$0")/../.." && pwd)
line32=$(grep -n 'ODMA__MOVE_ATOMIC(uint32_t)' "$top/include/odma/access.h" | cut -d: -f1)
line64=$(grep -n 'ODMA__MOVE_ATOMIC(uint64_t)' "$top/include/odma/access.h" | cut -d: -f1)

# name; compiler; objdump; any-barrier pattern; full-barrier pattern;
# 32-bit guest access; 64-bit guest access; stack operand
# (EREs on "mnemonic operands" as objdump prints them, tabs made spaces;
#  `xchg %ax,%ax` is a nop, only an xchg with memory is a barrier; objdump
#  prints riscv's `fence iorw,iorw` as plain `fence`, and s390x's
#  `bcr 14,0` as `bnor %r0`, `bcr 15,0` as `br %r0`: respell() below
#  turns them back for the tables)
targets=(
  "x86-64 gcc;gcc;objdump;^(lock |mfence|lfence|sfence|xchg .*\();^(lock |mfence);^mov;^mov;%rsp"
  "x86-64 clang;clang;objdump;^(lock |mfence|lfence|sfence|xchg .*\();^(lock |mfence);^mov;^mov;%rsp"
  "aarch64;aarch64-linux-gnu-gcc;aarch64-linux-gnu-objdump;^(dmb|dsb|isb|ldar|ldapr|stlr|ldaxr|stlxr);^dmb ish$;^(ldr|str|ldar|stlr|ldapr) w;^(ldr|str|ldar|stlr|ldapr) x;sp"
  "ppc64le;powerpc64le-linux-gnu-gcc;powerpc64le-linux-gnu-objdump;^(sync|hwsync|lwsync|isync|eieio);^(sync|hwsync);^(lwz|lwzx|stw|stwx|lwbrx|stwbrx) ;^(ld|ldx|std|stdx|ldbrx|stdbrx) ;\(r1\)"
  "riscv64;riscv64-linux-gnu-gcc;riscv64-linux-gnu-objdump;^fence;^fence( iorw,iorw| rw,rw)?$;^(lw|sw|amoswap\.w) ;^(ld|sd|amoswap\.d) ;\(sp\)"
  "s390x;s390x-linux-gnu-gcc;s390x-linux-gnu-objdump;^(bcr 1[45],|bnor %r0$|br %r0$);^(bcr 1[45],|bnor %r0$|br %r0$);^(l|st|ly|sty|lrv|strv) ;^(lg|stg|lrvg|strvg) ;%r15"
  "armhf;arm-linux-gnueabihf-gcc;arm-linux-gnueabihf-objdump;^(dmb|dsb|isb);^dmb ish$;^(ldr|str)(eq|ne)?(\.w)? ;^(ldrd|strd|ldrexd|strexd)(eq|ne)? ;sp"
)

# Linux's smp_mb / smp_wmb / smp_rmb on the same architecture.
linux_of() {
  case $1 in
  x86-64*) echo '`lock addl $0,-4(%rsp)`;none;none' ;;
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

# insns FN -> the function's instructions, one a line
insns() { awk -F'\t' -v f="$1" '$1 == f { print $3 }' "$dis"; }
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
  fail=1
}

fail=0
barrier_rows=() access_rows=() wide_rows=() checked=()
for t in "${targets[@]}"; do
  IFS=';' read -r name cc objdump bar full acc32 acc64 stack <<<"$t"
  if ! command -v "$cc" >/dev/null 2>&1 || ! command -v "$objdump" >/dev/null 2>&1; then
    echo "codegen: skip $name: $cc or $objdump not installed" >&2
    continue
  fi
  obj=$out/probe-${name// /-}.o
  dis=$out/probe-${name// /-}.dis
  "$cc" -std=c11 -Wall -Wextra -Werror -O2 -g -I"$top/include" -c "$top/tests/codegen/probe.c" -o "$obj"
  disasm "$objdump" "$obj" >"$dis"

  IFS=';' read -r lmb lwmb lrmb <<<"$(linux_of "$name")"
  barrier_rows+=("| $name | $(barriers probe_mb) | $(barriers probe_wmb) | $(barriers probe_rmb) | $lmb | $lwmb | $lrmb |")
  access_rows+=("| $name | $(cell32 probe_ld ld) | $(cell32 probe_st st) | $(cell32 probe_ld_relaxed ld) | $(cell32 probe_st_relaxed st) | $(cell32 probe_ld_acquire ld) | $(cell32 probe_st_release st) |")
  wide_rows+=("| $name | $(access probe_ld64_relaxed "$line64" "$acc64")$(calls probe_ld64_relaxed) | $(access probe_st64_relaxed "$line64" "$acc64")$(calls probe_st64_relaxed) |")

  case $name in
  x86-64*|aarch64)
    checked+=("$name")
    for f in probe_ld_relaxed probe_st_relaxed probe_ld64_relaxed probe_st64_relaxed; do
      n=$(count $f "$bar")
      [ "$n" = 0 ] || check "$f contains $n barrier instruction(s): $(barriers $f)"
    done
    for f in probe_ld probe_st; do
      n=$(count $f "$full")
      [ "$n" -ge 1 ] || check "$f has no full-barrier site: the pattern '$full' matches nothing"
    done
    n=$(count probe_mb "$bar") m=$(count probe_mb "$full")
    [ "$n" = 1 ] && [ "$m" = 1 ] || check "odma_mb() is $n barrier instruction(s), $m of them full"
    case $name in x86-64*) want=0 ;; *) want=1 ;; esac
    for f in probe_wmb probe_rmb; do
      n=$(count $f "$bar")
      [ "$n" = "$want" ] || check "$f is $n barrier instruction(s), want $want"
    done
    ;;
  esac
done

echo "Barriers (none: no instruction, a compiler barrier only):"
echo
echo "| arch | \`odma_mb()\` | \`odma_wmb()\` | \`odma_rmb()\` | Linux \`smp_mb()\` | Linux \`smp_wmb()\` | Linux \`smp_rmb()\` |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${barrier_rows[@]}" | respell
echo
echo "32-bit accessors: the guest access instruction + every barrier instruction in the function."
echo "An ordered accessor picks its barrier at run time from the context's compiled policy table and"
echo "the thread's pending accesses (odma/order.h), so its code holds every barrier site the table can"
echo "ask for, each behind a branch; the policy (STRICT, PCIE, ...) is data, not code."
echo
echo "| arch | \`dma_ld_le32\` (ordered) | \`dma_st_le32\` (ordered) | \`_relaxed\` ld | \`_relaxed\` st | \`dma_ld_le32_acquire\` | \`dma_st_le32_release\` |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${access_rows[@]}" | respell
echo
echo "64-bit relaxed accessors (single-copy atomic): the access instruction(s), and any libatomic call."
echo
echo "| arch | \`dma_ld_le64_relaxed\` | \`dma_st_le64_relaxed\` |"
echo "|---|---|---|"
printf '%s\n' "${wide_rows[@]}"
echo
if [ $fail != 0 ]; then
  echo "codegen: FAILED" >&2
  exit 1
fi
if [ ${#checked[@]} = 0 ]; then
  echo "codegen: FAILED: no compiler for the checked architectures (x86-64, aarch64)" >&2
  exit 1
fi
echo "codegen: static checks passed for: ${checked[*]}"
