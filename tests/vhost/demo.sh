#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/vhost/demo.sh - the vhost-user rows of `make demo` (installed by
# examples/rules.mk as build/examples/vhost_user, run with no arguments).
#
#   vhost-blk   UML's virtio_blk writes 8 MiB of random data through our
#               backend, drops its caches and reads it back; items are
#               the requests the backend served, errors 1 if the MD5s of
#               what was written, what was read and the backing file differ.
#   vhost-dpdk  DPDK testpmd's virtio-user in txonly for 2 s against our
#               backend (--net sink); items are packets, errors the
#               difference between testpmd's count and the backend's.
# A row whose package is missing is a SKIP row with the reason; with both
# missing the program says why and exits 77 (the demo's "cannot run here").
set -u
BACKEND=$1
VHOST_DIR=$2
W=$(mktemp -d /tmp/vhost-demo.XXXXXX)
BPID=
UML_TIMEOUT=30
. "$VHOST_DIR/lib.sh"
trap '[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null; rm -rf "$W"' EXIT
fmt='%-10s %-13s %9s %7s %12s  %s\n'
um=$(uml_missing)
dm=$(dpdk_missing)
if [ -n "$um" ] && [ -n "$dm" ]; then
    echo "vhost_user: skipped: $um; $dm"
    exit 77
fi
printf "$fmt" example policy items errors items/s verdict
rc=0
if [ -n "$um" ]; then
    printf "$fmt" vhost-blk strict - - - SKIP
    echo "vhost-blk: skipped: $um"
else
    initramfs
    truncate -s 16M "$W/disk.img"
    start_backend blk --blk "$W/blk.sock,$W/disk.img"
    uml "$W/uml.out" vhdemo virtio_uml.device="$W/blk.sock":2 vhrole=blk vhmb=8
    stop_backend
    w=$(vh "$W/uml.out" written) r=$(vh "$W/uml.out" readback)
    f=$(head -c 8388608 "$W/disk.img" | md5sum | cut -d' ' -f1)
    n=$(awk '$1 == "blk" { print $3 + $7 }' "$W/blk.out")
    s=$(vh "$W/uml.out" seconds | awk '{ print $2 + $4 }')
    err=1
    [ -n "$w" ] && [ "$w" = "$r" ] && [ "$w" = "$f" ] && err=0
    rate=$(echo "${n:-0} ${s:-0}" | awk '{ printf "%.0f", ($2 > 0 ? $1 / $2 : 0) }')
    v=$([ $err = 0 ] && echo PASS || echo FAIL)
    [ $err = 0 ] || rc=1
    printf "$fmt" vhost-blk strict "${n:-0}" $err "$rate" $v
fi
if [ -n "$dm" ]; then
    printf "$fmt" vhost-dpdk strict - - - SKIP
    echo "vhost-dpdk: skipped: $dm"
else
    start_backend pmd --net "$W/pmd.sock,sink"
    testpmd_virtio "$W/pmd.log" "vhd$$" "$W/pmd.sock" txonly 2
    stop_backend
    p=$(pmd_count "$W/pmd.log" TX)
    b=$(net_count "$W/pmd.out" received)
    err=$(echo "${p:-0} ${b:-0}" | awk '{ d = $1 - $2; print (d < 0 ? -d : d) + ($1 == 0) }')
    v=$([ "$err" = 0 ] && echo PASS || echo FAIL)
    [ "$err" = 0 ] || rc=1
    printf "$fmt" vhost-dpdk strict "${p:-0}" "$err" $((${p:-0} / 2)) $v
fi
exit $rc
