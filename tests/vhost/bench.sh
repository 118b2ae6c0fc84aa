#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/vhost/bench.sh - `make bench-vhost` (also run by `make bench`):
# our vhost-user backend against DPDK's own (librte_vhost, through its
# net_vhost PMD in a second testpmd), both driven by the same DPDK
# virtio-user PMD, 64-byte packets, one core per side:
#   device receiving: virtio-user testpmd in txonly; our backend --net
#                     sink, or DPDK's vhost testpmd in rxonly;
#   device sending:   virtio-user testpmd in rxonly; our backend --net
#                     source, or DPDK's vhost testpmd in txonly.
# The backend side (ours with --poll, or DPDK's forwarding lcore) runs on
# CPU 0, the virtio-user side on CPU 1. Our backend runs with --policy
# none (virtio.h issues every barrier the virtio spec asks for; see
# examples/vhost_user/main.c) and, without --quick, also with the default
# --policy strict for comparison. Rate: packets per second the
# virtio-user side counted over the measured interval (its "show port
# stats" Tx-pps / Rx-pps after a warm-up). Rounds are interleaved (each
# round runs all four cases); the table gives medians.
#
#   bench.sh BACKEND [--quick]     (--quick: 1 round of 2 s; else 5 of 5 s;
#                                   VHOST_BENCH_ROUNDS, VHOST_BENCH_SECS override)
#
# Last line: "bench-vhost: N passed, N failed" (a case that produced no
# rate fails). The 1.0x target is reported as PASS/MISS; a MISS does not
# fail the run (as in tests/bench). Needs dpdk-testpmd; without it every
# case fails with the reason.
set -u
BACKEND=$(realpath "$1")
VHOST_DIR=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /tmp/vhost-bench.XXXXXX)
BPID=
. "$VHOST_DIR/lib.sh"
trap '[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null; rm -rf "$W"' EXIT
ROUNDS=5 SECS=5 WARM=1 IMPLS="ours dpdk strict"
[ "${2:-}" = --quick ] && ROUNDS=1 SECS=2 IMPLS="ours dpdk"
ROUNDS=${VHOST_BENCH_ROUNDS:-$ROUNDS} SECS=${VHOST_BENCH_SECS:-$SECS}
pass=0 fail=0
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)

# One case: IMPL (ours: --policy none | strict: --policy strict | dpdk)
# DIR (recv|send). Prints the rate or nothing.
run_case() {
    impl=$1 dir=$2
    sock=$W/bench.sock
    rm -f "$sock"
    if [ "$dir" = recv ]; then vmode=txonly hmode=rxonly key=Tx-pps; else vmode=rxonly hmode=txonly key=Rx-pps; fi
    if [ "$impl" != dpdk ]; then
        if [ "$dir" = recv ]; then m=sink; else m=source; fi
        pol=none
        [ "$impl" = strict ] && pol=strict
        BACKEND="taskset -c 0 $BACKEND" start_backend_bench --poll --policy $pol --net "$sock,$m"
    else
        testpmd_start 4 "$W/host.log" --no-huge -m 1024 --no-pci --file-prefix="vhb$$h" \
            --lcores 0@0,1@0 --vdev "net_vhost0,iface=$sock,queues=1,client=0" -- -i \
            --forward-mode="$hmode" --nb-cores=1 --total-num-mbufs=32768 || return 1
        testpmd_cmd 4 start
    fi
    rate=
    if testpmd_start 3 "$W/guest.log" --no-huge -m 1024 --no-pci --file-prefix="vhb$$g" \
        --lcores 0@1,1@1 --vdev "net_virtio_user0,path=$sock,queues=1" -- -i \
        --forward-mode="$vmode" --nb-cores=1 --total-num-mbufs=32768; then
        testpmd_cmd 3 start
        sleep "$WARM"
        testpmd_cmd 3 "show port stats 0"
        sleep "$SECS"
        testpmd_cmd 3 "show port stats 0"
        testpmd_wait_for 3 "$key" 2
        rate=$(grep "$key" "$W/guest.log" | sed -n 2p | awk -v k="$key:" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }')
        testpmd_cmd 3 stop
    fi
    testpmd_quit 3
    if [ "$impl" != dpdk ]; then
        stop_backend
    else
        testpmd_cmd 4 stop
        testpmd_quit 4
    fi
    rm -rf "/var/run/dpdk/vhb$$g" "/var/run/dpdk/vhb$$h" 2>/dev/null
    echo "$rate"
}

start_backend_bench() {
    $BACKEND "$@" > "$W/backend.out" 2> "$W/backend.err" &
    BPID=$!
    _i=0
    while [ ! -S "$W/bench.sock" ] && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

m=$(dpdk_missing)
if [ -n "$m" ]; then
    echo "bench-vhost: $m"
    echo "bench-vhost: 0 passed, 4 failed"
    exit 1
fi
echo "== bench-vhost: $ROUNDS rounds of ${SECS} s, CPU: $cpu ($(nproc) online), load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
    for dir in recv send; do
        for impl in $IMPLS; do
            v=$(run_case "$impl" "$dir")
            echo "round $r $dir $impl: ${v:-none} pps"
            echo "$v" >> "$W/$impl-$dir.txt"
        done
    done
done
echo
echo "| direction (64-byte packets) | odma backend, policy NONE (pps) | DPDK librte_vhost (pps) | ratio | target >= 1.0x | paired ratio | odma backend, policy STRICT (pps) |"
echo "|---|---:|---:|---:|---|---:|---:|"
for dir in recv send; do
    o=$(grep -v '^$' "$W/ours-$dir.txt" | median)
    d=$(grep -v '^$' "$W/dpdk-$dir.txt" | median)
    st=$(grep -v '^$' "$W/strict-$dir.txt" 2>/dev/null | median)
    for x in "$o" "$d"; do
        if [ -n "$x" ] && [ "$x" -gt 0 ] 2>/dev/null; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
    done
    if [ -n "$o" ] && [ -n "$d" ] && [ "$d" -gt 0 ] 2>/dev/null; then
        ratio=$(echo "$o $d" | awk '{ printf "%.2f", $1 / $2 }')
        verdict=$(echo "$ratio" | awk '{ print ($1 >= 1.0) ? "PASS" : "MISS" }')
    else
        ratio=- verdict=-
    fi
    # The median of the per-round ratios: a round's two processes often
    # share the machine's mode of the moment (see tests/vhost/README.md).
    paired=$(paste "$W/ours-$dir.txt" "$W/dpdk-$dir.txt" |
             awk 'NF == 2 && $2 > 0 { printf "%.4f\n", $1 / $2 }' | sort -n |
             awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) printf "%.2f\n", v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    label=$([ "$dir" = recv ] && echo "device receiving (txonly)" || echo "device sending (rxonly)")
    echo "| $label | ${o:-none} | ${d:-none} | $ratio | $verdict | $paired | ${st:-not run} |"
done

# UML rows (not with --quick): bounded by user-mode-linux itself (every
# guest system call is a ptrace round trip), so they say little about the
# backend; reported for completeness. MB/s as the guest measured it.
if [ "${2:-}" != --quick ] && [ -z "$(uml_missing)" ]; then
    initramfs
    start_backend unet --net "$W/unet.sock"
    uml "$W/ua.out" vbA virtio_uml.device="$W/unet.sock":1 vhrole=net vhmb=32 \
        vhip=10.0.0.1 vhpeer=10.0.0.2 &
    ua=$!
    uml "$W/ub.out" vbB virtio_uml.device="$W/unet.sock":1 vhrole=net vhmb=32 \
        vhip=10.0.0.2 vhpeer=10.0.0.1 &
    wait $ua
    wait $!
    stop_backend
    truncate -s 80M "$W/disk.img"
    start_backend ublk --blk "$W/ublk.sock,$W/disk.img"
    uml "$W/uc.out" vbC virtio_uml.device="$W/ublk.sock":2 vhrole=blk vhmb=64
    stop_backend
    echo
    echo "| user-mode-linux 6.1 guest, stock drivers | MB/s |"
    echo "|---|---:|"
    for f in ua ub; do
        t=$(vh "$W/$f.out" seconds)
        echo "| virtio-net, 32 MiB over HTTP between two UML guests ($f) | $(echo "$t" | awk '$1 > 0 { printf "%.1f", 33.554432 / $1 }') |"
    done
    t=$(vh "$W/uc.out" seconds)
    echo "| virtio-blk, write 64 MiB (urandom, tee, sync) | $(echo "$t" | awk '$2 > 0 { printf "%.1f", 67.108864 / $2 }') |"
    echo "| virtio-blk, read 64 MiB after drop_caches | $(echo "$t" | awk '$4 > 0 { printf "%.1f", 67.108864 / $4 }') |"
fi
echo
echo "bench-vhost: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
