#!/usr/bin/env bash
# A throwaway systemd: boots /lib/systemd/systemd as PID 1 of its own PID,
# mount, network, UTS, IPC and cgroup namespaces, over an overlay of `/`, so
# that `systemctl`, `journalctl`, socket activation, Type=notify and the
# watchdog behave as on a real host, while everything systemd writes (/etc,
# /var, /run, /tmp) lands in a tmpfs that disappears with it. Needs root.
#
#   scripts/systemd-sandbox.sh boot STATE_DIR     boot; prints the host pid of its PID 1
#   scripts/systemd-sandbox.sh run PID CMD...     run CMD inside (all its namespaces)
#   scripts/systemd-sandbox.sh shell PID          an interactive shell inside
#   scripts/systemd-sandbox.sh stop PID           SIGKILL its PID 1: the kernel ends everything in it
#   scripts/systemd-sandbox.sh can-boot           exit 0 if this machine can boot one, else say why
#
# Never boot systemd on the real `/`: systemd-tmpfiles empties /tmp, and
# journald, sysusers and units write into /etc and /var of the machine.
# Here /proc/sys and /sys are read-only inside, so no sysctl of the host is
# changed, and the network namespace has only a loopback.
set -euo pipefail

die() { echo "systemd-sandbox: $*" >&2; exit 1; }

# Why this machine cannot boot a sandboxed systemd, or nothing when it can.
cannot_boot_reason() {
    [ "$(id -u)" -eq 0 ] || { echo "not root (uid $(id -u)): namespaces and mounts need root"; return; }
    [ -x /lib/systemd/systemd ] || { echo "/lib/systemd/systemd is missing (apt-get install systemd)"; return; }
    local tool
    for tool in unshare nsenter mount pivot_root; do
        command -v "$tool" >/dev/null 2>&1 || { echo "'$tool' is missing (util-linux)"; return; }
    done
    grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
    grep -qw overlay /proc/filesystems || { echo "the kernel has no overlay filesystem"; return; }
    grep -qw cgroup2 /proc/filesystems || { echo "the kernel has no cgroup2 filesystem"; return; }
    # One real try: namespaces plus an overlay of / (a container may forbid either).
    local probe
    probe=$(mktemp -d /tmp/systemd-sandbox-probe.XXXXXX)
    if ! unshare --pid --fork --mount --net --uts --ipc --cgroup bash -c '
        set -e
        mount --make-rprivate /
        mount -t tmpfs tmpfs "$1"
        mkdir "$1/u" "$1/w" "$1/m" "$1/c"
        mount -t overlay overlay -o "lowerdir=/,upperdir=$1/u,workdir=$1/w" "$1/m"
        mount -t cgroup2 none "$1/c"' _ "$probe" >/dev/null 2>&1
    then
        rmdir "$probe" 2>/dev/null || true
        echo "cannot create namespaces with an overlay of / and a cgroup2 mount here (a container without CAP_SYS_ADMIN?)"
        return
    fi
    rmdir "$probe" 2>/dev/null || true
    [ -n "$(host_cgroup2)" ] || { echo "no writable cgroup2 hierarchy on the host to give the sandbox its own cgroup"; return; }
}

# Where the host's cgroup2 hierarchy is mounted (pure v2, or the hybrid "unified" one).
host_cgroup2() {
    local mountpoint
    mountpoint=$(findmnt -n -t cgroup2 -o TARGET | head -1)
    [ -n "$mountpoint" ] && [ -w "$mountpoint" ] && echo "$mountpoint"
}

# A /dev of its own: the usual device nodes bound from the host, a new
# devpts, and /dev/console going nowhere, so that nothing inside writes to
# the host's console or kernel log.
private_dev() {
    local dev=$1 node
    mount -t tmpfs -o mode=0755,nosuid tmpfs "$dev"
    for node in null zero full random urandom tty; do
        touch "$dev/$node"
        mount --bind "/dev/$node" "$dev/$node"
    done
    touch "$dev/console"
    mount --bind /dev/null "$dev/console"
    mkdir -p "$dev/pts" "$dev/shm" "$dev/mqueue"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$dev/pts"
    ln -s pts/ptmx "$dev/ptmx"
    mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$dev/shm"
    ln -s /proc/self/fd "$dev/fd"
    ln -s /proc/self/fd/0 "$dev/stdin"
    ln -s /proc/self/fd/1 "$dev/stdout"
    ln -s /proc/self/fd/2 "$dev/stderr"
}

# Inside the new namespaces (as their PID 1): the overlay, the pseudo
# filesystems, pivot_root, then systemd replaces this shell.
pid1() {
    local state=$1
    local layers=$state/layers root=$state/layers/merged
    mount --make-rprivate /
    mount -t tmpfs -o mode=0755 tmpfs "$layers"
    mkdir -p "$layers/upper" "$layers/work" "$root"
    mount -t overlay overlay -o "lowerdir=/,upperdir=$layers/upper,workdir=$layers/work" "$root"
    mount -t proc proc "$root/proc"
    mount --bind "$root/proc/sys" "$root/proc/sys"
    mount -o remount,bind,ro "$root/proc/sys"
    private_dev "$root/dev"
    mount -t sysfs -o ro sysfs "$root/sys"
    # Our cgroup namespace's root is the cgroup the launcher made for us;
    # systemd wants to be alone in it: wait until the launcher has left.
    mount -t cgroup2 none "$root/sys/fs/cgroup"
    local tries
    for tries in $(seq 1 100); do
        [ "$(grep -cv '^1$' "$root/sys/fs/cgroup/cgroup.procs")" -eq 0 ] && break
        sleep 0.02
    done
    mount -t tmpfs -o mode=0755 tmpfs "$root/run"
    mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
    mkdir -p "$root/run/systemd"
    echo other > "$root/run/systemd/container"
    # Services of this image that have no business here.
    local unit
    for unit in postgresql.service redis-server.service redis.service e2scrub_reap.service getty@tty1.service console-getty.service \
        apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer man-db.timer \
        systemd-timesyncd.service systemd-pstore.service; do
        ln -sf /dev/null "$root/etc/systemd/system/$unit"
    done
    mkdir -p "$root/.sandbox-old-root"
    cd "$root"
    pivot_root . .sandbox-old-root
    umount -l /.sandbox-old-root
    rmdir /.sandbox-old-root
    # As on a host, / shares its mounts with the namespaces systemd makes for
    # services (LoadCredential= moves its ramfs into place that way). Shared
    # only within this namespace: the host's mounts were made private above.
    mount --make-rshared /
    cd /
    export container=other
    exec /lib/systemd/systemd --system --log-target=journal </dev/null >/dev/null 2>&1
}

boot() {
    local state=$1
    local reason
    reason=$(cannot_boot_reason)
    [ -z "$reason" ] || die "cannot boot systemd here: $reason"
    mkdir -p "$state/layers"
    # A cgroup of our own in the host's cgroup2 tree, which becomes the root
    # of the sandbox's cgroup namespace: its systemd never sees the host's.
    local cgroup
    cgroup="$(host_cgroup2)/systemd-sandbox-$(basename "$state")-$$"
    mkdir "$cgroup"
    echo "$cgroup" > "$state/cgroup"
    (
        echo "$BASHPID" > "$cgroup/cgroup.procs"
        exec unshare --pid --fork --mount --net --uts --ipc --cgroup "$0" __pid1 "$state" </dev/null >"$state/boot.log" 2>&1
    ) &
    local launcher=$!
    # Its PID 1: the one child of unshare (which kept the launcher's pid).
    local pid="" tries
    for tries in $(seq 1 200); do
        pid=$(awk '{print $1}' "/proc/$launcher/task/$launcher/children" 2>/dev/null || true)
        [ -n "$pid" ] && break
        kill -0 "$launcher" 2>/dev/null || die "unshare failed; see $state/boot.log"
        sleep 0.05
    done
    [ -n "$pid" ] || die "no PID 1 appeared; see $state/boot.log"
    echo "$pid" > "$state/pid"
    # The launcher (outside the PID namespace) leaves the sandbox's cgroup.
    echo "$launcher" > "$(host_cgroup2)/cgroup.procs"
    # Until systemd answers on its bus and reports the boot finished.
    local status=""
    for tries in $(seq 1 600); do
        status=$(nsenter -t "$pid" -a systemctl is-system-running 2>/dev/null || true)
        case "$status" in
            running|degraded) break ;;
        esac
        kill -0 "$pid" 2>/dev/null || die "systemd exited while booting (see $state/boot.log)"
        sleep 0.1
    done
    case "$status" in
        running|degraded) ;;
        *) die "systemd did not finish booting in 60 s (state: ${status:-no answer})" ;;
    esac
    echo "$pid"
}

stop() {
    local pid=$1 state=${2:-}
    kill -KILL "$pid" 2>/dev/null || true
    local tries
    for tries in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if [ -n "$state" ] && [ -f "$state/cgroup" ]; then
        # Its cgroup tree, deepest first, once the kernel has ended its processes.
        local cgroup
        cgroup=$(cat "$state/cgroup")
        for tries in $(seq 1 100); do
            find "$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null || true
            [ -d "$cgroup" ] || break
            sleep 0.05
        done
    fi
}

case "${1:-}" in
    __pid1) [ -z "${SANDBOX_TRACE:-}" ] || set -x; pid1 "$2" ;;
    boot) [ $# -eq 2 ] || die "usage: $0 boot STATE_DIR"; boot "$2" ;;
    run) [ $# -ge 3 ] || die "usage: $0 run PID CMD..."; pid=$2; shift 2; exec nsenter -t "$pid" -a "$@" ;;
    shell) [ $# -eq 2 ] || die "usage: $0 shell PID"; exec nsenter -t "$2" -a /bin/bash -l ;;
    stop) [ $# -ge 2 ] || die "usage: $0 stop PID [STATE_DIR]"; stop "$2" "${3:-}" ;;
    can-boot)
        reason=$(cannot_boot_reason)
        if [ -n "$reason" ]; then echo "$reason"; exit 1; fi
        ;;
    *) die "usage: $0 boot STATE_DIR | run PID CMD... | shell PID | stop PID [STATE_DIR] | can-boot" ;;
esac
