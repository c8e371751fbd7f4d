#!/usr/bin/env bash
# Differential run of haptix against the reference Buttplug implementation (buttplug_server 12
# from crates.io): every device definition of the official device-configuration files (v4 and
# v5, read from ../shared/device-config unless --config-dir DIR is given) is presented to both
# servers as the same recording toy, both get the same seeded command sequence, and what each
# toy received is compared in order. Ends with
#   differential: N definitions, M identical, K differ, S skipped
# and exits non-zero when a difference is not listed in docs/protocol-differences.md.
# Arguments go to the harness: --only PROTOCOL[,..], --file v4|v5, --seed N, --jobs N,
# --verbose, --config-dir DIR.
#
# The harness is its own cargo project (benches/differential), so ordinary builds and tests
# never compile the reference; it builds into target/differential, apart from the main crate's
# build directory. The first build takes several minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -j2 --quiet \
    --manifest-path benches/differential/Cargo.toml \
    --target-dir target/differential
exec target/differential/debug/haptix-differential "$@"
