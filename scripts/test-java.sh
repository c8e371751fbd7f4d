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
# Maven's default read timeout for a download is 30 minutes, retried: one stalled connection
# to Maven Central could hold the run for longer than CI allows. A minute, and five retries.
# A watchdog ends Maven if the whole build and test run goes past HAPTIX_JAVA_TIMEOUT seconds
# (default 1200; it takes about a minute here, with a fresh Maven repository too), after
# printing every thread of its JVMs (Maven's and Surefire's), so a hang says where it is.
mvn -B -Dstyle.color=never -ntp -Dhaptix.lib.dir="$work" -Dmaven.test.failure.ignore=false \
    -Dmaven.wagon.rto=60000 -Dmaven.wagon.http.retryHandler.count=5 \
    -Dmaven.wagon.http.retryHandler.requestSentEnabled=true \
    verify >"$work/mvn.log" 2>&1 &
mvn_pid=$!
descendants() {
    local child
    for child in $(pgrep -P "$1"); do
        echo "$child"
        descendants "$child"
    done
}
# Maven runs in the background, where a Ctrl-C does not reach it: on INT or TERM, end it and
# its forks (children first) before leaving.
end_maven() {
    local pid
    for pid in $(descendants "$mvn_pid" | tac) "$mvn_pid"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    wait "$mvn_pid" 2>/dev/null || true
}
trap 'end_maven; exit 130' INT
trap 'end_maven; exit 143' TERM
deadline=$((SECONDS + ${HAPTIX_JAVA_TIMEOUT:-1200}))
while kill -0 "$mvn_pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 1
done
if kill -0 "$mvn_pid" 2>/dev/null; then
    echo "test-java: Maven still running after ${HAPTIX_JAVA_TIMEOUT:-1200} s; the threads of its JVMs:"
    pids="$mvn_pid $(descendants "$mvn_pid")"
    for pid in $pids; do
        if [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = java ]; then
            echo "---- JVM $pid: $(ps -o args= -p "$pid" | cut -c1-200)"
            jcmd "$pid" Thread.print 2>&1 | head -400 || true
        fi
    done
    echo "-- last lines of the Maven log:"
    tail -60 "$work/mvn.log"
    end_maven
    exit 124
fi
wait "$mvn_pid" || status=$?
trap - INT TERM
grep -E "Tests run:|FAIL|ERROR\]" "$work/mvn.log" | grep -v "^\[ERROR\] *$" | head -60 || true
if [ "$status" != 0 ]; then
    echo "-- last lines of the Maven log:"
    tail -40 "$work/mvn.log"
fi

# A line per module and one summary over both, from Surefire's reports; before them, each
# failed test with the start of its stack trace (a test that ran out of time has the stack of
# the thread that was stuck).
python3 - <<'PY' || status=$?
import glob, sys, xml.etree.ElementTree as ET
total = [0, 0, 0]
for module in ("haptix", "haptix-kotlin"):
    tests = failed = skipped = 0
    for path in sorted(glob.glob(f"{module}/target/surefire-reports/TEST-*.xml")):
        root = ET.parse(path).getroot()
        tests += int(root.get("tests", 0))
        failed += int(root.get("failures", 0)) + int(root.get("errors", 0))
        skipped += int(root.get("skipped", 0))
        for case in root.iter("testcase"):
            for problem in list(case.findall("failure")) + list(case.findall("error")):
                print(f"-- {case.get('classname')}.{case.get('name')} {problem.tag}:")
                print("\n".join((problem.text or problem.get("message", "")).splitlines()[:40]))
    print(f"{module}: {tests - failed - skipped} passed, {failed} failed, {skipped} skipped")
    total = [total[0] + tests, total[1] + failed, total[2] + skipped]
tests, failed, skipped = total
print(f"{tests - failed - skipped} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or tests == 0 else 0)
PY
exit "$status"
