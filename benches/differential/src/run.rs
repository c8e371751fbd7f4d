//! The runner shared by both sides: handshake, wait for the toy, then every step of the
//! sequence, waiting for each message's reply and for the toy to go quiet before the next step.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use crate::script::{handshake, Step};
use crate::toy::Toy;

/// How long a step waits for a reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the handshake may take (loading the device configuration is slow in debug builds
/// on a busy machine).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the toy must stay quiet before the next step.
const QUIET: Duration = Duration::from_millis(12);
/// The longest a step waits for the toy to go quiet.
const SETTLE_LIMIT: Duration = Duration::from_millis(400);
/// How long the toy may take to be identified and added.
const ADD_TIMEOUT: Duration = Duration::from_secs(6);

/// Protocols whose timer samples the commanded value (it writes what the value is when it
/// ticks, every 100 ms or so): which values a tick catches depends on the tick's phase, so
/// after each step the run waits [`TIMER_STEP_WAIT`] for both implementations' timers to
/// catch it.
const SAMPLED_BY_TIMER: &[&str] = &["fmachine", "fredorch-rotary", "hgod"];
/// How long a step of a [`SAMPLED_BY_TIMER`] protocol waits for the timers.
const TIMER_STEP_WAIT: Duration = Duration::from_millis(250);

/// The error of a run whose toy was never added.
pub const NOT_ADDED: &str = "the toy was not added";

/// A client connection to one implementation's server, speaking Buttplug JSON.
#[async_trait]
pub trait Conn: Send {
    /// Sends one message (a JSON object such as `{"OutputCmd": {...}}`).
    fn send(&mut self, message: &Value) -> Result<(), String>;
    /// The next message from the server (one JSON object), or `None` after `timeout`.
    async fn recv(&mut self, timeout: Duration) -> Option<Value>;
}

/// The `Id` of a message object.
fn id_of(message: &Value) -> Option<u64> {
    message.as_object()?.values().next()?.get("Id")?.as_u64()
}

/// A message in the form both sides can be compared on: its type, and for readings and
/// devices the content that matters (errors only by type: their wording is free).
pub fn summary(message: &Value) -> String {
    let Some((kind, body)) = message.as_object().and_then(|o| o.iter().next()) else {
        return message.to_string();
    };
    match kind.as_str() {
        "Ok" => "Ok".into(),
        "Error" => "Error".into(),
        "InputReading" => {
            format!(
                "InputReading feature {} {}",
                body["FeatureIndex"], body["Reading"]
            )
        }
        "DeviceList" => {
            let mut names: Vec<String> = body["Devices"]
                .as_object()
                .map(|d| {
                    d.values()
                        .map(|v| v["DeviceName"].as_str().unwrap_or_default().to_string())
                        .collect()
                })
                .or_else(|| {
                    body["Devices"].as_array().map(|a| {
                        a.iter()
                            .map(|v| v["DeviceName"].as_str().unwrap_or_default().to_string())
                            .collect()
                    })
                })
                .unwrap_or_default();
            names.sort();
            format!("DeviceList {names:?}")
        }
        other => other.to_string(),
    }
}

fn has_device(message: &Value) -> bool {
    let devices = &message["DeviceList"]["Devices"];
    devices.as_object().is_some_and(|d| !d.is_empty())
        || devices.as_array().is_some_and(|d| !d.is_empty())
}

async fn reply(conn: &mut dyn Conn, toy: &Toy, id: u64) -> Result<Value, String> {
    reply_within(conn, toy, id, REPLY_TIMEOUT).await
}

async fn reply_within(
    conn: &mut dyn Conn,
    toy: &Toy,
    id: u64,
    timeout: Duration,
) -> Result<Value, String> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let m = conn
            .recv(left)
            .await
            .ok_or_else(|| format!("no reply to message {id} within {timeout:?}"))?;
        match id_of(&m) {
            Some(i) if i == id => return Ok(m),
            // events (readings of subscriptions, device list changes) in order of arrival
            Some(0) | None => toy.client(summary(&m)),
            Some(_) => {}
        }
    }
}

/// Waits `how_long`, recording events meanwhile.
async fn wait(conn: &mut dyn Conn, toy: &Toy, how_long: Duration) {
    let start = tokio::time::Instant::now();
    while start.elapsed() < how_long {
        if let Some(m) = conn.recv(Duration::from_millis(5)).await {
            if matches!(id_of(&m), Some(0) | None) {
                toy.client(summary(&m));
            }
        }
    }
}

/// Waits until the toy has seen no new operation for [`QUIET`], recording events meanwhile.
async fn settle(conn: &mut dyn Conn, toy: &Toy) {
    let start = tokio::time::Instant::now();
    let mut seen = toy.len();
    let mut quiet_since = tokio::time::Instant::now();
    while start.elapsed() < SETTLE_LIMIT {
        if let Some(m) = conn.recv(Duration::from_millis(2)).await {
            if matches!(id_of(&m), Some(0) | None) {
                toy.client(summary(&m));
            }
        }
        let now = toy.len();
        if now != seen {
            seen = now;
            quiet_since = tokio::time::Instant::now();
        } else if quiet_since.elapsed() >= QUIET {
            break;
        }
    }
}

/// Runs the handshake and the steps; the toy records what happened. An error means the run
/// could not go on (the toy was never added, a reply never came).
pub async fn run(conn: &mut dyn Conn, toy: &Arc<Toy>, steps: &[Step]) -> Result<(), String> {
    for m in handshake() {
        conn.send(&m)?;
        let id = id_of(&m).unwrap_or(0);
        let r = reply_within(conn, toy, id, HANDSHAKE_TIMEOUT).await?;
        if r.get("Error").is_some() {
            return Err(format!("handshake: {r}"));
        }
    }
    // the toy is added once identified: a device list naming it
    let deadline = tokio::time::Instant::now() + ADD_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match conn.recv(left).await {
            Some(m) if has_device(&m) => {
                toy.client(summary(&m));
                break;
            }
            Some(m) if m.get("DeviceAdded").is_some() => {
                let name = m["DeviceAdded"]["DeviceName"].as_str().unwrap_or_default();
                toy.client(format!("DeviceList [{name:?}]"));
                break;
            }
            Some(m) => {
                if std::env::var_os("DIFFERENTIAL_DEBUG").is_some() {
                    eprintln!("while waiting for the toy: {m}");
                }
            }
            None => return Err(NOT_ADDED.into()),
        }
    }
    settle(conn, toy).await;
    for step in steps {
        match step {
            Step::Send(messages) => {
                for m in messages {
                    conn.send(m)?;
                }
                for m in messages {
                    let id = id_of(m).unwrap_or(0);
                    let r = reply(conn, toy, id).await?;
                    toy.client(summary(&r));
                }
            }
            Step::Notify(data) => toy.notify_subscribed(data),
        }
        if SAMPLED_BY_TIMER.contains(&toy.protocol()) {
            wait(conn, toy, TIMER_STEP_WAIT).await;
        }
        settle(conn, toy).await;
    }
    Ok(())
}
