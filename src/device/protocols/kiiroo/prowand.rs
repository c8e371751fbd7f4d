//! Kiiroo ProWand: `[0x00, 0x00, 0x64, on·0xFF, speed, speed]`; battery from the standard BLE
//! battery characteristic.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "kiiroo-prowand";

/// The factory registered as `kiiroo-prowand`.
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
    let v = byte(NAME, a.value)?;
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![0x00, 0x00, 0x64, if v > 0 { 0xff } else { 0x00 }, v, v],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn vector_bytes() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 255)], false), (1, &[], true)]);
        let e = |v| bytes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(e(128), [vec![0, 0, 0x64, 0xff, 0x80, 0x80]]);
        assert_eq!(e(255), [vec![0, 0, 0x64, 0xff, 0xff, 0xff]]);
        assert_eq!(e(0), [vec![0, 0, 0x64, 0, 0, 0]]);
    }
}
