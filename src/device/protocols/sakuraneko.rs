//! Sakuraneko: a 12-byte frame, `a1` for vibration and `a2` for rotation.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "sakuraneko";

fn encode(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let (command, tail) = match action.kind {
        OutputType::Vibrate => (0xa1, 0x64),
        OutputType::Rotate => (0xa2, 0x32),
        _ => return Err(unsupported(NAME, action)),
    };
    let v = byte(NAME, action.value)?;
    let data = vec![
        command, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, v, 0x00, tail, 0xdf, 0x55,
    ];
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
        check_vectors(&["sakuraneko_koikoi", "sakuraneko_protocol"]);
    }
}
