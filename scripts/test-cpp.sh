#!/usr/bin/env bash
# The C++ binding's tests (bindings/cpp) against an already built libhaptix:
#   - the codec header is not stale (bindings/cpp/tools/gen_codec.py --check);
#   - CMake builds with -Wall -Wextra -Werror under AddressSanitizer (with LeakSanitizer) and
#     UndefinedBehaviorSanitizer: every header alone and included twice (C++17, C++20, and
#     -fno-exceptions -fno-rtti), the GoogleTest suite three times (C++17; C++20; C++17 with
#     -fno-exceptions -fno-rtti), the codec checked against libprotobuf, and the demo;
#   - all of those run; the demo must print the toy's bytes;
#   - the package installs into a temporary prefix, and an out-of-tree CMake project
#     (find_package(Haptix CONFIG REQUIRED): a C++ program on Haptix::haptixpp and a C program
#     on Haptix::haptix) and a pkg-config build of both use it and run.
# Ends with "N passed, N failed"; exits non-zero on any failure.
#
# Usage: scripts/test-cpp.sh [LIBRARY_DIR]      (default: target/debug; build it first with
#                                                `cargo build --lib`)
# Installs g++, cmake, pkg-config, GoogleTest and libprotobuf (test-only) with apt-get when
# missing. Build files are kept in bindings/cpp/build (ignored by git) so that a second run
# is incremental.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

LIBDIR="${1:-target/debug}"
case "$LIBDIR" in
    /*) ;;
    *) LIBDIR="$ROOT/$LIBDIR" ;;
esac
if [ ! -f "$LIBDIR/libhaptix.so" ]; then
    echo "test-cpp: no libhaptix.so in $LIBDIR (run \`cargo build --lib\` first)" >&2
    exit 2
fi

# System packages, installed only when missing.
missing=()
for pkg in g++ cmake make pkg-config python3 libgtest-dev libprotobuf-dev protobuf-compiler; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "== installing ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" != 0 ]; then
        SUDO="sudo"
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

passed=0
failed=0
check() {  # check NAME COMMAND...: runs a check, counts it
    local name="$1"
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "test-cpp: FAILED: $name" >&2
    fi
}

echo "== codec staleness (bindings/cpp/tools/gen_codec.py --check)"
check "messages.hpp is up to date" python3 bindings/cpp/tools/gen_codec.py --check

BUILD="$ROOT/bindings/cpp/build"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "== cmake build (warnings as errors, ASan + UBSan) against $LIBDIR"
cmake -S bindings/cpp -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DHAPTIX_LIBRARY_DIR="$LIBDIR" \
    -DHAPTIX_BUILD_TESTS=ON -DHAPTIX_BUILD_EXAMPLES=ON -DHAPTIX_BUILD_BENCH=OFF \
    -DHAPTIX_SANITIZERS=address,undefined >"$TMP/configure.log" 2>&1 ||
    { cat "$TMP/configure.log" >&2; exit 1; }
cmake --build "$BUILD" -j2 -- --no-print-directory >"$TMP/build.log" 2>&1 ||
    { grep -E "error|warning" "$TMP/build.log" >&2 || tail -40 "$TMP/build.log" >&2; exit 1; }

# Leaks are reported (including inside libhaptix, which is not instrumented but whose
# allocations go through the intercepted malloc); nothing is suppressed.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

run_suite() {  # run_suite NAME: a GoogleTest binary; counts its tests
    local name="$1" log="$TMP/$1.log" status=0
    echo "== $name"
    timeout 600 "$BUILD/tests/$name" --gtest_brief=1 >"$log" 2>&1 || status=$?
    local ok bad
    ok=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    bad=$(sed -n 's/^ *\([0-9]*\) FAILED TEST.*/\1/p' "$log" | tail -1)
    ok=${ok:-0}
    bad=${bad:-0}
    passed=$((passed + ok))
    failed=$((failed + bad))
    if [ "$status" != 0 ] || [ "$ok" = 0 ]; then
        cat "$log" >&2
        if [ "$bad" = 0 ]; then
            failed=$((failed + 1))  # crashed, leaked or hung outside a test
        fi
        echo "test-cpp: $name exited with status $status" >&2
    else
        tail -1 "$log"
    fi
}
for suite in haptix_tests haptix_tests_cxx20 haptix_tests_noexcept haptix_codec_tests; do
    run_suite "$suite"
done

echo "== demo"
demo() {
    timeout 120 "$BUILD/haptix_demo" >"$TMP/demo.log" 2>&1 || { cat "$TMP/demo.log" >&2; return 1; }
    cat "$TMP/demo.log"
    grep -q 'the toy received "Vibrate:10;" on tx' "$TMP/demo.log"
}
check "demo prints the toy's bytes" demo

echo "== install into a temporary prefix, then an out-of-tree consumer"
consumer() {
    cmake --install "$BUILD" --prefix "$TMP/prefix" >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log" >&2; return 1; }
    cmake -S bindings/cpp/tests/consumer -B "$TMP/consumer" -DCMAKE_PREFIX_PATH="$TMP/prefix" \
        -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" \
        >"$TMP/consumer.log" 2>&1 &&
        cmake --build "$TMP/consumer" -j2 >>"$TMP/consumer.log" 2>&1 ||
        { cat "$TMP/consumer.log" >&2; return 1; }
    timeout 120 "$TMP/consumer/consumer" && timeout 120 "$TMP/consumer/consumer_c"
}
check "CMake consumer of the installed package" consumer
pkgconfig() {
    local pc_dir
    pc_dir="$(dirname "$(find "$TMP/prefix" -name haptix.pc | head -1)")"
    local flags libdir
    flags="$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs haptix)" || return 1
    libdir="$(PKG_CONFIG_PATH="$pc_dir" pkg-config --variable=libdir haptix)" || return 1
    # shellcheck disable=SC2086 # word splitting of the flags is intended
    c++ -std=c++17 -Wall -Wextra -Werror -o "$TMP/pkgconfig-consumer" bindings/cpp/tests/consumer/main.cpp \
        $flags -Wl,-rpath,"$libdir" &&
        cc -std=c11 -Wall -Wextra -Werror -o "$TMP/pkgconfig-consumer-c" bindings/cpp/tests/consumer/main.c \
            $flags -Wl,-rpath,"$libdir" &&
        timeout 120 "$TMP/pkgconfig-consumer" && timeout 120 "$TMP/pkgconfig-consumer-c"
}
check "pkg-config consumer of the installed package" pkgconfig

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
