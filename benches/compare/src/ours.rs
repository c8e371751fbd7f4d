//! Our side: haptix driven through its C ABI (see [`crate::abi`]). The simulated "LVS-Hush" of
//! the context gets a write hook (a Rust-only benchmark hook, `haptix::ffi::bench_support`)
//! that timestamps each write synchronously, inside the write.

use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use haptix::core::types::Endpoint;
use haptix::ffi::proto;

use crate::abi::Session;
use crate::common::{WriteRecord, HUSH_ADDRESS, HUSH_NAME};
use crate::{steps_for, InflightOutcome, SteadyResult};

/// A session with the simulated Hush added, its index, and its write timestamps.
struct Rig {
    session: Session,
    device_index: u32,
    writes: std_mpsc::Receiver<WriteRecord>,
}

fn output(device_index: u32, steps: i32) -> proto::request::Kind {
    proto::request::Kind::Output(proto::Output {
        device_index,
        feature_index: None,
        output_type: proto::OutputType::Vibrate as i32,
        duration_ms: 0,
        value: Some(proto::output::Value::Steps(steps)),
    })
}

fn rig() -> Result<Rig, String> {
    let options = proto::ContextOptions {
        simulated_devices: vec![proto::SimulatedDevice {
            identifier: HUSH_NAME.to_owned(),
            address: HUSH_ADDRESS.to_owned(),
        }],
        ..Default::default()
    };
    let mut session = Session::open(Some(&options))?;

    // The write hook: called synchronously inside the device write.
    let hardware = haptix::ffi::bench_support::simulated_device(session.context, HUSH_ADDRESS)
        .ok_or("the context has no simulated device at the bench address")?;
    let (tx, writes) = std_mpsc::channel::<WriteRecord>();
    hardware.set_write_hook(Some(Box::new(move |endpoint: &Endpoint, data: &[u8]| {
        let at = Instant::now();
        if *endpoint == Endpoint::Tx && data.starts_with(b"Vibrate:") {
            let _ = tx.send(WriteRecord {
                at,
                data: data.to_vec(),
            });
        }
    })));

    session.send(proto::request::Kind::StartScanning(proto::StartScanning {}))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    let device_index = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ev = session.next_event(left.max(Duration::from_millis(1)))?;
        if let Some(proto::event::Kind::DeviceAdded(added)) = ev.event.kind {
            if let Some(device) = added.device {
                break device.index;
            }
        }
    };
    let mut rig = Rig {
        session,
        device_index,
        writes,
    };
    let id = rig
        .session
        .send(proto::request::Kind::StopScanning(proto::StopScanning {}))?;
    rig.session.response(id, Duration::from_secs(10))?;
    Ok(rig)
}

impl Rig {
    /// One command: call → response event, then waits for its write. Returns (call→write,
    /// call→response).
    fn one(&mut self, i: usize) -> Result<(Duration, Duration), String> {
        let steps = steps_for(i);
        let kind = output(self.device_index, steps);
        let t0 = Instant::now();
        let id = self.session.send(kind)?;
        let response = self.session.response(id, Duration::from_secs(5))?;
        let expected = format!("Vibrate:{steps};").into_bytes();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.writes.recv_timeout(left) {
                Ok(w) if w.data == expected => {
                    return Ok((w.at.saturating_duration_since(t0), response.at - t0));
                }
                Ok(_) => continue,
                Err(_) => return Err(format!("no write for command {i} within 5 s")),
            }
        }
    }

    fn drain_writes(&mut self) -> usize {
        self.writes.try_iter().count()
    }

    /// `depth` requests back to back, then their `depth` responses.
    fn round(&mut self, depth: usize, timeout: Duration) -> Result<(), RoundError> {
        let mut ids = Vec::with_capacity(depth);
        for i in 0..depth {
            ids.push(
                self.session
                    .send(output(self.device_index, steps_for(i)))
                    .map_err(RoundError::Failed)?,
            );
        }
        let deadline = Instant::now() + timeout;
        let mut completed = 0;
        while completed < depth {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(RoundError::Stuck(completed));
            }
            let ev = match self.session.next_event(left) {
                Ok(ev) => ev,
                Err(_) => return Err(RoundError::Stuck(completed)),
            };
            if let Some(proto::event::Kind::Response(r)) = &ev.event.kind {
                if r.status != 0 {
                    return Err(RoundError::Failed(format!(
                        "request {} failed: {} {}",
                        ev.event.request_id, r.status, r.message
                    )));
                }
                completed += 1;
            }
        }
        Ok(())
    }
}

enum RoundError {
    Stuck(usize),
    Failed(String),
}

/// Latency (call → write, call → response event) and sequential throughput, in this process.
pub fn steady(cfg: &crate::Config) -> Result<SteadyResult, String> {
    let mut rig = rig()?;
    for i in 0..cfg.warmup {
        rig.one(i)?;
    }
    let mut call_write = Vec::with_capacity(cfg.latency_samples);
    let mut call_resp = Vec::with_capacity(cfg.latency_samples);
    for i in 0..cfg.latency_samples {
        let (w, r) = rig.one(i)?;
        call_write.push(w);
        call_resp.push(r);
    }
    // Sequential throughput: each command waits for its response event before the next is sent.
    rig.drain_writes();
    let start = Instant::now();
    for i in 0..cfg.seq_commands {
        let id = rig.session.send(output(rig.device_index, steps_for(i)))?;
        rig.session.response(id, Duration::from_secs(5))?;
    }
    let elapsed = start.elapsed();
    std::thread::sleep(Duration::from_millis(50));
    let writes = rig.drain_writes();
    Ok(SteadyResult::new(
        call_write,
        call_resp,
        cfg.seq_commands,
        elapsed,
        writes,
    ))
}

/// `depth` requests in flight (sent back to back, then drained), `rounds` times.
pub fn inflight(depth: usize, rounds: usize, timeout: Duration) -> InflightOutcome {
    let mut rig = match rig() {
        Ok(r) => r,
        Err(e) => return InflightOutcome::Failed(e),
    };
    match rig.round(depth.min(64), Duration::from_secs(10)) {
        Ok(()) => {}
        Err(RoundError::Stuck(n)) => {
            return InflightOutcome::Failed(format!("warm-up stuck after {n} responses"))
        }
        Err(RoundError::Failed(e)) => return InflightOutcome::Failed(format!("warm-up: {e}")),
    }
    // Writes may trail their responses: let the warm-up's settle before counting.
    std::thread::sleep(Duration::from_millis(50));
    rig.drain_writes();
    let mut elapsed = Duration::ZERO;
    for round in 1..=rounds {
        let start = Instant::now();
        match rig.round(depth, timeout) {
            Ok(()) => elapsed += start.elapsed(),
            Err(RoundError::Stuck(completed)) => {
                return InflightOutcome::Deadlocked {
                    depth,
                    completed,
                    round,
                }
            }
            Err(RoundError::Failed(e)) => return InflightOutcome::Failed(e),
        }
    }
    std::thread::sleep(Duration::from_millis(50));
    InflightOutcome::Completed {
        commands: depth * rounds,
        elapsed,
        writes: rig.drain_writes(),
    }
}
