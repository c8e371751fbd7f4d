#!/usr/bin/env bash
# Tests the Python binding (bindings/python) against a built haptix library.
#
#   scripts/test-python.sh [LIBRARY_DIR]     # default: target/debug
#
# Installs what it needs, idempotently: python3 with venv and pip, and binutils (strip, for the
# wheel tests) from apt when missing; a venv in .venv with the package and its dev tools. Then
# lints (ruff, ruff format --check, mypy --strict; warnings are errors) and runs the suite with
# HAPTIX_LIBRARY pointing into LIBRARY_DIR. Ends with pytest's summary line; exits non-zero on
# any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

library_dir="${1:-target/debug}"
case "$(uname -s)" in
    Darwin) library_name=libhaptix.dylib ;;
    MINGW* | MSYS* | CYGWIN*) library_name=haptix.dll ;;
    *) library_name=libhaptix.so ;;
esac
library="$(cd "$library_dir" 2>/dev/null && pwd)/$library_name" || true
if [ ! -f "$library" ]; then
    echo "test-python: no $library_name in $library_dir (build it with: cargo build --lib)" >&2
    exit 2
fi

# System packages, only when missing.
missing=()
command -v python3 >/dev/null || missing+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv python3-pip)
command -v strip >/dev/null || missing+=(binutils)
command -v cc >/dev/null || missing+=(gcc)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "== apt-get install ${missing[*]}"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "== Python venv (.venv) and the package with its dev tools"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
py=.venv/bin/python
# A pure install (the suite names the library with HAPTIX_LIBRARY); the wheel tests build
# bundled wheels themselves. Building in the tree also generates haptix/v1 for mypy.
HAPTIX_BUNDLE_LIBRARY=none "$py" -m pip install --quiet --disable-pip-version-check \
    './bindings/python[dev]'

echo "== lint: ruff, ruff format --check, mypy --strict"
(
    cd bindings/python
    ../../"$py" -m ruff check --quiet .
    ../../"$py" -m ruff format --check --quiet .
    ../../"$py" -m mypy --no-error-summary
)

echo "== pytest (bindings/python/tests against $library)"
HAPTIX_LIBRARY="$library" "$py" -m pytest -q -W error -p no:cacheprovider bindings/python/tests
