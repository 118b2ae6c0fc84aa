# SPDX-License-Identifier: MIT
# tests/vhost/lib.sh - helpers shared by check.sh, bench.sh and demo.sh
# (sourced, POSIX sh). Every process started here is started with a time
# bound and stopped by its own pid; nothing is left running.
#
# Needs: BACKEND (the vhost_user_backend binary), W (a scratch directory).

UML=${UML:-$(command -v linux.uml || command -v linux || true)}
TESTPMD=${TESTPMD:-$(command -v dpdk-testpmd || true)}
UML_TIMEOUT=${UML_TIMEOUT:-150}

# What is missing for the UML or DPDK parts; empty if nothing.
uml_missing() {
    [ -n "$UML" ] && [ -x "$UML" ] || { echo "user-mode-linux (linux.uml) not installed"; return; }
    [ -d /usr/lib/uml/modules ] || { echo "user-mode-linux modules (/usr/lib/uml/modules) missing"; return; }
    [ -x /bin/busybox ] && file_is_static /bin/busybox || { echo "busybox-static not installed"; return; }
    command -v cpio >/dev/null || { echo "cpio not installed"; return; }
}
dpdk_missing() {
    [ -n "$TESTPMD" ] && [ -x "$TESTPMD" ] || echo "dpdk (dpdk-testpmd) not installed"
}
file_is_static() {
    ! LC_ALL=C ldd "$1" >/dev/null 2>&1
}

# start_backend NAME ARGS...: run the backend in the background (BPID),
# output in $W/NAME.out and $W/NAME.err; wait until its sockets exist.
start_backend() {
    _name=$1
    shift
    "$BACKEND" "$@" > "$W/$_name.out" 2> "$W/$_name.err" &
    BPID=$!
    for _a in "$@"; do
        case $_a in
        /*) _sock=${_a%%,*}
            _i=0
            while [ ! -S "$_sock" ] && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done ;;
        esac
    done
}

# stop_backend: SIGTERM, wait; the backend prints its counters on the way.
# Returns the backend's exit status (0 unless it crashed).
stop_backend() {
    kill -TERM "$BPID" 2>/dev/null
    wait "$BPID"
    _st=$?
    BPID=
    return $_st
}

# initramfs: build $W/initrd.gz once.
initramfs() {
    [ -f "$W/initrd.gz" ] || sh "$VHOST_DIR/initramfs.sh" "$W/initrd.gz"
}

# uml OUT UMID ARGS...: boot UML with the initramfs (time-bounded).
uml() {
    _out=$1 _umid=$2
    shift 2
    timeout -k 5 "$UML_TIMEOUT" "$UML" mem=256M initrd="$W/initrd.gz" umid="$_umid" \
        uml_dir="$W" con=null con0=fd:0,fd:1 "$@" < /dev/null > "$_out" 2>&1
}

# vh OUT KEY: the value after "VH KEY " in a UML console log.
vh() {
    tr -d '\r' < "$1" | awk -v k="$2" '$1 == "VH" && $2 == k { $1 = ""; $2 = ""; sub(/^  /, ""); print; exit }'
}

# Two testpmd instances at most, each run interactively (-i) in the
# background with its commands from a FIFO: instance 3 (the virtio-user
# side) and instance 4 (DPDK's own vhost backend, for the benchmark); the
# number is also the shell fd that feeds it. Start-up with --no-huge
# takes seconds (more on a loaded machine), so forwarding is timed from
# the prompt, not from the launch.
#
# testpmd_start N OUT ARGS...: start instance N (pid in PMD_PID_N),
# output in OUT; wait for its prompt (60 s at most).
testpmd_start() {
    _n=$1 _o=$2
    shift 2
    rm -f "$W/pmd$_n.in"
    mkfifo "$W/pmd$_n.in"
    # line-buffered, so that output can be waited for while it runs
    timeout -k 5 180 stdbuf -oL "$TESTPMD" "$@" < "$W/pmd$_n.in" > "$_o" 2>&1 &
    eval "PMD_PID_$_n=$!; PMD_OUT_$_n=\$_o"
    eval "exec $_n> \"\$W/pmd$_n.in\""
    _i=0
    while ! grep -q 'testpmd>' "$_o" 2>/dev/null; do
        eval "kill -0 \$PMD_PID_$_n" 2>/dev/null || return 1
        [ $_i -lt 1200 ] || return 1
        sleep 0.05
        _i=$((_i + 1))
    done
}
# testpmd_cmd N COMMAND: send one command line.
testpmd_cmd() {
    eval "echo \"\$2\" >&$1"
}
# testpmd_wait_for N PATTERN COUNT: wait (10 s at most) until PATTERN has
# appeared COUNT times in instance N's output.
testpmd_wait_for() {
    eval "_o=\$PMD_OUT_$1"
    _i=0
    while [ "$(grep -c "$2" "$_o")" -lt "$3" ] && [ $_i -lt 200 ]; do
        sleep 0.05
        _i=$((_i + 1))
    done
}
# testpmd_quit N: quit, wait; its exit status.
testpmd_quit() {
    testpmd_cmd "$1" quit 2>/dev/null
    eval "exec $1>&-"
    eval "wait \$PMD_PID_$1"
    _st=$?
    rm -f "$W/pmd$1.in"
    return $_st
}

# testpmd_virtio OUT PREFIX SOCK MODE SECONDS: DPDK's virtio-user PMD
# against SOCK, forwarding in MODE for SECONDS, then the statistics.
testpmd_virtio() {
    _pfx=$2
    if testpmd_start 3 "$1" --no-huge -m 1024 --no-pci --file-prefix="$_pfx" -l 0,1 \
        --vdev "net_virtio_user0,path=$3,queues=1" -- -i \
        --forward-mode="$4" --nb-cores=1 --total-num-mbufs=32768; then
        testpmd_cmd 3 start
        sleep "$5"
        testpmd_cmd 3 stop
        testpmd_wait_for 3 'Accumulated forward statistics' 1
        testpmd_cmd 3 "show port stats 0"
        testpmd_wait_for 3 'NIC statistics for port 0' 1
    fi
    testpmd_quit 3
    _st=$?
    rm -rf "/var/run/dpdk/$_pfx" 2>/dev/null
    return $_st
}

# pmd_count OUT RX|TX: packets in the port's statistics ("show port
# stats"), which also count what testpmd's "start" flushes out of the
# receive queue before forwarding (its forward statistics do not).
pmd_count() {
    awk -v k="$2-packets:" '/NIC statistics for port/ { f = 1 }
        f && $1 == k { v = $2 } END { print v }' "$1"
}

# net_count OUT FIELD: from the backend's "net N: received A frames ...,
# sent B frames ..." line (the last connection): received or sent.
net_count() {
    awk -v k="$2" '$1 == "net" { for (i = 1; i < NF; i++) if ($i == k) v = $(i + 1) }
        END { print v + 0 }' "$1"
}
