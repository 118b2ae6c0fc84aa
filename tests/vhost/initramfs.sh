#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/vhost/initramfs.sh OUT - build the busybox initramfs that
# tests/vhost/uml.sh boots: Debian's busybox-static, tests/vhost/init.sh as
# /init, and the virtio modules of Debian's user-mode-linux package.
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
kver=$(ls /usr/lib/uml/modules | head -n 1)
mods=/usr/lib/uml/modules/$kver/kernel
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/lib/modules" "$root/proc" "$root/sys" "$root/dev" "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$here/init.sh" "$root/init"
for m in drivers/block/virtio_blk.ko drivers/net/virtio_net.ko drivers/net/net_failover.ko \
         net/core/failover.ko; do
    f=$mods/$m
    [ -f "$f" ] || f=$(ls "$f".* 2>/dev/null | head -n 1)
    case $f in
    *.xz) xz -dc "$f" > "$root/lib/modules/$(basename "$m")" ;;
    *.zst) zstd -qdc "$f" > "$root/lib/modules/$(basename "$m")" ;;
    *) cp "$f" "$root/lib/modules/" ;;
    esac
done
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out"
