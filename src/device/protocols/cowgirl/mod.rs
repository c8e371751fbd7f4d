//! The Cowgirl / The Unicorn: one packet `[0x00, 0x01, vibration, rotation]`, with response.

pub(crate) mod cone;

use std::sync::Arc;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, ProtocolFactory};
use crate::device::protocols::kit::{byte, AllFeatures};
use crate::error::DeviceError;

const NAME: &str = "cowgirl";

/// The factory registered as `cowgirl`.
fn factory() -> Arc<dyn ProtocolFactory> {
    AllFeatures::new(NAME, encode)
}

/// The protocols of this family (its members' included), for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    let mut list: Vec<Arc<dyn ProtocolFactory>> = vec![factory()];
    list.extend(cone::factories());
    list
}

fn encode(values: &[i32], _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let v = |i: usize| byte(NAME, values.get(i).copied().unwrap_or(0));
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        vec![0x00, 0x01, v(0)?, v(1)?],
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
            (0, &[(Vibrate, 0, 255)], false),
            (1, &[(Rotate, 0, 255)], false),
        ]);
        let (_, hw) = connect(spec("THE COWGIRL", &[Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        let e = |a: &[_]| writes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(0, Vibrate, 128)]),
            [(Endpoint::Tx, vec![0, 1, 0x80, 0], true)]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 192), act(1, Rotate, 128)]),
            [(Endpoint::Tx, vec![0, 1, 0xc0, 0x80], true)]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 0), act(1, Rotate, 0)]),
            [(Endpoint::Tx, vec![0, 1, 0, 0], true)]
        );
    }
}
