#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/vhost/check.sh - `make vhost-check`: the vhost-user backend
# (examples/vhost_user/) driven by real, unmodified drivers.
#
#   check.sh BACKEND BAD_DRIVER
#
#   (a) net: two user-mode-linux kernels (stock virtio_net) on one hub
#       socket: ping, then 32 MiB of random data over HTTP each way; the
#       MD5 each side sent equals the MD5 the other received.
#   (b) blk: UML's virtio_blk writes 64 MiB of random data (MD5 of what it
#       wrote taken in the same pass), syncs, drops its caches, reads it
#       back; a second boot reads it again; both MD5s and the backing
#       file's first 64 MiB equal the written MD5.
#   (c) DPDK testpmd's virtio-user PMD in txonly, rxonly and io modes:
#       the packets testpmd counts equal the frames the backend counts;
#       io once more on a packed ring (--packed, packed_vq=1) with the
#       backend's --policy none.
#   (d) tests/vhost/bad_driver corrupts its transmit ring five ways: only
#       that queue breaks, no guest byte changes, the backend logs why and
#       serves a fresh connection; it is still running at the end.
#   (e) no backend run above logged a lost wake-up (buffers found in a
#       queue after a quiet second with no kick).
# Prints one PASS/FAIL line per check, then "vhost-check: N passed, N
# failed"; exit 1 on any failure. A missing package fails its checks
# (with the reason): CI installs them.
set -u
BACKEND=$(realpath "$1")
BAD=$(realpath "$2")
VHOST_DIR=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /tmp/vhost-check.XXXXXX)
BPID=
. "$VHOST_DIR/lib.sh"
trap '[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null; rm -rf "$W"' EXIT
pass=0
fail=0
NET_MB=${NET_MB:-32}
BLK_MB=${BLK_MB:-64}

ok() { pass=$((pass + 1)); echo "PASS $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }

check_net() {
    start_backend net --net "$W/net.sock"
    uml "$W/umlA.out" vhA virtio_uml.device="$W/net.sock":1 vhrole=net vhmb="$NET_MB" \
        vhip=10.0.0.1 vhpeer=10.0.0.2 &
    a=$!
    uml "$W/umlB.out" vhB virtio_uml.device="$W/net.sock":1 vhrole=net vhmb="$NET_MB" \
        vhip=10.0.0.2 vhpeer=10.0.0.1 &
    b=$!
    wait $a
    wait $b
    stop_backend || ko "net: backend exit status $?"
    sa=$(vh "$W/umlA.out" sent) ga=$(vh "$W/umlA.out" got)
    sb=$(vh "$W/umlB.out" sent) gb=$(vh "$W/umlB.out" got)
    pa=$(vh "$W/umlA.out" ping) pb=$(vh "$W/umlB.out" ping)
    echo "  A: sent $sa got $ga ping '$pa' ($(vh "$W/umlA.out" seconds) s)"
    echo "  B: sent $sb got $gb ping '$pb' ($(vh "$W/umlB.out" seconds) s)"
    grep -h '^net ' "$W/net.out" | sed 's/^/  backend: /'
    if [ "$pa" = "5 packets received" ] && [ "$pb" = "5 packets received" ]; then
        ok "net: ping both ways, 5 of 5"
    else
        ko "net: ping (A: '$pa', B: '$pb')"
        grep -h 'VH FAIL\|genirq\|virtio' "$W/umlA.out" "$W/umlB.out" | head -n 5
    fi
    if [ -n "$sa" ] && [ "$sa" = "$gb" ] && [ -n "$sb" ] && [ "$sb" = "$ga" ] && [ "$sa" != "$sb" ]; then
        ok "net: ${NET_MB} MiB each way, MD5 sent = MD5 received both ways"
    else
        ko "net: bulk transfer (A sent $sa, B got $gb; B sent $sb, A got $ga)"
    fi
}

check_blk() {
    rm -f "$W/disk.img"
    truncate -s $((BLK_MB + 16))M "$W/disk.img"
    start_backend blk --blk "$W/blk.sock,$W/disk.img"
    uml "$W/uml1.out" vhblk1 virtio_uml.device="$W/blk.sock":2 vhrole=blk vhmb="$BLK_MB"
    uml "$W/uml2.out" vhblk2 virtio_uml.device="$W/blk.sock":2 vhrole=blkread vhmb="$BLK_MB"
    stop_backend || ko "blk: backend exit status $?"
    w=$(vh "$W/uml1.out" written) r1=$(vh "$W/uml1.out" readback) r2=$(vh "$W/uml2.out" readback)
    f=$(head -c $((BLK_MB * 1048576)) "$W/disk.img" | md5sum | cut -d' ' -f1)
    echo "  written $w, read back $r1, second boot $r2, backing file $f ($(vh "$W/uml1.out" seconds))"
    grep -h '^blk ' "$W/blk.out" | sed 's/^/  backend: /'
    if [ -n "$w" ] && [ "$w" = "$r1" ] && [ "$w" = "$r2" ] && [ "$w" = "$f" ] &&
        [ "$w" != "$(head -c $((BLK_MB * 1048576)) /dev/zero | md5sum | cut -d' ' -f1)" ]; then
        ok "blk: ${BLK_MB} MiB random written, read back after drop_caches and after a reboot, backing file equal"
    else
        ko "blk: MD5s differ or missing"
        grep -h 'VH FAIL\|genirq\|virtio\|vda' "$W/uml1.out" | head -n 5
    fi
}

check_dpdk() { # MODE [packed]
    mode=$1
    layout=${2:-split}
    pk= dev=
    # the packed run also uses policy NONE (the bench's configuration)
    [ "$layout" = packed ] && pk="--packed --policy none" dev=,packed_vq=1
    t=pmd-$mode-$layout
    case $mode in
    txonly) start_backend "$t" $pk --net "$W/pmd.sock,sink" ;;
    *) start_backend "$t" $pk --net "$W/pmd.sock,source,count=300000" ;;
    esac
    testpmd_virtio "$W/$t.log" "vhc$$" "$W/pmd.sock$dev" "$mode" 4 ||
        ko "dpdk $mode: testpmd exit status $?"
    stop_backend || ko "dpdk $mode: backend exit status $?"
    prx=$(pmd_count "$W/$t.log" RX) ptx=$(pmd_count "$W/$t.log" TX)
    brx=$(net_count "$W/$t.out" received) btx=$(net_count "$W/$t.out" sent)
    echo "  testpmd $mode: RX $prx TX $ptx; backend: received $brx sent $btx"
    case $mode in
    txonly) good=$([ -n "$ptx" ] && [ "$ptx" -gt 0 ] && [ "$ptx" = "$brx" ] && echo y) ;;
    rxonly) good=$([ "$prx" = 300000 ] && [ "$btx" = 300000 ] && echo y) ;;
    io) good=$([ "$prx" = 300000 ] && [ "$btx" = 300000 ] && [ -n "$ptx" ] &&
        [ "$ptx" -gt 0 ] && [ "$ptx" = "$brx" ] && echo y) ;;
    esac
    if [ "$good" = y ]; then
        ok "dpdk $mode ($layout ring): packet counts agree"
    else
        ko "dpdk $mode ($layout ring): packet counts differ"
        tail -n 5 "$W/$t.err"
    fi
}

check_bad() {
    start_backend bad --net "$W/bad.sock,source"
    if timeout -k 5 60 "$BAD" "$W/bad.sock" > "$W/bad.log" 2>&1; then r=0; else r=$?; fi
    sed 's/^/  /' "$W/bad.log"
    alive=$(kill -0 "$BPID" 2>/dev/null && echo y)
    stop_backend || ko "bad driver: backend exit status $?"
    nbroken=$(grep -c 'queue 1 broken by the driver' "$W/bad.err")
    grep 'broken by the driver' "$W/bad.err" | sed 's/^/  backend log: /'
    if [ $r = 0 ] && [ "$alive" = y ] && [ "$nbroken" = 5 ]; then
        ok "bad driver: 5 corruptions, each broke its queue alone (logged), fresh connection served"
    else
        ko "bad driver: exit $r, backend alive '$alive', $nbroken breaks logged"
    fi
}

m=$(uml_missing)
if [ -n "$m" ]; then
    ko "net: $m"
    ko "blk: $m"
else
    initramfs
    echo "== (a) UML virtio-net"; check_net
    echo "== (b) UML virtio-blk"; check_blk
fi
m=$(dpdk_missing)
if [ -n "$m" ]; then
    for mode in txonly rxonly io "io (packed)"; do ko "dpdk $mode: $m"; done
else
    echo "== (c) DPDK virtio-user"
    for mode in txonly rxonly io; do check_dpdk $mode; done
    check_dpdk io packed
fi
echo "== (d) misbehaving driver"; check_bad
# Every backend run above: a queue found holding buffers after a quiet
# second (no kick came) is a lost wake-up; there must be none.
lost=$(cat "$W"/*.err 2>/dev/null | grep -c 'lost wake-up')
runs=$(ls "$W"/*.err 2>/dev/null | wc -l)
if [ "$lost" -eq 0 ] && [ "$runs" -gt 0 ]; then
    ok "no lost wake-up in $runs backend runs"
else
    ko "$lost lost wake-ups logged in $runs backend runs"
    grep -h 'lost wake-up' "$W"/*.err | head -n 5
fi
echo "vhost-check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
