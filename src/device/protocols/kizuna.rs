//! Kizuna Smart (serial, 19200 baud): the rotation speed 0–9 is sent as its ASCII digit followed
//! by CR LF, e.g. speed 5 is `"5\r\n"`.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "kizuna";

/// The factory registered as `kizuna`.
fn factory() -> Arc<dyn ProtocolFactory> {
    PerFeature::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if a.kind != OutputType::Rotate {
        return Err(unsupported(NAME, a));
    }
    let digit = u8::try_from(a.value)
        .ok()
        .filter(|v| *v <= 9)
        .ok_or_else(|| {
            DeviceError::protocol(NAME, format!("speed {} is not a single digit", a.value))
        })?;
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![b'0' + digit, b'\r', b'\n'],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn rotate_bytes() {
        let d = def(&[(0, &[(OutputType::Rotate, 0, 9)], false)]);
        let e = |v| writes(&encode(&act(0, OutputType::Rotate, v), &d).unwrap());
        assert_eq!(e(0), [(Endpoint::Tx, b"0\r\n".to_vec(), false)]);
        assert_eq!(e(5), [(Endpoint::Tx, b"5\r\n".to_vec(), false)]);
        assert_eq!(e(9), [(Endpoint::Tx, vec![0x39, 0x0d, 0x0a], false)]);
        assert!(encode(&act(0, OutputType::Rotate, 10), &d).is_err());
        assert!(encode(&act(0, OutputType::Rotate, -1), &d).is_err());
        assert!(encode(&act(0, OutputType::Vibrate, 1), &d).is_err());
        assert_eq!(factory().name(), "kizuna");
    }
}
