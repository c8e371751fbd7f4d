//! RealTouch (USB HID, vendor 0x1F54, product 0x0001): every command is one 64-byte HID
//! report, written as 65 bytes (report id `00`, then the command, zero-padded).
//!
//! Initialisation writes three reports, reading the device's answer after each: an all-zero
//! report, `0A` (serial number query), and `06 02 A0 80 E8 03` (settings).
//!
//! The toy has no position sensor; a "move to position over duration" becomes a vector command
//! running both belts: `02 <belts> <magnitude> <duration lo> <duration hi>`, where `belts` is
//! `20` (both belts, forward) plus `80` when moving back towards 0, the duration is in ms
//! (16-bit little-endian, longer moves are capped at 65535 ms), and the magnitude is the
//! Fleshlight Launch speed for the travelled distance (a fraction of the 0–99 range) and the
//! duration, `250 · (duration · 90 / (distance · 100))^-1.05` capped at 1, scaled to
//! `40 + 215 · speed` (below about 40 the belts barely move). The handler remembers the last
//! goal as the current position, starting at 0.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory, ProtocolHandler};
use crate::device::protocols::kit::{byte, mask, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "realtouch";

/// Size of a written report, report id included.
const REPORT_LEN: usize = 65;

/// Highest position value.
const MAX_POSITION: f64 = 99.0;

/// Lowest useful belt magnitude.
const MIN_MAGNITUDE: f64 = 40.0;

/// How long to wait for the device's answer to an initialisation report.
const INIT_READ_TIMEOUT: Duration = Duration::from_secs(1);

/// Vector command.
const VECTOR: u8 = 0x02;
/// Component code: both belts.
const BOTH_BELTS: u8 = 0x20;
/// Direction flag: backwards.
const BACKWARDS: u8 = 0x80;

/// A report carrying `command`: report id 0, the command, zero padding.
fn report(command: &[u8]) -> Vec<u8> {
    let mut data = vec![0u8; REPORT_LEN];
    for (slot, b) in data.iter_mut().skip(1).zip(command) {
        *slot = *b;
    }
    data
}

/// The Fleshlight Launch speed (0..=1) to travel `distance` (fraction of the full range) in
/// `duration_ms`.
fn launch_speed(distance: f64, duration_ms: u32) -> f64 {
    if distance <= 0.0 {
        return 0.0;
    }
    let distance = distance.min(1.0);
    let speed = 250.0 * (f64::from(duration_ms) * 90.0 / (distance * 100.0)).powf(-1.05);
    if speed.is_nan() {
        return 1.0;
    }
    speed.clamp(0.0, 1.0)
}

/// The belt magnitude for a move.
fn magnitude(distance: f64, duration_ms: u32) -> u8 {
    let m = MIN_MAGNITUDE + (255.0 - MIN_MAGNITUDE) * launch_speed(distance, duration_ms);
    // m is within 40..=255 by construction; the cast truncates like the vendor tools
    m.floor().clamp(0.0, 255.0) as u8
}

struct RealTouchFactory;

#[async_trait]
impl ProtocolFactory for RealTouchFactory {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        _definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let setup: [&[u8]; 3] = [&[], &[0x0a], &[0x06, 0x02, 0xa0, 0x80, 0xe8, 0x03]];
        for command in setup {
            hardware
                .write(Endpoint::Tx, &report(command), false)
                .await?;
            hardware.read(Endpoint::Rx, 0, INIT_READ_TIMEOUT).await?;
        }
        Ok(Arc::new(RealTouch {
            position: Mutex::new(0),
        }))
    }
}

/// The factory registered as `realtouch`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(RealTouchFactory)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

struct RealTouch {
    /// Last goal, in device units.
    position: Mutex<u8>,
}

impl ProtocolHandler for RealTouch {
    fn output(&self, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if a.kind != OutputType::HwPositionWithDuration {
            return Err(unsupported(NAME, a));
        }
        let goal = byte(NAME, a.value)?;
        if f64::from(goal) > MAX_POSITION {
            return Err(DeviceError::protocol(
                NAME,
                format!("position {goal} is above {MAX_POSITION}"),
            ));
        }
        let duration = a
            .duration
            .ok_or_else(|| DeviceError::protocol(NAME, "a position move needs a duration"))?;
        let mut position = self.position.lock();
        let belts = if goal < *position {
            BOTH_BELTS | BACKWARDS
        } else {
            BOTH_BELTS
        };
        let distance = f64::from(goal.abs_diff(*position)) / MAX_POSITION;
        let [lo, hi] = u16::try_from(duration).unwrap_or(u16::MAX).to_le_bytes();
        let command = [VECTOR, belts, magnitude(distance, duration), lo, hi];
        *position = goal;
        Ok(vec![HwCommand::write(
            Endpoint::Tx,
            report(&command),
            mask(a.feature),
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::SimDeviceSpec;

    fn padded(command: &[u8]) -> Vec<u8> {
        let mut v = vec![0u8];
        v.extend_from_slice(command);
        v.resize(65, 0);
        v
    }

    #[test]
    fn magnitudes() {
        assert_eq!(magnitude(1.0, 500), 128);
        assert_eq!(magnitude(1.0, 100), 255);
        assert_eq!(magnitude(1.0, 0), 255);
        assert_eq!(magnitude(0.0, 300), 40);
        assert_eq!(magnitude(50.0 / 99.0, 1000), 60);
    }

    #[tokio::test]
    async fn init_and_moves() {
        let (sim, hw) = connect(SimDeviceSpec::parse("hid:0x1f54:0x0001").unwrap()).await;
        for _ in 0..3 {
            sim.queue_read(Endpoint::Rx, &[0u8; 64]);
        }
        let d = def(&[(0, &[(OutputType::HwPositionWithDuration, 0, 99)], false)]);
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(next(&sim).await, Some(w(Endpoint::Tx, &[0u8; 65], false)));
        assert_eq!(
            next(&sim).await,
            Some(w(Endpoint::Tx, &padded(&[0x0a]), false))
        );
        assert_eq!(
            next(&sim).await,
            Some(w(
                Endpoint::Tx,
                &padded(&[0x06, 0x02, 0xa0, 0x80, 0xe8, 0x03]),
                false
            ))
        );
        assert!(sim.take_ops().is_empty());

        let e = |a| writes(&h.outputs(&[a]).unwrap());
        // full stroke forward in 500 ms
        assert_eq!(
            e(mv(0, 99, 500)),
            [(Endpoint::Tx, padded(&[0x02, 0x20, 0x80, 0xf4, 0x01]), false)]
        );
        // full stroke back in 100 ms: fastest
        assert_eq!(
            e(mv(0, 0, 100)),
            [(Endpoint::Tx, padded(&[0x02, 0xa0, 0xff, 0x64, 0x00]), false)]
        );
        // no travel: slowest magnitude
        assert_eq!(
            e(mv(0, 0, 300)),
            [(Endpoint::Tx, padded(&[0x02, 0x20, 0x28, 0x2c, 0x01]), false)]
        );
        // half stroke in 1 s; long durations are capped at 65535 ms
        assert_eq!(
            e(mv(0, 50, 1000)),
            [(Endpoint::Tx, padded(&[0x02, 0x20, 60, 0xe8, 0x03]), false)]
        );
        assert_eq!(
            e(mv(0, 0, 100_000)),
            [(Endpoint::Tx, padded(&[0x02, 0xa0, 40, 0xff, 0xff]), false)]
        );
        assert!(h.outputs(&[mv(0, 100, 100)]).is_err());
        assert!(h.outputs(&[mv(0, -1, 100)]).is_err());
        assert!(h
            .outputs(&[act(0, OutputType::HwPositionWithDuration, 10)])
            .is_err());
        assert!(h.outputs(&[act(0, OutputType::Vibrate, 10)]).is_err());
    }

    #[tokio::test]
    async fn init_fails_without_answer() {
        let (_sim, hw) = connect(spec("RealTouch", &[Endpoint::Tx, Endpoint::Rx])).await;
        let d = def(&[(0, &[(OutputType::HwPositionWithDuration, 0, 99)], false)]);
        assert!(factory().initialize(&hw, &d).await.is_err());
    }
}
