//! MaxPro 2 (`maxpro`): one vibrator, speed 0–100. Each command is the ten-byte frame
//! `[0x55, 0x04, 0x07, 0xFF, 0xFF, 0x3F, speed, 0x5F, speed, sum]` written without response to
//! `tx`, where `sum` is the byte-wise sum (mod 256) of the nine bytes before it.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "maxpro";

/// The factory registered as `maxpro`.
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
    let mut data = vec![0x55, 0x04, 0x07, 0xff, 0xff, 0x3f, v, 0x5f, v];
    let sum = data.iter().fold(0u8, |acc, b| acc.wrapping_add(*b));
    data.push(sum);
    Ok(vec![HwCommand::write(Endpoint::Tx, data, mask(a.feature))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn vibrate_bytes() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 100)], false)]);
        let e = |v| writes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        // fixed bytes sum to 0x55+0x04+0x07+0xFF+0xFF+0x3F+0x5F = 0x2FC -> 0xFC
        assert_eq!(
            e(0),
            [(
                Endpoint::Tx,
                vec![0x55, 0x04, 0x07, 0xff, 0xff, 0x3f, 0x00, 0x5f, 0x00, 0xfc],
                false
            )]
        );
        assert_eq!(
            e(50),
            [(
                Endpoint::Tx,
                vec![0x55, 0x04, 0x07, 0xff, 0xff, 0x3f, 0x32, 0x5f, 0x32, 0x60],
                false
            )]
        );
        assert_eq!(
            e(100),
            [(
                Endpoint::Tx,
                vec![0x55, 0x04, 0x07, 0xff, 0xff, 0x3f, 0x64, 0x5f, 0x64, 0xc4],
                false
            )]
        );
        assert!(encode(&act(0, OutputType::Vibrate, 256), &d).is_err());
        assert!(encode(&act(0, OutputType::Rotate, 1), &d).is_err());
    }
}
