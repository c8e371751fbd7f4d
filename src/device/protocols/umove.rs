//! Umove (Vero, Nexo, Mira): a 16-byte state frame on `tx` carrying the vibration level and the
//! stroker position, all little-endian:
//! `5A A5 55 00 <vibration u16> 01 00 <packet counter u32> <position u32>`.
//! The counter starts at 0 and grows by one for each frame built. The model is the third and
//! fourth characters of the BLE name (`UMVxB…` → `Vx`).
//!
//! * Position: the new position is sent at once.
//! * Position with duration: the device has no timed move, so the move is interpolated here: on
//!   each 50 ms tick the position advances by `distance / max(duration / 100, 1)` (at least one
//!   unit) until it reaches the target, one frame per tick (the reference's timing, which ends
//!   the move in about half the requested duration).
//! * Vibration: sent at once when no move is under way, else carried by the next move frame.
//! * Temperature: a separate frame `5A A5 55 06 FF FF 00 00 FF FF FF FF <level> FF`.
//!
//! While idle the last frame is repeated every 500 ms.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    all_features, FeatureMask, HwCommand, Identified, KeepAlive, OutputAction, ProtocolFactory,
    ProtocolHandler,
};
use crate::device::protocols::kit::{byte, mask, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "umove";

/// Interval between interpolation ticks.
const TICK: Duration = Duration::from_millis(50);

/// Quiet time after which the last frame is repeated.
const REPEAT_AFTER: Duration = Duration::from_millis(500);

/// Duration units per interpolation step.
const STEP_MS: u32 = 100;

/// The factory registered as `umove`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Umove)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

struct Umove;

/// The model part of the BLE name.
fn model(name: &str) -> Option<String> {
    name.get(2..4).map(str::to_string)
}

#[async_trait]
impl ProtocolFactory for Umove {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn identify(&self, hardware: &Arc<dyn Hardware>) -> Result<Identified, DeviceError> {
        Ok(Identified::new(NAME, model(hardware.name())))
    }

    async fn initialize(
        &self,
        _hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        Ok(Arc::new(UmoveHandler {
            state: Mutex::new(State::default()),
            mask: all_features(definition),
        }))
    }
}

#[derive(Debug, Default)]
struct State {
    packet_id: u32,
    vibration: u16,
    goal: u32,
    position: u32,
    duration: u32,
    /// Set when a timed move was asked and its step is not computed yet.
    retarget: bool,
    step: i64,
    /// Last frame handed out and when.
    last: Option<(Vec<u8>, Instant)>,
}

impl State {
    fn frame(&mut self) -> Vec<u8> {
        let mut data = vec![0x5a, 0xa5, 0x55, 0x00];
        data.extend_from_slice(&self.vibration.to_le_bytes());
        data.extend_from_slice(&1u16.to_le_bytes());
        data.extend_from_slice(&self.packet_id.to_le_bytes());
        data.extend_from_slice(&self.position.to_le_bytes());
        self.packet_id = self.packet_id.wrapping_add(1);
        data
    }

    fn remember(&mut self, data: &[u8], now: Instant) {
        self.last = Some((data.to_vec(), now));
    }

    /// One interpolation tick: the next move frame, a repeat of the last frame, or nothing.
    fn tick(&mut self, now: Instant) -> Option<Vec<u8>> {
        if self.retarget {
            self.retarget = false;
            let steps = i64::from((self.duration / STEP_MS).max(1));
            let distance = i64::from(self.goal) - i64::from(self.position);
            self.step = distance / steps;
            if self.step == 0 {
                self.step = distance.signum();
            }
        }
        if self.position == self.goal {
            let (data, at) = self.last.as_mut()?;
            if now.duration_since(*at) < REPEAT_AFTER {
                return None;
            }
            *at = now;
            return Some(data.clone());
        }
        let next = i64::from(self.position) + self.step;
        let next = if self.step < 0 {
            next.max(i64::from(self.goal))
        } else {
            next.min(i64::from(self.goal))
        };
        self.position = u32::try_from(next).unwrap_or(self.goal);
        let data = self.frame();
        self.remember(&data, now);
        Some(data)
    }
}

struct UmoveHandler {
    state: Mutex<State>,
    mask: FeatureMask,
}

fn position(value: i32) -> Result<u32, DeviceError> {
    u32::try_from(value)
        .map_err(|_| DeviceError::protocol(NAME, format!("position {value} is negative")))
}

impl UmoveHandler {
    fn at(&self, now: Instant, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        let mut s = self.state.lock();
        let data = match a.kind {
            OutputType::Vibrate => {
                s.vibration = u16::try_from(a.value).map_err(|_| {
                    DeviceError::protocol(NAME, format!("vibration {} out of range", a.value))
                })?;
                if s.position != s.goal {
                    return Ok(Vec::new());
                }
                s.frame()
            }
            OutputType::Position => {
                let p = position(a.value)?;
                s.goal = p;
                s.position = p;
                s.duration = 0;
                s.retarget = false;
                s.frame()
            }
            OutputType::HwPositionWithDuration => {
                s.goal = position(a.value)?;
                s.duration = a.duration.unwrap_or(0);
                s.retarget = true;
                return Ok(Vec::new());
            }
            OutputType::Temperature => {
                let level = byte(NAME, a.value)?;
                let data = vec![
                    0x5a, 0xa5, 0x55, 0x06, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, level,
                    0xff,
                ];
                s.remember(&data, now);
                return Ok(vec![HwCommand::write(Endpoint::Tx, data, mask(a.feature))]);
            }
            _ => return Err(unsupported(NAME, a)),
        };
        s.remember(&data, now);
        Ok(vec![HwCommand::write(Endpoint::Tx, data, self.mask)])
    }

    fn tick_at(&self, now: Instant) -> Vec<HwCommand> {
        self.state
            .lock()
            .tick(now)
            .map(|data| HwCommand::write(Endpoint::Tx, data, self.mask))
            .into_iter()
            .collect()
    }
}

impl ProtocolHandler for UmoveHandler {
    fn output(&self, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        self.at(Instant::now(), a)
    }

    fn keepalive(&self) -> KeepAlive {
        KeepAlive::Periodic(TICK)
    }

    fn periodic(&self) -> Vec<HwCommand> {
        self.tick_at(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    fn frame(vibration: u16, id: u32, position: u32) -> Vec<u8> {
        let mut v = vec![0x5a, 0xa5, 0x55, 0x00];
        v.extend_from_slice(&vibration.to_le_bytes());
        v.extend_from_slice(&[1, 0]);
        v.extend_from_slice(&id.to_le_bytes());
        v.extend_from_slice(&position.to_le_bytes());
        v
    }

    fn definition() -> DeviceDefinition {
        def(&[
            (0, &[(Vibrate, 0, 10000)], false),
            (
                1,
                &[(HwPositionWithDuration, 0, 732), (Position, 0, 732)],
                false,
            ),
            (2, &[(Temperature, 37, 42)], false),
        ])
    }

    #[test]
    fn model_from_name() {
        assert_eq!(model("UMVxB0012").as_deref(), Some("Vx"));
        assert_eq!(model("ALNxB"), Some("Nx".to_string()));
        assert_eq!(model("UMV"), None);
    }

    #[tokio::test]
    async fn frames_moves_and_repeats() {
        let (_, hw) = connect(spec("UMVxB0012", &[Endpoint::Tx, Endpoint::Rx])).await;
        let h = init(&*factory(), &hw, &definition()).await;
        assert_eq!(h.keepalive(), KeepAlive::Periodic(TICK));
        let u = UmoveHandler {
            state: Mutex::new(State::default()),
            mask: 0b111,
        };
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let out = |t, a| writes(&u.at(ms(t), &a).unwrap());

        // vibration while idle: frame 0 at position 0
        assert_eq!(
            out(0, act(0, Vibrate, 0x1234)),
            [(Endpoint::Tx, frame(0x1234, 0, 0), false)]
        );
        // nothing to do on the next tick; the idle repeat starts after 500 ms
        assert!(u.tick_at(ms(50)).is_empty());
        assert_eq!(bytes(&u.tick_at(ms(500))), [frame(0x1234, 0, 0)]);
        assert!(u.tick_at(ms(550)).is_empty());

        // a timed move 0 -> 300 over 300 ms: 3 steps of 100, one per tick
        assert!(out(600, mv(1, 300, 300)).is_empty());
        assert_eq!(bytes(&u.tick_at(ms(650))), [frame(0x1234, 1, 100)]);
        // vibration during a move rides on the next move frame
        assert!(out(660, act(0, Vibrate, 7)).is_empty());
        assert_eq!(bytes(&u.tick_at(ms(700))), [frame(7, 2, 200)]);
        assert_eq!(bytes(&u.tick_at(ms(750))), [frame(7, 3, 300)]);
        assert!(u.tick_at(ms(800)).is_empty());

        // a short move in one step; a tiny distance still moves one unit per tick
        assert!(out(900, mv(1, 0, 50)).is_empty());
        assert_eq!(bytes(&u.tick_at(ms(950))), [frame(7, 4, 0)]);
        assert!(out(1000, mv(1, 2, 10_000)).is_empty());
        assert_eq!(bytes(&u.tick_at(ms(1050))), [frame(7, 5, 1)]);
        assert_eq!(bytes(&u.tick_at(ms(1100))), [frame(7, 6, 2)]);

        // a plain position goes out at once and stops any move
        assert_eq!(
            out(1200, act(1, Position, 732)),
            [(Endpoint::Tx, frame(7, 7, 732), false)]
        );
        assert!(u.tick_at(ms(1250)).is_empty());

        // temperature frame, which the idle repeat then repeats
        let heat = vec![
            0x5a, 0xa5, 0x55, 0x06, 0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 40, 0xff,
        ];
        assert_eq!(
            out(1300, act(2, Temperature, 40)),
            [(Endpoint::Tx, heat.clone(), false)]
        );
        assert_eq!(bytes(&u.tick_at(ms(1800))), [heat]);

        assert!(u.at(ms(1900), &act(0, Vibrate, 70_000)).is_err());
        assert!(u.at(ms(1900), &act(1, Position, -1)).is_err());
        assert!(u.at(ms(1900), &act(0, Rotate, 1)).is_err());
    }
}
