//! Differential run of haptix against the reference Buttplug implementation (buttplug_server
//! 12 from crates.io): for every device definition of the official device-configuration files
//! (v4 and v5), the same toy identity is presented to both servers, the same seeded command
//! sequence is sent to both in Buttplug v4 JSON, and the operations each recording toy received
//! (endpoint, bytes, write-with-response flag, reads, subscriptions) and the replies and events
//! each client received are compared in order.
//!
//! Prints one line per difference (its first diverging operation) and then
//! `differential: N definitions, M identical, K differ, S skipped`. Differences listed in
//! `docs/protocol-differences.md` (lines starting `- \`protocol\``) are counted as listed; the
//! exit status is 1 when an unlisted difference remains.
//!
//! Usage: `haptix-differential [--config-dir DIR] [--only PROTOCOL[,..]] [--file v4|v5]
//! [--seed N] [--jobs N] [--verbose]`. Without `--config-dir` it reads `../shared/device-config`
//! next to the checkout and skips (saying so) when that is absent.

mod cases;
mod ours;
mod reference;
mod run;
mod script;
mod toy;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::StreamExt;

use cases::{Case, FileVersion};
use toy::{Op, Toy};

struct Args {
    config_dir: Option<PathBuf>,
    only: Option<Vec<String>>,
    files: Vec<FileVersion>,
    seed: u64,
    jobs: usize,
    verbose: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: haptix-differential [--config-dir DIR] [--only PROTOCOL[,PROTOCOL..]] \
         [--file v4|v5] [--seed N] [--jobs N] [--verbose]"
    );
    std::process::exit(2)
}

fn args() -> Args {
    let mut a = Args {
        config_dir: None,
        only: None,
        files: vec![FileVersion::V4, FileVersion::V5],
        seed: 1,
        jobs: 8,
        verbose: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--config-dir" => a.config_dir = Some(PathBuf::from(value())),
            "--only" => a.only = Some(value().split(',').map(str::to_string).collect()),
            "--file" => {
                a.files = match value().as_str() {
                    "v4" => vec![FileVersion::V4],
                    "v5" => vec![FileVersion::V5],
                    _ => usage(),
                }
            }
            "--seed" => a.seed = value().parse().unwrap_or_else(|_| usage()),
            "--jobs" => a.jobs = value().parse::<usize>().unwrap_or_else(|_| usage()).max(1),
            "--verbose" => a.verbose = true,
            _ => usage(),
        }
    }
    a
}

/// What one case gave.
enum Outcome {
    Identical,
    Differ(String),
    Skipped(String),
}

fn first_difference(reference: &[Op], ours: &[Op]) -> Option<String> {
    let n = reference.len().max(ours.len());
    for i in 0..n {
        let (r, o) = (reference.get(i), ours.get(i));
        if r != o {
            let show = |x: Option<&Op>| x.map_or("nothing".to_string(), |o| o.to_string());
            let before = if i > 0 {
                format!(" (after: {})", reference[i - 1])
            } else {
                String::new()
            };
            return Some(format!(
                "operation {i}: reference {}, haptix {}{before}",
                show(r),
                show(o)
            ));
        }
    }
    None
}

async fn run_case(
    case: Case,
    path: PathBuf,
    json: Arc<String>,
    seed: u64,
    verbose: bool,
) -> (Case, Outcome) {
    let bus = match &case.bus {
        Ok(b) => b.clone(),
        Err(why) => {
            let why = why.clone();
            return (case, Outcome::Skipped(why));
        }
    };
    let steps = script::sequence(&case, seed);
    let (rtoy, otoy) = (Toy::new(&case), Toy::new(&case));
    let skip_check = case.file == FileVersion::V4;
    let (r, o) = tokio::join!(
        reference::run(&json, skip_check, &case, &bus, &rtoy, &steps),
        ours::run(&path, &case, &bus, &otoy, &steps)
    );
    // keep-alive timers repeat the last packet at their own pace: a run of identical writes
    // counts as one
    let (mut rops, mut oops) = (collapse(rtoy.ops()), collapse(otoy.ops()));
    if case.protocol == "umove" {
        // every Umove frame carries a counter of the frames sent (bytes 8–11) and the position
        // the mover has reached (bytes 12–15), both of which depend on when the 50 ms move
        // timer ticks: they are zeroed, and the frames compare by their vibration level
        for ops in [&mut rops, &mut oops] {
            for op in ops.iter_mut() {
                if let Op::Write { data, .. } = op {
                    if data.len() == 16 && data.starts_with(&[0x5a, 0xa5, 0x55, 0x00]) {
                        data[8..16].fill(0);
                    }
                }
            }
        }
    }
    if let Some((_, _, timer_prefix)) = TIMER_DRIVEN_MODELS
        .iter()
        .find(|(p, id, _)| *p == case.protocol && case.identifier.as_deref() == Some(*id))
    {
        // the timer's own writes are left out; everything else is compared in order
        for ops in [&mut rops, &mut oops] {
            ops.retain(|o| !matches!(o, Op::Write { data, .. } if data.starts_with(timer_prefix)));
        }
    }
    if TIMER_DRIVEN.contains(&case.protocol.as_str()) {
        // what a tick sends depends on when it fires: compare the distinct operations only
        for ops in [&mut rops, &mut oops] {
            let set: BTreeSet<String> = ops.iter().map(|o| o.to_string()).collect();
            *ops = set.into_iter().map(Op::Client).collect();
        }
    }
    let (rmsg, omsg) = (rtoy.client_messages(), otoy.client_messages());
    if verbose {
        println!("== {}", case.label());
        for (what, r, o) in [("toy", &rops, &oops), ("client", &rmsg, &omsg)] {
            for i in 0..r.len().max(o.len()) {
                match (r.get(i), o.get(i)) {
                    (Some(a), Some(b)) if a == b => println!("    {what} {a}"),
                    (a, b) => {
                        let show = |x: Option<&Op>| x.map_or("-".to_string(), |o| o.to_string());
                        println!("  * {what} reference {} | haptix {}", show(a), show(b));
                    }
                }
            }
        }
    }
    let outcome = match (r, o) {
        (Err(re), Err(oe)) if rops.is_empty() && oops.is_empty() => Outcome::Skipped(format!(
            "neither side reached the toy (reference: {re}; haptix: {oe})"
        )),
        // the reference waits for an answer to its identification or set-up that the toy does
        // not script: nothing to compare (what haptix did without the answer is shown)
        (Err(re), o) if re == run::NOT_ADDED => Outcome::Skipped(format!(
            "the reference never added the toy: its handshake waits for answers the recording \
             toy does not script (haptix: {}; first operation {})",
            match &o {
                Ok(()) => "added it".to_string(),
                Err(e) => e.clone(),
            },
            oops.first().map_or("none".to_string(), |op| op.to_string())
        )),
        (r, o) => match first_difference(&rops, &oops)
            .map(|d| format!("toy {d}"))
            .or_else(|| first_difference(&rmsg, &omsg).map(|d| format!("client {d}")))
        {
            Some(d) => {
                let mut d = d;
                if let Err(e) = &r {
                    d.push_str(&format!("; the reference stopped: {e}"));
                }
                if let Err(e) = &o {
                    d.push_str(&format!("; haptix stopped: {e}"));
                }
                Outcome::Differ(d)
            }
            None => match (r, o) {
                (Ok(()), Ok(())) => Outcome::Identical,
                (Err(e), Ok(())) => Outcome::Differ(format!("the reference stopped: {e}")),
                (Ok(()), Err(e)) => Outcome::Differ(format!("haptix stopped: {e}")),
                (Err(re), Err(oe)) => Outcome::Differ(format!(
                    "both stopped at the same point (reference: {re}; haptix: {oe})"
                )),
            },
        },
    };
    (case, outcome)
}

/// Protocols that write from a timer of their own in the reference (a resend loop or a
/// periodic keep-alive of the current state): the order and number of their writes depend on
/// when the timer fires, so their runs are compared as sets of distinct operations.
const TIMER_DRIVEN: &[&str] = &[
    "fmachine",
    "fredorch-rotary",
    "hgod",
    "honeyplaybox",
    "joyhub",
    "kgoal-boost",
    "kiiroo-v21-initialized",
    "leten",
    "mizzzee-v3",
    "mysteryvibe",
    "mysteryvibe-v2",
    "ossm",
    "satisfyer",
    "sexverse-v3",
    "umove",
    "xuanhuan",
];

/// Models whose position moves come from a timer while the rest of their protocol does not:
/// the Lovense strokers (Solace Pro `BA`, Solace `H`) step toward the latest position goal every
/// 100 ms in both implementations, so which goals and intermediate positions a tick sees depends
/// on when it fires relative to the commands. Writes starting with the prefix (the timer's
/// `FSetSite:` stream) are left out of the comparison; the rest is compared in order.
const TIMER_DRIVEN_MODELS: &[(&str, &str, &[u8])] = &[
    ("lovense", "BA", b"FSetSite:"),
    ("lovense", "H", b"FSetSite:"),
];

/// Drops a write identical to the write just before it.
fn collapse(ops: Vec<Op>) -> Vec<Op> {
    let mut out: Vec<Op> = Vec::with_capacity(ops.len());
    for op in ops {
        if matches!(op, Op::Write { .. }) && out.last() == Some(&op) {
            continue;
        }
        out.push(op);
    }
    out
}

/// Differences listed in docs/protocol-differences.md: lines `- \`protocol\`` (every definition
/// of the protocol) or `- \`protocol\` \`identifier\`` (one definition).
fn listed_differences(root: &Path) -> BTreeSet<(String, Option<String>)> {
    let text =
        std::fs::read_to_string(root.join("docs/protocol-differences.md")).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| {
            let mut parts = l.split('`');
            let protocol = parts.next()?.to_string();
            let identifier = match (parts.next(), parts.next()) {
                (Some(" "), Some(id)) => Some(id.to_string()),
                _ => None,
            };
            Some((protocol, identifier))
        })
        .collect()
}

fn is_listed(listed: &BTreeSet<(String, Option<String>)>, case: &Case) -> bool {
    listed.contains(&(case.protocol.clone(), None))
        || case
            .identifier
            .as_ref()
            .is_some_and(|id| listed.contains(&(case.protocol.clone(), Some(id.clone()))))
}

fn main() {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let a = args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = a
        .config_dir
        .clone()
        .unwrap_or_else(|| root.join("../shared/device-config"));
    if !dir.is_dir() {
        println!(
            "differential: skipped: no official device configuration at {} (give --config-dir)",
            dir.display()
        );
        return;
    }
    let mut all = Vec::new();
    let mut sources = Vec::new();
    for f in &a.files {
        let path = dir.join(f.file_name());
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                std::process::exit(2);
            }
        };
        let json: serde_json::Value = match serde_json::from_str(&text) {
            Ok(j) => j,
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                std::process::exit(2);
            }
        };
        let text = Arc::new(text);
        for c in cases::load(*f, &json) {
            if a.only.as_ref().is_none_or(|o| o.contains(&c.protocol)) {
                all.push((c, path.clone(), text.clone()));
            }
        }
        sources.push(path);
    }
    let listed = listed_differences(&root);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let total = all.len();
    // a panic inside either implementation ends its task: report it as that case's outcome
    std::panic::set_hook(Box::new(|info| {
        eprintln!("panic: {info}");
    }));
    let results: Vec<(Case, Outcome)> = rt.block_on(async {
        futures::stream::iter(all.into_iter().map(|(c, p, j)| {
            let copy = c.clone();
            let task = tokio::spawn(run_case(c, p, j, a.seed, a.verbose));
            async move {
                match task.await {
                    Ok(r) => r,
                    Err(e) => (copy, Outcome::Differ(format!("a side panicked: {e}"))),
                }
            }
        }))
        .buffered(a.jobs)
        .collect()
        .await
    });
    rt.shutdown_timeout(std::time::Duration::from_secs(2));
    let (mut identical, mut differ, mut skipped, mut unlisted) = (0, 0, 0, 0);
    let mut differing_protocols = BTreeSet::new();
    for (case, outcome) in &results {
        match outcome {
            Outcome::Identical => identical += 1,
            Outcome::Differ(d) => {
                differ += 1;
                let mark = if is_listed(&listed, case) {
                    "listed"
                } else {
                    unlisted += 1;
                    "DIFFER"
                };
                differing_protocols.insert(case.protocol.clone());
                println!("{mark} {}: {d}", case.label());
            }
            Outcome::Skipped(why) => {
                skipped += 1;
                println!("skipped {}: {why}", case.label());
            }
        }
    }
    println!(
        "protocols differing: {}",
        differing_protocols
            .into_iter()
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "seed {}; files: {}",
        a.seed,
        sources
            .iter()
            .map(|p| p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "differential: {total} definitions, {identical} identical, {differ} differ, {skipped} skipped"
    );
    println!(
        "listed in docs/protocol-differences.md: {}; not listed: {unlisted}",
        differ - unlisted
    );
    if unlisted > 0 {
        std::process::exit(1);
    }
}
