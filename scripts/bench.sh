#!/usr/bin/env bash
# Builds and runs the comparison benchmark (benches/compare): haptix through its C ABI against
# the reference Buttplug implementation from crates.io, in one run. Arguments are passed to the
# benchmark: --quick for a short run, --side both|ours|reference, --help. One argument is the
# script's own: --hardware builds haptix with its Bluetooth LE and HID managers (its default
# features); without it both sides are built without hardware managers, like for like.
#
# The benchmark is its own cargo project (not part of the haptix crate), so ordinary builds and
# tests never compile the reference implementation. It builds into target/compare, apart from
# the main crate's build directory; benches/compare/Cargo.lock pins the reference crates.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

features=()
args=()
for a in "$@"; do
    if [ "$a" = "--hardware" ]; then
        features=(--features hardware)
    else
        args+=("$a")
    fi
done

cargo build --release \
    --manifest-path benches/compare/Cargo.toml \
    --target-dir target/compare "${features[@]}"
exec target/compare/release/haptix-bench-compare "${args[@]}"
