//! Fleshy Thrust: `[position, duration high byte, duration low byte]` (duration in ms).

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "fleshy-thrust";

/// The factory registered as `fleshy-thrust`.
fn factory() -> Arc<dyn ProtocolFactory> {
    PerFeature::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if a.kind != OutputType::HwPositionWithDuration {
        return Err(unsupported(NAME, a));
    }
    let position = byte(NAME, a.value)?;
    let duration = u16::try_from(a.duration.unwrap_or(0)).unwrap_or(u16::MAX);
    let [hi, lo] = duration.to_be_bytes();
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![position, hi, lo],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn vector_bytes() {
        let d = def(&[(0, &[(OutputType::HwPositionWithDuration, 0, 180)], false)]);
        assert_eq!(
            bytes(&encode(&mv(0, 54, 1000), &d).unwrap()),
            [vec![0x36, 0x03, 0xe8]]
        );
    }
}
