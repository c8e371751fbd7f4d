#!/usr/bin/env bash
# The main job: the haptix demo through the C ABI from Python. Builds the native library
# (release), installs the Python binding into .venv, and runs bindings/python/examples/demo.py:
# an embedded server, a simulated Lovense Hush, a short pattern of commands, and what the toy
# received after each. Needs no hardware. Idempotent; works on a fresh machine with Rust and
# Python 3 (scripts/deps.sh installs the system packages the build needs when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

case "$(uname -s)" in
    Darwin) LIBRARY=libhaptix.dylib ;;
    MINGW* | MSYS* | CYGWIN*) LIBRARY=haptix.dll ;;
    *) LIBRARY=libhaptix.so ;;
esac

scripts/deps.sh

echo "== building the native library (cargo build --release --lib)"
cargo build --release --lib --quiet

if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv"
    python3 -m venv .venv
fi
echo "== installing the Python binding (bindings/python) into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check ./bindings/python

echo
HAPTIX_LIBRARY="$PWD/target/release/$LIBRARY" exec .venv/bin/python bindings/python/examples/demo.py
