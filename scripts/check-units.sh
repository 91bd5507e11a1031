#!/usr/bin/env bash
# Checks the systemd units as installed: `systemd-analyze verify` must print
# nothing, and `systemd-analyze security --offline=true` must rate the service's
# exposure at most 1.0. Stages an install (of the binaries in BUILD_DIR, default
# .build/debug) into a scratch root that also holds the host's system units.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-.build/debug}
root=$(mktemp -d /tmp/deltastore-units.XXXXXX)
trap 'rm -rf "$root"' EXIT

DESTDIR="$root" PREFIX=/usr/local BUILD_DIR="$BUILD_DIR" scripts/install.sh >/dev/null
mkdir -p "$root/usr/lib/systemd" "$root/bin"
cp -r /lib/systemd/system "$root/usr/lib/systemd/"
cp /bin/kill "$root/bin/"

units=(/usr/local/lib/systemd/system/deltastore.socket /usr/local/lib/systemd/system/deltastore.service)
output=$(systemd-analyze verify --man=no --root="$root" "${units[@]}" 2>&1) || { echo "$output"; echo "systemd-analyze verify failed"; exit 1; }
if [ -n "$output" ]; then
    echo "$output"
    echo "systemd-analyze verify printed warnings"
    exit 1
fi
echo "systemd-analyze verify: no output"

report=$(systemd-analyze security --offline=true --root="$root" deltastore.service 2>&1)
exposure=$(echo "$report" | sed -n 's/.*Overall exposure level for deltastore.service: \([0-9.]*\).*/\1/p')
if [ -z "$exposure" ]; then
    echo "$report"
    echo "could not read the exposure level"
    exit 1
fi
echo "systemd-analyze security: exposure $exposure"
awk -v e="$exposure" 'BEGIN { exit !(e <= 1.0) }' || { echo "$report"; echo "exposure $exposure is above 1.0"; exit 1; }
