//! Kiiroo first generation (`kiiroo-v1`): the original Pearl (vibrator) and Onyx (stroker).
//!
//! Both speak ASCII on `tx`: a level 0–4 followed by `",\n"` (e.g. `"3,\n"`), written without
//! response. Initialisation subscribes to `rx` (the Onyx only works while someone listens),
//! writes the mode select `[0x01, 0x00]` with response to `command`, then `"0,"` with response
//! to `tx` (start position).
//!
//! * Pearl: the vibration level is sent as is.
//! * Onyx: the device jumps to the level it is given, with 0 at the top of the stroke, so the
//!   requested position (0–4, 4 at the top) is inverted and the handler moves the device there
//!   itself: every 50 ms (a [`KeepAlive::Periodic`] tick) it sends the point of the straight
//!   path from the current position to the target the elapsed time has reached, jumping to the
//!   target once the duration has passed. While the device is at rest the level is re-sent every
//!   half second as a ping.
//!
//! There is no upstream Rust implementation; the byte format and the timing follow the
//! reference's earlier C# implementation (`KiirooGen1Protocol`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    feature_bit, HwCommand, KeepAlive, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{mask, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "kiiroo-v1";
/// Highest level of the ASCII command.
const MAX_LEVEL: i32 = 4;
/// Period of the Onyx movement ticks.
const TICK: Duration = Duration::from_millis(50);
/// Longest quiet time of a resting Onyx.
const PING: Duration = Duration::from_millis(500);

/// The `kiiroo-v1` factory.
struct KiirooV1;

/// Movement state of an Onyx, positions as fractions of the stroke in device orientation
/// (0 = level 0).
#[derive(Debug, Clone, Copy)]
struct Motion {
    current: f64,
    target: f64,
    /// Time of the last packet (or of the last command).
    last: Instant,
    /// When the target must be reached.
    due: Instant,
}

/// The handler of one connected device.
struct KiirooV1Handler {
    /// Onyx (position) rather than Pearl (vibration).
    onyx: bool,
    /// Feature driven by the Onyx movement.
    feature: u32,
    motion: Mutex<Motion>,
}

/// The factory registered as `kiiroo-v1`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(KiirooV1)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

/// The ASCII command for a level.
fn level_packet(level: u32) -> Vec<u8> {
    format!("{level},\n").into_bytes()
}

/// Checks a level against the command's range.
fn level(action: &OutputAction) -> Result<i32, DeviceError> {
    if (0..=MAX_LEVEL).contains(&action.value) {
        Ok(action.value)
    } else {
        Err(DeviceError::protocol(
            NAME,
            format!("level {} is not 0-{MAX_LEVEL}", action.value),
        ))
    }
}

/// The level nearest to a stroke fraction (ties to even, as the reference rounded).
fn to_level(fraction: f64) -> u32 {
    // clamped into 0..=4 before the conversion, so the cast cannot wrap
    (fraction.clamp(0.0, 1.0) * f64::from(MAX_LEVEL))
        .round_ties_even()
        .clamp(0.0, f64::from(MAX_LEVEL)) as u32
}

#[async_trait]
impl ProtocolFactory for KiirooV1 {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        hardware.subscribe(Endpoint::Rx).await?;
        hardware
            .write(Endpoint::Command, &[0x01, 0x00], true)
            .await?;
        hardware.write(Endpoint::Tx, b"0,", true).await?;
        let stroker = definition
            .features
            .iter()
            .find(|f| f.output(OutputType::HwPositionWithDuration).is_some());
        let now = Instant::now();
        Ok(Arc::new(KiirooV1Handler {
            onyx: stroker.is_some(),
            feature: stroker.map(|f| f.index).unwrap_or(0),
            motion: Mutex::new(Motion {
                current: 0.0,
                target: 0.0,
                last: now,
                due: now,
            }),
        }))
    }
}

impl KiirooV1Handler {
    /// Accepts an action at `now`.
    fn output_at(
        &self,
        action: &OutputAction,
        now: Instant,
    ) -> Result<Vec<HwCommand>, DeviceError> {
        match action.kind {
            OutputType::Vibrate => {
                let v = level(action)?.unsigned_abs();
                Ok(vec![HwCommand::write(
                    Endpoint::Tx,
                    level_packet(v),
                    mask(action.feature),
                )])
            }
            OutputType::HwPositionWithDuration if self.onyx => {
                let position = f64::from(level(action)?) / f64::from(MAX_LEVEL);
                let duration = Duration::from_millis(u64::from(action.duration.unwrap_or(0)));
                let mut m = self.motion.lock();
                m.target = 1.0 - position;
                m.last = now;
                m.due = now + duration;
                // the movement itself is sent by the ticks
                Ok(Vec::new())
            }
            _ => Err(unsupported(NAME, action)),
        }
    }

    /// The packet of a movement tick at `now`, if one is due.
    fn tick_at(&self, now: Instant) -> Option<Vec<u8>> {
        if !self.onyx {
            return None;
        }
        let mut m = self.motion.lock();
        let distance = (m.target - m.current).abs();
        let elapsed = now.saturating_duration_since(m.last);
        let moving = to_level(distance) != 0;
        if !moving && elapsed < PING {
            return None;
        }
        let previous = m.last;
        m.last = now;
        if now >= m.due || !moving {
            m.current = m.target;
        } else {
            let window = m.due.saturating_duration_since(previous).as_secs_f64() * 1000.0 + 1.0;
            let step = elapsed.as_secs_f64() * 1000.0 / window * distance;
            let direction = if m.target > m.current { 1.0 } else { -1.0 };
            m.current = (m.current + step * direction).clamp(0.0, 1.0);
        }
        Some(level_packet(to_level(m.current)))
    }
}

impl ProtocolHandler for KiirooV1Handler {
    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        self.output_at(action, Instant::now())
    }

    fn keepalive(&self) -> KeepAlive {
        if self.onyx {
            KeepAlive::Periodic(TICK)
        } else {
            KeepAlive::RepeatLastIfRequired
        }
    }

    fn periodic(&self) -> Vec<HwCommand> {
        self.tick_at(Instant::now())
            .map(|data| HwCommand::write(Endpoint::Tx, data, feature_bit(self.feature)))
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::SimOp;

    const ENDPOINTS: [Endpoint; 3] = [Endpoint::Command, Endpoint::Rx, Endpoint::Tx];

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    async fn handler(name: &str, d: &DeviceDefinition) -> Arc<dyn ProtocolHandler> {
        let (sim, hw) = connect(spec(name, &ENDPOINTS)).await;
        let h = init(&*factory(), &hw, d).await;
        assert_eq!(
            sim.take_ops(),
            [
                SimOp::Subscribe {
                    endpoint: Endpoint::Rx
                },
                w(Endpoint::Command, &[0x01, 0x00], true),
                w(Endpoint::Tx, b"0,", true),
            ]
        );
        h
    }

    #[tokio::test]
    async fn pearl_vibrates_with_ascii_levels() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 4)], false)]);
        let h = handler("PEARL", &d).await;
        assert_eq!(h.keepalive(), KeepAlive::RepeatLastIfRequired);
        let e = |v| writes(&h.output(&act(0, OutputType::Vibrate, v)).unwrap());
        assert_eq!(e(4), [(Endpoint::Tx, b"4,\n".to_vec(), false)]);
        assert_eq!(e(2), [(Endpoint::Tx, b"2,\n".to_vec(), false)]);
        assert_eq!(e(0), [(Endpoint::Tx, b"0,\n".to_vec(), false)]);
        assert!(h.output(&act(0, OutputType::Vibrate, 5)).is_err());
        assert!(h.output(&mv(0, 2, 100)).is_err());
        assert!(h.periodic().is_empty());
    }

    #[test]
    fn onyx_moves_along_the_path_and_pings() {
        let t0 = Instant::now();
        let h = KiirooV1Handler {
            onyx: true,
            feature: 0,
            motion: Mutex::new(Motion {
                current: 0.0,
                target: 0.0,
                last: t0,
                due: t0,
            }),
        };
        let tick = |t: Duration| h.tick_at(t0 + t);
        // at rest: silent until half a second has passed, then a ping of the current level
        assert_eq!(tick(ms(50)), None);
        assert_eq!(tick(ms(500)), Some(b"0,\n".to_vec()));
        assert_eq!(tick(ms(600)), None);
        // position 0 (bottom) is level 4 once inverted; reach it within 400 ms
        assert!(h
            .output_at(&mv(0, 0, 400), t0 + ms(1000))
            .unwrap()
            .is_empty());
        // after 100 of 400 ms: 100 / 401 of the way, level 1.0 -> 1
        assert_eq!(tick(ms(1100)), Some(b"1,\n".to_vec()));
        // then 100 of the remaining 300 ms: a third of the rest (0.75 * 100/301) -> level 2
        assert_eq!(tick(ms(1200)), Some(b"2,\n".to_vec()));
        // overdue: jump to the target
        assert_eq!(tick(ms(1500)), Some(b"4,\n".to_vec()));
        // at rest again
        assert_eq!(tick(ms(1550)), None);
        assert_eq!(tick(ms(2000)), Some(b"4,\n".to_vec()));
        // position 4 (top) is level 0; a zero duration jumps at the next tick
        assert!(h.output_at(&mv(0, 4, 0), t0 + ms(2010)).unwrap().is_empty());
        assert_eq!(tick(ms(2060)), Some(b"0,\n".to_vec()));
        assert!(h.output_at(&mv(0, 5, 0), t0 + ms(2100)).is_err());
        assert!(h
            .output_at(&act(0, OutputType::Rotate, 1), t0 + ms(2100))
            .is_err());
    }

    #[tokio::test]
    async fn onyx_ticks_every_50ms() {
        let d = def(&[(0, &[(OutputType::HwPositionWithDuration, 0, 4)], false)]);
        let h = handler("ONYX", &d).await;
        assert_eq!(h.keepalive(), KeepAlive::Periodic(ms(50)));
        assert!(h.output(&mv(0, 0, 0)).unwrap().is_empty());
        assert_eq!(bytes(&h.periodic()), [b"4,\n".to_vec()]);
    }
}
