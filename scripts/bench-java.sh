#!/usr/bin/env bash
# The Java API's throughput and latency beside the C ABI's, on the same machine and scenario
# (a simulated Lovense Hush, vibrate commands alternating between two speeds): builds the
# library in release with the JNI natives, runs the Java benchmark (io.haptix.bench.Bench:
# call→response p50/p99, sequential commands/s, 1,024 in flight; through futures and through
# the synchronous Client.call), then benches/compare for the C ABI side only (scripts/bench.sh
# --side ours), and prints the ratio of sequential throughputs. Arguments: --quick for short
# runs of both. A benchmark, not a test: it prints figures and exits 0 when it could run.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=()
for a in "$@"; do
    case "$a" in
        --quick) quick=(--quick) ;;
        *) echo "usage: scripts/bench-java.sh [--quick]" >&2; exit 2 ;;
    esac
done

scripts/deps.sh
command -v mvn >/dev/null 2>&1 && command -v javac >/dev/null 2>&1 || {
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
}

echo "== building the native library (cargo build --release --lib --features java)"
cargo build --release --lib --features java --quiet
# Maven 3.8 prints colour resets even in batch mode with -q: dropped (and the lines of nothing else).
plain() { sed -u '/^\(\x1b\[[0-9;]*m\)\+$/d; s/\x1b\[[0-9;]*m//g'; }

echo "== building the binding (bindings/java)"
(cd bindings/java && mvn -B -Dstyle.color=never -q -ntp -Dhaptix.lib.dir="$PWD/../../target/release" -DskipTests install) 2>&1 | plain

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "== Java API"
(cd bindings/java && mvn -B -Dstyle.color=never -q -ntp -pl haptix exec:java -Dhaptix.main=io.haptix.bench.Bench \
    -Dexec.args="${quick[*]}") 2>&1 | plain | tee "$out/java.txt"
echo
echo "== C ABI (benches/compare, haptix side)"
scripts/bench.sh "${quick[@]}" --side ours 2>&1 | tee "$out/c.txt"

# Sequential throughput, side by side: "<n>k cmd/s" or "<n> cmd/s".
per_second() {
    sed -n "s/.*$1.*sequential \([0-9.]*\)\(k\{0,1\}\) cmd\/s.*/\1 \2/p" "$2" | head -1 |
        awk '{ v = $1; if ($2 == "k") v *= 1000; print v }'
}
c_seq="$(per_second 'haptix: call→write' "$out/c.txt")"
java_seq="$(per_second 'java futures: call' "$out/java.txt")"
sync_seq="$(per_second 'java call():' "$out/java.txt")"
echo
echo "== sequential commands/s: C ABI ${c_seq:-?}, Java futures ${java_seq:-?}, Java call() ${sync_seq:-?}"
if [ -n "$c_seq" ] && [ -n "$java_seq" ] && [ -n "$sync_seq" ]; then
    awk -v c="$c_seq" -v j="$java_seq" -v s="$sync_seq" 'BEGIN {
        printf "Java/C ratio: futures %.2f, call() %.2f (target: at least 0.50)\n", j / c, s / c }'
fi
