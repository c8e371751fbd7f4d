//! Fredorch rotary machines (advertised as `M1_…`). Frames on `tx` are
//! `[0x55, length, payload…, checksum, 0xAA]`, the checksum being the low byte of the sum of
//! the length and payload bytes.
//!
//! * Initialisation: subscribe to `rx`, then send, each followed by up to 100 ms for a reply:
//!   handshake `55 03 99 9C AA`, password `55 09 21 00 00 00 00 00 00 2A AA`, power on
//!   `55 03 1F 22 AA`, stop `55 03 24 27 AA`.
//! * Speed: the device only knows "one step faster" (`55 03 01 04 AA`), "one step slower"
//!   (`55 03 02 05 AA`) and stop (`55 03 24 27 AA`). A command remembers the target speed; a
//!   stop is sent at once, other targets are reached one step per 100 ms tick of the device
//!   task.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    feature_bit, HwCommand, KeepAlive, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{byte, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

use super::next_notification;

const NAME: &str = "fredorch-rotary";
/// How long each initialisation frame may wait for a reply (only some are answered).
const REPLY_TIMEOUT: Duration = Duration::from_millis(100);
/// Interval between speed steps.
const STEP: Duration = Duration::from_millis(100);
const FASTER: u8 = 0x01;
const SLOWER: u8 = 0x02;
const POWER_ON: u8 = 0x1f;
const STOP: u8 = 0x24;
const HANDSHAKE: u8 = 0x99;
const PASSWORD: u8 = 0x21;

/// A frame around `payload`.
fn frame(payload: &[u8]) -> Vec<u8> {
    let length = u8::try_from(payload.len() + 2).unwrap_or(u8::MAX);
    let sum = payload.iter().fold(length, |acc, b| acc.wrapping_add(*b));
    let mut data = Vec::with_capacity(payload.len() + 4);
    data.extend_from_slice(&[0x55, length]);
    data.extend_from_slice(payload);
    data.extend_from_slice(&[sum, 0xaa]);
    data
}

fn init_frames() -> Vec<Vec<u8>> {
    vec![
        frame(&[HANDSHAKE]),
        frame(&[PASSWORD, 0, 0, 0, 0, 0, 0]),
        frame(&[POWER_ON]),
        frame(&[STOP]),
    ]
}

struct FredorchRotary;

/// The factory registered as `fredorch-rotary`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(FredorchRotary)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

#[async_trait]
impl ProtocolFactory for FredorchRotary {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        _: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        tracing::warn!(
            "fredorch-rotary gives no state feedback; if it beeps twice it has powered off and \
             must be reconnected"
        );
        let mut events = hardware.events();
        hardware.subscribe(Endpoint::Rx).await?;
        for f in init_frames() {
            hardware.write(Endpoint::Tx, &f, false).await?;
            if let Some((_, data)) = next_notification(&mut events, REPLY_TIMEOUT, NAME).await? {
                tracing::debug!(frame = ?f, ?data, "fredorch-rotary: set-up reply");
            }
        }
        Ok(Arc::new(Handler {
            speeds: Mutex::new(Speeds::default()),
        }))
    }
}

#[derive(Default)]
struct Speeds {
    feature: u32,
    target: u8,
    current: u8,
}

struct Handler {
    speeds: Mutex<Speeds>,
}

impl ProtocolHandler for Handler {
    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if action.kind != OutputType::Oscillate {
            return Err(unsupported(NAME, action));
        }
        let speed = byte(NAME, action.value)?;
        let mut s = self.speeds.lock();
        s.feature = action.feature;
        s.target = speed;
        if speed > 0 {
            return Ok(Vec::new());
        }
        s.current = 0;
        Ok(vec![HwCommand::write(
            Endpoint::Tx,
            frame(&[STOP]),
            feature_bit(action.feature),
        )])
    }

    fn keepalive(&self) -> KeepAlive {
        KeepAlive::Periodic(STEP)
    }

    fn periodic(&self) -> Vec<HwCommand> {
        let mut s = self.speeds.lock();
        let (command, next) = match s.target {
            t if t == s.current => return Vec::new(),
            0 => (STOP, 0),
            t if t > s.current => (FASTER, s.current.saturating_add(1)),
            _ => (SLOWER, s.current.saturating_sub(1)),
        };
        s.current = next;
        vec![HwCommand::write(
            Endpoint::Tx,
            frame(&[command]),
            feature_bit(s.feature),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::{Oscillate, Vibrate};
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::SimOp;

    #[test]
    fn frames() {
        assert_eq!(
            init_frames(),
            [
                vec![0x55, 0x03, 0x99, 0x9c, 0xaa],
                vec![0x55, 0x09, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0xaa],
                vec![0x55, 0x03, 0x1f, 0x22, 0xaa],
                vec![0x55, 0x03, 0x24, 0x27, 0xaa],
            ]
        );
    }

    #[tokio::test]
    async fn initialisation_and_speed_steps() {
        let d = def(&[(0, &[(Oscillate, 0, 20)], false)]);
        let (sim, hw) = connect(spec("M1_1234", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(
            next(&sim).await,
            Some(SimOp::Subscribe {
                endpoint: Endpoint::Rx
            })
        );
        for f in init_frames() {
            assert_eq!(next(&sim).await, Some(w(Endpoint::Tx, &f, false)));
        }
        assert_eq!(h.keepalive(), KeepAlive::Periodic(STEP));
        assert!(h.periodic().is_empty());
        assert!(h.outputs(&[act(0, Oscillate, 3)]).unwrap().is_empty());
        let up = vec![0x55, 0x03, 0x01, 0x04, 0xaa];
        let down = vec![0x55, 0x03, 0x02, 0x05, 0xaa];
        let stop = vec![0x55, 0x03, 0x24, 0x27, 0xaa];
        for _ in 0..3 {
            assert_eq!(writes(&h.periodic()), [(Endpoint::Tx, up.clone(), false)]);
        }
        assert!(h.periodic().is_empty());
        assert!(h.outputs(&[act(0, Oscillate, 2)]).unwrap().is_empty());
        assert_eq!(bytes(&h.periodic()), [down]);
        assert!(h.periodic().is_empty());
        assert_eq!(
            writes(&h.outputs(&[act(0, Oscillate, 0)]).unwrap()),
            [(Endpoint::Tx, stop, false)]
        );
        assert!(h.periodic().is_empty());
        assert!(h.outputs(&[act(0, Oscillate, 1)]).unwrap().is_empty());
        assert_eq!(bytes(&h.periodic()), [up]);
        assert!(h.outputs(&[act(0, Vibrate, 1)]).is_err());
        assert!(h.outputs(&[act(0, Oscillate, 256)]).is_err());
    }
}
