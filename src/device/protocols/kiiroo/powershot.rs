//! Kiiroo PowerShot: one packet `[0x01, 0x00, 0x00, motor 1, motor 2, 0x00]`, with response;
//! battery from the standard BLE battery characteristic.

use std::sync::Arc;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, ProtocolFactory};
use crate::device::protocols::kit::{byte, AllFeatures};
use crate::error::DeviceError;

const NAME: &str = "kiiroo-powershot";

/// The factory registered as `kiiroo-powershot`.
fn factory() -> Arc<dyn ProtocolFactory> {
    AllFeatures::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(values: &[i32], _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let v = |i: usize| byte(NAME, values.get(i).copied().unwrap_or(0));
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        vec![0x01, 0x00, 0x00, v(0)?, v(1)?, 0x00],
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
            (0, &[(Vibrate, 0, 100)], false),
            (1, &[(Vibrate, 0, 100)], false),
            (2, &[], true),
        ]);
        let (_, hw) = connect(spec("PowerShot", &[Endpoint::Tx, Endpoint::RxBleBattery])).await;
        let h = init(&*factory(), &hw, &d).await;
        let e = |a: &[_]| writes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(0, Vibrate, 50)]),
            [(Endpoint::Tx, vec![1, 0, 0, 0x32, 0, 0], true)]
        );
        assert_eq!(
            e(&[act(1, Vibrate, 100)]),
            [(Endpoint::Tx, vec![1, 0, 0, 0x32, 0x64, 0], true)]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 0), act(1, Vibrate, 0)]),
            [(Endpoint::Tx, vec![1, 0, 0, 0, 0, 0], true)]
        );
    }
}
