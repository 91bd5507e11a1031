#!/usr/bin/env bash
# deltastore under a real systemd: boots systemd as PID 1 of its own
# namespaces over an overlay of `/` (scripts/systemd-sandbox.sh), installs
# deltastore into it with scripts/install.sh as an operator would, and checks
# with the real `systemctl` and `journalctl`:
#   activation on the first connection, and how long until READY;
#   `systemctl start` returns only once the store is open (READY=1);
#   a member of the deltastore group is served, an outsider gets only the
#   public operations;
#   `systemctl reload` applies new access rules and signing keys without
#   dropping a connection, and keeps the rules in force when the file is bad;
#   `systemctl stop` answers the requests in flight and exits 0;
#   a hung daemon (SIGSTOP) is restarted within WatchdogSec + 5 s, a crashed
#   one (SIGABRT) within 5 s, each with a backtrace in the journal;
#   the journal's fields filter (OP=, CODE=, PEER_UID=, -p warning), its text
#   reads as sentences, and nothing alarming is logged at start;
#   `systemd-analyze security` on the running system rates it <= 1.0.
#
#   scripts/systemd-suite.sh                 release binaries (what install.sh installs)
#   scripts/systemd-suite.sh --build debug   the debug binaries (.build/debug, as ./dev test builds)
#   scripts/systemd-suite.sh --bin-dir DIR   binaries already built in DIR
#   KEEP_SANDBOX=1 scripts/systemd-suite.sh  leave the sandbox running at the end (prints how to enter it)
#
# Needs root (namespaces, mounts). Where systemd cannot be booted (not root,
# no overlayfs, a container without CAP_SYS_ADMIN), it says why and exits 0
# without running anything ("SKIPPED"); DELTASTORE_SYSTEMD_REQUIRED=1 makes
# that a failure. Ends with "systemd suite: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

build=release
bin_dir=""
built="release binaries"
while [ $# -gt 0 ]; do
    case "$1" in
        --build) build=$2; shift 2 ;;
        --bin-dir) bin_dir=$2; built="binaries from $2"; shift 2 ;;
        *) echo "usage: $0 [--build release|debug] [--bin-dir DIR]" >&2; exit 64 ;;
    esac
done
case "$build" in release|debug) ;; *) echo "--build must be release or debug" >&2; exit 64 ;; esac
[ -n "$bin_dir" ] || built="$build binaries"

if ! reason=$(scripts/systemd-sandbox.sh can-boot); then
    echo "systemd suite: SKIPPED: this machine cannot boot systemd in namespaces: $reason"
    [ "${DELTASTORE_SYSTEMD_REQUIRED:-0}" = 1 ] && exit 1
    exit 0
fi

# ---------------------------------------------------------------- binaries
if [ -z "$bin_dir" ]; then
    echo "building the $build binaries"
    swift build -c "$build" --product deltastored
    swift build -c "$build" --product deltastorectl
    bin_dir=$(swift build -c "$build" --show-bin-path)
fi
for binary in deltastored deltastorectl; do
    [ -x "$bin_dir/$binary" ] || { echo "no $bin_dir/$binary" >&2; exit 1; }
done

# ---------------------------------------------------------------- figures
# Asserted bounds (the measured values are printed and documented in docs/OPERATIONS.md).
READY_LIMIT_MS=${READY_LIMIT_MS:-2000}     # first connection -> first reply, through activation
CRASH_LIMIT_MS=5000                        # SIGABRT -> the next instance READY
WATCHDOG_SLACK_MS=5000                     # SIGSTOP -> the next instance READY, beyond WatchdogSec

SOCKET=/run/deltastore/deltastore.sock
passed=0
failed=0
skipped=0

state=$(mktemp -d /tmp/deltastore-systemd.XXXXXX)
logs="$repo/.build/systemd-suite"
rm -rf "$logs"
mkdir -p "$logs"
pid=""
suite_started=$(date +%s)

finish() {
    if [ -n "$pid" ]; then
        scripts/systemd-sandbox.sh run "$pid" journalctl --no-pager -o short-precise -b > "$logs/journal.txt" 2>&1 || true
        scripts/systemd-sandbox.sh run "$pid" journalctl --no-pager -o verbose -u deltastore.service -u deltastore.socket > "$logs/journal-verbose.txt" 2>&1 || true
        if [ "${KEEP_SANDBOX:-0}" = 1 ]; then
            echo "sandbox kept: scripts/systemd-sandbox.sh shell $pid   (stop: scripts/systemd-sandbox.sh stop $pid $state)"
            return
        fi
        scripts/systemd-sandbox.sh stop "$pid" "$state"
    fi
    rm -rf "$state"
}
trap finish EXIT

inside() { scripts/systemd-sandbox.sh run "$pid" "$@"; }
# A command as USER (no PAM, supplementary groups from /etc/group).
as_user() { local user=$1; shift; inside setpriv --reuid="$user" --regid="$user" --init-groups env HOME=/ DELTASTORE_SOCKET=$SOCKET "$@"; }
prop() { inside systemctl show -p "$2" --value "$1"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# One check: runs the function (in a subshell), prints ok, SKIP with its
# reason, or FAIL with what it printed.
check() {
    local name=$1 out status
    shift
    set +e
    out=$("$@" 2>&1)
    status=$?
    set -e
    if [ "$status" -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok   $name${out:+ — $out}"
    elif [ "$status" -eq 77 ]; then
        skipped=$((skipped + 1))
        echo "SKIP $name"
        echo "$out" | sed 's/^/     /'
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        echo "$out" | sed 's/^/     /'
    fi
}
# Inside a check (a subshell): say what is wrong and end the check.
fail() { echo "$*"; exit 1; }
# Inside a check: say why it cannot be checked on this machine and end it.
skip() { echo "$*"; exit 77; }
# A measured figure, for the summary.
figure() { echo "$*" >> "$logs/figures.txt"; }
# systemd's time spans ("30s", "1min 30s", "500ms") in milliseconds.
span_ms() {
    python3 -c '
import re, sys
units = {"us": 0.001, "ms": 1, "s": 1000, "min": 60000, "h": 3600000}
print(int(sum(float(n) * units[u] for n, u in re.findall(r"([0-9.]+)(us|ms|min|s|h)", sys.argv[1]))))' "$1"
}

# Waits (5 s at most) for a journal entry of the service since $1 (epoch
# seconds) whose text contains $2.
wait_for_journal() {
    local since=$1 text=$2 tries
    for tries in $(seq 1 50); do
        local journal
        journal=$(inside journalctl --no-pager -o cat -u deltastore.service --since "@$since")
        grep -qF -- "$text" <<< "$journal" && return 0
        sleep 0.1
    done
    return 1
}

# Journal entries as JSON lines, for the python checks below.
journal_json() { inside journalctl --no-pager -o json "$@"; }

# ---------------------------------------------------------------- boot and install
echo "booting systemd in namespaces (state in $state)"
boot_started=$(now_ms)
pid=$(scripts/systemd-sandbox.sh boot "$state")
echo "systemd is PID 1 of its namespaces (host pid $pid), booted in $(( $(now_ms) - boot_started )) ms"

staging=/usr/local/src/deltastore
inside mkdir -p "$staging/bin"
tar -C "$repo" -cf - scripts/install.sh systemd README.md docs/OPERATIONS.md | inside tar -C "$staging" -xf -
tar -C "$bin_dir" -cf - deltastored deltastorectl | inside tar -C "$staging/bin" -xf -
inside env BUILD_DIR="$staging/bin" "$staging/scripts/install.sh" > "$logs/install.txt" 2>&1 || { cat "$logs/install.txt"; exit 1; }
inside useradd --create-home --groups deltastore alice
inside useradd --create-home bob
alice_uid=$(inside id -u alice)
bob_uid=$(inside id -u bob)
echo "installed with scripts/install.sh ($built: $bin_dir); alice (uid $alice_uid) is in group deltastore, bob (uid $bob_uid) is not"

# ---------------------------------------------------------------- the checks
case_activation() {
    inside systemctl enable --now deltastore.socket >/dev/null 2>&1 || fail "systemctl enable --now deltastore.socket failed"
    [ "$(inside systemctl is-enabled deltastore.socket)" = enabled ] || fail "deltastore.socket is not enabled"
    [ "$(prop deltastore.socket ActiveState)" = active ] || fail "deltastore.socket is not active"
    [ "$(prop deltastore.service ActiveState)" = inactive ] || fail "the service started before any connection"
    local mode
    mode=$(inside stat -c '%A %U %G' "$SOCKET")
    [ "$mode" = "srw-rw---- deltastore deltastore" ] || fail "socket is '$mode', expected srw-rw---- deltastore deltastore"
    # One process: clock, connect (which starts the daemon), ping, clock.
    local elapsed
    elapsed=$(inside setpriv --reuid=alice --regid=alice --init-groups bash -c '
        start=$(date +%s%N); deltastorectl --socket '"$SOCKET"' ping >/dev/null || exit 1; end=$(date +%s%N)
        echo $(( (end - start) / 1000000 ))') || fail "the first connection was not answered"
    [ "$(prop deltastore.service ActiveState)" = active ] || fail "the service is not active after the first connection"
    local trigger ready
    trigger=$(prop deltastore.service InactiveExitTimestampMonotonic)
    ready=$(prop deltastore.service ActiveEnterTimestampMonotonic)
    local ready_ms=$(( (ready - trigger) / 1000 ))
    figure "activation: first connection -> first reply ${elapsed} ms (systemd: start -> READY=1 ${ready_ms} ms)"
    [ "$elapsed" -le "$READY_LIMIT_MS" ] || fail "first connection answered after ${elapsed} ms (limit ${READY_LIMIT_MS} ms)"
    echo "connect -> reply ${elapsed} ms, start -> READY ${ready_ms} ms"
}

case_start_waits_for_ready() {
    inside systemctl stop deltastore.service 2>/dev/null
    [ "$(prop deltastore.service ActiveState)" = inactive ] || fail "the service did not stop"
    inside systemctl start deltastore.service || fail "systemctl start failed"
    # Right after `systemctl start` returns: active, READY sent, store usable.
    local state status
    state=$(prop deltastore.service ActiveState)/$(prop deltastore.service SubState)
    status=$(prop deltastore.service StatusText)
    [ "$state" = active/running ] || fail "after systemctl start: $state"
    # READY=1 came with "serving on inherited socket deltastore"; the status
    # reporter may have replaced it already with "serving N connections".
    case "$status" in
        "serving on inherited socket deltastore"|"serving "[0-9]*" connection"*) ;;
        *) fail "status after start: '$status'" ;;
    esac
    local health
    health=$(as_user alice deltastorectl call health) || fail "health right after start failed"
    grep -q '"status": "ok"' <<< "$health" || fail "health right after start: $health"
    # The journal: the store was open before systemd saw READY=1.
    local invocation ready
    invocation=$(prop deltastore.service InvocationID)
    ready=$(prop deltastore.service ActiveEnterTimestampMonotonic)
    journal_json _SYSTEMD_INVOCATION_ID="$invocation" | python3 -c '
import json, sys
ready = int(sys.argv[1])
entries = [json.loads(line) for line in sys.stdin]
opened = [e for e in entries if e.get("MESSAGE", "").startswith("store open")]
if not opened:
    sys.exit("no \"store open\" entry in this start: " + str([e.get("MESSAGE") for e in entries]))
at = int(opened[0]["__MONOTONIC_TIMESTAMP"])
if at > ready:
    sys.exit("store open logged %d us after READY" % (at - ready))
print("store open %d ms before READY=1" % ((ready - at) // 1000))
' "$ready"
}

case_group_member_and_outsider() {
    as_user alice deltastorectl products >/dev/null || fail "alice (group deltastore) cannot list products"
    local out
    if out=$(as_user alice deltastorectl stats 2>&1); then fail "alice may call the admin operation stats: $out"; fi
    grep -q PERMISSION_DENIED <<< "$out" || fail "alice's stats: $out"
    if out=$(as_user bob deltastorectl ping 2>&1); then fail "bob connected to a 0660 socket: $out"; fi
    grep -qi "permission denied" <<< "$out" || fail "bob's connect to the 0660 socket: $out"
    # Open the socket to everyone: the access rules still give bob only the public operations.
    inside mkdir -p /etc/systemd/system/deltastore.socket.d
    printf '[Socket]\nSocketMode=0666\n' | inside tee /etc/systemd/system/deltastore.socket.d/open.conf >/dev/null
    inside systemctl daemon-reload
    inside systemctl stop deltastore.service deltastore.socket
    inside systemctl start deltastore.socket
    as_user bob deltastorectl ping >/dev/null || fail "bob cannot ping through the 0666 socket"
    as_user bob deltastorectl hello >/dev/null || fail "bob cannot say hello"
    if out=$(as_user bob deltastorectl products 2>&1); then fail "bob may read: $out"; fi
    grep -q PERMISSION_DENIED <<< "$out" || fail "bob's products: $out"
    if out=$(as_user bob deltastorectl ticks NIFTY 2>&1); then fail "bob may query ticks: $out"; fi
    grep -q PERMISSION_DENIED <<< "$out" || fail "bob's ticks: $out"
    echo "alice: read ok, admin refused; bob: refused by the 0660 socket, and through a 0666 one only ping and hello"
}

# The kid of an access token (the JWT header's "kid").
token_kid() {
    python3 -c '
import base64, json, sys
header = sys.argv[1].split(".")[0]
print(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])' "$1"
}
login_token() {
    printf '%s\n' "correct horse battery" | as_user alice deltastorectl auth login --email alice@example.com --json |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

case_reload() {
    printf '%s\n' "correct horse battery" | as_user alice deltastorectl auth register --email alice@example.com >/dev/null ||
        fail "alice cannot register"
    local before kid_before
    before=$(login_token) || fail "alice cannot log in"
    kid_before=$(token_kid "$before")
    local main_before
    main_before=$(prop deltastore.service MainPID)
    # One connection held across the reload: 12 pings, 0.4 s apart.
    inside setpriv --reuid=alice --regid=alice --init-groups deltastorectl --socket $SOCKET ping --count 12 --interval 0.4 \
        > "$logs/held-ping.txt" 2>&1 &
    local held=$!
    sleep 1
    # New rules (bob may read) and a new signing key, then reload.
    printf 'uid:0 all\nuser:deltastore all\ngroup:deltastore read write auth\nuser:bob read\n' |
        inside tee /etc/deltastore/access.conf >/dev/null
    inside bash -c 'umask 077; printf "k2new %s\n" "$(head -c 32 /dev/urandom | basenc --base64url | tr -d =)" >> /etc/deltastore/jwt-keys'
    local reload_since
    reload_since=$(inside date +%s)
    inside systemctl reload deltastore.service || fail "systemctl reload failed"
    # systemd 252 ends the reload job when `kill -HUP` returns, not at the
    # daemon's READY=1: wait for the daemon to say it reloaded.
    wait_for_journal "$reload_since" "reloaded jwt keys" || fail "no 'reloaded jwt keys' in the journal 5 s after systemctl reload"
    [ "$(prop deltastore.service MainPID)" = "$main_before" ] || fail "the reload restarted the daemon"
    as_user bob deltastorectl products >/dev/null || fail "after the reload bob still may not read (new rules not applied)"
    local after kid_after
    after=$(login_token) || fail "alice cannot log in after the reload"
    kid_after=$(token_kid "$after")
    [ "$kid_after" = k2new ] || fail "after the reload new tokens are signed with '$kid_after', not the new key k2new (was $kid_before)"
    as_user alice deltastorectl auth verify "$before" >/dev/null || fail "a token of the old key no longer verifies"
    wait "$held" || fail "the held connection failed: $(cat "$logs/held-ping.txt")"
    [ "$(grep -c '^pong' "$logs/held-ping.txt")" = 12 ] || fail "held connection: $(cat "$logs/held-ping.txt")"
    # A broken rules file: refused, the rules in force stay.
    printf 'user:bob read\nthis is not a rule\n' | inside tee /etc/deltastore/access.conf >/dev/null
    reload_since=$(inside date +%s)
    inside systemctl reload deltastore.service || fail "systemctl reload (bad file) failed"
    wait_for_journal "$reload_since" "reload of access rules failed" || fail "no 'reload of access rules failed' after the bad file"
    as_user bob deltastorectl products >/dev/null || fail "a bad rules file took bob's read away"
    [ "$(prop deltastore.service ActiveState)" = active ] || fail "a bad rules file stopped the daemon"
    # Good rules again, for the restarts to come.
    printf 'uid:0 all\nuser:deltastore all\ngroup:deltastore read write auth\nuser:bob read\n' |
        inside tee /etc/deltastore/access.conf >/dev/null
    echo "rules and keys applied (tokens now signed by k2new, $kid_before still verifies), 12/12 pings on one connection, bad file refused"
}

case_stop_drains() {
    local i launched
    launched=$(now_ms)
    for i in 1 2 3 4; do
        inside setpriv --reuid=alice --regid=alice --init-groups deltastorectl --socket $SOCKET call ping --args '{"delay_ms": 4000}' \
            > "$logs/in-flight-$i.txt" 2>&1 &
        eval "inflight_$i=$!"
    done
    # Until the four connections are open (stats: root has the admin group).
    local tries open=0
    for tries in $(seq 1 100); do
        open=$(inside deltastorectl --socket $SOCKET stats 2>/dev/null | sed -n 's/^connections \([0-9]*\) open.*/\1/p')
        [ "${open:-0}" -ge 5 ] && break
        sleep 0.05
    done
    [ "${open:-0}" -ge 5 ] || fail "the four delayed pings did not connect (open: ${open:-?})"
    local started stopped
    started=$(now_ms)
    [ $((started - launched)) -lt 3000 ] || fail "the delayed pings took $((started - launched)) ms to connect: not surely in flight any more"
    inside systemctl stop deltastore.service 2>/dev/null || fail "systemctl stop failed"
    stopped=$(now_ms)
    # The stop waited for the replies (4 s after launch), and not much longer.
    [ $((stopped - launched)) -ge 3900 ] || fail "systemctl stop returned $((stopped - launched)) ms after the 4 s pings were sent: it did not wait for them"
    [ $((stopped - started)) -lt 7000 ] || fail "systemctl stop took $((stopped - started)) ms"
    for i in 1 2 3 4; do
        eval "wait \$inflight_$i" || fail "in-flight request $i was not answered: $(cat "$logs/in-flight-$i.txt")"
        grep -q '"pong": true' "$logs/in-flight-$i.txt" || fail "in-flight request $i: $(cat "$logs/in-flight-$i.txt")"
    done
    local result code status
    result=$(prop deltastore.service Result)
    code=$(prop deltastore.service ExecMainCode)
    status=$(prop deltastore.service ExecMainStatus)
    [ "$result" = success ] && [ "$code" = 1 ] && [ "$status" = 0 ] ||
        fail "stop ended with Result=$result ExecMainCode=$code ExecMainStatus=$status (want success, exited, 0)"
    echo "4 requests in flight answered, exit status 0, stop took $((stopped - started)) ms"
}

# The backtrace of a crash since $1 (epoch seconds), as an operator finds it:
# the "Program crashed" entry, then every entry of the backtracer's process.
backtrace_since() {
    local since=$1 name=$2 tries
    for tries in $(seq 1 40); do
        journal_json -u deltastore.service --since "@$since" > "$logs/j-crash-$name.json"
        python3 - "$logs/j-crash-$name.json" "$logs/backtrace-$name.txt" <<'PY' && return 0
import json, sys
entries = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def text(e):
    m = e.get("MESSAGE", "")
    return bytes(m).decode("utf-8", "replace") if isinstance(m, list) else m
crashed = [e for e in entries if "Program crashed" in text(e)]
if not crashed: sys.exit(1)
pid = crashed[-1]["_PID"]
lines = [text(e) for e in entries if e.get("_PID") == pid]
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
threads = [l for l in lines if l.startswith("Thread ")]
frames = [l for l in lines if " in deltastored" in l]
if len(threads) < 2 or not frames or not any("Backtrace took" in l for l in lines): sys.exit(1)
took = [l for l in lines if "Backtrace took" in l][-1]
print("backtrace of %d threads, %d frames in deltastored (journalctl -u deltastore _PID=%s; %s)" % (len(threads), len(frames), pid, took.strip()))
PY
        sleep 0.25
    done
    echo "no complete backtrace in the journal (see $logs/j-crash-$name.json):"
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line); m = e.get("MESSAGE", "")
    m = bytes(m).decode("utf-8", "replace") if isinstance(m, list) else m
    if e.get("_COMM") != "systemd" or "deltastore" in m: print("  [%s] %s" % (e.get("_PID"), m[:150]))' "$logs/j-crash-$name.json" | head -40
    return 1
}

# The restart after a kill at $1 (ms since the epoch), from systemd's own
# journal entries (their times, not those of this script's polling): prints
# "ELAPSED_MS TIMELINE", where ELAPSED_MS runs from $1 to systemd's "Started"
# of the next instance (READY=1) and TIMELINE lists each step's offset.
restart_timeline() {
    local killed_ms=$1 since_s=$(( $1 / 1000 - 1 ))
    journal_json -u deltastore.service --since "@$since_s" | python3 -c '
import json, sys
killed = int(sys.argv[1])
steps = [("Watchdog timeout", "watchdog"), ("Killing process", "signal"), ("Main process exited", "exited"),
         ("Scheduled restart", "restart scheduled"), ("Started deltastore.service", "READY")]
seen = []
for line in sys.stdin:
    e = json.loads(line)
    m = e.get("MESSAGE", "")
    m = bytes(m).decode("utf-8", "replace") if isinstance(m, list) else m
    t = int(e["__REALTIME_TIMESTAMP"]) // 1000
    if e.get("_PID") != "1" or t < killed: continue
    for text, name in steps:
        if text in m: seen.append((name, t - killed))
ready = [t for name, t in seen if name == "READY"]
if not ready: print("none", "no Started entry yet:", ", ".join("%s +%d ms" % s for s in seen)); sys.exit(0)
end = ready[0]
print(end, ", ".join("%s +%d ms" % (n, t) for n, t in seen if t <= end))' "$killed_ms"
}

# Waits (up to $2 ms beyond $1) for restart_timeline to see the next instance READY.
wait_for_restart() {
    local killed_ms=$1 limit_ms=$2 line
    while :; do
        line=$(restart_timeline "$killed_ms")
        [ "${line%% *}" != none ] && { echo "$line"; return 0; }
        [ $(( $(now_ms) - killed_ms )) -lt $((limit_ms + 20000)) ] || { echo "no new instance after $(( $(now_ms) - killed_ms )) ms: ${line#* }"; return 1; }
        sleep 0.25
    done
}

case_watchdog() {
    as_user alice deltastorectl ping >/dev/null || fail "cannot start the daemon"
    local main watchdog_ms restarts
    main=$(prop deltastore.service MainPID)
    watchdog_ms=$(span_ms "$(prop deltastore.service WatchdogUSec)")
    [ "$watchdog_ms" -gt 0 ] || fail "the service has no watchdog"
    restarts=$(prop deltastore.service NRestarts)
    local since stopped line elapsed
    since=$(inside date +%s)
    inside kill -STOP "$main"
    # Taken once the kill returned: the daemon is stopped by then, and was at most this command's run earlier.
    stopped=$(now_ms)
    line=$(wait_for_restart "$stopped" $((watchdog_ms + WATCHDOG_SLACK_MS))) || fail "$line"
    elapsed=${line%% *}
    figure "watchdog: SIGSTOP -> next instance READY ${elapsed} ms (WatchdogSec=$((watchdog_ms / 1000))s: ${line#* })"
    [ "$elapsed" -le $((watchdog_ms + WATCHDOG_SLACK_MS)) ] ||
        fail "restarted ${elapsed} ms after SIGSTOP (limit WatchdogSec + 5 s = $((watchdog_ms + WATCHDOG_SLACK_MS)) ms): ${line#* }"
    [ "$(prop deltastore.service NRestarts)" -gt "$restarts" ] || fail "NRestarts did not grow"
    local journal
    journal=$(inside journalctl --no-pager -o cat -u deltastore.service)
    grep -q "Watchdog timeout" <<< "$journal" || fail "no 'Watchdog timeout' in the journal"
    local backtrace
    backtrace=$(backtrace_since "$since" watchdog) || fail "$backtrace"
    echo "restarted ${elapsed} ms after SIGSTOP (${line#* }); $backtrace"
}

case_crash() {
    local main started elapsed since
    main=$(prop deltastore.service MainPID)
    [ "$main" != 0 ] || { as_user alice deltastorectl ping >/dev/null; main=$(prop deltastore.service MainPID); }
    sleep 1
    since=$(inside date +%s)
    started=$(now_ms)
    inside kill -ABRT "$main"
    local line
    line=$(wait_for_restart "$started" "$CRASH_LIMIT_MS") || fail "$line"
    elapsed=${line%% *}
    figure "crash: SIGABRT -> next instance READY ${elapsed} ms (${line#* })"
    [ "$elapsed" -le "$CRASH_LIMIT_MS" ] || fail "restarted ${elapsed} ms after SIGABRT (limit ${CRASH_LIMIT_MS} ms): ${line#* }"
    local backtrace
    backtrace=$(backtrace_since "$since" crash) || fail "$backtrace"
    as_user alice deltastorectl ping >/dev/null || fail "the restarted daemon does not answer"
    echo "restarted ${elapsed} ms after SIGABRT; $backtrace"
}

case_journal_filters() {
    # A failed request of alice's, to be found by its fields.
    as_user alice deltastorectl call ticks.query --args '{"product": "$where"}' >/dev/null 2>&1 && fail "ticks.query with a bad product succeeded"
    sleep 0.5
    journal_json -u deltastore.service OP=ticks.query > "$logs/j-op.json"
    journal_json -u deltastore.service CODE=INVALID_ARGUMENT > "$logs/j-code.json"
    journal_json -u deltastore.service PEER_UID="$alice_uid" > "$logs/j-alice.json"
    journal_json -u deltastore.service PEER_UID="$bob_uid" > "$logs/j-bob.json"
    journal_json -u deltastore.service -p warning > "$logs/j-warning.json"
    python3 - "$logs" "$alice_uid" "$bob_uid" <<'PY'
import json, sys
logs, alice, bob = sys.argv[1], sys.argv[2], sys.argv[3]
def entries(name):
    with open(f"{logs}/j-{name}.json") as f:
        return [json.loads(line) for line in f if line.strip()]
by_op, by_code, by_alice, by_bob, warnings = (entries(n) for n in ("op", "code", "alice", "bob", "warning"))
problems = []
if not any(e.get("CODE") == "INVALID_ARGUMENT" and e.get("PEER_UID") == alice for e in by_op):
    problems.append("OP=ticks.query: no INVALID_ARGUMENT entry of alice")
if not all(e.get("OP") == "ticks.query" for e in by_op): problems.append("OP=ticks.query returned other operations")
if not by_code or not all(e.get("CODE") == "INVALID_ARGUMENT" for e in by_code): problems.append("CODE=INVALID_ARGUMENT: wrong entries")
if not by_alice or not all(e.get("PEER_UID") == alice for e in by_alice): problems.append("PEER_UID=alice: wrong entries")
if not any(e.get("CODE") == "PERMISSION_DENIED" or "permission denied" in e.get("MESSAGE", "").lower() for e in by_bob):
    problems.append("PEER_UID=bob: no refusal: " + str([e.get("MESSAGE") for e in by_bob]))
levels = {int(e.get("PRIORITY", 6)) for e in warnings}
if not levels or max(levels) > 4: problems.append("-p warning: levels %s" % sorted(levels))
texts = [e.get("MESSAGE", "") for e in warnings]
for expected in ("reload of access rules failed", "Watchdog timeout"):
    if not any(expected in t for t in texts): problems.append("-p warning lacks '%s': %s" % (expected, texts))
if problems: sys.exit("\n".join(problems))
print("OP= %d, CODE= %d, PEER_UID=alice %d, PEER_UID=bob %d, -p warning %d entries" % (len(by_op), len(by_code), len(by_alice), len(by_bob), len(warnings)))
PY
}

# libdispatch's event thread asks for nice -4; the unit's LimitNICE=-4
# (RLIMIT_NICE 24) lets it, and then no start logs "Failed to set thread
# priority". systemd can raise that limit only with CAP_SYS_RESOURCE.
case_quiet_start() {
    as_user alice deltastorectl ping >/dev/null || fail "the daemon does not answer"
    local main limit
    main=$(prop deltastore.service MainPID)
    limit=$(inside awk '/^Max nice priority/ { print $4 }' "/proc/$main/limits")
    if [ "$limit" = 24 ]; then
        local noise
        noise=$(inside journalctl --no-pager -o cat -u deltastore.service | grep -i "thread priority" || true)
        [ -z "$noise" ] || fail "$noise"
        echo "RLIMIT_NICE 24 (LimitNICE=-4) in effect; no 'Failed to set thread priority' in $(inside journalctl --no-pager -o cat -u deltastore.service | grep -c ' starting (pid ' || true) starts"
        return 0
    fi
    local bounding
    bounding=$(inside awk '/^CapBnd/ { print $2 }' /proc/1/status)
    (( (0x$bounding >> 24) & 1 )) && fail "the daemon's RLIMIT_NICE is ${limit:-?}, not 24 (LimitNICE=-4), though systemd has CAP_SYS_RESOURCE"
    # This machine withholds CAP_SYS_RESOURCE from every process, so no
    # systemd here can grant LimitNICE=-4. Show the cause instead: with leave
    # to go below nice 0 (CAP_SYS_NICE stands in), a start is quiet.
    inside mkdir -p /run/systemd/system/deltastore.service.d
    printf '[Service]\nCapabilityBoundingSet=CAP_SYS_NICE\nAmbientCapabilities=CAP_SYS_NICE\n' |
        inside tee /run/systemd/system/deltastore.service.d/nice-stand-in.conf >/dev/null
    inside systemctl daemon-reload
    inside systemctl restart deltastore.service
    local invocation lines
    invocation=$(prop deltastore.service InvocationID)
    as_user alice deltastorectl ping >/dev/null
    sleep 1
    lines=$(inside journalctl --no-pager -o cat _SYSTEMD_INVOCATION_ID="$invocation" | grep -ci "thread priority" || true)
    inside rm /run/systemd/system/deltastore.service.d/nice-stand-in.conf
    inside systemctl daemon-reload
    inside systemctl restart deltastore.service
    [ "$lines" = 0 ] || fail "even with CAP_SYS_NICE a start logs 'Failed to set thread priority'"
    skip "not checkable here: this machine withholds CAP_SYS_RESOURCE (CapBnd $bounding), so systemd cannot apply LimitNICE=-4 (RLIMIT_NICE stays ${limit:-0}) and every start logs the line; with CAP_SYS_NICE standing in for it, a start logged no such line"
}

# The default view of one session, as an operator reads it: start, a failed
# request, a reload, a stop. Saved to session.txt and printed.
case_session_reads() {
    local since
    since=$(inside date +%s.%N)
    inside systemctl restart deltastore.service
    as_user alice deltastorectl call ticks.query --args '{"product": "$where"}' >/dev/null 2>&1 && fail "a bad ticks.query succeeded"
    inside systemctl reload deltastore.service
    inside systemctl stop deltastore.service 2>/dev/null
    sleep 0.5
    inside journalctl --no-pager -o short -u deltastore.service --since "@$since" > "$logs/session.txt"
    local expected missing=""
    local version
    version=$(inside deltastored --version | awk '{ print $2 }')
    for expected in \
        "Starting deltastore.service" \
        "deltastored $version starting (pid " \
        "access rules: /etc/deltastore/access.conf (4 rules): uid 0 (root) all; uid $(inside id -u deltastore) (deltastore) all; group $(inside id -g deltastore) (deltastore) read, write, auth; uid $bob_uid (bob) read; anyone else public only" \
        "opened SQLite database /var/lib/deltastore/deltastore.db: SQLite " \
        "store open: sqlite /var/lib/deltastore/deltastore.db" \
        "loaded 2 signing keys from --jwt-keys /etc/deltastore/jwt-keys; signing with k2new" \
        "auth ready: tokens signed with k2new, valid 15m (refresh 30d); bcrypt cost 12 on " \
        "watchdog enabled: every 15 s a health check" \
        "Started deltastore.service" \
        "SIGHUP: reloading access rules and jwt keys" \
        "reloaded access rules: /etc/deltastore/access.conf (4 rules): " \
        "reloaded signing keys from --jwt-keys /etc/deltastore/jwt-keys: 2 keys, signing with k2new" \
        "reloaded jwt keys: 2 keys, signing with k2new" \
        "Stopping deltastore.service" \
        "closed SQLite database /var/lib/deltastore/deltastore.db" \
        "Stopped deltastore.service"; do
        grep -qF -- "$expected" "$logs/session.txt" || missing+="  missing: $expected"$'\n'
    done
    [ -z "$missing" ] || fail "$missing$(cat "$logs/session.txt")"
    # The Swift runtime complains here about settings it does not take (SWIFT_BACKTRACE=).
    if grep -q "swift runtime:" "$logs/session.txt"; then fail "$(grep "swift runtime:" "$logs/session.txt")"; fi
    echo "$(wc -l < "$logs/session.txt") lines, each stating its facts (session.txt):"
    sed 's/^[A-Z][a-z][a-z] [0-9 ]*[0-9] //; s/^/       /' "$logs/session.txt"
}

# The connection code's line for a failed request (Sources/Server, issue 13's).
case_failed_request_reads() {
    journal_json -u deltastore.service OP=ticks.query CODE=INVALID_ARGUMENT > "$logs/j-failed.json"
    local message
    message=$(python3 -c '
import json, sys
entries = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print(entries[-1].get("MESSAGE", "") if entries else "")' "$logs/j-failed.json")
    [ -n "$message" ] || fail "no entry with OP=ticks.query CODE=INVALID_ARGUMENT"
    if [ "$message" = "request failed" ]; then
        skip "the connection code's text is still '$message' (op and code only in fields): Sources/Server is issue 13's, which writes it as 'request failed: ticks.query INVALID_ARGUMENT (conn N, uid U)'"
    fi
    case "$message" in
        "request failed: ticks.query INVALID_ARGUMENT"*"uid $alice_uid"*) echo "'$message'" ;;
        *) fail "'$message' does not read 'request failed: ticks.query INVALID_ARGUMENT (conn N, uid $alice_uid)'" ;;
    esac
}

case_security() {
    local report exposure
    report=$(inside systemd-analyze security --no-pager deltastore.service 2>&1)
    exposure=$(echo "$report" | sed -n 's/.*Overall exposure level for deltastore.service: \([0-9.]*\).*/\1/p')
    [ -n "$exposure" ] || fail "no exposure level: $report"
    echo "$report" > "$logs/security.txt"
    figure "systemd-analyze security deltastore.service: $exposure"
    awk -v e="$exposure" 'BEGIN { exit !(e <= 1.0) }' || fail "exposure $exposure > 1.0"
    echo "exposure $exposure"
}

check "enable, and activation on the first connection" case_activation
check "systemctl start returns once the store is open (READY=1)" case_start_waits_for_ready
check "a group member is served, an outsider gets only the public operations" case_group_member_and_outsider
check "systemctl reload applies new rules and keys, keeps connections" case_reload
check "systemctl stop answers the requests in flight and exits 0" case_stop_drains
check "a hung daemon (SIGSTOP) is restarted within WatchdogSec + 5 s" case_watchdog
check "a crashed daemon (SIGABRT) is restarted within 5 s" case_crash
check "journal filters OP=, CODE=, PEER_UID=, -p warning" case_journal_filters
check "no 'Failed to set thread priority' noise at start" case_quiet_start
check "the journal of a session (start, failed request, reload, stop) reads as sentences" case_session_reads
check "a failed request's journal line names its operation, code and peer" case_failed_request_reads
check "systemd-analyze security on the running system <= 1.0" case_security

echo
echo "figures ($built):"
sed 's/^/  /' "$logs/figures.txt" 2>/dev/null || true
echo "journal and reports: $logs/"
echo "run time: $(( $(date +%s) - suite_started )) s"
echo "systemd suite: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
