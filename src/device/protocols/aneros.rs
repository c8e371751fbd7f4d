//! Aneros: `[0xF1 + motor, speed]` per motor.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "aneros";

/// The factory registered as `aneros`.
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
    let command = u8::try_from(a.feature)
        .ok()
        .and_then(|f| 0xf1u8.checked_add(f))
        .ok_or_else(|| unsupported(NAME, a))?;
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![command, byte(NAME, a.value)?],
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
            (0, &[(OutputType::Vibrate, 0, 127)], false),
            (1, &[(OutputType::Vibrate, 0, 127)], false),
        ]);
        let e = |f, v| bytes(&encode(&act(f, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(e(0, 64), [vec![0xf1, 0x40]]);
        assert_eq!(e(0, 13), [vec![0xf1, 0x0d]]);
        assert_eq!(e(1, 64), [vec![0xf2, 0x40]]);
        assert_eq!(e(1, 0), [vec![0xf2, 0x00]]);
    }
}
