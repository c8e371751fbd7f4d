#!/usr/bin/env bash
# Builds and tests the C# binding (bindings/csharp) and compiles its Unity package, against the
# native library in LIBRARY_DIR (default target/debug; build it first with `cargo build --lib`).
#
#   scripts/test-csharp.sh [LIBRARY_DIR]
#
# Idempotent on a fresh Debian machine: installs Mono (mono-devel: mcs, C# 7.2) and NUnit 2.6
# (nunit-console and its framework assembly) and a C compiler (for the stand-in libraries of the
# load checks, tests/fakelib) with apt-get when missing, and Python's protobuf and
# grpcio-tools into a private venv (HAPTIX_CSHARP_VENV, default ~/.cache/haptix-csharp/venv) for
# the reference bytes. Steps: the generated codec is current (regenerated into a temporary folder
# and diffed); everything compiles with warnings as errors and missing XML docs as errors; the
# Unity scripts compile against the UnityEngine declarations of tests/unity-stubs; Python's
# protobuf writes reference samples, and examples/proto_samples.rs (cargo run, which builds only
# the example against the crate) writes the Rust side's samples of every message type, whose fields
# Python's protobuf lists (protocheck.py describe); the NUnit suite runs; Python's protobuf checks
# the bytes the suite wrote. Ends with `N passed, N failed`.
set -euo pipefail
# A library folder given as an argument is relative to the caller's directory.
if [ $# -ge 1 ]; then
    LIBDIR=$(cd "$1" 2>/dev/null && pwd) || { echo "test-csharp: no folder $1" >&2; exit 1; }
fi
cd "$(dirname "$0")/.."
CS=bindings/csharp
LIBDIR=${LIBDIR:-target/debug}
case "$(uname -s)" in
    Darwin) LIBRARY=libhaptix.dylib ;;
    MINGW* | MSYS* | CYGWIN*) LIBRARY=haptix.dll ;;
    *) LIBRARY=libhaptix.so ;;
esac
if [ ! -f "$LIBDIR/$LIBRARY" ]; then
    echo "test-csharp: no $LIBRARY in $LIBDIR (build it with: cargo build --lib)" >&2
    exit 1
fi
LIBDIR=$(cd "$LIBDIR" && pwd)

# --- tools ------------------------------------------------------------------------------------
nunit_framework() {
    ls /usr/lib/cli/nunit.framework-2.6*/nunit.framework.dll 2>/dev/null | head -n 1
}
missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v mcs >/dev/null 2>&1 || missing+=(mono-devel)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
command -v nunit-console >/dev/null 2>&1 || missing+=(nunit-console)
[ -n "$(nunit_framework)" ] || missing+=(libnunit-framework2.6.3-cil)
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]}"
    SUDO=
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
NUNIT=$(nunit_framework)

VENV=${HAPTIX_CSHARP_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/haptix-csharp/venv}
if ! "$VENV/bin/python" -c "import google.protobuf, grpc_tools" >/dev/null 2>&1; then
    echo "== installing protobuf and grpcio-tools into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check protobuf grpcio-tools
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/bin
mkdir -p "$OUT"

# --- the generated codec is current -------------------------------------------------------------
echo "== codec staleness check (gen_codec.py)"
python3 "$CS/gen_codec.py" proto/haptix/v1 "$WORK/Proto.g.cs"
if ! diff -u "$CS/src/Haptix/Proto.g.cs" "$WORK/Proto.g.cs" >"$WORK/codec.diff"; then
    head -n 60 "$WORK/codec.diff" >&2
    echo "test-csharp: $CS/src/Haptix/Proto.g.cs is stale: run python3 $CS/gen_codec.py and commit it" >&2
    exit 1
fi

# --- build (warnings and missing documentation are errors) -------------------------------------
MCS=(mcs -langversion:7.2 -warnaserror+ -warn:4 -debug)
echo "== building Haptix.dll"
"${MCS[@]}" -target:library -doc:"$OUT/Haptix.xml" -out:"$OUT/Haptix.dll" "$CS"/src/Haptix/*.cs
echo "== building the tests, the demo, the benchmark and the README example"
TESTS=()
for f in "$CS"/tests/*.cs; do
    [ "$(basename "$f")" = LoadCheck.cs ] || TESTS+=("$f")
done
"${MCS[@]}" -target:library -r:"$OUT/Haptix.dll" -r:"$NUNIT" -r:System.Core.dll -out:"$OUT/Haptix.Tests.dll" "${TESTS[@]}"
"${MCS[@]}" -target:exe -r:"$OUT/Haptix.dll" -out:"$OUT/LoadCheck.exe" "$CS/tests/LoadCheck.cs"
"${MCS[@]}" -target:exe -r:"$OUT/Haptix.dll" -out:"$OUT/Demo.exe" "$CS/examples/Demo.cs"
"${MCS[@]}" -target:exe -r:"$OUT/Haptix.dll" -out:"$OUT/Bench.exe" "$CS/bench/Bench.cs"
python3 - "$CS/README.md" "$WORK/ReadmeExample.cs" <<'PY'
import re, sys
block = re.search(r"```csharp\n(.*?)```", open(sys.argv[1], encoding="utf-8").read(), re.S)
open(sys.argv[2], "w", encoding="utf-8").write(block.group(1))
PY
"${MCS[@]}" -target:exe -r:"$OUT/Haptix.dll" -out:"$OUT/ReadmeExample.exe" "$WORK/ReadmeExample.cs"
echo "== compiling the Unity package scripts against tests/unity-stubs"
UNITY_SOURCES=()
while IFS= read -r f; do UNITY_SOURCES+=("$f"); done < <(find "$CS/unity" -name '*.cs' | sort)
"${MCS[@]}" -target:library -define:UNITY_5_3_OR_NEWER -define:UNITY_EDITOR -define:UNITY_2019_4_OR_NEWER \
    -out:"$OUT/HaptixUnity.dll" "$CS"/src/Haptix/*.cs "${UNITY_SOURCES[@]}" "$CS"/tests/unity-stubs/*.cs
"${MCS[@]}" -target:library -r:"$OUT/HaptixUnity.dll" -r:"$NUNIT" -r:System.Core.dll \
    -out:"$OUT/Haptix.Unity.Tests.dll" "$CS"/tests/unity/*.cs

echo "== stand-in libraries for the load checks (tests/fakelib)"
FAKE=$WORK/fake
mkdir -p "$FAKE/abi1" "$FAKE/other"
case "$LIBRARY" in
    *.dylib) SHARED=-dynamiclib ;;
    *) SHARED=-shared ;;
esac
cc $SHARED -fPIC -Wall -Wextra -Werror -DHAPTIX_FAKE_ABI=1 -o "$FAKE/abi1/$LIBRARY" "$CS/tests/fakelib/haptix_fake.c"
cc $SHARED -fPIC -Wall -Wextra -Werror -o "$FAKE/other/$LIBRARY" "$CS/tests/fakelib/haptix_fake.c"

cp "$LIBDIR/$LIBRARY" "$OUT/"
echo "== Unity package tarball (unity/pack.py)"
TARBALL=$(python3 "$CS/unity/pack.py" "$OUT" "$WORK/unity")
tar tzf "$TARBALL" >"$WORK/tarball.txt"
for f in package/package.json package/Runtime/HaptixManager.cs.meta package/Runtime/Haptix.Runtime.asmdef \
    package/Runtime/link.xml package/Runtime/Haptix/Client.cs package/Runtime/Haptix/Proto.g.cs.meta \
    package/Editor/HaptixEditorHooks.cs package/Editor/Haptix.Editor.asmdef.meta \
    "package/Samples~/Demo/HaptixDemo.cs" "package/Plugins/x86_64/$LIBRARY" "package/Plugins/x86_64/$LIBRARY.meta"; do
    grep -qxF "$f" "$WORK/tarball.txt" || { echo "test-csharp: $f is missing from $(basename "$TARBALL")" >&2; exit 1; }
done
echo "$(basename "$TARBALL"): $(wc -l <"$WORK/tarball.txt") entries, $(wc -c <"$TARBALL") bytes"

# --- reference bytes from Python's protobuf -----------------------------------------------------
echo "== Python protobuf samples"
mkdir -p "$WORK/py"
"$VENV/bin/python" -m grpc_tools.protoc -Iproto --python_out="$WORK/py" proto/haptix/v1/*.proto
"$VENV/bin/python" "$CS/tests/protocheck.py" "$WORK/py" produce "$WORK/samples"

# --- bytes from the Rust side -------------------------------------------------------------------
echo "== Rust samples (examples/proto_samples.rs) and their fields as Python's protobuf decodes them"
cargo run --quiet --example proto_samples -- "$WORK/rust"
set +e
"$VENV/bin/python" "$CS/tests/protocheck.py" "$WORK/py" describe "$WORK/rust" | tee "$WORK/describe.txt"
set -e

# --- the suite ---------------------------------------------------------------------------------
echo "== NUnit ($LIBDIR/$LIBRARY)"
set +e
(
    cd "$OUT"
    HAPTIX_PROTO_SAMPLES="$WORK/samples" HAPTIX_RUST_SAMPLES="$WORK/rust" HAPTIX_PROTO_OUT="$WORK/out" HAPTIX_LOADCHECK="$OUT/LoadCheck.exe" HAPTIX_FAKE_LIBRARIES="$FAKE" \
        LD_LIBRARY_PATH="$OUT${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" DYLD_LIBRARY_PATH="$OUT" \
        nunit-console -nologo -noshadow -labels -result="$WORK/TestResult.xml" Haptix.Tests.dll Haptix.Unity.Tests.dll
)
nunit_status=$?
set -e

echo "== Python protobuf checks the bytes the suite wrote (library events, C# requests and options)"
if [ -d "$WORK/out" ]; then
    set +e
    "$VENV/bin/python" "$CS/tests/protocheck.py" "$WORK/py" verify "$WORK/out" | tee "$WORK/verify.txt"
    verify_status=${PIPESTATUS[0]}
    set -e
else
    echo "no bytes were written (the round-trip test did not run)"
    verify_status=1
    echo "protocheck verify: 0 passed, 1 failed" >"$WORK/verify.txt"
fi

python3 - "$WORK/TestResult.xml" "$WORK/verify.txt" "$nunit_status" "$verify_status" "$WORK/describe.txt" <<'EOF'
import re
import sys
import xml.etree.ElementTree as ET

passed = failed = 0
try:
    root = ET.parse(sys.argv[1]).getroot()
    total = int(root.get("total", 0))
    bad = int(root.get("failures", 0)) + int(root.get("errors", 0))
    skipped = int(root.get("not-run", 0))
    passed += total - bad
    failed += bad
except Exception as e:  # no result file: the runner itself failed
    print("test-csharp: no NUnit result (%s)" % e)
    failed += 1
# protocheck's verify (the bytes the suite wrote) and describe (the Rust samples): one check each
for summary in (sys.argv[2], sys.argv[5]):
    m = re.search(r"(\d+) passed, (\d+) failed", open(summary).read())
    if m and int(m.group(2)) == 0 and int(m.group(1)) > 0:
        passed += 1
    else:
        failed += 1
if sys.argv[3] != "0" and failed == 0:
    failed = 1
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF
