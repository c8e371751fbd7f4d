//! Rez TranceVibrator (USB): the speed travels as a USB vendor control request. Here that is a
//! one-byte write `<speed>` to the `txvendorcontrol` endpoint (the USB bus layer turns it into
//! the vendor request), without response; 0 stops the motor.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "rez-trancevibrator";

/// The factory registered as `rez-trancevibrator`.
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
        Endpoint::TxVendorControl,
        vec![byte(NAME, a.value)?],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn control_bytes() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 255)], false)]);
        let e = |v| writes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(e(255), [(Endpoint::TxVendorControl, vec![0xff], false)]);
        assert_eq!(e(128), [(Endpoint::TxVendorControl, vec![0x80], false)]);
        assert_eq!(e(0), [(Endpoint::TxVendorControl, vec![0x00], false)]);
        assert!(encode(&act(0, OutputType::Vibrate, 300), &d).is_err());
        assert!(encode(&act(0, OutputType::Rotate, 1), &d).is_err());
    }
}
