//! ManNuo (`mannuo`): one vibrator with levels 0–3. Each command is the nine-byte frame
//! `[0xAA, 0x55, 0x06, 0x01, 0x01, 0x01, level, 0xFA, check]` written with response to `tx`,
//! where `check` is the XOR of the eight bytes before it.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "mannuo";

/// The factory registered as `mannuo`.
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
    let mut data = vec![
        0xaa,
        0x55,
        0x06,
        0x01,
        0x01,
        0x01,
        byte(NAME, a.value)?,
        0xfa,
    ];
    let check = data.iter().fold(0u8, |acc, b| acc ^ b);
    data.push(check);
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        data,
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn vibrate_bytes() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 3)], false)]);
        let e = |v| writes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        // 0xAA^0x55^0x06^0x01^0x01^0x01^0xFA = 0x02, then ^ level
        assert_eq!(
            e(0),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, 0x00, 0xfa, 0x02],
                true
            )]
        );
        assert_eq!(
            e(2),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, 0x02, 0xfa, 0x00],
                true
            )]
        );
        assert_eq!(
            e(3),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, 0x03, 0xfa, 0x01],
                true
            )]
        );
        assert!(encode(&act(0, OutputType::Vibrate, 300), &d).is_err());
        assert!(encode(&act(0, OutputType::Rotate, 1), &d).is_err());
    }
}
