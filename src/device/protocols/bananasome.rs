//! Bananasome: one packet `[0xA0, 0x03, a, b, c]` with the value of each of the three outputs.

use std::sync::Arc;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, ProtocolFactory};
use crate::device::protocols::kit::{byte, AllFeatures};
use crate::error::DeviceError;

const NAME: &str = "bananasome";

/// The factory registered as `bananasome`.
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
        vec![0xa0, 0x03, v(0)?, v(1)?, v(2)?],
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
            (0, &[(Oscillate, 0, 255)], false),
            (1, &[(Vibrate, 0, 255)], false),
            (2, &[(Vibrate, 0, 255)], false),
        ]);
        let (_, hw) = connect(spec("x", &[Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        let e = |a: &[_]| bytes(&h.outputs(a).unwrap());
        assert_eq!(e(&[act(1, Vibrate, 128)]), [vec![0xa0, 0x03, 0, 0x80, 0]]);
        assert_eq!(
            e(&[act(2, Vibrate, 128)]),
            [vec![0xa0, 0x03, 0, 0x80, 0x80]]
        );
        assert_eq!(
            e(&[
                act(0, Oscillate, 192),
                act(1, Vibrate, 192),
                act(2, Vibrate, 64)
            ]),
            [vec![0xa0, 0x03, 0xc0, 0xc0, 0x40]]
        );
        assert_eq!(
            e(&[act(0, Oscillate, 0), act(1, Vibrate, 0), act(2, Vibrate, 0)]),
            [vec![0xa0, 0x03, 0, 0, 0]]
        );
    }
}
