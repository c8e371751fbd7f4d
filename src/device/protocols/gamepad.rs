//! Gamepad rumble: `xinput` (XBox-compatible controllers, two motors) and `sdl-gamepad` (SDL's
//! gamepad rumble: low- and high-frequency motors, then left and right trigger motors).
//!
//! These devices are not byte protocols: a gamepad comm manager hands the motor strengths to the
//! platform API. The handler's packet is that hand-over: one write on `tx` carrying every motor
//! as a little-endian `u16` (0–65535) in feature order, so the comm manager sets them all at
//! once, as the APIs expect.

use std::sync::Arc;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, ProtocolFactory};
use crate::device::protocols::kit::AllFeatures;
use crate::error::DeviceError;

/// The factory registered as `xinput`.
fn xinput() -> Arc<dyn ProtocolFactory> {
    AllFeatures::new("xinput", |values, d| encode("xinput", values, d))
}

/// The factory registered as `sdl-gamepad`.
fn sdl_gamepad() -> Arc<dyn ProtocolFactory> {
    AllFeatures::new("sdl-gamepad", |values, d| encode("sdl-gamepad", values, d))
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![sdl_gamepad(), xinput()]
}

fn encode(
    protocol: &str,
    values: &[i32],
    _: &DeviceDefinition,
) -> Result<Vec<HwCommand>, DeviceError> {
    let mut packet = Vec::with_capacity(values.len() * 2);
    for v in values {
        let strength = u16::try_from(*v).map_err(|_| {
            DeviceError::OutOfRange(format!("{protocol}: rumble {v} is outside 0..65535"))
        })?;
        packet.extend_from_slice(&strength.to_le_bytes());
    }
    Ok(vec![HwCommand::write(Endpoint::Tx, packet, u64::MAX)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::Vibrate;
    use crate::device::protocols::testkit::*;

    #[test]
    fn every_motor_travels_in_one_packet() {
        let d = def(&[
            (0, &[(Vibrate, 0, 65535)], false),
            (1, &[(Vibrate, 0, 65535)], false),
        ]);
        let p = bytes(&encode("xinput", &[65535, 256], &d).unwrap());
        assert_eq!(p, [vec![0xff, 0xff, 0x00, 0x01]]);
        let p = bytes(&encode("sdl-gamepad", &[1, 0, 0, 2], &d).unwrap());
        assert_eq!(p, [vec![1, 0, 0, 0, 0, 0, 2, 0]]);
        assert!(encode("xinput", &[70000, 0], &d).is_err());
        assert!(encode("xinput", &[-1, 0], &d).is_err());
    }
}
