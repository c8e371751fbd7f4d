//! Realov: one 4-byte frame per vibration change, `C5 55 <speed> AA`, written without response
//! on `tx`; the speed byte is the device value as is.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "realov";

/// The factory registered as `realov`.
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
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![0xc5, 0x55, speed, 0xaa],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn frames() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 50)], false)]);
        let e = |v| writes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(e(25), [(Endpoint::Tx, vec![0xc5, 0x55, 0x19, 0xaa], false)]);
        assert_eq!(e(50), [(Endpoint::Tx, vec![0xc5, 0x55, 0x32, 0xaa], false)]);
        assert_eq!(e(0), [(Endpoint::Tx, vec![0xc5, 0x55, 0x00, 0xaa], false)]);
        assert!(encode(&act(0, OutputType::Vibrate, 256), &d).is_err());
        assert!(encode(&act(0, OutputType::Rotate, 1), &d).is_err());
    }
}
