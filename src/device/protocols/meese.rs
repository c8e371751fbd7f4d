//! Meese: `01 80 <motor> <speed>` per vibrator, motors numbered from 1 by feature index.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "meese";

fn encode(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if action.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, action));
    }
    let motor = u8::try_from(action.feature)
        .ok()
        .and_then(|f| f.checked_add(1))
        .ok_or_else(|| DeviceError::protocol(NAME, "feature index does not fit a byte"))?;
    let data = vec![0x01, 0x80, motor, byte(NAME, action.value)?];
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        data,
        mask(action.feature),
    )])
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![PerFeature::new(NAME, encode)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    /// The bytes of the reference's `meese_protocol` case (Meese Tera).
    #[tokio::test]
    async fn meese() {
        let d = def_with(
            &["Meese-V389"],
            &[
                (0, &[(Vibrate, 0, 10)], false),
                (1, &[(Vibrate, 0, 3)], false),
            ],
        );
        let (sim, hw) = connect(spec("Meese-V389", &[Endpoint::Tx])).await;
        let h = named(factories(), "meese")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 5)]).unwrap()),
            [(Endpoint::Tx, vec![0x01, 0x80, 0x01, 0x05], true)]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 1), act(1, Vibrate, 2)])
                    .unwrap()
            ),
            [
                (Endpoint::Tx, vec![0x01, 0x80, 0x01, 0x01], true),
                (Endpoint::Tx, vec![0x01, 0x80, 0x02, 0x02], true)
            ]
        );
        assert_eq!(
            writes(
                &h.stop_outputs(&[act(0, Vibrate, 0), act(1, Vibrate, 0)])
                    .unwrap()
            ),
            [
                (Endpoint::Tx, vec![0x01, 0x80, 0x01, 0x00], true),
                (Endpoint::Tx, vec![0x01, 0x80, 0x02, 0x00], true)
            ]
        );
    }
}
