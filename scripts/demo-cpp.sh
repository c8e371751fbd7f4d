#!/usr/bin/env bash
# The haptix demo from C++: builds the native library (release) and bindings/cpp/examples/demo.cpp
# (CMake), then runs it: an embedded server with a simulated Lovense Hush, a short pattern of
# commands, and what the toy received after each. Needs no hardware. Idempotent; installs g++
# and cmake with apt-get when missing (scripts/deps.sh installs what the Rust build needs).
#
# Usage: scripts/demo-cpp.sh [LIBRARY_DIR]   (given: use the libhaptix.so there, build nothing
#                                             with cargo)
set -euo pipefail
cd "$(dirname "$0")/.."

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

LIBDIR="${1:-}"
if [ -z "$LIBDIR" ]; then
    scripts/deps.sh
    echo "== building the native library (cargo build --release --lib)"
    cargo build --release --lib --quiet
    LIBDIR=target/release
fi
case "$LIBDIR" in
    /*) ;;
    *) LIBDIR="$PWD/$LIBDIR" ;;
esac

echo "== building the C++ demo (bindings/cpp, CMake)"
BUILD=bindings/cpp/build-demo
cmake -S bindings/cpp -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DHAPTIX_LIBRARY_DIR="$LIBDIR" \
    -DHAPTIX_BUILD_EXAMPLES=ON -DHAPTIX_BUILD_TESTS=OFF -DHAPTIX_BUILD_BENCH=OFF -DHAPTIX_SANITIZERS= >/dev/null
cmake --build "$BUILD" -j2 --target haptix_demo -- --no-print-directory >/dev/null

echo
exec "$BUILD/haptix_demo"
