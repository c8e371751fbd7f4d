//! The reference side: the Buttplug reference implementation from crates.io (`buttplug_server`
//! 12, `buttplug_client` 11, `buttplug_client_in_process` for the in-process connector) on a
//! multi-thread tokio runtime, with a recording Lovense Hush plugged in through the server's
//! public hardware traits (`HardwareCommunicationManagerBuilder`, `HardwareCommunicationManager`,
//! `HardwareConnector`, `HardwareSpecializer`, `HardwareInternal`).
//! The device and the set-up are in [`crate::recording`]; this module runs the scenarios.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use buttplug_client::device::{ClientDeviceCommandValue, ClientDeviceOutputCommand};
use buttplug_client::{ButtplugClient, ButtplugClientDevice, ButtplugClientEvent};
use futures::future;
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::common::WriteRecord;
use crate::recording::{connect, runtime};
use crate::{steps_for, InflightOutcome, SteadyResult};

/// A connected client with the recording Hush added.
struct Rig {
    client: ButtplugClient,
    device: ButtplugClientDevice,
    writes: mpsc::UnboundedReceiver<WriteRecord>,
}

async fn rig() -> Result<Rig, String> {
    let (tx, writes) = mpsc::unbounded_channel();
    let client = connect(Some(tx)).await?;
    let mut events = client.event_stream();
    client
        .start_scanning()
        .await
        .map_err(|e| format!("start scanning: {e:?}"))?;
    let device = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = events.next().await {
            if let ButtplugClientEvent::DeviceAdded(device) = event {
                return Some(device);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .ok_or("the recording Hush was not added within 10 s")?;
    let _ = client.stop_scanning().await;
    Ok(Rig {
        client,
        device,
        writes,
    })
}

fn vibrate(steps: i32) -> ClientDeviceOutputCommand {
    ClientDeviceOutputCommand::Vibrate(ClientDeviceCommandValue::Steps(steps))
}

impl Rig {
    /// One command: call → response, then waits for its write. Returns (call→write, call→response).
    async fn one(&mut self, i: usize) -> Result<(Duration, Duration), String> {
        let steps = steps_for(i);
        let t0 = Instant::now();
        self.device
            .run_output(&vibrate(steps))
            .await
            .map_err(|e| format!("vibrate: {e:?}"))?;
        let responded = Instant::now();
        let expected = format!("Vibrate:{steps};").into_bytes();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.writes.recv()).await {
                Ok(Some(w)) if w.data == expected => {
                    return Ok((w.at.saturating_duration_since(t0), responded - t0));
                }
                Ok(Some(_)) => continue,
                _ => return Err(format!("no write for command {i} within 5 s")),
            }
        }
    }

    fn drain_writes(&mut self) -> usize {
        let mut n = 0;
        while self.writes.try_recv().is_ok() {
            n += 1;
        }
        n
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios.
// ---------------------------------------------------------------------------------------------

/// Latency (call → write, call → response) and sequential throughput, in this process.
pub fn steady(cfg: &crate::Config) -> Result<SteadyResult, String> {
    let rt = runtime();
    let result = rt.block_on(async {
        let mut rig = rig().await?;
        for i in 0..cfg.warmup {
            rig.one(i).await?;
        }
        let mut call_write = Vec::with_capacity(cfg.latency_samples);
        let mut call_resp = Vec::with_capacity(cfg.latency_samples);
        for i in 0..cfg.latency_samples {
            let (w, r) = rig.one(i).await?;
            call_write.push(w);
            call_resp.push(r);
        }
        // Sequential throughput: each command waits for its response before the next is sent.
        rig.drain_writes();
        let start = Instant::now();
        for i in 0..cfg.seq_commands {
            rig.device
                .run_output(&vibrate(steps_for(i)))
                .await
                .map_err(|e| format!("vibrate: {e:?}"))?;
        }
        let elapsed = start.elapsed();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let writes = rig.drain_writes();
        let _ = rig.client.disconnect().await;
        Ok::<_, String>(SteadyResult::new(
            call_write,
            call_resp,
            cfg.seq_commands,
            elapsed,
            writes,
        ))
    });
    rt.shutdown_timeout(Duration::from_secs(2));
    result
}

/// `depth` commands in flight at once, `rounds` times; gives up after `timeout` per round and
/// reports how many had completed (the reference is said to deadlock above 256 in flight).
/// Run in a child process, so that a deadlocked runtime cannot disturb anything else.
pub fn inflight(depth: usize, rounds: usize, timeout: Duration) -> InflightOutcome {
    let rt = runtime();
    let outcome = rt.block_on(async {
        let mut rig = match rig().await {
            Ok(r) => r,
            Err(e) => return InflightOutcome::Failed(e),
        };
        // Warm-up round at a depth known to work.
        if let Err(e) = run_round(&rig, depth.min(64), Duration::from_secs(10)).await {
            return InflightOutcome::Failed(format!("warm-up: {e:?}"));
        }
        // Writes may trail their responses: let the warm-up's settle before counting.
        tokio::time::sleep(Duration::from_millis(50)).await;
        rig.drain_writes();
        let mut elapsed = Duration::ZERO;
        for round in 1..=rounds {
            let start = Instant::now();
            match run_round(&rig, depth, timeout).await {
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
        tokio::time::sleep(Duration::from_millis(50)).await;
        InflightOutcome::Completed {
            commands: depth * rounds,
            elapsed,
            writes: rig.drain_writes(),
        }
    });
    // A deadlocked runtime may never shut down cleanly; do not wait for it.
    rt.shutdown_background();
    outcome
}

#[derive(Debug)]
enum RoundError {
    Stuck(usize),
    Failed(String),
}

/// One round: `depth` output futures polled together (`join_all` on this task), so all of
/// them are issued before the first response is awaited.
async fn run_round(rig: &Rig, depth: usize, timeout: Duration) -> Result<(), RoundError> {
    let done = Arc::new(AtomicUsize::new(0));
    let commands = (0..depth).map(|i| {
        let fut = rig.device.run_output(&vibrate(steps_for(i)));
        let done = done.clone();
        async move {
            let r = fut.await;
            done.fetch_add(1, Ordering::SeqCst);
            r
        }
    });
    match tokio::time::timeout(timeout, future::join_all(commands)).await {
        Ok(results) => match results.into_iter().find_map(Result::err) {
            None => Ok(()),
            Some(e) => Err(RoundError::Failed(format!("vibrate: {e:?}"))),
        },
        Err(_) => Err(RoundError::Stuck(done.load(Ordering::SeqCst))),
    }
}
