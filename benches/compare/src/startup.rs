//! The frame of the two start-up binaries (`src/bin/compare-startup-*.rs`).

use std::time::Duration;

/// Prefix of the one line a child process prints its result on (the same as
/// `common::RESULT_PREFIX`; kept here so the start-up binaries need nothing else).
const RESULT_PREFIX: &str = "BENCH-RESULT";

/// VmRSS of this process in bytes (0 when /proc is unavailable).
pub fn vm_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Reads the resident memory, runs `start` (which returns its duration and what must stay
/// alive), reads the resident memory again and prints one result line:
/// `BENCH-RESULT startup NANOS RSS_BYTES BASELINE_RSS_BYTES`.
pub fn run<T>(start: impl FnOnce() -> Result<(Duration, T), String>) {
    let baseline = vm_rss_bytes();
    match start() {
        Ok((elapsed, keep)) => {
            let rss = vm_rss_bytes();
            println!(
                "{RESULT_PREFIX} startup {} {rss} {baseline}",
                elapsed.as_nanos()
            );
            drop(keep);
        }
        Err(e) => println!("{RESULT_PREFIX} failed {e}"),
    }
}
