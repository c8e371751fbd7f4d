//! HTK breast massager: two on/off vibrators (left = feature 0, right = feature 1) selected by a
//! single mode byte on `tx`: `11` both, `12` left only, `13` right only, `15` off.

use std::sync::Arc;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, ProtocolFactory};
use crate::device::protocols::kit::AllFeatures;
use crate::error::DeviceError;

const NAME: &str = "htk_bm";

/// The factory registered as `htk_bm`.
fn factory() -> Arc<dyn ProtocolFactory> {
    AllFeatures::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(values: &[i32], _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let on = |i: usize| values.get(i).is_some_and(|v| *v != 0);
    let mode = match (on(0), on(1)) {
        (true, true) => 11,
        (true, false) => 12,
        (false, true) => 13,
        (false, false) => 15,
    };
    Ok(vec![HwCommand::write(Endpoint::Tx, vec![mode], 0)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::Vibrate;
    use crate::device::protocols::testkit::*;

    #[tokio::test]
    async fn mode_bytes() {
        let d = def(&[
            (0, &[(Vibrate, 0, 1)], false),
            (1, &[(Vibrate, 0, 1)], false),
        ]);
        let (sim, hw) = connect(spec("HTK-BLE-BM001", &[Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        let e = |a: &[_]| writes(&h.outputs(a).unwrap());
        assert_eq!(e(&[act(0, Vibrate, 1)]), [(Endpoint::Tx, vec![12], false)]);
        assert_eq!(e(&[act(1, Vibrate, 1)]), [(Endpoint::Tx, vec![11], false)]);
        assert_eq!(e(&[act(0, Vibrate, 0)]), [(Endpoint::Tx, vec![13], false)]);
        assert_eq!(
            e(&[act(0, Vibrate, 0), act(1, Vibrate, 0)]),
            [(Endpoint::Tx, vec![15], false)]
        );
        assert!(sim.take_ops().is_empty());
    }
}
