//! Vorze SA series: 3-byte frames `<device code> <action> <value>` chosen by the definition's
//! `protocol_variant` (and, for the single-motor variants, by the advertised name):
//!
//! * single rotator (Cyclone `01`, UFO `02`): `<dev> 01 <cw<<7 | speed>`;
//! * dual rotator (UFO TW): `05 <left> <right>`, each `cw<<7 | speed`;
//! * single vibrator (Bach `06`, Rocket `07`): `<dev> 03 <speed>`;
//! * dual vibrator (Omorfi): `09 <first> <second>`;
//! * piston: `03 <position> <speed>`, the speed derived from distance and duration.

use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    all_features, FeatureMask, HwCommand, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{byte, mask, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "vorze-sa";

const ROTATE: u8 = 1;
const VIBRATE: u8 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    SingleRotator(u8),
    DualRotator,
    SingleVibrator(u8),
    DualVibrator,
    Piston,
}

/// Direction bit (set for clockwise, and for stop) plus the speed.
fn rotation_byte(value: i32) -> Result<u8, DeviceError> {
    let speed = byte(NAME, value.saturating_abs())?;
    if speed & 0x80 != 0 {
        return Err(DeviceError::protocol(NAME, "rotation speed too high"));
    }
    Ok(if value >= 0 { 0x80 | speed } else { speed })
}

/// Piston speed (0–100) for a move of `distance` units (0–200) over `duration_ms`.
fn piston_speed(distance: f64, duration_ms: f64) -> u8 {
    if distance <= 0.0 {
        return 100;
    }
    let distance = distance.min(200.0);
    // Scale the duration to a full-length stroke, then apply the device's speed curve.
    let full = 200.0 * duration_ms / distance;
    let speed = (full / 6658.0).powf(-1.21);
    if speed.is_nan() {
        return 100;
    }
    // speed is clamped to 0..=100, the cast truncates like the vendor app
    speed.clamp(0.0, 100.0) as u8
}

struct VorzeHandler {
    variant: Variant,
    state: Mutex<[i32; 2]>,
    pair_mask: FeatureMask,
}

impl ProtocolHandler for VorzeHandler {
    fn output(&self, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        let mut state = self.state.lock();
        let (data, features) = match (self.variant, a.kind) {
            (Variant::SingleRotator(dev), OutputType::Rotate) => {
                (vec![dev, ROTATE, rotation_byte(a.value)?], mask(a.feature))
            }
            (Variant::SingleVibrator(dev), OutputType::Vibrate) => {
                (vec![dev, VIBRATE, byte(NAME, a.value)?], mask(a.feature))
            }
            (Variant::DualRotator, OutputType::Rotate)
            | (Variant::DualVibrator, OutputType::Vibrate) => {
                let mut next = *state;
                *next
                    .get_mut(a.feature as usize)
                    .ok_or_else(|| unsupported(NAME, a))? = a.value;
                let [first, second] = next;
                let data = if self.variant == Variant::DualRotator {
                    vec![0x05, rotation_byte(first)?, rotation_byte(second)?]
                } else {
                    vec![0x09, byte(NAME, first)?, byte(NAME, second)?]
                };
                *state = next;
                (data, self.pair_mask)
            }
            (Variant::Piston, OutputType::HwPositionWithDuration) => {
                let position = byte(NAME, a.value)?;
                let [previous, _] = *state;
                let distance = (f64::from(previous) - f64::from(position)).abs();
                let speed = piston_speed(distance, f64::from(a.duration.unwrap_or(0)));
                *state = [i32::from(position), 0];
                (vec![0x03, position, speed], mask(a.feature))
            }
            _ => return Err(unsupported(NAME, a)),
        };
        Ok(vec![HwCommand::write_with_response(
            Endpoint::Tx,
            data,
            features,
        )])
    }
}

struct VorzeSa;

#[async_trait]
impl ProtocolFactory for VorzeSa {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let name = hardware.name().to_ascii_lowercase();
        let unknown = || {
            DeviceError::NotSupported(format!(
                "no Vorze implementation for {:?} ({:?})",
                hardware.name(),
                definition.protocol_variant
            ))
        };
        let variant = match definition.protocol_variant.as_deref() {
            Some("vorze-sa-single-rotator") if name.contains("cycsa") => Variant::SingleRotator(1),
            Some("vorze-sa-single-rotator") if name.contains("ufo") => Variant::SingleRotator(2),
            Some("vorze-sa-dual-rotator") => Variant::DualRotator,
            Some("vorze-sa-single-vibrator") if name.contains("bach") => Variant::SingleVibrator(6),
            Some("vorze-sa-single-vibrator") if name.contains("rocket") => {
                Variant::SingleVibrator(7)
            }
            Some("vorze-sa-dual-vibrator") => Variant::DualVibrator,
            Some("vorze-sa-piston") => Variant::Piston,
            _ => return Err(unknown()),
        };
        Ok(Arc::new(VorzeHandler {
            variant,
            state: Mutex::new([0; 2]),
            pair_mask: all_features(definition),
        }))
    }
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![Arc::new(VorzeSa)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    /// The bytes of the reference's `vorze_cyclone` case (Vorze A10 Cyclone SA).
    #[tokio::test]
    async fn vorze_cyclone() {
        let mut d = def_with(&["CycSA"], &[(0, &[(Rotate, -99, 99)], false)]);
        d.protocol_variant = Some("vorze-sa-single-rotator".to_string());
        let (sim, hw) = connect(spec("CycSA", &[Endpoint::Tx])).await;
        let h = named(factories(), "vorze-sa")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Rotate, 50)]).unwrap()),
            [(Endpoint::Tx, vec![0x01, 0x01, 0xb2], true)]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Rotate, -99)]).unwrap()),
            [(Endpoint::Tx, vec![0x01, 0x01, 0x63], true)]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Rotate, 0)]).unwrap()),
            [(Endpoint::Tx, vec![0x01, 0x01, 0x80], true)]
        );
    }

    /// The bytes of the reference's `vorze_ufo` case (Vorze UFO SA).
    #[tokio::test]
    async fn vorze_ufo() {
        let mut d = def_with(&["UFOSA"], &[(0, &[(Rotate, -99, 99)], false)]);
        d.protocol_variant = Some("vorze-sa-single-rotator".to_string());
        let (sim, hw) = connect(spec("UFOSA", &[Endpoint::Tx])).await;
        let h = named(factories(), "vorze-sa")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Rotate, 50)]).unwrap()),
            [(Endpoint::Tx, vec![0x02, 0x01, 0xb2], true)]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Rotate, -99)]).unwrap()),
            [(Endpoint::Tx, vec![0x02, 0x01, 0x63], true)]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Rotate, 0)]).unwrap()),
            [(Endpoint::Tx, vec![0x02, 0x01, 0x80], true)]
        );
    }

    /// The bytes of the reference's `vorze_ufo_tw` case (Vorze UFO TW).
    #[tokio::test]
    async fn vorze_ufo_tw() {
        let mut d = def_with(
            &["UFO-TW"],
            &[
                (0, &[(Rotate, -99, 99)], false),
                (1, &[(Rotate, -99, 99)], false),
            ],
        );
        d.protocol_variant = Some("vorze-sa-dual-rotator".to_string());
        let (sim, hw) = connect(spec("UFO-TW", &[Endpoint::Tx])).await;
        let h = named(factories(), "vorze-sa")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Rotate, 50)]).unwrap()),
            [(Endpoint::Tx, vec![0x05, 0xb2, 0x80], true)]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Rotate, -99)]).unwrap()),
            [(Endpoint::Tx, vec![0x05, 0x63, 0x80], true)]
        );
        assert_eq!(
            writes(&h.outputs(&[act(1, Rotate, 25)]).unwrap()),
            [(Endpoint::Tx, vec![0x05, 0x63, 0x99], true)]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Rotate, 25)]).unwrap()),
            [(Endpoint::Tx, vec![0x05, 0x99, 0x99], true)]
        );
        assert_eq!(
            writes(
                &h.stop_outputs(&[act(0, Rotate, 0), act(1, Rotate, 0)])
                    .unwrap()
            ),
            [(Endpoint::Tx, vec![0x05, 0x80, 0x80], true)]
        );
    }

    #[test]
    fn piston_speeds() {
        assert_eq!(piston_speed(0.0, 100.0), 100);
        assert_eq!(piston_speed(50.0, 0.0), 100);
        assert!(piston_speed(200.0, 6658.0) == 1);
        assert!(piston_speed(100.0, 10_000.0) < piston_speed(100.0, 1_000.0));
    }

    #[test]
    fn rotation_bytes() {
        assert_eq!(rotation_byte(50).unwrap(), 0xb2);
        assert_eq!(rotation_byte(-99).unwrap(), 0x63);
        assert_eq!(rotation_byte(0).unwrap(), 0x80);
    }
}
