#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: formatting and lint gates, the Rust unit,
# integration and conformance tests (including the C ABI and the header check), the C tests
# under valgrind, the binding suites (Python, C#/Unity under Mono, Java/Kotlin, C++ under ASan and UBSan), and the Python interop suite
# against the real PyPI `buttplug` client; with a nightly toolchain, the C tests and the Python
# binding again against an AddressSanitizer build. Installs what it needs (idempotently): the system packages of
# scripts/deps.sh and valgrind from apt when missing, and a Python venv under .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each stage's heading carries the time since the start, so a slow or stuck stage shows in
# CI's log; the last line says how long the whole run took and how it ended.
stage() { printf '== [%02d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
trap 'status=$?; stage "test.sh ended with status $status after $SECONDS s"' EXIT
# Interrupted between stages: leave with the signal's status (what the line above reports).
at_top_level() { trap 'exit 130' INT; trap 'exit 143' TERM; }
at_top_level
# A stage that hangs fails with its name instead of holding CI until its limit: `within S cmd`
# runs cmd (and everything it starts, one process group) for at most S seconds. The limits
# are several times what each stage takes on a fresh machine. That process group is not the
# terminal's, so a Ctrl-C (or a TERM) reaching this script is passed on to it.
within() {
    local limit=$1 rc=0 pid
    shift
    timeout --kill-after=20 "$limit" "$@" &
    pid=$!
    trap 'kill -INT "$pid" 2>/dev/null || true' INT
    trap 'kill -TERM "$pid" 2>/dev/null || true' TERM
    while :; do
        rc=0
        wait "$pid" || rc=$?
        # a signal ends `wait` early: wait again until the stage has really ended
        kill -0 "$pid" 2>/dev/null || break
    done
    at_top_level
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        echo "test.sh: '$*' did not end within $limit s" >&2
    fi
    return "$rc"
}

scripts/deps.sh

stage "cargo fmt --check"
cargo fmt --all -- --check
stage "cargo clippy"
cargo clippy --all-targets -- -D warnings
stage "cargo check --no-default-features (the optional buses, the simulator and the JNI door really are optional)"
cargo check --no-default-features --all-targets
stage "cargo build"
cargo build --bins --lib
stage "cargo test"
within 2400 cargo test --all-targets
stage "conformance vectors"
cargo test --quiet --test vectors -- --nocapture 2>&1 | grep -E '^(vectors:|FAIL|skipping)'

stage "python interop (PyPI buttplug client against haptix serve)"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
HAPTIX_BIN="$PWD/target/debug/haptix" within 600 .venv/bin/python -m pytest -q \
    -o faulthandler_timeout=120 tests/interop

stage "C tests under valgrind (tests/c against target/debug/libhaptix)"
within 1200 scripts/c-tests.sh target/debug

stage "Python binding (bindings/python against target/debug/libhaptix)"
within 900 scripts/test-python.sh target/debug

stage "C# binding and Unity package (bindings/csharp under Mono against target/debug/libhaptix)"
within 1200 scripts/test-csharp.sh target/debug

stage "Java/Kotlin binding (bindings/java against target/debug/libhaptix)"
within 1500 scripts/test-java.sh target/debug

stage "C++ binding (bindings/cpp against target/debug/libhaptix, ASan + UBSan)"
within 1500 scripts/test-cpp.sh target/debug

stage "AddressSanitizer: C tests and Python binding against an ASan build of libhaptix (scripts/asan.sh)"
if cargo +nightly --version >/dev/null 2>&1; then
    within 1800 scripts/asan.sh
else
    echo "skipping ASan: no nightly toolchain"
fi

stage "fuzz smoke: every cargo-fuzz target of fuzz/ for a few seconds from its seeds (scripts/fuzz.sh --smoke)"
if cargo +nightly --version >/dev/null 2>&1; then
    within 1200 scripts/fuzz.sh --smoke
else
    echo "skipping fuzz smoke: no nightly toolchain"
fi
