//! Synchro: `a1 01 <speed|dir> 77 55`, bit 7 set for counter-clockwise rotation.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "synchro";

fn encode(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if action.kind != OutputType::Rotate {
        return Err(unsupported(NAME, action));
    }
    let speed = byte(NAME, action.value.saturating_abs())?;
    if speed & 0x80 != 0 {
        return Err(DeviceError::protocol(NAME, "rotation speed too high"));
    }
    let direction = if action.value < 0 { 0x80 } else { 0x00 };
    let data = vec![0xa1, 0x01, speed | direction, 0x77, 0x55];
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        data,
        mask(action.feature),
    )])
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![PerFeature::new(NAME, encode)]
}

#[cfg(test)]
mod tests {
    use crate::device::protocols::vectors_b::check_vectors;

    #[test]
    fn vectors() {
        check_vectors(&["synchro_protocol"]);
    }
}
