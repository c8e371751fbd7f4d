//! Cupido: `[0xB0, 0x03, 0, 0, 0, speed, 0xAA]`.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "cupido";

/// The factory registered as `cupido`.
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
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![0xb0, 0x03, 0x00, 0x00, 0x00, byte(NAME, a.value)?, 0xaa],
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
        assert_eq!(e(128), [vec![0xb0, 0x03, 0, 0, 0, 0x80, 0xaa]]);
        assert_eq!(e(192), [vec![0xb0, 0x03, 0, 0, 0, 0xc0, 0xaa]]);
        assert_eq!(e(0), [vec![0xb0, 0x03, 0, 0, 0, 0, 0xaa]]);
    }
}
