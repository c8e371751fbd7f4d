#!/usr/bin/env bash
# The C# binding's benchmark (not a test), one command: builds the native library (release) and
# bindings/csharp/bench/Bench.cs, then prints, in one run, sequential commands per second and
# p50/p99 call->response latency for the raw P/Invoke layer and the idiomatic API, the same with
# 1,024 requests in flight, and the allocations per command of the poll path. The rows of a
# comparison take turns (blocks of 50 commands, rounds of 1,024), so that the load of a shared
# machine hits them alike. Embedded server and a simulated toy: no hardware, no network. Installs
# Mono (mono-devel) when missing.
#
#   scripts/bench-csharp.sh [LIBRARY_DIR [COMMANDS]]   (default: target/release, 20000)
set -euo pipefail
# A library folder given as an argument is relative to the caller's directory.
ARG_LIBDIR=
if [ $# -ge 1 ]; then
    ARG_LIBDIR=$(cd "$1" 2>/dev/null && pwd) || { echo "$(basename "$0"): no folder $1" >&2; exit 1; }
fi
cd "$(dirname "$0")/.."
CS=bindings/csharp

case "$(uname -s)" in
    Darwin) LIBRARY=libhaptix.dylib ;;
    MINGW* | MSYS* | CYGWIN*) LIBRARY=haptix.dll ;;
    *) LIBRARY=libhaptix.so ;;
esac

if ! command -v mcs >/dev/null 2>&1; then
    SUDO=
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends mono-devel
fi

if [ -n "$ARG_LIBDIR" ]; then
    LIBDIR=$ARG_LIBDIR
else
    [ -x scripts/deps.sh ] && scripts/deps.sh
    echo "== building the native library (cargo build --release --lib)"
    cargo build --release --lib --quiet
    LIBDIR=target/release
fi
[ -f "$LIBDIR/$LIBRARY" ] || { echo "bench-csharp: no $LIBRARY in $LIBDIR" >&2; exit 1; }

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "== building the C# binding and the benchmark (mcs -optimize+)"
mcs -langversion:7.2 -optimize+ -warnaserror+ -target:library -out:"$OUT/Haptix.dll" "$CS"/src/Haptix/*.cs
mcs -langversion:7.2 -optimize+ -warnaserror+ -target:exe -r:"$OUT/Haptix.dll" -out:"$OUT/Bench.exe" "$CS/bench/Bench.cs"
cp "$LIBDIR/$LIBRARY" "$OUT/"
cd "$OUT"
LD_LIBRARY_PATH="$OUT${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" DYLD_LIBRARY_PATH="$OUT" mono --optimize=all Bench.exe "${2:-20000}"
