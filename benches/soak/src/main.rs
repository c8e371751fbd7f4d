//! Soak benchmark: mixed traffic through haptix's C ABI for a given time, sampling the
//! process's resident memory, open file descriptors, threads and heap each second, and
//! printing their trend at the end.
//!
//! Usage: `haptix-soak [MINUTES]` (default 60; fractions allowed, e.g. 0.5). Exits 1 when a
//! command went unanswered or failed, or a pressure reading was lost; 2 when the traffic could
//! not be set up. Run it through `scripts/soak.sh`.

mod abi;
mod sample;
mod traffic;
mod trend;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use abi::Tally;

#[global_allocator]
static ALLOCATOR: sample::Counting = sample::Counting;

fn main() -> ExitCode {
    let minutes = match std::env::args().nth(1) {
        None => 60.0,
        Some(a) => match a.parse::<f64>() {
            Ok(m) if m > 0.0 && m.is_finite() => m,
            _ => {
                eprintln!("usage: haptix-soak [MINUTES]   (a positive number, default 60)");
                return ExitCode::from(2);
            }
        },
    };
    let duration = Duration::from_secs_f64(minutes * 60.0);
    let tally = Arc::new(Tally::default());
    let start = Instant::now();
    let before = sample::sample(start);
    let sampler = sample::Sampler::start(
        start,
        Arc::clone(&tally),
        // a second a sample, and a minute to spare
        duration.as_secs() as usize + 60,
    );

    let mut traffic = match traffic::Traffic::start(&tally) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("soak: cannot set up the traffic: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "soak: {minutes} min of traffic; toys: {}",
        traffic.toys().join(", ")
    );
    while start.elapsed() < duration {
        traffic.round();
    }
    let warnings = traffic.warnings;
    traffic.finish();
    let samples = sampler.finish();
    let after = sample::sample(start);
    report(&tally, &samples, [&before, &after], warnings)
}

/// The targets of the open file descriptors above stderr.
fn open_files() -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    let mut files: Vec<(u32, String)> = dir
        .flatten()
        .filter_map(|e| {
            let fd: u32 = e.file_name().to_str()?.parse().ok()?;
            let target = std::fs::read_link(e.path()).ok()?;
            (fd > 2).then(|| (fd, describe_socket(&target.display().to_string())))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|(fd, t)| format!("{fd}:{t}"))
        .collect()
}

/// `socket:[INODE]` with the socket's kind (and for TCP its addresses and state) from
/// `/proc/self/net`; other targets unchanged.
fn describe_socket(target: &str) -> String {
    let Some(inode) = target
        .strip_prefix("socket:[")
        .and_then(|r| r.strip_suffix(']'))
    else {
        return target.to_string();
    };
    for table in ["tcp", "tcp6", "udp", "unix"] {
        let text = std::fs::read_to_string(format!("/proc/self/net/{table}")).unwrap_or_default();
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // tcp/udp: inode is column 9; unix: column 6
            let at = if table == "unix" { 6 } else { 9 };
            if cols.get(at) == Some(&inode) {
                return if table == "unix" {
                    format!("{target} unix")
                } else {
                    format!(
                        "{target} {table} {} -> {} state {}",
                        cols.get(1).unwrap_or(&"?"),
                        cols.get(2).unwrap_or(&"?"),
                        cols.get(3).unwrap_or(&"?")
                    )
                };
            }
        }
    }
    target.to_string()
}

fn report(
    tally: &Tally,
    samples: &[sample::Sample],
    [before, after]: [&sample::Sample; 2],
    warnings: u64,
) -> ExitCode {
    let end = samples.last().map_or(0.0, |s| s.t);
    let window = trend::window_seconds(end);
    println!();
    println!(
        "soak: {:.1} min, {} samples; medians of the first and last {:.1} min, slope over the \
         second half ({:.1} min on) by least squares",
        end / 60.0,
        samples.len(),
        window / 60.0,
        end / 120.0
    );
    let mut upward = Vec::new();
    for t in trend::trends(samples) {
        let verdict = if t.upward() {
            upward.push(t.name);
            "UPWARD"
        } else {
            "flat"
        };
        println!(
            "soak: {:<16} first {:>10.2}  last {:>10.2}  slope {:>+9.2}/h  range {:.2} .. {:.2} \
             {}  -> {verdict} (tolerance {} {})",
            t.name, t.early, t.late, t.slope_per_hour, t.min, t.max, t.unit, t.tolerance, t.unit
        );
    }
    for (when, x) in [("before start", before), ("after shutdown", after)] {
        println!(
            "soak: {when}: rss {:.1} MiB (anon {:.1}), fds {}, threads {}, heap {:.2} MiB in {} blocks",
            x.rss_kib / 1024.0,
            x.anon_kib / 1024.0,
            x.fds,
            x.threads,
            x.heap_bytes / (1024.0 * 1024.0),
            x.heap_blocks
        );
    }
    println!("soak: open after shutdown: {}", open_files().join(", "));
    let sent = Tally::get(&tally.sent);
    let answered = Tally::get(&tally.answered);
    let failed = Tally::get(&tally.failed);
    let unanswered = Tally::get(&tally.unanswered);
    let expected = Tally::get(&tally.readings_expected);
    let received = Tally::get(&tally.readings_received);
    println!(
        "soak: rounds {}, sessions {}, commands sent {sent}, answered {answered}, failed \
         {failed}, unanswered {unanswered}; pressure readings {received} of {expected}; toy \
         writes {}; library warnings {warnings}",
        Tally::get(&tally.rounds),
        Tally::get(&tally.sessions),
        Tally::get(&tally.toy_writes),
    );
    let problems = tally.problems();
    for p in &problems {
        println!("soak: problem: {p}");
    }
    if upward.is_empty() {
        println!("soak: trend: no upward trend");
    } else {
        println!("soak: trend: upward: {}", upward.join(", "));
    }
    if unanswered > 0 || failed > 0 || received < expected || answered + unanswered != sent {
        println!("soak: FAILED: commands unanswered or failed, or readings lost");
        return ExitCode::from(1);
    }
    println!("soak: every command answered");
    ExitCode::SUCCESS
}
