#!/usr/bin/env bash
# Builds libhaptix with AddressSanitizer (nightly rustc, -Zsanitizer=address) and runs the C
# tests and the Python binding suite against it; prints what the sanitizer found and exits
# non-zero on any report or test failure.
#
# Usage: scripts/asan.sh [c|python]...     (default: both)
#
# - The library is built into target/asan/x86_64-unknown-linux-gnu/debug. The explicit
#   --target keeps build scripts and proc-macros uninstrumented. The standard library is not
#   rebuilt (that needs rust-src); its own code is unchecked, every allocation still goes through
#   the sanitizer's allocator.
# - The cdylib does not carry the sanitizer runtime (rustc links it into executables only):
#   its __asan_* symbols are resolved by whoever loads it. The C tests are compiled with
#   gcc -fsanitize=address, which links gcc's libasan into each test program (and checks the
#   test code as well); leak detection stays on. CPython is not instrumented, so for the
#   Python suite gcc's libasan is preloaded (LD_PRELOAD) and leak detection is off
#   (the interpreter's own allocations at exit would be reported).
# - valgrind is not used here; scripts/c-tests.sh keeps running the C tests under valgrind.
#
# Environment: HAPTIX_ASAN_TIMEOUT=SECS per C test program (default 300); CC (default gcc).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

parts=("$@")
if [ "${#parts[@]}" = 0 ]; then
    parts=(c python)
fi
for p in "${parts[@]}"; do
    case "$p" in
        c | python) ;;
        *)
            echo "usage: scripts/asan.sh [c|python]..." >&2
            exit 2
            ;;
    esac
done

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "asan: no nightly toolchain (rustup toolchain install nightly)" >&2
    exit 2
fi
if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
    echo "asan: only set up for x86_64 Linux" >&2
    exit 2
fi
CC="${CC:-gcc}"
LIBASAN="$("$CC" -print-file-name=libasan.so)"
if [ ! -e "$LIBASAN" ]; then
    echo "asan: $CC has no libasan.so (install libasan for your gcc, e.g. apt-get install libasan8)" >&2
    exit 2
fi

TARGET=x86_64-unknown-linux-gnu
LIBDIR="$ROOT/target/asan/$TARGET/debug"

echo "== building libhaptix with AddressSanitizer (cargo +nightly, target/asan)"
start=$(date +%s)
env -u CARGO_ENCODED_RUSTFLAGS RUSTFLAGS="-Zsanitizer=address" \
    cargo +nightly build --quiet --lib --target "$TARGET" --target-dir target/asan
echo "asan: library built in $(( $(date +%s) - start ))s"

failed=()
has_part() {
    [[ " ${parts[*]} " == *" $1 "* ]]
}

if has_part c; then
    OUT="$ROOT/target/asan/c-tests"
    mkdir -p "$OUT"
    CFLAGS=(-std=c11 -Wall -Wextra -Werror -pthread -g -O1 -fsanitize=address
        -fno-omit-frame-pointer -I include)
    REL="$(realpath --relative-to="$OUT" "$LIBDIR")"
    LDFLAGS=(-fsanitize=address -L "$LIBDIR" -lhaptix -Wl,-rpath,"\$ORIGIN/$REL")
    echo "== compiling the C tests with $CC -fsanitize=address"
    "$CC" "${CFLAGS[@]}" -c tests/c/pb.c -o "$OUT/pb.o"
    "$CC" "${CFLAGS[@]}" -c tests/c/util.c -o "$OUT/util.o"
    tests=()
    for src in tests/c/test_*.c; do
        name="$(basename "$src" .c)"
        "$CC" "${CFLAGS[@]}" "$src" "$OUT/pb.o" "$OUT/util.o" "${LDFLAGS[@]}" -o "$OUT/$name"
        tests+=("$name")
    done
    echo "== running the C tests under AddressSanitizer (leak detection on)"
    timeout_s="${HAPTIX_ASAN_TIMEOUT:-300}"
    c_failed=0
    for name in "${tests[@]}"; do
        log="$OUT/$name.log"
        t0=$(date +%s)
        set +e
        ASAN_OPTIONS="detect_leaks=1:exitcode=99:halt_on_error=1" \
            timeout --kill-after=10 "$timeout_s" "$OUT/$name" >"$log" 2>&1
        rc=$?
        set -e
        secs=$(( $(date +%s) - t0 ))
        case "$rc" in
            0) verdict="PASS" ;;
            99) verdict="FAIL (sanitizer report below)" ;;
            124 | 137) verdict="FAIL (timed out after ${timeout_s}s)" ;;
            *) verdict="FAIL (exit status $rc)" ;;
        esac
        if [ "$rc" != 0 ]; then
            cat "$log"
            c_failed=$((c_failed + 1))
        fi
        echo "-- $name: $verdict (${secs}s)"
    done
    echo "== C tests under ASan: $(( ${#tests[@]} - c_failed )) of ${#tests[@]} passed"
    if [ "$c_failed" != 0 ]; then
        failed+=(c)
    fi
fi

if has_part python; then
    echo "== Python binding under AddressSanitizer (libasan preloaded, leak detection off)"
    log="$ROOT/target/asan/python.log"
    set +e
    # A report ends the Python process it happens in (so that test fails); the log keeps it.
    LD_PRELOAD="$LIBASAN" \
        ASAN_OPTIONS="detect_leaks=0:exitcode=99" \
        scripts/test-python.sh "$LIBDIR" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    reports=$(grep -c '^==[0-9]*==ERROR: AddressSanitizer' "$log" || true)
    echo "== Python under ASan: exit status $rc, $reports sanitizer report(s) (log: target/asan/python.log)"
    if [ "$rc" != 0 ] || [ "$reports" != 0 ]; then
        failed+=(python)
    fi
fi

if [ "${#failed[@]}" != 0 ]; then
    echo "asan: failed: ${failed[*]}"
    exit 1
fi
echo "asan: no sanitizer reports"
