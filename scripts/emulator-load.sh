#!/usr/bin/env bash
# Emulator load benchmark: the emulator and the load generator as two
# processes on loopback, throttling off (ARM's limits would cap a single
# principal at 25 reads/s) and latency off. Prints requests per second,
# latency percentiles and the emulator's resident memory before and after,
# over plain HTTP and then over HTTPS (the default transport).
#   scripts/emulator-load.sh [CONNECTIONS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
conns="${1:-8}"
secs="${2:-10}"
cargo build --release -q -p azrelo
cargo build --release -q -p azrelo-emulator --example load
work="$(mktemp -d)"
pid=""
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$pid/status"; }
run() { # run PORT SERVE_FLAGS... -- LOAD_EXTRA...
    local port="$1"
    shift
    local serve=()
    while [ "$1" != "--" ]; do serve+=("$1"); shift; done
    shift
    target/release/azrelo emulator serve --no-throttle --addr "127.0.0.1:$port" "${serve[@]}" 2>/dev/null &
    pid=$!
    sleep 1
    echo "emulator RSS before: $(rss)"
    target/release/examples/load "127.0.0.1:$port" "$conns" "$secs" "$@"
    echo "emulator RSS after:  $(rss)"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
}
echo "== plain HTTP"
run 18555 --http --
echo "== HTTPS"
run 18556 --cert-out "$work/ca.pem" -- "$work/ca.pem"
