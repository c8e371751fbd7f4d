//! iToys: `[0xA0, mode, on, 0x00, ...]` packets: vibration `[0xA0, 0x01, 0, 0, speed, 0xFF]`,
//! oscillation `[0xA0, 0x06, on, 0, on, speed]`, rotation `[0xA0, 0x08, on, 0, speed, on·0xFF]`.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "itoys";

/// The factory registered as `itoys`.
fn factory() -> Arc<dyn ProtocolFactory> {
    PerFeature::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let packet = match a.kind {
        OutputType::Vibrate => vec![0xa0, 0x01, 0x00, 0x00, byte(NAME, a.value)?, 0xff],
        OutputType::Oscillate => {
            let v = byte(NAME, a.value)?;
            let on = u8::from(v > 0);
            vec![0xa0, 0x06, on, 0x00, on, v]
        }
        OutputType::Rotate => {
            let v = byte(
                NAME,
                i32::try_from(a.value.unsigned_abs()).unwrap_or(i32::MAX),
            )?;
            let on = u8::from(v > 0);
            vec![0xa0, 0x08, on, 0x00, v, if v > 0 { 0xff } else { 0x00 }]
        }
        // suction: `a0 0d 00 00 <level> <64 while on>`
        OutputType::Constrict => {
            let v = byte(NAME, a.value)?;
            vec![0xa0, 0x0d, 0x00, 0x00, v, if v > 0 { 0x64 } else { 0x00 }]
        }
        _ => return Err(unsupported(NAME, a)),
    };
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        packet,
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn vector_bytes() {
        let d = def(&[
            (0, &[(OutputType::Vibrate, 0, 3)], false),
            (1, &[(OutputType::Oscillate, 0, 255)], false),
        ]);
        let e = |f, k, v| bytes(&encode(&act(f, k, v), &d).unwrap());
        assert_eq!(
            e(0, OutputType::Vibrate, 2),
            [vec![0xa0, 0x01, 0, 0, 0x02, 0xff]]
        );
        assert_eq!(
            e(0, OutputType::Vibrate, 0),
            [vec![0xa0, 0x01, 0, 0, 0x00, 0xff]]
        );
        assert_eq!(
            e(1, OutputType::Oscillate, 230),
            [vec![0xa0, 0x06, 0x01, 0, 0x01, 0xe6]]
        );
        assert_eq!(
            e(1, OutputType::Oscillate, 0),
            [vec![0xa0, 0x06, 0, 0, 0, 0]]
        );
        assert_eq!(
            e(1, OutputType::Rotate, 3),
            [vec![0xa0, 0x08, 1, 0, 3, 0xff]]
        );
        assert_eq!(
            bytes(&encode(&act(1, OutputType::Constrict, 13), &d).unwrap()),
            [vec![0xa0, 0x0d, 0, 0, 0x0d, 0x64]]
        );
        assert_eq!(
            bytes(&encode(&act(1, OutputType::Constrict, 0), &d).unwrap()),
            [vec![0xa0, 0x0d, 0, 0, 0, 0]]
        );
    }
}
