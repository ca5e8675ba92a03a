#!/usr/bin/env bash
# Emulator load benchmark: the emulator and the load generator as two
# processes on loopback, throttling off (ARM's limits would cap a single
# principal at 25 reads/s). Prints requests per second, latency percentiles
# and the emulator's resident memory before and after.
#   scripts/emulator-load.sh [CONNECTIONS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
conns="${1:-8}"
secs="${2:-10}"
addr=127.0.0.1:18555
cargo build --release -q -p azrelo
cargo build --release -q -p azrelo-emulator --example load
target/release/azrelo emulator serve --http --no-throttle --addr "$addr" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
sleep 1
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$pid/status"; }
echo "emulator RSS before: $(rss)"
target/release/examples/load "$addr" "$conns" "$secs"
echo "emulator RSS after:  $(rss)"
