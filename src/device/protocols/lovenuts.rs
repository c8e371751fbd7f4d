//! Love Nuts (`lovenuts`): one vibrator with 16 levels. Every command is a 16-byte packet
//! written without response to `tx`: the ASCII header `EVOL`, then ten copies of the level in
//! both nibbles (`level * 0x11`), then `0x00, 0xFF`.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "lovenuts";

/// The factory registered as `lovenuts`.
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
    let level = u8::try_from(a.value)
        .ok()
        .filter(|v| *v <= 0x0f)
        .ok_or_else(|| DeviceError::protocol(NAME, format!("level {} is not 0-15", a.value)))?;
    let mut data = b"EVOL".to_vec();
    data.extend([level << 4 | level; 10]);
    data.extend([0x00, 0xff]);
    Ok(vec![HwCommand::write(Endpoint::Tx, data, mask(a.feature))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn vibrate_bytes() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 15)], false)]);
        let e = |v| writes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        let packet = |n: u8| {
            let mut p = vec![0x45, 0x56, 0x4f, 0x4c];
            p.extend([n; 10]);
            p.extend([0x00, 0xff]);
            p
        };
        assert_eq!(e(15), [(Endpoint::Tx, packet(0xff), false)]);
        assert_eq!(e(7), [(Endpoint::Tx, packet(0x77), false)]);
        assert_eq!(e(1), [(Endpoint::Tx, packet(0x11), false)]);
        assert_eq!(e(0), [(Endpoint::Tx, packet(0x00), false)]);
        assert!(encode(&act(0, OutputType::Vibrate, 16), &d).is_err());
        assert!(encode(&act(0, OutputType::Vibrate, -1), &d).is_err());
        assert!(encode(&act(0, OutputType::Oscillate, 1), &d).is_err());
    }
}
