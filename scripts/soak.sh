#!/usr/bin/env bash
# Soak benchmark (not a test): builds benches/soak in release and runs it for the given number
# of minutes (default 60; fractions allowed). It drives mixed traffic through the C ABI of one
# context: a long-lived controller client of the embedded server and visitor clients that take
# turns (over the context's WebSocket server and in-process), scanning while toys appear,
# output bursts, battery reads, pressure subscriptions on a KGoal Boost, toys disappearing and
# reconnecting, sessions ending with Disconnect or by freeing the client. Each second it samples
# resident memory, open file descriptors, threads and the heap in use; it prints a line per
# minute and, at the end, the trend of each series and the command counts.
#
# Usage: scripts/soak.sh [MINUTES]       (run long ones with nice -n 19)
#
# Exits non-zero when a command went unanswered or failed, or a pressure reading was lost.
# The benchmark is its own cargo project and builds into target/soak.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes="${1:-60}"
cargo build --release --quiet \
    --manifest-path benches/soak/Cargo.toml \
    --target-dir target/soak
exec target/soak/release/haptix-soak "$minutes"
