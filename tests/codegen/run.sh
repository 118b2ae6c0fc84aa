#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tests/codegen/run.sh OUTDIR - run tests/codegen/probe.c (the objects
# tests/codegen/codegen.sh compiled with -DPROBE_RUN, linked statically)
# for every architecture x compiler of
# tests/codegen/targets.sh under qemu-user with an exec log, and check what
# the probes really execute (issue 11 items 3, 5, 7):
#
#  fences  `qemu-ARCH -singlestep -d nochain,exec` (-one-insn-per-tb in
#          QEMU >= 8.1) logs the address of every
#          instruction executed; each address is looked up in objdump's
#          disassembly of the same binary. Between a probe's marks, the
#          fence instructions executed must be exactly:
#            odma_mb()                          1 (x86-64: 1 lock-prefixed,
#                                                  no mfence)
#            odma_wmb(), odma_rmb(), an _acquire load's rmb, a _release
#            store's wmb, dma_write_publish's wmb
#                                               1, or 0 where the barrier
#                                                  is free (x86-64, s390x)
#            odma_mb(), odma_wmb(), odma_rmb() right after a device
#            access (their I/O form, default a seq_cst fence)
#                                               1
#          The I/O barriers ODMA_IO_MB/WMB/RMB() are shown, not checked
#          (what their default emits is the point of the row), and so is
#          the plain C11 seq_cst fence, for reference.
#  device  `qemu-ARCH -d nochain,exec` logs every translation block run,
#          with the symbol it lies in. Every device-region call (dma_read,
#          dma_write, dma_set of 1..8 bytes, aligned and not, and ld/st of
#          1/2/4/8 bytes, into a DEVICE and a DEVICE|PREFETCHABLE region)
#          must enter odma__device_move and must run no memcpy/memset/
#          memmove and no atomics helper.
#
# Writes OUTDIR/fences.md (the table) and prints it; the last line is
# "run: N passed, N failed"; exit 1 on any failure.
set -euo pipefail
out=${1:-build/codegen}
mkdir -p "$out"
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/codegen/targets.sh"

# Symbols a device path must never run (glibc's ifunc variants included:
# __memcpy_avx_unaligned_erms, __memset_zva64, __aeabi_memcpy ...).
dyn_forbidden='(^|_)mem(cpy|set|move)|^__atomic_|^__sync_|^__aarch64_(cas|swp|ld)'
rows_order=(mb wmb rmb acquire release publish dev_mb dev_wmb dev_rmb io_mb io_wmb io_rmb c11_mb)
declare -A label=(
  [mb]='`odma_mb()`' [wmb]='`odma_wmb()`' [rmb]='`odma_rmb()`'
  [acquire]='`dma_ld_le32_acquire`: its rmb' [release]='`dma_st_le32_release`: its wmb'
  [publish]='`dma_write_publish`: its wmb'
  [dev_mb]='`odma_mb()` after a device write (I/O form)'
  [dev_wmb]='`odma_wmb()` after a device write (I/O form)'
  [dev_rmb]='`odma_rmb()` after a device read (I/O form)'
  [io_mb]='`ODMA_IO_MB()` default (not checked)' [io_wmb]='`ODMA_IO_WMB()` default (not checked)'
  [io_rmb]='`ODMA_IO_RMB()` default (not checked)'
  [c11_mb]='reference: C11 `atomic_thread_fence(memory_order_seq_cst)` (not checked)')
declare -A cell=()
names=()
passed=0 failed=0

ok() { passed=$((passed + 1)); }
bad() { echo "run: FAIL $*" >&2; failed=$((failed + 1)); }

# prepare TAG CC OBJDUMP QEMU: link the object codegen.sh compiled,
# disassemble the binary, run it both ways under qemu-user with an exec
# log; every exit status goes to a file (BIN.link.rc, .fences.rc,
# .device.rc).
prepare() {
  local bin=$out/run-$1 cc=$2 objdump=$3 qemu=$4 rc
  rm -f "$bin" "$bin".*
  rc=0
  # shellcheck disable=SC2086 # $cc is a command with its flags
  $cc -static "$out/probe-$1.o" -o "$bin" || rc=$?
  echo $rc >"$bin.link.rc"
  [ $rc = 0 ] || return 0
  "$objdump" -d --no-show-raw-insn "$bin" |
    awk '/^ *[0-9a-f]+:\t/ { a = $1; sub(":", "", a); sub(/^0+/, "", a); i = $0
                              sub(/^ *[0-9a-f]+:\t/, "", i); gsub(/\t/, " ", i)
                              sub(/ *[#;@].*$/, "", i); sub(/ <.*>$/, "", i); sub(/ *\/\/.*$/, "", i)
                              gsub(/  +/, " ", i); print a "\t" i }' >"$bin.dis"
  rc=0
  "$qemu" "$one_insn" -d nochain,exec -D "$bin.fences.log" "$bin" fences >"$bin.fences.out" || rc=$?
  echo $rc >"$bin.fences.rc"
  rc=0
  "$qemu" -d nochain,exec -D "$bin.device.log" "$bin" device >"$bin.device.out" || rc=$?
  echo $rc >"$bin.device.rc"
}

# One instruction per translation block: -singlestep (QEMU 7, Debian
# bookworm), renamed -one-insn-per-tb in QEMU 8.1.
one_insn=-singlestep
if qemu-x86_64 -h 2>/dev/null | grep -q -- -one-insn-per-tb; then
  one_insn=-one-insn-per-tb
fi

# First every target's link and runs, two at a time.
jobs=0
for t in "${codegen_targets[@]}"; do
  IFS=';' read -r name arch cc <<<"$t"
  IFS=';' read -r objdump qemu _ <<<"$(arch_info "$arch")"
  tag=${name// /-}
  target_ok "$cc" "$objdump" && command -v "$qemu" >/dev/null 2>&1 || continue
  [ -f "$out/probe-$tag.o" ] && [ ! "$out/probe-$tag.o" -ot "$top/tests/codegen/probe.c" ] || continue
  prepare "$tag" "$cc" "$objdump" "$qemu" &
  jobs=$((jobs + 1))
  if [ $jobs -ge 2 ]; then
    wait -n || true
    jobs=$((jobs - 1))
  fi
done
wait || true

for t in "${codegen_targets[@]}"; do
  IFS=';' read -r name arch cc <<<"$t"
  IFS=';' read -r objdump qemu _bar _full _a32 _a64 _stack fence _forbid <<<"$(arch_info "$arch")"
  if ! target_ok "$cc" "$objdump" || ! command -v "$qemu" >/dev/null 2>&1; then
    echo "run: skip $name: ${cc%% *}, $objdump or $qemu not installed" >&2
    continue
  fi
  names+=("$name")
  tag=${name// /-}
  bin=$out/run-$tag
  # shellcheck disable=SC2086 # $cc is a command with its flags
  # The object codegen.sh compiled and disassembled, linked statically.
  if [ ! -f "$out/probe-$tag.o" ] || [ "$out/probe-$tag.o" -ot "$top/tests/codegen/probe.c" ]; then
    bad "$name: $out/probe-$tag.o missing or stale: run tests/codegen/codegen.sh $out first"
    continue
  fi
  if [ "$(cat "$bin.link.rc")" != 0 ]; then
    bad "$name: probe-run does not link"
    continue
  fi

  # ---- fences: every instruction executed between the marks ----
  if [ "$(cat "$bin.fences.rc")" != 0 ]; then
    bad "$name: probe-run fences failed: $(tail -n 1 "$bin.fences.out")"
    continue
  fi
  # "index<TAB>fence instructions executed, ' | '-separated"
  awk -F'\t' -v fence="$fence" '
    FNR == NR { insn[$1] = $2; next }
    /^Trace/ {
      n = split($0, f, " "); sym = f[n]
      split($0, p, "[][/]"); pc = p[3]; sub(/^0+/, "", pc)
      if (sym == "probe_mark" && prev != "probe_mark") { seg++; open = 1; out[seg] = "" }
      else if (sym == "probe_done") open = 0
      else if (open && pc in insn && insn[pc] ~ fence) out[seg] = out[seg] (out[seg] == "" ? "" : "|") insn[pc]
      prev = sym
    }
    END { for (i = 1; i <= seg; i++) printf "%d\t%s\n", i - 1, out[i] }' \
    "$bin.dis" "$bin.fences.log" >"$bin.fences"
  want_free=1
  case $arch in x86-64|s390x) want_free=0 ;; esac
  while read -r idx what _; do
    [[ $idx =~ ^[0-9]+$ ]] || continue
    got=$(awk -F'\t' -v i="$idx" '$1 == i { print $2; f = 1 } END { if (!f) print "?" }' "$bin.fences")
    if [ "$got" = "?" ]; then
      bad "$name: $what: not found in the exec log"
      cell[$what,$name]="?"
      continue
    fi
    n=0
    [ -z "$got" ] || n=$(tr '|' '\n' <<<"$got" | wc -l)
    text=$(tr '|' '\n' <<<"$got" | sed '/^$/d' | sed -e 's/^fence$/fence iorw,iorw/' \
      -e 's/^bnor %r0$/bcr 14,0/' -e 's/^br %r0$/bcr 15,0/' | sed -E 's/(.*)/`\1`/' | paste -sd' ')
    [ -n "$text" ] || text=none
    case $what in
    mb|dev_*) want=1 ;;
    io_*|c11_mb) cell[$what,$name]=$text; continue ;;
    *) want=$want_free ;;
    esac
    if [ "$n" != "$want" ]; then
      bad "$name: $what executes $n fence instruction(s), want $want: $text"
      text="$text **✗ $n, want $want**"
    elif [ "$what" = mb ] && [ "$arch" = x86-64 ] && ! grep -qE '^lock ' <<<"$got"; then
      bad "$name: odma_mb() is not a lock-prefixed instruction: $text"
      text="$text **✗ not lock-prefixed**"
    else
      ok
    fi
    cell[$what,$name]=$text
  done <"$bin.fences.out"

  # ---- device: every translation block run between the marks ----
  if [ "$(cat "$bin.device.rc")" != 0 ]; then
    bad "$name: probe-run device failed (a value did not go through): $(tail -n 1 "$bin.device.out")"
    continue
  fi
  # One line per failing call, then "calls N ok M".
  awk -v bad="$dyn_forbidden" '
    FNR == NR { if ($1 ~ /^[0-9]+$/) { lab[$1] = $2 " " $3 " " $4 " " $5; ncalls++ } ; next }
    /^Trace/ {
      n = split($0, f, " "); sym = f[n]
      if (sym == "probe_mark" && prev != "probe_mark") { seg++; open = 1 }
      else if (sym == "probe_done") open = 0
      else if (open) {
        if (sym ~ /^odma__device_move/) dev[seg] = 1
        if (sym ~ bad && index(forb[seg], " " sym) == 0) forb[seg] = forb[seg] " " sym
      }
      prev = sym
    }
    END {
      for (i = 0; i < ncalls; i++) {
        if (i + 1 > seg) { print lab[i] ": not in the exec log"; continue }
        if (!dev[i + 1]) print lab[i] ": does not go through odma__device_move" (forb[i + 1] != "" ? "; runs" forb[i + 1] : "")
        else if (forb[i + 1] != "") print lab[i] ": runs" forb[i + 1]
        else okc++
      }
      printf "calls %d ok %d\n", ncalls, okc
    }' "$bin.device.out" "$bin.device.log" >"$bin.device"
  read -r _ ncalls _ ndev < <(tail -n 1 "$bin.device")
  nbad=$((ncalls - ndev))
  if [ "$ncalls" -lt 100 ]; then
    bad "$name: only $ncalls device calls ran"
  elif [ "$nbad" = 0 ]; then
    ok
  else
    bad "$name: $nbad of $ncalls device-region calls fail (all in $bin.device), e.g.:"
    head -n 4 "$bin.device" | sed 's/^/    /' >&2
  fi
  cell[device,$name]="$ndev/$ncalls"
done

{
  echo "Fence instructions executed per barrier (tests/codegen/run.sh, qemu-user exec log; none: no"
  echo "instruction). Want one per barrier, none where it is free (x86-64 and s390x rmb/wmb, CPU form)."
  echo
  printf '| barrier |'
  for n in "${names[@]}"; do printf ' %s |' "$n"; done
  echo
  printf '|---|'
  for _ in "${names[@]}"; do printf -- '---|'; done
  echo
  for w in "${rows_order[@]}" device; do
    if [ "$w" = device ]; then
      printf '| device-region calls through `odma__device_move`, no memcpy/memset (of all) |'
    else
      printf '| %s |' "${label[$w]}"
    fi
    for n in "${names[@]}"; do printf ' %s |' "${cell[$w,$n]:-n/a}"; done
    echo
  done
  echo
  echo "n/a in an ODMA_IO_* row: the library does not define that macro."
} >"$out/fences.md"
cat "$out/fences.md"
echo
echo "run: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
