//! ActiveJoy (IntoYou): `[0xB0, 0x01, 0x00, motor, on, speed]` on `tx`, one packet per motor.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "activejoy";

/// The factory registered as `activejoy`.
fn factory() -> Arc<dyn ProtocolFactory> {
    PerFeature::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if a.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, a));
    }
    let speed = byte(NAME, a.value)?;
    let motor = byte(NAME, i32::try_from(a.feature).unwrap_or(i32::MAX))?;
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![0xb0, 0x01, 0x00, motor, u8::from(speed > 0), speed],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn vector_bytes() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 255)], false)]);
        let e = |v| bytes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(e(128), [vec![0xb0, 0x01, 0x00, 0x00, 0x01, 0x80]]);
        assert_eq!(e(192), [vec![0xb0, 0x01, 0x00, 0x00, 0x01, 0xc0]]);
        assert_eq!(e(0), [vec![0xb0, 0x01, 0x00, 0x00, 0x00, 0x00]]);
    }
}
