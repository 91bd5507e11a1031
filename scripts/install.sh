#!/usr/bin/env bash
# Installs deltastore: release binaries, the Swift runtime's static
# backtracer, systemd units, the sysusers file and the example MongoDB
# drop-in, under DESTDIR/PREFIX.
#
#   sudo scripts/install.sh                    # PREFIX=/usr/local, builds release binaries
#   sudo PREFIX=/usr scripts/install.sh
#   DESTDIR=/tmp/pkgroot scripts/install.sh    # stage into a directory (packaging)
#   BUILD_DIR=.build/debug scripts/install.sh  # install already-built binaries, no build
#
# On the live system (empty DESTDIR, run as root) it also creates the user and
# group (systemd-sysusers), a JWT signing key in /etc/deltastore/jwt-keys if
# none exists, and reloads systemd. Then: systemctl enable --now deltastore.socket
set -euo pipefail
cd "$(dirname "$0")/.."

PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
BINDIR="$PREFIX/bin"
UNITDIR="$PREFIX/lib/systemd/system"
SYSUSERSDIR="$PREFIX/lib/sysusers.d"
DOCDIR="$PREFIX/share/doc/deltastore"
LIBEXECDIR="$PREFIX/libexec/deltastore"

if [ -z "${BUILD_DIR:-}" ]; then
    swift build -c release --product deltastored
    swift build -c release --product deltastorectl
    BUILD_DIR=$(swift build -c release --show-bin-path)
fi

# The Swift runtime's static backtracer, from the toolchain the daemon links
# against (the unit points SWIFT_BACKTRACE at it: see deltastore.service).
swift_core=$(ldd "$BUILD_DIR/deltastored" | awk '/libswiftCore\.so/ { print $3 }')
backtracer="${swift_core%/lib/swift/linux/libswiftCore.so}/libexec/swift/linux/swift-backtrace-static"
[ -x "$backtracer" ] || { echo "install.sh: the Swift runtime's swift-backtrace-static is missing (looked for $backtracer)" >&2; exit 1; }

install -d "$DESTDIR$BINDIR" "$DESTDIR$UNITDIR" "$DESTDIR$SYSUSERSDIR" "$DESTDIR$DOCDIR" "$DESTDIR$LIBEXECDIR"
install -m 0755 "$BUILD_DIR/deltastored" "$BUILD_DIR/deltastorectl" "$DESTDIR$BINDIR/"
# The symbol table stays (function names in crash backtraces), the DWARF goes:
# reading it made a backtrace of every thread take seconds instead of ~0.2 s.
strip --strip-debug "$DESTDIR$BINDIR/deltastored" "$DESTDIR$BINDIR/deltastorectl"
install -m 0755 "$backtracer" "$DESTDIR$LIBEXECDIR/swift-backtrace-static"
install -m 0644 systemd/deltastore.socket "$DESTDIR$UNITDIR/deltastore.socket"
sed -e "s#^ExecStart=/usr/local/bin/deltastored#ExecStart=$BINDIR/deltastored#" \
    -e "s#swift-backtrace=/usr/local/libexec/deltastore/#swift-backtrace=$LIBEXECDIR/#" \
    systemd/deltastore.service > "$DESTDIR$UNITDIR/deltastore.service"
chmod 0644 "$DESTDIR$UNITDIR/deltastore.service"
install -m 0644 systemd/deltastore.sysusers "$DESTDIR$SYSUSERSDIR/deltastore.conf"
install -m 0644 systemd/deltastore.service.d/mongodb.conf.example README.md docs/OPERATIONS.md "$DESTDIR$DOCDIR/"
install -d -m 0755 "$DESTDIR/etc/deltastore"

if [ -z "$DESTDIR" ] && [ "$(id -u)" -eq 0 ]; then
    systemd-sysusers "$SYSUSERSDIR/deltastore.conf"
    if [ ! -e /etc/deltastore/jwt-keys ]; then
        (umask 077; printf 'k%s %s\n' "$(date -u +%Y%m%d)" "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')" > /etc/deltastore/jwt-keys)
        echo "created a JWT signing key in /etc/deltastore/jwt-keys"
    fi
    # The daemon reads it in place (and again on reload); nobody else may.
    chown deltastore:deltastore /etc/deltastore/jwt-keys
    chmod 0600 /etc/deltastore/jwt-keys
    if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
fi
echo "installed deltastore under ${DESTDIR}${PREFIX}"
