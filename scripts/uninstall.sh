#!/usr/bin/env bash
# Removes what scripts/install.sh installed (same PREFIX and DESTDIR). Keeps
# the data in /var/lib/deltastore, the keys in /etc/deltastore and the user.
set -euo pipefail
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
    systemctl disable --now deltastore.socket deltastore.service 2>/dev/null || true
fi
rm -f "$DESTDIR$PREFIX/bin/deltastored" "$DESTDIR$PREFIX/bin/deltastorectl" \
      "$DESTDIR$PREFIX/lib/systemd/system/deltastore.socket" "$DESTDIR$PREFIX/lib/systemd/system/deltastore.service" \
      "$DESTDIR$PREFIX/lib/sysusers.d/deltastore.conf"
rm -rf "$DESTDIR$PREFIX/share/doc/deltastore" "$DESTDIR$PREFIX/libexec/deltastore"
if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
echo "removed deltastore from ${DESTDIR}${PREFIX} (data in /var/lib/deltastore and keys in /etc/deltastore kept)"
