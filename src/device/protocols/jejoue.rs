//! Je Joue: one packet `[pattern, speed]` for two motors that share one speed. Pattern 1 runs
//! both motors, 2 only the first, 3 only the second; the speed is the first motor's, or the
//! second's when the first is off.

use std::sync::Arc;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, ProtocolFactory};
use crate::device::protocols::kit::{byte, AllFeatures};
use crate::error::DeviceError;

const NAME: &str = "jejoue";

/// The factory registered as `jejoue`.
fn factory() -> Arc<dyn ProtocolFactory> {
    AllFeatures::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(values: &[i32], _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let first = byte(NAME, values.first().copied().unwrap_or(0))?;
    let second = byte(NAME, values.get(1).copied().unwrap_or(0))?;
    let (pattern, speed) = match (first, second) {
        (0, 0) => (1, 0),
        (0, s) => (3, s),
        (f, _) => (2, f),
    };
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![pattern, speed],
        0,
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::*;
    use crate::device::protocols::testkit::*;

    #[tokio::test]
    async fn vector_bytes() {
        let d = def(&[
            (0, &[(Vibrate, 0, 5)], false),
            (1, &[(Vibrate, 0, 5)], false),
        ]);
        let (_, hw) = connect(spec("Je Joue", &[Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        let e = |a: &[_]| bytes(&h.outputs(a).unwrap());
        assert_eq!(e(&[act(0, Vibrate, 3)]), [vec![0x02, 0x03]]);
        assert_eq!(e(&[act(0, Vibrate, 5)]), [vec![0x02, 0x05]]);
        assert_eq!(
            e(&[act(0, Vibrate, 0), act(1, Vibrate, 0)]),
            [vec![0x01, 0x00]]
        );
        assert_eq!(e(&[act(1, Vibrate, 4)]), [vec![0x03, 0x04]]);
    }
}
