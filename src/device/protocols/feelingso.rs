//! FeelingSo: one packet `[0xAA, 0x40, 0x03, vibration, oscillation, 0x14, 0x19]`.

use std::sync::Arc;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, ProtocolFactory};
use crate::device::protocols::kit::{byte, AllFeatures};
use crate::error::DeviceError;

const NAME: &str = "feelingso";

/// The factory registered as `feelingso`.
fn factory() -> Arc<dyn ProtocolFactory> {
    AllFeatures::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(values: &[i32], _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let v = |i: usize| byte(NAME, values.get(i).copied().unwrap_or(0));
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![0xaa, 0x40, 0x03, v(0)?, v(1)?, 0x14, 0x19],
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
            (0, &[(Vibrate, 0, 19)], false),
            (1, &[(Oscillate, 0, 19)], false),
        ]);
        let (_, hw) = connect(spec("Flair Feel", &[Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        let e = |a: &[_]| bytes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(0, Vibrate, 10)]),
            [vec![0xaa, 0x40, 0x03, 0x0a, 0x00, 0x14, 0x19]]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 15), act(1, Oscillate, 10)]),
            [vec![0xaa, 0x40, 0x03, 0x0f, 0x0a, 0x14, 0x19]]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 0)]),
            [vec![0xaa, 0x40, 0x03, 0x00, 0x0a, 0x14, 0x19]]
        );
        assert_eq!(
            e(&[act(1, Oscillate, 0)]),
            [vec![0xaa, 0x40, 0x03, 0x00, 0x00, 0x14, 0x19]]
        );
    }
}
