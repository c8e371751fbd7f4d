#!/usr/bin/env bash
# The haptix demo from Java and Kotlin: builds the native library (release, with the JNI
# natives of the cargo feature java), builds the binding (bindings/java) with that library in
# its jar, and runs the Java demo (an embedded server, a simulated Lovense Hush, a short pattern
# of commands and what the toy received after each), then the Kotlin example. Needs no
# hardware. Installs a JDK and Maven from apt when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
missing=()
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "== installing ${missing[*]}"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "== building the native library (cargo build --release --lib --features java)"
cargo build --release --lib --features java --quiet

# Maven 3.8 prints colour resets even in batch mode with -q: dropped (and the lines of nothing else).
plain() { sed -u '/^\(\x1b\[[0-9;]*m\)\+$/d; s/\x1b\[[0-9;]*m//g'; }

echo "== building the Java/Kotlin binding (bindings/java)"
cd bindings/java
mvn -B -Dstyle.color=never -q -ntp -Dhaptix.lib.dir="$PWD/../../target/release" -DskipTests install 2>&1 | plain

echo
mvn -B -Dstyle.color=never -q -ntp -pl haptix exec:java 2>&1 | plain
echo
echo "== the Kotlin example"
mvn -B -Dstyle.color=never -q -ntp -pl haptix-kotlin exec:java 2>&1 | plain
