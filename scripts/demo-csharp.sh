#!/usr/bin/env bash
# The haptix demo from C# under Mono: builds the native library (release) and the binding, then
# runs bindings/csharp/examples/Demo.cs: an embedded server, a simulated Lovense Hush, a short
# pattern of commands and what the toy received after each. Needs no hardware. Installs Mono
# (mono-devel) with apt-get when missing.
#
#   scripts/demo-csharp.sh [LIBRARY_DIR]   (default: builds and uses target/release)
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
[ -f "$LIBDIR/$LIBRARY" ] || { echo "demo-csharp: no $LIBRARY in $LIBDIR" >&2; exit 1; }

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "== building the C# binding and the demo (mcs)"
mcs -langversion:7.2 -warnaserror+ -target:library -out:"$OUT/Haptix.dll" "$CS"/src/Haptix/*.cs
mcs -langversion:7.2 -warnaserror+ -target:exe -r:"$OUT/Haptix.dll" -out:"$OUT/Demo.exe" "$CS/examples/Demo.cs"
cp "$LIBDIR/$LIBRARY" "$OUT/"
echo
cd "$OUT"
LD_LIBRARY_PATH="$OUT${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" DYLD_LIBRARY_PATH="$OUT" mono Demo.exe
