//! haptix vs. the reference Buttplug implementation, in one run.
//!
//! Both sides drive the same scenario — a Lovense Hush that records its writes, one vibrate
//! command at a time with the speed alternating between two step values (so every command
//! really changes the output and reaches the device) — and the binary prints, per side:
//!
//! * **call → write** p50/p99: from just before the command is issued (our side:
//!   `haptix_client_send` through the C ABI; reference: `ButtplugClientDevice::run_output`) to
//!   the moment the device's write function is called, stamped with `Instant::now()` inside
//!   the write itself (our side: the simulated device's write hook; reference: our recording
//!   `HardwareInternal::write_value`).
//! * **call → response** p50/p99: from the same start to the moment the command's response is
//!   in the caller's hands (our side: `haptix_client_next_event` returned the response event;
//!   reference: the `run_output` future resolved).
//! * **sequential commands/s**: each command waits for its response before the next is issued.
//! * **commands/s with N in flight** (256, 1024, and 4096 in the full run): N commands issued
//!   back to back, then all N responses awaited, repeated (reference: N `run_output` futures
//!   joined on one task). The reference is reported to deadlock above 256 in flight, so each
//!   round has a deadline, and a round that misses it is reported as "deadlocked at depth N"
//!   with the number of responses that did arrive. These runs happen in a child process each,
//!   so a stuck runtime cannot hang the benchmark.
//! * **start-up** with the full built-in device database (median of several runs, each in a
//!   fresh child process), and **resident memory** (VmRSS from /proc/self/status) right after
//!   start-up in that child. The children are the small sibling binaries
//!   `compare-startup-ours` / `compare-startup-reference`, each linking one implementation only,
//!   so neither memory figure carries the other implementation's code.
//!
//! Latencies are sorted and read at nearest rank; everything is measured after a warm-up.
//! Nothing printed is hard-coded: each figure comes from this run.
//!
//! Usage: `scripts/bench.sh [--quick] [--side both|ours|reference]` (builds, then runs
//! `haptix-bench-compare` with these arguments). The targets of the issue are checked at the end;
//! the run is informational and always exits 0 unless it cannot run at all.

mod abi;
mod common;
mod ours;
mod recording;
mod reference;
mod stats;

use std::io::{BufReader, Read};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use common::RESULT_PREFIX;
use stats::{median_u64, rate, us, Percentiles};

/// The two alternating vibrate speeds (steps out of 20).
pub const STEPS_A: i32 = 5;
pub const STEPS_B: i32 = 6;

/// Speed of the `i`-th command: alternating, so each command changes the value and therefore
/// produces a write (both implementations skip writes that would not change anything).
pub fn steps_for(i: usize) -> i32 {
    [STEPS_A, STEPS_B][i % 2]
}

/// Targets from the issue.
const TARGET_P50: Duration = Duration::from_micros(8);
const TARGET_P99: Duration = Duration::from_micros(35);
const TARGET_CPS: f64 = 300_000.0;
const TARGET_STARTUP: Duration = Duration::from_millis(4);
const TARGET_RSS_BYTES: u64 = 8_000_000;

/// Run sizes.
pub struct Config {
    pub warmup: usize,
    pub latency_samples: usize,
    pub seq_commands: usize,
    /// In-flight depths, each with its number of rounds (more rounds at the deepest one, where
    /// the reference's deadlock is most likely to show).
    pub depths: Vec<(usize, usize)>,
    pub round_timeout: Duration,
    pub startup_runs: usize,
}

impl Config {
    fn full() -> Config {
        Config {
            warmup: 5_000,
            latency_samples: 200_000,
            seq_commands: 200_000,
            depths: vec![(256, 200), (1024, 200), (4096, 500)],
            round_timeout: Duration::from_secs(5),
            startup_runs: 15,
        }
    }

    fn quick() -> Config {
        Config {
            warmup: 300,
            latency_samples: 3_000,
            seq_commands: 3_000,
            depths: vec![(256, 4), (1024, 4)],
            round_timeout: Duration::from_secs(2),
            startup_runs: 3,
        }
    }
}

/// Latency and sequential-throughput figures of one side.
pub struct SteadyResult {
    pub call_write: Percentiles,
    pub call_resp: Percentiles,
    pub seq_cps: f64,
    pub seq_commands: usize,
    pub seq_writes: usize,
}

impl SteadyResult {
    pub fn new(
        call_write: Vec<Duration>,
        call_resp: Vec<Duration>,
        seq_commands: usize,
        seq_elapsed: Duration,
        seq_writes: usize,
    ) -> SteadyResult {
        SteadyResult {
            call_write: Percentiles::from_samples(call_write),
            call_resp: Percentiles::from_samples(call_resp),
            seq_cps: seq_commands as f64 / seq_elapsed.as_secs_f64(),
            seq_commands,
            seq_writes,
        }
    }
}

/// What happened with N commands in flight.
#[derive(Debug)]
pub enum InflightOutcome {
    /// Every round completed.
    Completed {
        commands: usize,
        elapsed: Duration,
        writes: usize,
    },
    /// Round `round` (1-based) missed its deadline with `completed` of `depth` responses in.
    Deadlocked {
        depth: usize,
        completed: usize,
        round: usize,
    },
    /// Something else went wrong.
    Failed(String),
}

impl InflightOutcome {
    fn cps(&self) -> Option<f64> {
        match self {
            InflightOutcome::Completed {
                commands, elapsed, ..
            } => Some(*commands as f64 / elapsed.as_secs_f64()),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            InflightOutcome::Completed { .. } => rate(self.cps().unwrap_or(0.0)),
            InflightOutcome::Deadlocked {
                depth,
                completed,
                round,
            } => format!("deadlocked at depth {depth} (round {round}, {completed} done)"),
            InflightOutcome::Failed(e) => format!("failed: {e}"),
        }
    }

    fn to_line(&self) -> String {
        match self {
            InflightOutcome::Completed {
                commands,
                elapsed,
                writes,
            } => format!("completed {commands} {} {writes}", elapsed.as_nanos()),
            InflightOutcome::Deadlocked {
                depth,
                completed,
                round,
            } => format!("deadlocked {depth} {completed} {round}"),
            InflightOutcome::Failed(e) => format!("failed {}", e.replace('\n', " ")),
        }
    }

    fn from_line(line: &str) -> InflightOutcome {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let num = |i: usize| parts.get(i).and_then(|s| s.parse::<u128>().ok());
        match parts.first().copied() {
            Some("completed") => match (num(1), num(2), num(3)) {
                (Some(c), Some(ns), Some(w)) => InflightOutcome::Completed {
                    commands: c as usize,
                    elapsed: Duration::from_nanos(ns as u64),
                    writes: w as usize,
                },
                _ => InflightOutcome::Failed(format!("bad child line: {line}")),
            },
            Some("deadlocked") => match (num(1), num(2), num(3)) {
                (Some(d), Some(c), Some(r)) => InflightOutcome::Deadlocked {
                    depth: d as usize,
                    completed: c as usize,
                    round: r as usize,
                },
                _ => InflightOutcome::Failed(format!("bad child line: {line}")),
            },
            Some("failed") => InflightOutcome::Failed(parts[1..].join(" ")),
            _ => InflightOutcome::Failed(format!("bad child line: {line}")),
        }
    }
}

/// Start-up figures: medians over fresh child processes.
pub struct StartupResult {
    pub runs: usize,
    pub median: Duration,
    pub rss_bytes: u64,
    pub baseline_rss_bytes: u64,
}

/// Everything measured for one side.
struct SideResult {
    steady: Result<SteadyResult, String>,
    inflight: Vec<(usize, InflightOutcome)>,
    startup: Result<StartupResult, String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Ours,
    Reference,
}

impl Side {
    fn arg(self) -> &'static str {
        match self {
            Side::Ours => "ours",
            Side::Reference => "reference",
        }
    }

    fn parse(s: &str) -> Option<Side> {
        match s {
            "ours" | "haptix" => Some(Side::Ours),
            "reference" | "ref" => Some(Side::Reference),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Child processes.
// ---------------------------------------------------------------------------------------------

/// Hidden entry point run in a fresh child process:
/// `__child inflight SIDE DEPTH ROUNDS TIMEOUT_MS`.
fn child_main(args: &[String]) -> ExitCode {
    let side = args.get(1).and_then(|s| Side::parse(s));
    let n = |i: usize| args.get(i).and_then(|s| s.parse::<u64>().ok());
    let outcome = match (args.first().map(String::as_str), side, n(2), n(3), n(4)) {
        (Some("inflight"), Some(side), Some(depth), Some(rounds), Some(ms)) => {
            let timeout = Duration::from_millis(ms);
            match side {
                Side::Ours => ours::inflight(depth as usize, rounds as usize, timeout),
                Side::Reference => reference::inflight(depth as usize, rounds as usize, timeout),
            }
        }
        _ => {
            eprintln!("unknown child command {args:?}");
            return ExitCode::FAILURE;
        }
    };
    println!("{RESULT_PREFIX} {}", outcome.to_line());
    // Leave at once: a deadlocked reference runtime may hold worker threads forever.
    std::process::exit(0)
}

/// Runs `exe` with `args`, returns its result line; kills it after `limit`.
fn run_child(exe: &Path, args: &[String], limit: Duration) -> Result<String, String> {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "child {args:?} still running after {limit:?}; killed"
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("wait: {e}")),
        }
    }
    let mut out = String::new();
    if let Some(stdout) = child.stdout.take() {
        let _ = BufReader::new(stdout).read_to_string(&mut out);
    }
    out.lines()
        .find_map(|l| l.strip_prefix(RESULT_PREFIX))
        .map(|l| l.trim().to_owned())
        .ok_or_else(|| format!("child {args:?} printed no result"))
}

/// Start-up runs use small sibling binaries (`compare-startup-ours`, `compare-startup-reference`)
/// that each contain only one implementation, so resident memory is not inflated by the other.
fn measure_startup(side: Side, runs: usize) -> Result<StartupResult, String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("current exe: {e}"))?
        .with_file_name(format!("compare-startup-{}", side.arg()));
    let mut times = Vec::new();
    let mut rss = Vec::new();
    let mut baseline = Vec::new();
    for _ in 0..runs {
        let line = run_child(&exe, &[], Duration::from_secs(60))?;
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.first() != Some(&"startup") || parts.len() < 4 {
            return Err(format!("start-up child: {line}"));
        }
        let p = |i: usize| parts[i].parse::<u64>().map_err(|e| format!("{line}: {e}"));
        times.push(p(1)?);
        rss.push(p(2)?);
        baseline.push(p(3)?);
    }
    Ok(StartupResult {
        runs,
        median: Duration::from_nanos(median_u64(&times).unwrap_or(0)),
        rss_bytes: median_u64(&rss).unwrap_or(0),
        baseline_rss_bytes: median_u64(&baseline).unwrap_or(0),
    })
}

fn measure_inflight(side: Side, cfg: &Config) -> Vec<(usize, InflightOutcome)> {
    cfg.depths
        .iter()
        .map(|&(depth, rounds)| {
            let args = vec![
                "__child".to_owned(),
                "inflight".to_owned(),
                side.arg().to_owned(),
                depth.to_string(),
                rounds.to_string(),
                cfg.round_timeout.as_millis().to_string(),
            ];
            // A stuck round is detected by the child itself; this only catches a child that
            // hangs elsewhere.
            let limit = cfg.round_timeout * 2 + Duration::from_secs(180);
            let outcome = match std::env::current_exe()
                .map_err(|e| format!("current exe: {e}"))
                .and_then(|exe| run_child(&exe, &args, limit))
            {
                Ok(line) => InflightOutcome::from_line(&line),
                Err(e) => InflightOutcome::Failed(e),
            };
            eprintln!(
                "  {} with {depth} in flight: {}",
                side.arg(),
                outcome.describe()
            );
            (depth, outcome)
        })
        .collect()
}

fn measure(side: Side, cfg: &Config) -> SideResult {
    let name = match side {
        Side::Ours => "haptix",
        Side::Reference => "reference",
    };
    eprintln!("measuring {name}: latency and sequential throughput ...");
    let started = Instant::now();
    let steady = match side {
        Side::Ours => ours::steady(cfg),
        Side::Reference => reference::steady(cfg),
    };
    match &steady {
        Ok(s) => eprintln!(
            "  {name}: call→write p50 {} p99 {}, sequential {} ({:.1} s)",
            us(s.call_write.p50),
            us(s.call_write.p99),
            rate(s.seq_cps),
            started.elapsed().as_secs_f64()
        ),
        Err(e) => eprintln!("  {name}: failed: {e}"),
    }
    eprintln!("measuring {name}: commands in flight ...");
    let inflight = measure_inflight(side, cfg);
    eprintln!(
        "measuring {name}: start-up ({} fresh processes) ...",
        cfg.startup_runs
    );
    let startup = measure_startup(side, cfg.startup_runs);
    SideResult {
        steady,
        inflight,
        startup,
    }
}

// ---------------------------------------------------------------------------------------------
// Report.
// ---------------------------------------------------------------------------------------------

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// "how many times better haptix is" for a lower-is-better figure.
fn gain_lower(reference: f64, ours: f64) -> String {
    if ours > 0.0 && reference > 0.0 {
        format!("{:.2}×", reference / ours)
    } else {
        "-".to_owned()
    }
}

/// "how many times better haptix is" for a higher-is-better figure.
fn gain_higher(reference: f64, ours: f64) -> String {
    gain_lower(ours, reference)
}

fn verdict(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "met",
        Some(false) => "NOT MET",
        None => "-",
    }
}

struct Row {
    label: String,
    reference: String,
    ours: String,
    gain: String,
    target: String,
    met: Option<bool>,
}

fn print_table(rows: &[Row]) {
    let headers = [
        "",
        "reference",
        "haptix",
        "gain (>1× = haptix better)",
        "target",
        "",
    ];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.label.clone(),
                r.reference.clone(),
                r.ours.clone(),
                r.gain.clone(),
                r.target.clone(),
                verdict(r.met).to_owned(),
            ]
        })
        .collect();
    let mut widths = headers.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cols: [&str; 6]| {
        let mut s = String::new();
        for (i, c) in cols.iter().enumerate() {
            let pad = widths[i] - c.chars().count();
            if i == 0 {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str("  ");
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
        }
        println!("{}", s.trim_end());
    };
    line(headers);
    for row in &cells {
        line([&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]]);
    }
}

fn steady_of(s: Option<&SideResult>) -> Option<&SteadyResult> {
    s.and_then(|s| s.steady.as_ref().ok())
}

fn inflight_of(s: Option<&SideResult>, depth: usize) -> Option<&InflightOutcome> {
    s.and_then(|s| s.inflight.iter().find(|(d, _)| *d == depth).map(|(_, o)| o))
}

fn startup_of(s: Option<&SideResult>) -> Option<&StartupResult> {
    s.and_then(|s| s.startup.as_ref().ok())
}

fn report(cfg: &Config, reference: Option<&SideResult>, ours: Option<&SideResult>) {
    let (rs, os) = (steady_of(reference), steady_of(ours));
    let na = || "n/a".to_owned();
    let mut rows = Vec::new();

    type Pick = fn(&SteadyResult) -> Duration;
    let latency_rows: [(&str, Pick, Option<Duration>); 4] = [
        ("call → write p50", |s| s.call_write.p50, Some(TARGET_P50)),
        ("call → write p99", |s| s.call_write.p99, Some(TARGET_P99)),
        ("call → response p50", |s| s.call_resp.p50, None),
        ("call → response p99", |s| s.call_resp.p99, None),
    ];
    for (label, pick, target) in latency_rows {
        let r = rs.map(pick);
        let o = os.map(pick);
        rows.push(Row {
            label: label.to_owned(),
            reference: r.map(us).unwrap_or_else(na),
            ours: o.map(us).unwrap_or_else(na),
            gain: match (r, o) {
                (Some(r), Some(o)) => gain_lower(r.as_secs_f64(), o.as_secs_f64()),
                _ => "-".to_owned(),
            },
            target: target.map(|t| format!("≤ {}", us(t))).unwrap_or_default(),
            met: target.and_then(|t| o.map(|o| o <= t)),
        });
    }

    let r = rs.map(|s| s.seq_cps);
    let o = os.map(|s| s.seq_cps);
    rows.push(Row {
        label: "sequential".to_owned(),
        reference: r.map(rate).unwrap_or_else(na),
        ours: o.map(rate).unwrap_or_else(na),
        gain: match (r, o) {
            (Some(r), Some(o)) => gain_higher(r, o),
            _ => "-".to_owned(),
        },
        target: format!("≥ {}", rate(TARGET_CPS)),
        met: o.map(|o| o >= TARGET_CPS),
    });

    for &(depth, _) in &cfg.depths {
        let (r, o) = (inflight_of(reference, depth), inflight_of(ours, depth));
        let is_max = Some(depth) == cfg.depths.iter().map(|(d, _)| *d).max();
        rows.push(Row {
            label: format!("{depth} in flight"),
            reference: r.map(|x| x.describe()).unwrap_or_else(na),
            ours: o.map(|x| x.describe()).unwrap_or_else(na),
            gain: match (r.and_then(|x| x.cps()), o.and_then(|x| x.cps())) {
                (Some(r), Some(o)) => gain_higher(r, o),
                _ => "-".to_owned(),
            },
            target: if is_max {
                format!("no depth limit, ≥ {}", rate(TARGET_CPS))
            } else {
                "no depth limit".to_owned()
            },
            met: o.map(|o| match o.cps() {
                Some(cps) => !is_max || cps >= TARGET_CPS,
                None => false,
            }),
        });
    }

    let (r, o) = (startup_of(reference), startup_of(ours));
    rows.push(Row {
        label: format!(
            "start-up, full database (median of {})",
            o.or(r).map_or(cfg.startup_runs, |x| x.runs)
        ),
        reference: r.map(|x| ms(x.median)).unwrap_or_else(na),
        ours: o.map(|x| ms(x.median)).unwrap_or_else(na),
        gain: match (r, o) {
            (Some(r), Some(o)) => gain_lower(r.median.as_secs_f64(), o.median.as_secs_f64()),
            _ => "-".to_owned(),
        },
        target: format!("≤ {}", ms(TARGET_STARTUP)),
        met: o.map(|o| o.median <= TARGET_STARTUP),
    });
    rows.push(Row {
        label: "resident memory after start-up".to_owned(),
        reference: r.map(|x| mb(x.rss_bytes)).unwrap_or_else(na),
        ours: o.map(|x| mb(x.rss_bytes)).unwrap_or_else(na),
        gain: match (r, o) {
            (Some(r), Some(o)) => gain_lower(r.rss_bytes as f64, o.rss_bytes as f64),
            _ => "-".to_owned(),
        },
        target: format!("≤ {}", mb(TARGET_RSS_BYTES)),
        met: o.map(|o| o.rss_bytes <= TARGET_RSS_BYTES),
    });

    println!();
    print_table(&rows);
    println!();

    // Details that do not fit the table.
    for (name, side) in [("reference", reference), ("haptix", ours)] {
        let Some(side) = side else { continue };
        match &side.steady {
            Ok(s) => println!(
                "{name}: {} latency samples (max call→write {}, max call→response {}); \
                 sequential: {} commands, {} writes seen",
                s.call_write.samples,
                us(s.call_write.max),
                us(s.call_resp.max),
                s.seq_commands,
                s.seq_writes
            ),
            Err(e) => println!("{name}: latency/sequential run failed: {e}"),
        }
        for (depth, outcome) in &side.inflight {
            if let InflightOutcome::Completed {
                commands, writes, ..
            } = outcome
            {
                let note = if writes < commands {
                    " (the rest were merged, or repeated the value already set)"
                } else {
                    ""
                };
                println!(
                    "{name}: {depth} in flight: {commands} commands, {writes} writes seen{note}"
                );
            }
        }
        match &side.startup {
            Ok(s) => println!(
                "{name}: start-up process resident before start-up {}, after {} (+{})",
                mb(s.baseline_rss_bytes),
                mb(s.rss_bytes),
                mb(s.rss_bytes.saturating_sub(s.baseline_rss_bytes))
            ),
            Err(e) => println!("{name}: start-up measurement failed: {e}"),
        }
    }
    if ours.is_some() {
        let targets_met = rows.iter().filter(|r| r.met == Some(true)).count();
        let targets = rows.iter().filter(|r| r.met.is_some()).count();
        println!();
        println!("haptix targets met: {targets_met} of {targets}");
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("__child") {
        return child_main(&args[1..]);
    }
    let mut cfg = Config::full();
    let mut sides = vec![Side::Reference, Side::Ours];
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--quick" => cfg = Config::quick(),
            "--side" => {
                i += 1;
                sides = match args.get(i).map(String::as_str) {
                    Some("both") => vec![Side::Reference, Side::Ours],
                    Some(s) => match Side::parse(s) {
                        Some(side) => vec![side],
                        None => {
                            eprintln!("--side takes both, ours or reference");
                            return ExitCode::FAILURE;
                        }
                    },
                    None => {
                        eprintln!("--side takes both, ours or reference");
                        return ExitCode::FAILURE;
                    }
                };
            }
            "-h" | "--help" => {
                println!("usage: haptix-bench-compare [--quick] [--side both|ours|reference]");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other}; try --help");
                return ExitCode::FAILURE;
            }
        }
        i += 1;
    }

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "haptix {} (C ABI) vs reference buttplug_server 12.0.2 + buttplug_client 11.0.1 \
         (in-process connector, multi-thread tokio); {cores} cores",
        haptix_version()
    );
    println!(
        "hardware managers: reference none; haptix {}",
        if cfg!(feature = "hardware") {
            "Bluetooth LE and HID built in (--hardware)"
        } else {
            "none (run with --hardware to build them in)"
        }
    );
    println!(
        "device: recording Lovense Hush, vibrate steps alternating {STEPS_A}/{STEPS_B}; \
         {} warm-up + {} latency samples, {} sequential commands; in flight (depth × rounds): {}",
        cfg.warmup,
        cfg.latency_samples,
        cfg.seq_commands,
        cfg.depths
            .iter()
            .map(|(d, r)| format!("{d} × {r}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("load average before the run: {}", load_average());
    let started = Instant::now();
    let mut reference = None;
    let mut ours = None;
    for side in &sides {
        let result = measure(*side, &cfg);
        match side {
            Side::Reference => reference = Some(result),
            Side::Ours => ours = Some(result),
        }
    }
    report(&cfg, reference.as_ref(), ours.as_ref());
    println!(
        "run took {:.0} s; load average after: {} (other work on the machine skews the figures)",
        started.elapsed().as_secs_f64(),
        load_average()
    );
    let _ = std::io::Write::flush(&mut std::io::stdout());
    ExitCode::SUCCESS
}

/// The 1, 5 and 15 minute load averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// The library version through the C ABI.
fn haptix_version() -> String {
    // SAFETY: haptix_version returns a static NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(haptix::ffi::haptix_version()) }
        .to_string_lossy()
        .into_owned()
}
