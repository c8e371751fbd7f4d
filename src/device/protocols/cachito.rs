//! Cachito: `[0x02 + motor, 0x01 + motor, speed, 0x00]` per motor.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "cachito";

/// The factory registered as `cachito`.
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
    let motor = u8::try_from(a.feature)
        .ok()
        .filter(|m| *m < 0xf0)
        .ok_or_else(|| unsupported(NAME, a))?;
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![2 + motor, 1 + motor, byte(NAME, a.value)?, 0x00],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn vector_bytes() {
        let d = def(&[
            (0, &[(OutputType::Vibrate, 0, 5)], false),
            (1, &[(OutputType::Vibrate, 0, 100)], false),
        ]);
        let e = |f, v| bytes(&encode(&act(f, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(e(0, 3), [vec![0x02, 0x01, 0x03, 0x00]]);
        assert_eq!(e(1, 50), [vec![0x03, 0x02, 0x32, 0x00]]);
        assert_eq!(e(1, 90), [vec![0x03, 0x02, 0x5a, 0x00]]);
        assert_eq!(e(0, 0), [vec![0x02, 0x01, 0x00, 0x00]]);
    }
}
