//! OSSM (Open Source Sex Machine, Kinky Makers): a text protocol over BLE, every command an
//! ASCII string written with response on `tx`.
//!
//! The machine runs one mode at a time, entered from its menu:
//!
//! * speed (oscillate) control: `go:menu`, `go:strokeEngine`, then `set:speed:<0-100>`;
//! * position streaming (position with duration): `go:menu`, `go:streaming`, then
//!   `stream:<position 0-100>:<duration ms>`.
//!
//! The handler remembers the current mode and sends the two mode-change commands only when the
//! next command needs the other mode; a speed of 0 while not in speed mode sends nothing (a stop
//! never switches modes).
//!
//! The machine reports its state as JSON notifications on `rx` (`{"state":"streaming.idle",...}`;
//! the part before the first dot names the mode). Whenever it enters `strokeEngine` or
//! `streaming`, the handler writes `false` with response on `txmode`, then `set:depth:100` and
//! `set:stroke:100` on `tx` so the full stroke is usable, plus `set:speed:100` when streaming (so
//! streamed moves run at full speed).

use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::broadcast::{error::RecvError, Receiver};

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory, ProtocolHandler};
use crate::device::protocols::kit::{mask, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::{Hardware, HardwareEvent};

const NAME: &str = "ossm";

/// The state name of the speed-controlled mode.
const STROKE_ENGINE: &str = "strokeEngine";
/// The state name of the position-streaming mode.
const STREAMING: &str = "streaming";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Not yet switched by this handler.
    Unknown,
    /// Speed control (stroke engine).
    Speed,
    /// Position streaming.
    Position,
}

/// A text command on `tx`, with response.
fn command(text: &str, features: u64) -> HwCommand {
    HwCommand::write_with_response(Endpoint::Tx, text.as_bytes().to_vec(), features)
}

/// A device value as a non-negative number.
fn unsigned(value: i32) -> Result<u32, DeviceError> {
    u32::try_from(value)
        .map_err(|_| DeviceError::protocol(NAME, format!("value {value} is negative")))
}

/// The mode name in a state notification: the `state` string up to its first dot.
fn state_of(payload: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(payload).ok()?;
    let state = json.get("state")?.as_str()?;
    Some(state.split('.').next().unwrap_or(state).to_string())
}

/// The setup writes for a newly entered state (none for other states).
fn setup_for(state: &str) -> Vec<(Endpoint, &'static str)> {
    let mut out = Vec::new();
    if state == STREAMING || state == STROKE_ENGINE {
        out.push((Endpoint::TxMode, "false"));
        out.push((Endpoint::Tx, "set:depth:100"));
        out.push((Endpoint::Tx, "set:stroke:100"));
    }
    if state == STREAMING {
        out.push((Endpoint::Tx, "set:speed:100"));
    }
    out
}

/// Follows the state notifications until the device goes away.
async fn follow_state(hardware: Arc<dyn Hardware>, mut events: Receiver<HardwareEvent>) {
    let mut last: Option<String> = None;
    loop {
        match events.recv().await {
            Ok(HardwareEvent::Notification {
                endpoint: Endpoint::Rx,
                data,
            }) => {
                let Some(state) = state_of(&data) else {
                    continue;
                };
                if last.as_deref() == Some(state.as_str()) {
                    continue;
                }
                tracing::info!("ossm: state {state}");
                for (endpoint, text) in setup_for(&state) {
                    if let Err(e) = hardware.write(endpoint, text.as_bytes(), true).await {
                        tracing::warn!("ossm: setup write {text:?} failed: {e}");
                    }
                }
                last = Some(state);
            }
            Ok(HardwareEvent::Notification { .. }) | Err(RecvError::Lagged(_)) => {}
            Ok(HardwareEvent::Disconnected) | Err(RecvError::Closed) => return,
        }
    }
}

struct OssmFactory;

#[async_trait]
impl ProtocolFactory for OssmFactory {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        _definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let events = hardware.events();
        hardware.subscribe(Endpoint::Rx).await?;
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(follow_state(hardware.clone(), events));
            }
            Err(_) => tracing::warn!("ossm: no runtime, state notifications are ignored"),
        }
        Ok(Arc::new(Ossm {
            mode: Mutex::new(Mode::Unknown),
        }))
    }
}

/// The factory registered as `ossm`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(OssmFactory)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

struct Ossm {
    mode: Mutex<Mode>,
}

impl ProtocolHandler for Ossm {
    fn output(&self, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        let mut mode = self.mode.lock();
        let mut out = Vec::new();
        match a.kind {
            OutputType::Oscillate => {
                if a.feature != 0 {
                    return Err(DeviceError::protocol(
                        NAME,
                        format!("feature {} has no speed control", a.feature),
                    ));
                }
                let speed = unsigned(a.value)?;
                if *mode != Mode::Speed {
                    if speed == 0 {
                        return Ok(out);
                    }
                    // mode changes carry no feature state: never coalesced away
                    out.push(command("go:menu", 0));
                    out.push(command("go:strokeEngine", 0));
                    *mode = Mode::Speed;
                }
                out.push(command(&format!("set:speed:{speed}"), mask(a.feature)));
            }
            OutputType::HwPositionWithDuration => {
                let position = unsigned(a.value)?;
                let duration = a.duration.ok_or_else(|| {
                    DeviceError::protocol(NAME, "a position move needs a duration")
                })?;
                if *mode != Mode::Position {
                    out.push(command("go:menu", 0));
                    out.push(command("go:streaming", 0));
                    *mode = Mode::Position;
                }
                out.push(command(
                    &format!("stream:{position}:{duration}"),
                    mask(a.feature),
                ));
            }
            _ => return Err(unsupported(NAME, a)),
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::SimOp;
    use OutputType::*;

    fn text(h: &Arc<dyn ProtocolHandler>, actions: &[OutputAction]) -> Vec<String> {
        writes(&h.outputs(actions).unwrap())
            .into_iter()
            .map(|(e, b, r)| {
                assert_eq!(e, Endpoint::Tx);
                assert!(r);
                String::from_utf8(b).unwrap()
            })
            .collect()
    }

    fn ossm_def() -> DeviceDefinition {
        def(&[(
            0,
            &[(HwPositionWithDuration, 0, 100), (Oscillate, 0, 100)],
            false,
        )])
    }

    async fn start() -> (
        Arc<crate::hwmgr::sim::SimHardware>,
        Arc<dyn ProtocolHandler>,
    ) {
        let (sim, hw) = connect(spec(
            "OSSM",
            &[Endpoint::Rx, Endpoint::Tx, Endpoint::TxMode],
        ))
        .await;
        let h = init(&*factory(), &hw, &ossm_def()).await;
        assert_eq!(
            next(&sim).await,
            Some(SimOp::Subscribe {
                endpoint: Endpoint::Rx
            })
        );
        (sim, h)
    }

    #[tokio::test]
    async fn mode_switches_and_commands() {
        let (_sim, h) = start().await;
        // stopping while in no speed mode sends nothing
        assert!(text(&h, &[act(0, Oscillate, 0)]).is_empty());
        assert_eq!(
            text(&h, &[act(0, Oscillate, 50)]),
            ["go:menu", "go:strokeEngine", "set:speed:50"]
        );
        assert_eq!(text(&h, &[act(0, Oscillate, 100)]), ["set:speed:100"]);
        assert_eq!(text(&h, &[act(0, Oscillate, 0)]), ["set:speed:0"]);
        assert_eq!(
            text(&h, &[mv(0, 30, 500)]),
            ["go:menu", "go:streaming", "stream:30:500"]
        );
        assert_eq!(text(&h, &[mv(0, 100, 250)]), ["stream:100:250"]);
        // back to speed mode; a stop there does not switch
        assert!(text(&h, &[act(0, Oscillate, 0)]).is_empty());
        assert_eq!(
            text(&h, &[act(0, Oscillate, 20)]),
            ["go:menu", "go:strokeEngine", "set:speed:20"]
        );
        assert!(h.outputs(&[act(0, Oscillate, -1)]).is_err());
        assert!(h.outputs(&[act(1, Oscillate, 10)]).is_err());
        assert!(h.outputs(&[act(0, Vibrate, 10)]).is_err());
        assert!(h.outputs(&[act(0, HwPositionWithDuration, 10)]).is_err());
    }

    #[tokio::test]
    async fn state_notifications_drive_setup() {
        let (sim, _h) = start().await;
        sim.notify(Endpoint::Rx, br#"{"state":"strokeEngine.idle","speed":0}"#);
        assert_eq!(next(&sim).await, Some(w(Endpoint::TxMode, b"false", true)));
        assert_eq!(
            next(&sim).await,
            Some(w(Endpoint::Tx, b"set:depth:100", true))
        );
        assert_eq!(
            next(&sim).await,
            Some(w(Endpoint::Tx, b"set:stroke:100", true))
        );
        // same mode, other sub-state: nothing
        sim.notify(Endpoint::Rx, br#"{"state":"strokeEngine.running"}"#);
        sim.notify(Endpoint::Rx, b"not json");
        sim.notify(Endpoint::Rx, br#"{"state":"menu"}"#);
        sim.notify(Endpoint::Rx, br#"{"state":"streaming.idle"}"#);
        assert_eq!(next(&sim).await, Some(w(Endpoint::TxMode, b"false", true)));
        assert_eq!(
            next(&sim).await,
            Some(w(Endpoint::Tx, b"set:depth:100", true))
        );
        assert_eq!(
            next(&sim).await,
            Some(w(Endpoint::Tx, b"set:stroke:100", true))
        );
        assert_eq!(
            next(&sim).await,
            Some(w(Endpoint::Tx, b"set:speed:100", true))
        );
        assert!(sim.take_ops().is_empty());
    }

    #[test]
    fn state_names() {
        assert_eq!(
            state_of(br#"{"state":"streaming.idle"}"#).as_deref(),
            Some("streaming")
        );
        assert_eq!(state_of(br#"{"state":"menu"}"#).as_deref(), Some("menu"));
        assert_eq!(state_of(br#"{"speed":3}"#), None);
        assert_eq!(state_of(b"\xff"), None);
    }
}
