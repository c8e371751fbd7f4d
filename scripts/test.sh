#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: formatting and lint gates, the Rust unit,
# integration and conformance tests (including the C ABI and the header check), the C tests
# under valgrind, the binding suites (Python, C#/Unity under Mono, Java/Kotlin, C++ under ASan and UBSan), and the Python interop suite
# against the real PyPI `buttplug` client; with a nightly toolchain, the C tests and the Python
# binding again against an AddressSanitizer build. Installs what it needs (idempotently): the system packages of
# scripts/deps.sh and valgrind from apt when missing, and a Python venv under .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets -- -D warnings
echo "== cargo check --no-default-features (the optional buses, the simulator and the JNI door really are optional)"
cargo check --no-default-features --all-targets
echo "== cargo build"
cargo build --bins --lib
echo "== cargo test"
cargo test --all-targets
echo "== conformance vectors"
cargo test --quiet --test vectors -- --nocapture 2>&1 | grep -E '^(vectors:|FAIL|skipping)'

echo "== python interop (PyPI buttplug client against haptix serve)"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
HAPTIX_BIN="$PWD/target/debug/haptix" .venv/bin/python -m pytest -q tests/interop

echo "== C tests under valgrind (tests/c against target/debug/libhaptix)"
scripts/c-tests.sh target/debug

echo "== Python binding (bindings/python against target/debug/libhaptix)"
scripts/test-python.sh target/debug

echo "== C# binding and Unity package (bindings/csharp under Mono against target/debug/libhaptix)"
scripts/test-csharp.sh target/debug

echo "== Java/Kotlin binding (bindings/java against target/debug/libhaptix)"
scripts/test-java.sh target/debug

echo "== C++ binding (bindings/cpp against target/debug/libhaptix, ASan + UBSan)"
scripts/test-cpp.sh target/debug

echo "== AddressSanitizer: C tests and Python binding against an ASan build of libhaptix (scripts/asan.sh)"
if cargo +nightly --version >/dev/null 2>&1; then
    scripts/asan.sh
else
    echo "skipping ASan: no nightly toolchain"
fi

echo "== fuzz smoke: every cargo-fuzz target of fuzz/ for a few seconds from its seeds (scripts/fuzz.sh --smoke)"
if cargo +nightly --version >/dev/null 2>&1; then
    scripts/fuzz.sh --smoke
else
    echo "skipping fuzz smoke: no nightly toolchain"
fi
