//! Nexus Revo: vibration `aa 01 01 00 01 <speed>`; rotation `aa 01 02 00 <mode> 00` where the
//! mode is the speed, plus 2 when turning clockwise.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "nexus-revo";

fn encode(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let data = match action.kind {
        OutputType::Vibrate => vec![0xaa, 0x01, 0x01, 0x00, 0x01, byte(NAME, action.value)?],
        OutputType::Rotate => {
            let speed = byte(NAME, action.value.saturating_abs())?;
            let mode = if action.value > 0 {
                speed
                    .checked_add(2)
                    .ok_or_else(|| DeviceError::protocol(NAME, "rotation speed too high"))?
            } else {
                speed
            };
            vec![0xaa, 0x01, 0x02, 0x00, mode, 0x00]
        }
        _ => return Err(unsupported(NAME, action)),
    };
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

    /// The bytes of the reference's `nexus_revo` case (Nexus Revo Stealth).
    #[tokio::test]
    async fn nexus_revo() {
        let d = def_with(
            &[],
            &[
                (0, &[(Vibrate, 0, 10)], false),
                (1, &[(Rotate, -2, 2)], false),
            ],
        );
        let (sim, hw) = connect(spec("XW-LW3", &[Endpoint::Tx])).await;
        let h = named(factories(), "nexus-revo")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 5)]).unwrap()),
            [(Endpoint::Tx, vec![0xaa, 0x01, 0x01, 0x00, 0x01, 0x05], true)]
        );
        assert_eq!(
            writes(&h.outputs(&[act(1, Rotate, 1)]).unwrap()),
            [(Endpoint::Tx, vec![0xaa, 0x01, 0x02, 0x00, 0x03, 0x00], true)]
        );
        assert_eq!(
            writes(&h.outputs(&[act(1, Rotate, -2)]).unwrap()),
            [(Endpoint::Tx, vec![0xaa, 0x01, 0x02, 0x00, 0x02, 0x00], true)]
        );
        assert_eq!(
            writes(
                &h.stop_outputs(&[act(0, Vibrate, 0), act(1, Rotate, 0)])
                    .unwrap()
            ),
            [
                (Endpoint::Tx, vec![0xaa, 0x01, 0x01, 0x00, 0x01, 0x00], true),
                (Endpoint::Tx, vec![0xaa, 0x01, 0x02, 0x00, 0x00, 0x00], true)
            ]
        );
    }
}
