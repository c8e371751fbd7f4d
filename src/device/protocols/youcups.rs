//! Youcups (Warrior II): one vibration level sent as ASCII text `$SYS,<level>?` on `tx`
//! (e.g. level 4 is the seven bytes `$SYS,4?`).

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "youcups";

/// The factory registered as `youcups`.
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
    let level = byte(NAME, a.value)?;
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        format!("$SYS,{level}?").into_bytes(),
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn ascii_level() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 8)], false)]);
        let e = |v| writes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(e(4), [(Endpoint::Tx, b"$SYS,4?".to_vec(), false)]);
        assert_eq!(e(8), [(Endpoint::Tx, b"$SYS,8?".to_vec(), false)]);
        assert_eq!(e(0), [(Endpoint::Tx, b"$SYS,0?".to_vec(), false)]);
        assert!(encode(&act(0, OutputType::Vibrate, 300), &d).is_err());
        assert!(encode(&act(0, OutputType::Rotate, 1), &d).is_err());
    }
}
