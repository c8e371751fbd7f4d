#!/usr/bin/env bash
# Compiles the C tests (tests/c/test_*.c, each with the shared helpers pb.c and util.c) against
# an already built libhaptix and runs each one under valgrind; prints one line per test program
# (its subtests print their own PASS/FAIL lines) and exits non-zero if anything failed.
#
# Usage: scripts/c-tests.sh [LIBRARY_DIR]      (default: target/debug; build it first with
#                                               `cargo build --lib`)
# Environment:
#   HAPTIX_C_TESTS_NO_VALGRIND=1   run the tests directly (fast; no memory checking)
#   HAPTIX_C_TESTS_ONLY="a b"      run only these tests (names without the test_ prefix)
#   HAPTIX_C_TESTS_TIMEOUT=SECS    time limit per test program (default 600 under valgrind,
#                                  300 without)
#   HAPTIX_C_TESTS_VERBOSE=1       print every expected error status with its message
#   CC                             C compiler (default cc)
# Installs valgrind with apt-get when it is missing (and needed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

LIBDIR="${1:-target/debug}"
case "$LIBDIR" in
    /*) ;;
    *) LIBDIR="$ROOT/$LIBDIR" ;;
esac
if [ ! -f "$LIBDIR/libhaptix.so" ]; then
    echo "c-tests: no libhaptix.so in $LIBDIR (run \`cargo build --lib\` first)" >&2
    exit 2
fi
if [ ! -f include/haptix.h ]; then
    echo "c-tests: include/haptix.h is missing" >&2
    exit 2
fi

USE_VALGRIND=1
if [ "${HAPTIX_C_TESTS_NO_VALGRIND:-}" = 1 ]; then
    USE_VALGRIND=0
fi
if [ "$USE_VALGRIND" = 1 ] && ! command -v valgrind >/dev/null 2>&1; then
    echo "c-tests: installing valgrind"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq valgrind >/dev/null
fi

OUT="$ROOT/target/c-tests"
mkdir -p "$OUT"
CC="${CC:-cc}"
CFLAGS=(-std=c11 -Wall -Wextra -Werror -pthread -g -O1 -I include)
# The binaries find the library through a run path relative to their own directory.
REL="$(realpath --relative-to="$OUT" "$LIBDIR")"
LDFLAGS=(-L "$LIBDIR" -lhaptix -Wl,-rpath,"\$ORIGIN/$REL")

VALGRIND=(valgrind --quiet --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite --show-leak-kinds=definite --track-origins=no
    --fair-sched=yes --suppressions="$ROOT/tests/c/valgrind.supp")
if [ "$USE_VALGRIND" = 1 ]; then
    TIMEOUT="${HAPTIX_C_TESTS_TIMEOUT:-600}"
else
    TIMEOUT="${HAPTIX_C_TESTS_TIMEOUT:-300}"
fi

tests=()
for src in tests/c/test_*.c; do
    name="$(basename "$src" .c)"
    short="${name#test_}"
    if [ -n "${HAPTIX_C_TESTS_ONLY:-}" ] && [[ " $HAPTIX_C_TESTS_ONLY " != *" $short "* ]]; then
        continue
    fi
    tests+=("$name")
done
if [ "${#tests[@]}" = 0 ]; then
    echo "c-tests: no tests selected" >&2
    exit 2
fi

echo "== compiling ${#tests[@]} C test programs with $CC against $LIBDIR"
"$CC" "${CFLAGS[@]}" -c tests/c/pb.c -o "$OUT/pb.o"
"$CC" "${CFLAGS[@]}" -c tests/c/util.c -o "$OUT/util.o"
for name in "${tests[@]}"; do
    "$CC" "${CFLAGS[@]}" "tests/c/$name.c" "$OUT/pb.o" "$OUT/util.o" "${LDFLAGS[@]}" \
        -o "$OUT/$name"
done

if [ "$USE_VALGRIND" = 1 ]; then
    echo "== running under valgrind ($(valgrind --version))"
else
    echo "== running without valgrind"
fi
failed=()
for name in "${tests[@]}"; do
    log="$OUT/$name.valgrind.log"
    rm -f "$log"
    echo "-- $name"
    start=$(date +%s)
    set +e
    if [ "$USE_VALGRIND" = 1 ]; then
        timeout --kill-after=10 "$TIMEOUT" "${VALGRIND[@]}" --log-file="$log" "$OUT/$name"
    else
        timeout --kill-after=10 "$TIMEOUT" "$OUT/$name"
    fi
    rc=$?
    set -e
    secs=$(( $(date +%s) - start ))
    if [ -s "$log" ]; then
        cat "$log"
    fi
    case "$rc" in
        0) verdict="PASS" ;;
        99) verdict="FAIL (valgrind errors, see above)" ;;
        124 | 137) verdict="FAIL (timed out after ${TIMEOUT}s)" ;;
        *) verdict="FAIL (exit status $rc)" ;;
    esac
    echo "-- $name: $verdict (${secs}s)"
    if [ "$rc" != 0 ]; then
        failed+=("$name")
    fi
done

echo "== C tests: $(( ${#tests[@]} - ${#failed[@]} )) of ${#tests[@]} passed"
if [ "${#failed[@]}" != 0 ]; then
    echo "failed: ${failed[*]}"
    exit 1
fi
