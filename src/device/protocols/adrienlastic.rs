//! Adrien Lastic: ASCII `MotorValue:NN;` (two digits at least), written with response.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "adrienlastic";

/// The factory registered as `adrienlastic`.
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
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        format!("MotorValue:{speed:02};").into_bytes(),
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn vector_bytes() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 16)], false)]);
        let e = |v| writes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(e(8), [(Endpoint::Tx, b"MotorValue:08;".to_vec(), true)]);
        assert_eq!(e(2), [(Endpoint::Tx, b"MotorValue:02;".to_vec(), true)]);
        assert_eq!(e(0), [(Endpoint::Tx, b"MotorValue:00;".to_vec(), true)]);
        assert_eq!(e(16), [(Endpoint::Tx, b"MotorValue:16;".to_vec(), true)]);
    }
}
