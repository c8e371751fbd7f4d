//! Fox: `[0x03, 0x01, 0x01, 0xFE, speed]`.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "fox";

/// The factory registered as `fox`.
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
        vec![0x03, 0x01, 0x01, 0xfe, byte(NAME, a.value)?],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn vector_bytes() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 3)], false)]);
        let e = |v| bytes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(e(2), [vec![0x03, 0x01, 0x01, 0xfe, 0x02]]);
        assert_eq!(e(3), [vec![0x03, 0x01, 0x01, 0xfe, 0x03]]);
        assert_eq!(e(0), [vec![0x03, 0x01, 0x01, 0xfe, 0x00]]);
    }
}
