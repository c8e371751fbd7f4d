//! Picobong: `01 <mode> <speed>` on `tx`, without response. The mode byte is `01` (steady
//! vibration) while the speed is non-zero and `FF` (off) for speed 0.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "picobong";

/// Mode byte for a running motor.
const MODE_STEADY: u8 = 0x01;
/// Mode byte that switches the motor off.
const MODE_OFF: u8 = 0xff;

/// The factory registered as `picobong`.
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
    let mode = if speed == 0 { MODE_OFF } else { MODE_STEADY };
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![0x01, mode, speed],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn frames() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 10)], false)]);
        let e = |v| writes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(e(5), [(Endpoint::Tx, vec![0x01, 0x01, 0x05], false)]);
        assert_eq!(e(10), [(Endpoint::Tx, vec![0x01, 0x01, 0x0a], false)]);
        assert_eq!(e(0), [(Endpoint::Tx, vec![0x01, 0xff, 0x00], false)]);
        assert!(encode(&act(0, OutputType::Vibrate, -1), &d).is_err());
        assert!(encode(&act(0, OutputType::Oscillate, 1), &d).is_err());
    }
}
