#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ (a nightly toolchain is required; cargo-fuzz itself is
# installed with the default toolchain when missing).
#
#   scripts/fuzz.sh SECONDS [TARGET...]   run each target for SECONDS
#   scripts/fuzz.sh --runs N [TARGET...]  run each target to N executions
#   scripts/fuzz.sh --smoke [TARGET...]   a few seconds each, from the committed seeds only
#   scripts/fuzz.sh --build [TARGET...]   only build
#   scripts/fuzz.sh --list                the targets
#
# Without TARGET every target runs, one after the other (one fuzzing process at a time, under
# nice 19). Builds go to target/fuzz; the corpus a run grows is kept in target/fuzz/corpus/TARGET
# (git-ignored) and starts from the committed seeds in fuzz/seeds/TARGET; crashes, hangs and
# over-limit allocations are written to target/fuzz/artifacts/TARGET/ and make the script fail.
# Targets are built with AddressSanitizer; when that build fails on this nightly the script
# says so and builds without a sanitizer. FUZZ_SKIP_BUILD=1 runs the targets built last.
#
# FUZZ_SANITIZER=none builds and runs the targets without AddressSanitizer (in target/fuzz-nosan,
# with its own corpus and logs): about seven times as many executions per second. The long runs
# that count executions use it; Rust's own checks (bounds, overflow, panics) still stop a run,
# and the sanitizer build keeps watching the unsafe C ABI in the smoke runs, the C tests and
# scripts/asan.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS_SMOKE=${FUZZ_SECONDS_SMOKE:-4}
LIMITS=(-rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10)

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[ $# -ge 1 ] || usage
mode=time
amount=
case "$1" in
    --runs) mode=runs; amount=${2:-}; shift 2 || usage ;;
    --smoke) mode=smoke; amount=$FUZZ_SECONDS_SMOKE; shift ;;
    --build) mode=build; shift ;;
    --list) mode=list; shift ;;
    -h|--help) usage ;;
    *) amount=$1; shift ;;
esac
if [ "$mode" = time ] || [ "$mode" = runs ]; then
    [[ "$amount" =~ ^[0-9]+$ ]] || usage
fi

all_targets() {
    sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^haptix-fuzz$'
}
if [ "$mode" = list ]; then
    all_targets
    exit 0
fi
if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(all_targets)
fi
for t in "${targets[@]}"; do
    all_targets | grep -qx "$t" || { echo "fuzz.sh: no fuzz target named $t" >&2; exit 2; }
done

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz.sh: no nightly toolchain (cargo +nightly); cargo-fuzz targets need one" >&2
    exit 3
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

host=$(rustc +nightly -vV | sed -n 's/^host: //p')
sanitizer=${FUZZ_SANITIZER:-address}
case "$sanitizer" in
    address) export CARGO_TARGET_DIR="$PWD/target/fuzz" ;;
    none) export CARGO_TARGET_DIR="$PWD/target/fuzz-nosan" ;;
    *) echo "fuzz.sh: FUZZ_SANITIZER must be address or none, not $sanitizer" >&2; exit 2 ;;
esac
build() {
    local start=$SECONDS
    # one target or all of them (cargo fuzz builds all when none is named)
    local which=()
    [ ${#targets[@]} -eq 1 ] && which=("${targets[0]}")
    if ! nice -n 19 cargo +nightly fuzz build --fuzz-dir fuzz --sanitizer "$sanitizer" "${which[@]}"; then
        [ "$sanitizer" = none ] && { echo "fuzz.sh: the fuzz targets do not build" >&2; exit 1; }
        echo "fuzz.sh: the AddressSanitizer build failed; trying without a sanitizer"
        sanitizer=none
        if ! nice -n 19 cargo +nightly fuzz build --fuzz-dir fuzz --sanitizer none "${which[@]}"; then
            echo "fuzz.sh: the fuzz targets do not build" >&2
            exit 1
        fi
        echo "fuzz.sh: AddressSanitizer does not work with this nightly; running without a sanitizer"
    fi
    echo "== fuzz targets built in $((SECONDS - start)) s (sanitizer: $sanitizer)"
}
if [ "${FUZZ_SKIP_BUILD:-0}" = 1 ]; then
    echo "== not building (FUZZ_SKIP_BUILD=1): running the targets built last"
else
    echo "== building fuzz targets: ${targets[*]}"
    build
fi
[ "$mode" = build ] && exit 0

failed=()
for t in "${targets[@]}"; do
    bin="$CARGO_TARGET_DIR/$host/release/$t"
    artifacts="$CARGO_TARGET_DIR/artifacts/$t"
    logs="$CARGO_TARGET_DIR/logs"
    mkdir -p "$artifacts" "$logs"
    if [ "$mode" = smoke ]; then
        # a throw-away corpus, so a smoke run always starts from the seeds alone
        corpus="$CARGO_TARGET_DIR/smoke/$t"
        rm -rf "$corpus"
    else
        corpus="$CARGO_TARGET_DIR/corpus/$t"
    fi
    mkdir -p "$corpus"
    args=("$corpus" "fuzz/seeds/$t" "${LIMITS[@]}" -artifact_prefix="$artifacts/" -print_final_stats=1)
    case "$t" in
        json_parse|server_session_json|client_server_messages) args+=(-dict=fuzz/dict/buttplug.dict) ;;
        device_config|ws_device_announcement) args+=(-dict=fuzz/dict/config.dict) ;;
    esac
    # Targets that keep a server, client or context from input to input allocate across inputs
    # by design, which makes LeakSanitizer scan the whole heap after most inputs (ten times
    # slower); their memory is bounded by -rss_limit_mb and -malloc_limit_mb instead.
    case "$t" in
        json_parse|device_config) ;;
        *) args+=(-detect_leaks=0) ;;
    esac
    case "$mode" in
        runs) args+=(-runs="$amount") ;;
        *) args+=(-max_total_time="$amount") ;;
    esac
    log="$logs/$t.log"
    echo "== $t ($( [ "$mode" = runs ] && echo "$amount executions" || echo "$amount s"); log: ${log#"$PWD"/})"
    start=$SECONDS
    status=0
    nice -n 19 "$bin" "${args[@]}" >"$log" 2>&1 || status=$?
    elapsed=$((SECONDS - start))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    [ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
    [ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#')
    rate=$(( ${runs:-0} / (elapsed > 0 ? elapsed : 1) ))
    if [ "$status" -eq 0 ]; then
        echo "$t: ${runs:-0} executions in ${elapsed} s (~${rate}/s), no crash"
    else
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        kind=$(grep -m1 -oE 'ERROR: (libFuzzer|AddressSanitizer): [a-z-]+|panicked at [^:]*' "$log" || true)
        echo "$t: FOUND after ${runs:-?} executions: ${kind:-exit status $status}; input: ${artifact:-see the log}"
        grep -m3 -E 'panicked at|ERROR:|SUMMARY:' "$log" | sed 's/^/    /' || true
        failed+=("$t")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: findings in: ${failed[*]}" >&2
    exit 1
fi
