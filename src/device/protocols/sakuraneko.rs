//! Sakuraneko: a 12-byte frame, `a1` for vibration and `a2` for rotation.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "sakuraneko";

fn encode(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let (command, tail) = match action.kind {
        OutputType::Vibrate => (0xa1, 0x64),
        OutputType::Rotate => (0xa2, 0x32),
        _ => return Err(unsupported(NAME, action)),
    };
    let v = byte(NAME, action.value)?;
    let data = vec![
        command, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, v, 0x00, tail, 0xdf, 0x55,
    ];
    Ok(vec![HwCommand::write(
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

    /// The bytes of the reference's `sakuraneko_koikoi` case (Sakuraneko Koikoi).
    #[tokio::test]
    async fn sakuraneko_koikoi() {
        let d = def_with(
            &["sakuraneko-04"],
            &[
                (0, &[(Vibrate, 0, 100)], false),
                (1, &[(Rotate, 0, 100)], false),
            ],
        );
        let (sim, hw) = connect(spec("sakuraneko-04", &[Endpoint::Tx])).await;
        let h = named(factories(), "sakuraneko")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 50)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0xa1, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, 0x32, 0x00, 0x64, 0xdf, 0x55],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 75), act(1, Rotate, 50)])
                    .unwrap()
            ),
            [
                (
                    Endpoint::Tx,
                    vec![0xa1, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, 0x4b, 0x00, 0x64, 0xdf, 0x55],
                    false
                ),
                (
                    Endpoint::Tx,
                    vec![0xa2, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, 0x32, 0x00, 0x32, 0xdf, 0x55],
                    false
                )
            ]
        );
        assert_eq!(
            writes(
                &h.stop_outputs(&[act(0, Vibrate, 0), act(1, Rotate, 0)])
                    .unwrap()
            ),
            [
                (
                    Endpoint::Tx,
                    vec![0xa1, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x64, 0xdf, 0x55],
                    false
                ),
                (
                    Endpoint::Tx,
                    vec![0xa2, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x32, 0xdf, 0x55],
                    false
                )
            ]
        );
    }

    /// The bytes of the reference's `sakuraneko_protocol` case (Sakuraneko Korokoro).
    #[tokio::test]
    async fn sakuraneko() {
        let d = def_with(&["sakuraneko-01"], &[(0, &[(Vibrate, 0, 100)], false)]);
        let (sim, hw) = connect(spec("sakuraneko-01", &[Endpoint::Tx])).await;
        let h = named(factories(), "sakuraneko")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 50)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0xa1, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, 0x32, 0x00, 0x64, 0xdf, 0x55],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 75)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0xa1, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, 0x4b, 0x00, 0x64, 0xdf, 0x55],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0xa1, 0x08, 0x01, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x64, 0xdf, 0x55],
                false
            )]
        );
    }
}
