#!/usr/bin/env bash
# Fuzzes what a hostile client controls — frame decoding, envelope parsing,
# argument validation — with libFuzzer and AddressSanitizer, for a bounded
# time (FUZZ_SECONDS, default 60), seeded with proto-spec/vectors and the
# saved regression inputs in Tests/FuzzRegressions. Exits non-zero on a crash
# and leaves the crashing input in .build-fuzz/artifacts/: add it to
# Tests/FuzzRegressions (the unit tests replay that folder) and fix the bug.
#
# The spelling that works with SwiftPM: build the executable target with
#   swift build --build-path .build-fuzz --product deltastore-fuzz \
#     -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
# SwiftPM links the target's main.swift as `main`, so under -DFUZZING it
# starts libFuzzer's driver (LLVMFuzzerRunDriver) itself.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}

swift build --build-path .build-fuzz --product deltastore-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
binary=$(swift build --build-path .build-fuzz --show-bin-path)/deltastore-fuzz

corpus=.build-fuzz/corpus
mkdir -p "$corpus" .build-fuzz/artifacts
cp proto-spec/vectors/*.bson proto-spec/vectors/*.bin "$corpus/"
if compgen -G "Tests/FuzzRegressions/*" >/dev/null; then cp Tests/FuzzRegressions/* "$corpus/"; fi

echo "fuzzing for ${seconds} s with $(ls "$corpus" | wc -l) seed inputs"
"$binary" "$corpus" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix=.build-fuzz/artifacts/ -print_final_stats=1 2>&1 | tail -25
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
    echo "the fuzzer found a crash (exit $status): see .build-fuzz/artifacts/"
    exit "$status"
fi
echo "fuzzing: no crash in ${seconds} s"
