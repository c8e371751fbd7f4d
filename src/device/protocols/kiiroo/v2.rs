//! Kiiroo second-generation devices.
//!
//! * `kiiroo-v2` (Fleshlight Launch, Onyx 2): initialisation writes `[0x00]` with response to
//!   the `firmware` endpoint, which switches the device into command mode. A move is the
//!   two-byte packet `[position, speed]` (position 0–99) written without response to `tx`; the
//!   device wants a speed, so the handler derives it from the distance to the previous position
//!   and the requested duration (see [`launch_speed`]).
//! * `kiiroo-v2-vibrator` (Pearl 2, Fuse, Titan, PornHub Virtual Rabbit/Blowbot): up to three
//!   vibrators whose speeds (0–100) always travel together as `[speed0, speed1, speed2]`
//!   (missing motors are 0), written without response to `tx`.

use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory, ProtocolHandler};
use crate::device::protocols::kit::{byte, mask, unsupported, AllFeatures, Sequential};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "kiiroo-v2";
const VIBRATOR: &str = "kiiroo-v2-vibrator";

/// Speed code of a Launch-style stroker that has to travel from `previous` to `goal`
/// (positions 0–99) in `duration_ms`.
///
/// The Launch curve: with `d` the travelled fraction of the full stroke (capped at 1), the speed
/// fraction is `250 · (duration_ms · 90 / (d · 100))^-1.05`, scaled by 99 and truncated. No travel
/// means speed 0. As in the reference, a move faster than the curve's full speed is not capped at
/// 99: the code saturates at 255 (a zero duration gives 255), which is what the devices receive
/// from the reference.
pub(super) fn launch_speed(previous: u8, goal: u8, duration_ms: u32) -> u8 {
    let distance = (f64::from(previous.abs_diff(goal)) / 99.0).min(1.0);
    if distance <= 0.0 {
        return 0;
    }
    if duration_ms == 0 {
        return u8::MAX;
    }
    let base = f64::from(duration_ms) * 90.0 / (distance * 100.0);
    let fraction = 250.0 * base.powf(-1.05);
    // truncated, saturating at 0 and 255
    (fraction * 99.0).floor().clamp(0.0, 255.0) as u8
}

/// The `kiiroo-v2` factory.
struct KiirooV2;

/// The handler of one Launch / Onyx 2: remembers the last position sent.
struct KiirooV2Handler {
    previous: Mutex<u8>,
}

/// The factory registered as `kiiroo-v2`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(KiirooV2)
}

/// The factory registered as `kiiroo-v2-vibrator`.
fn vibrator_factory() -> Arc<dyn ProtocolFactory> {
    // a stop of several motors sends one packet per motor, as the reference does
    Sequential::new(AllFeatures::new(VIBRATOR, encode_vibrators))
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory(), vibrator_factory()]
}

#[async_trait]
impl ProtocolFactory for KiirooV2 {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        _definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        hardware.write(Endpoint::Firmware, &[0x00], true).await?;
        Ok(Arc::new(KiirooV2Handler {
            previous: Mutex::new(0),
        }))
    }
}

impl ProtocolHandler for KiirooV2Handler {
    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if action.kind != OutputType::HwPositionWithDuration {
            return Err(unsupported(NAME, action));
        }
        let goal = byte(NAME, action.value)?;
        let mut previous = self.previous.lock();
        let speed = launch_speed(*previous, goal, action.duration.unwrap_or(0));
        *previous = goal;
        Ok(vec![HwCommand::write(
            Endpoint::Tx,
            vec![goal, speed],
            mask(action.feature),
        )])
    }
}

fn encode_vibrators(values: &[i32], _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if values.len() > 3 {
        return Err(DeviceError::protocol(
            VIBRATOR,
            format!("{} motors, the protocol carries at most 3", values.len()),
        ));
    }
    let mut data = vec![0u8; 3];
    for (slot, v) in data.iter_mut().zip(values) {
        *slot = byte(VIBRATOR, *v)?;
    }
    Ok(vec![HwCommand::write(Endpoint::Tx, data, 0)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn speed_curve() {
        // full stroke in 1 s: 250 * 900^-1.05 * 99 = 19.57
        assert_eq!(launch_speed(0, 99, 1000), 19);
        // full stroke in 500 ms: 250 * 450^-1.05 * 99 = 40.5
        assert_eq!(launch_speed(99, 0, 500), 40);
        // half stroke in 500 ms: 250 * 891^-1.05 * 99 = 19.78
        assert_eq!(launch_speed(0, 50, 500), 19);
        // faster than the device can go
        // faster than full speed: not capped at 99 (the reference's bytes)
        assert_eq!(launch_speed(0, 99, 100), 219);
        assert_eq!(launch_speed(0, 99, 0), 255);
        assert_eq!(launch_speed(0, 99, 200), 106);
        assert_eq!(launch_speed(0, 99, 50), 255);
        // no travel
        assert_eq!(launch_speed(40, 40, 0), 0);
        assert_eq!(launch_speed(40, 40, 500), 0);
    }

    #[tokio::test]
    async fn launch_initialisation_and_moves() {
        let d = def(&[(0, &[(OutputType::HwPositionWithDuration, 0, 99)], false)]);
        let (sim, hw) = connect(spec(
            "Launch",
            &[Endpoint::Firmware, Endpoint::Tx, Endpoint::Rx],
        ))
        .await;
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(sim.take_ops(), [w(Endpoint::Firmware, &[0x00], true)]);
        let m = |p, t| writes(&h.output(&mv(0, p, t)).unwrap());
        assert_eq!(m(99, 1000), [(Endpoint::Tx, vec![99, 19], false)]);
        assert_eq!(m(0, 500), [(Endpoint::Tx, vec![0, 40], false)]);
        assert_eq!(m(50, 500), [(Endpoint::Tx, vec![50, 19], false)]);
        assert_eq!(m(50, 500), [(Endpoint::Tx, vec![50, 0], false)]);
        assert!(h.output(&act(0, OutputType::Vibrate, 1)).is_err());
        assert!(h.output(&mv(0, 300, 100)).is_err());
    }

    #[tokio::test]
    async fn vibrator_packs_three_motors() {
        let d = def(&[
            (0, &[(OutputType::Vibrate, 0, 100)], false),
            (1, &[(OutputType::Vibrate, 0, 100)], false),
            (2, &[(OutputType::Vibrate, 0, 100)], false),
        ]);
        let (sim, hw) = connect(spec("Titan", &[Endpoint::Tx])).await;
        let h = init(&*vibrator_factory(), &hw, &d).await;
        assert!(sim.take_ops().is_empty());
        let o = |a: &[OutputAction]| writes(&h.outputs(a).unwrap());
        assert_eq!(
            o(&[act(1, OutputType::Vibrate, 50)]),
            [(Endpoint::Tx, vec![0, 50, 0], false)]
        );
        assert_eq!(
            o(&[
                act(0, OutputType::Vibrate, 100),
                act(2, OutputType::Vibrate, 20)
            ]),
            [
                (Endpoint::Tx, vec![100, 50, 0], false),
                (Endpoint::Tx, vec![100, 50, 20], false)
            ]
        );
        assert_eq!(
            o(&[act(1, OutputType::Vibrate, 0)]),
            [(Endpoint::Tx, vec![100, 0, 20], false)]
        );
        // a stop of the running motors: one packet per motor, in feature order
        assert_eq!(
            bytes(
                &h.outputs(&[
                    act(0, OutputType::Vibrate, 0),
                    act(2, OutputType::Vibrate, 0)
                ])
                .unwrap()
            ),
            [vec![0, 0, 20], vec![0, 0, 0]]
        );
    }

    #[tokio::test]
    async fn vibrator_single_motor_is_padded() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 100)], false)]);
        let (_sim, hw) = connect(spec("Pearl2", &[Endpoint::Tx])).await;
        let h = init(&*vibrator_factory(), &hw, &d).await;
        assert_eq!(
            bytes(&h.output(&act(0, OutputType::Vibrate, 75)).unwrap()),
            [vec![75, 0, 0]]
        );
    }
}
