//! Zalo: both motors in one 3-byte frame `[mode, a, b]` on `tx`, written with response. `mode`
//! is `02` when both motors are off and `01` otherwise; a motor at 0 is sent as `01` (the
//! lowest level: the mode byte is what stops the device). A stop of both motors sends one frame
//! per motor, as the reference does.

use std::sync::Arc;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, ProtocolFactory};
use crate::device::protocols::kit::{byte, AllFeatures, Sequential};
use crate::error::DeviceError;

const NAME: &str = "zalo";

/// The factory registered as `zalo`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Sequential::new(AllFeatures::new(NAME, encode))
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(values: &[i32], _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if values.len() > 2 {
        return Err(DeviceError::protocol(
            NAME,
            "at most two motors are supported",
        ));
    }
    let level = |i: usize| byte(NAME, values.get(i).copied().unwrap_or(0));
    let (a, b) = (level(0)?, level(1)?);
    let mode = if a == 0 && b == 0 { 0x02 } else { 0x01 };
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        vec![mode, a.max(1), b.max(1)],
        0,
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::Vibrate;
    use crate::device::protocols::testkit::*;

    #[tokio::test]
    async fn two_motors_one_frame() {
        let d = def(&[
            (0, &[(Vibrate, 0, 8)], false),
            (1, &[(Vibrate, 0, 8)], false),
        ]);
        let (_, hw) = connect(spec("ZALO-Queen", &[Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        let e = |a: &[_]| writes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(0, Vibrate, 5)]),
            [(Endpoint::Tx, vec![1, 5, 1], true)]
        );
        assert_eq!(
            e(&[act(1, Vibrate, 8)]),
            [(Endpoint::Tx, vec![1, 5, 8], true)]
        );
        // a stop: the first motor's frame, then the second's
        assert_eq!(
            e(&[act(0, Vibrate, 0), act(1, Vibrate, 0)]),
            [
                (Endpoint::Tx, vec![1, 1, 8], true),
                (Endpoint::Tx, vec![2, 1, 1], true)
            ]
        );
    }

    #[tokio::test]
    async fn single_motor() {
        let d = def(&[(0, &[(Vibrate, 0, 8)], false)]);
        let (_, hw) = connect(spec("ZALO-Jeanne", &[Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 3)]).unwrap()),
            [(Endpoint::Tx, vec![1, 3, 1], true)]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(Endpoint::Tx, vec![2, 1, 1], true)]
        );
    }
}
