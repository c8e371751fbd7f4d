#!/usr/bin/env bash
# Benchmark of the C++ binding (not a test): sequential vibrate commands, each waited for with
# haptix_client_call, through the C++ API and through the raw C ABI in the same run; prints
# commands per second and p50/p99 call-to-response latency for both, their ratio, the
# binding's allocations per command and its own work per command.
#
# Usage: scripts/bench-cpp.sh [LIBRARY_DIR] [COMMANDS_PER_ROUND] [ROUNDS]
#   LIBRARY_DIR defaults to target/release when it holds libhaptix.so (build it with
#   `cargo build --release --lib`), else target/debug. The benchmark itself is built optimised
#   (-O3, no sanitizers) in bindings/cpp/build-bench. Installs g++ and cmake when missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

LIBDIR="${1:-}"
if [ -z "$LIBDIR" ]; then
    if [ -f target/release/libhaptix.so ]; then
        LIBDIR=target/release
    else
        LIBDIR=target/debug
    fi
fi
case "$LIBDIR" in
    /*) ;;
    *) LIBDIR="$ROOT/$LIBDIR" ;;
esac
if [ ! -f "$LIBDIR/libhaptix.so" ]; then
    echo "bench-cpp: no libhaptix.so in $LIBDIR (run \`cargo build --release --lib\` first)" >&2
    exit 2
fi

missing=()
for pkg in g++ cmake make; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then
        SUDO="sudo"
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

BUILD="$ROOT/bindings/cpp/build-bench"
cmake -S bindings/cpp -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DHAPTIX_LIBRARY_DIR="$LIBDIR" \
    -DHAPTIX_BUILD_BENCH=ON -DHAPTIX_BUILD_EXAMPLES=OFF -DHAPTIX_BUILD_TESTS=OFF -DHAPTIX_SANITIZERS= >/dev/null
cmake --build "$BUILD" -j2 --target haptix_bench -- --no-print-directory >/dev/null
echo "library: $LIBDIR/libhaptix.so"
exec "$BUILD/haptix_bench" "${2:-2000}" "${3:-10}"
