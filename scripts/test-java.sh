#!/usr/bin/env bash
# Builds and tests the Java/Kotlin binding (bindings/java) against a built native library:
# javac and kotlinc with warnings as errors, then the JUnit 5 suites of both modules through
# Maven Surefire. Usage: scripts/test-java.sh [LIBRARY_DIR] (default target/debug), where
# LIBRARY_DIR holds libhaptix.so built with the cargo feature `java` (part of the default
# features). The build copies that library into the jar (natives/linux-x86_64/), and the tests
# load it from there. Installs a JDK 17+ and Maven from apt when missing (apt-get update once);
# Maven downloads its plugins and dependencies from Maven Central on the first run. Ends with
# a line per module and the summary line "N passed, N failed, N skipped" summed over both.
set -euo pipefail
cd "$(dirname "$0")/.."

libdir="$(cd "${1:-target/debug}" && pwd)"
library="$libdir/libhaptix.so"

missing=()
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "== installing ${missing[*]}"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -f "$library" ]; then
    echo "test-java: no $library; build it first (cargo build --lib)" >&2
    exit 1
fi
if ! grep -q JNI_OnLoad "$library"; then
    echo "test-java: $library has no JNI natives; build it with the cargo feature java" >&2
    exit 1
fi

# A private copy, so that a rebuild of the library while Maven runs cannot tear the copy.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$library" "$work/libhaptix.so"

cd bindings/java
rm -rf haptix/target/surefire-reports haptix-kotlin/target/surefire-reports
status=0
echo "== mvn verify (bindings/java: javac/kotlinc -Werror, JUnit 5 through Surefire)"
mvn -B -Dstyle.color=never -ntp -Dhaptix.lib.dir="$work" -Dmaven.test.failure.ignore=false verify >"$work/mvn.log" 2>&1 || status=$?
grep -E "Tests run:|FAIL|ERROR\]" "$work/mvn.log" | grep -v "^\[ERROR\] *$" | head -60 || true
if [ "$status" != 0 ]; then
    echo "-- last lines of the Maven log:"
    tail -40 "$work/mvn.log"
fi

# A line per module and one summary over both, from Surefire's reports.
python3 - <<'PY' || status=$?
import glob, sys, xml.etree.ElementTree as ET
total = [0, 0, 0]
for module in ("haptix", "haptix-kotlin"):
    tests = failed = skipped = 0
    for path in glob.glob(f"{module}/target/surefire-reports/TEST-*.xml"):
        root = ET.parse(path).getroot()
        tests += int(root.get("tests", 0))
        failed += int(root.get("failures", 0)) + int(root.get("errors", 0))
        skipped += int(root.get("skipped", 0))
    print(f"{module}: {tests - failed - skipped} passed, {failed} failed, {skipped} skipped")
    total = [total[0] + tests, total[1] + failed, total[2] + skipped]
tests, failed, skipped = total
print(f"{tests - failed - skipped} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or tests == 0 else 0)
PY
exit "$status"
