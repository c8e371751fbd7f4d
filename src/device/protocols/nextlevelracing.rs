//! Next Level Racing HF8 haptic pad (serial, 115200 8N1): one ASCII line per motor change,
//! `M<motor index><speed>\r` with both numbers in decimal, e.g. `M3128\r` sets motor 3 to 128.
//! Each of the eight motors is one vibrate feature; the feature index is the motor index.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "nextlevelracing";

/// The factory registered as `nextlevelracing`.
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
        format!("M{}{}\r", a.feature, speed).into_bytes(),
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn lines() {
        let motors: Vec<FeatureSpec<'_>> = (0..8)
            .map(|i| (i, &[(OutputType::Vibrate, 0, 255)][..], false))
            .collect();
        let d = def(&motors);
        let e = |f, v| writes(&encode(&act(f, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(e(0, 255), [(Endpoint::Tx, b"M0255\r".to_vec(), false)]);
        assert_eq!(e(3, 128), [(Endpoint::Tx, b"M3128\r".to_vec(), false)]);
        assert_eq!(e(7, 0), [(Endpoint::Tx, b"M70\r".to_vec(), false)]);
        assert!(encode(&act(0, OutputType::Vibrate, 256), &d).is_err());
        assert!(encode(&act(0, OutputType::Oscillate, 1), &d).is_err());
    }
}
