#!/usr/bin/env bash
# Installs deltastore: release binaries, systemd units, the sysusers file and
# the example MongoDB drop-in, under DESTDIR/PREFIX.
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

if [ -z "${BUILD_DIR:-}" ]; then
    swift build -c release --product deltastored
    swift build -c release --product deltastorectl
    BUILD_DIR=$(swift build -c release --show-bin-path)
fi

install -d "$DESTDIR$BINDIR" "$DESTDIR$UNITDIR" "$DESTDIR$SYSUSERSDIR" "$DESTDIR$DOCDIR"
install -m 0755 "$BUILD_DIR/deltastored" "$BUILD_DIR/deltastorectl" "$DESTDIR$BINDIR/"
install -m 0644 systemd/deltastore.socket "$DESTDIR$UNITDIR/deltastore.socket"
sed "s#^ExecStart=/usr/local/bin/deltastored#ExecStart=$BINDIR/deltastored#" systemd/deltastore.service > "$DESTDIR$UNITDIR/deltastore.service"
chmod 0644 "$DESTDIR$UNITDIR/deltastore.service"
install -m 0644 systemd/deltastore.sysusers "$DESTDIR$SYSUSERSDIR/deltastore.conf"
install -m 0644 systemd/deltastore.service.d/mongodb.conf.example README.md "$DESTDIR$DOCDIR/"
install -d -m 0755 "$DESTDIR/etc/deltastore"

if [ -z "$DESTDIR" ] && [ "$(id -u)" -eq 0 ]; then
    systemd-sysusers "$SYSUSERSDIR/deltastore.conf"
    if [ ! -e /etc/deltastore/jwt-keys ]; then
        umask 077
        printf 'k%s %s\n' "$(date -u +%Y%m%d)" "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')" > /etc/deltastore/jwt-keys
        echo "created a JWT signing key in /etc/deltastore/jwt-keys"
    fi
    if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
fi
echo "installed deltastore under ${DESTDIR}${PREFIX}"
