#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/vhost/init.sh - /init of the busybox initramfs that make vhost-check
# boots in user-mode-linux. The kernel command line picks the role
# (vhrole=..., passed to init as an environment variable); every result is
# one line starting with "VH " on the console, read by tests/vhost/uml.sh.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /tmp && mount -t tmpfs tmp /tmp
say() { echo "VH $*"; }
now() { cut -d' ' -f1 /proc/uptime; }         # seconds, 10 ms resolution
secs() { echo "$1 $2" | awk '{ printf "%.2f", $2 - $1 }'; }
fail() { say "FAIL $*"; poweroff -f; }
MB=${vhmb:-64}

case "$vhrole" in
blk)
    insmod /lib/modules/virtio_blk.ko || fail "insmod virtio_blk"
    for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 0.5; done
    [ -b /dev/vda ] || fail "no /dev/vda"
    say "size $(cat /sys/block/vda/size) sectors"
    t0=$(now)
    # random data: one copy to the disk, one to md5sum, in one pass
    w=$(dd if=/dev/urandom bs=1M count="$MB" 2>/dev/null | tee /dev/vda | md5sum | cut -d' ' -f1)
    sync
    t1=$(now)
    echo 3 > /proc/sys/vm/drop_caches
    r=$(dd if=/dev/vda bs=1M count="$MB" 2>/dev/null | md5sum | cut -d' ' -f1)
    t2=$(now)
    say "written $w"
    say "readback $r"
    say "seconds write $(secs "$t0" "$t1") read $(secs "$t1" "$t2")"
    ;;
blkread)
    insmod /lib/modules/virtio_blk.ko || fail "insmod virtio_blk"
    for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 0.5; done
    t0=$(now)
    r=$(dd if=/dev/vda bs=1M count="$MB" 2>/dev/null | md5sum | cut -d' ' -f1)
    say "readback $r"
    say "seconds read $(secs "$t0" "$(now)")"
    ;;
net)
    insmod /lib/modules/failover.ko && insmod /lib/modules/net_failover.ko &&
        insmod /lib/modules/virtio_net.ko || fail "insmod virtio_net"
    for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /sys/class/net/eth0 ] && break; sleep 0.5; done
    ip link set lo up
    ip addr add "$vhip/24" dev eth0 && ip link set eth0 up || fail "eth0"
    mkdir -p /tmp/www
    dd if=/dev/urandom of=/tmp/www/data bs=1M count="$MB" 2>/dev/null
    say "sent $(md5sum < /tmp/www/data | cut -d' ' -f1)"
    httpd -p 80 -h /tmp/www
    touch /tmp/www/ready
    ok=0
    for i in $(seq 1 60); do
        if ping -c 1 -W 1 "$vhpeer" >/dev/null 2>&1; then ok=1; break; fi
    done
    [ $ok = 1 ] || fail "peer $vhpeer never answered ping"
    say "ping $(ping -c 5 -i 0.2 "$vhpeer" | grep -o '[0-9]* packets received')"
    # the peer serves its data once it has made it
    for i in $(seq 1 240); do
        wget -q -O /dev/null "http://$vhpeer/ready" 2>/dev/null && break
        sleep 0.5
    done
    t0=$(now)
    g=$(wget -q -O - "http://$vhpeer/data" | md5sum | cut -d' ' -f1)
    t1=$(now)
    say "got $g"
    say "seconds $(secs "$t0" "$t1")"
    touch /tmp/www/done
    # stay up until the peer has fetched ours too
    for i in $(seq 1 120); do
        wget -q -O /dev/null "http://$vhpeer/done" 2>/dev/null && break
        sleep 0.5
    done
    sleep 1
    ;;
*)
    say "hello"
    ;;
esac
say "end"
poweroff -f
