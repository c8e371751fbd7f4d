//! Luvmazer: one 6-byte packet per output, `a0 <cmd> <arg> <feature> <mode> <value>` on `tx`.
//! The third feature's vibration is the tapping mode, command `0c` with feature byte 0.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "luvmazer";

fn encode(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let v = byte(NAME, action.value)?;
    let data = match action.kind {
        OutputType::Vibrate if action.feature == 2 => vec![0xa0, 0x0c, 0x00, 0x00, 0x64, v],
        OutputType::Vibrate => {
            let index = u8::try_from(action.feature)
                .map_err(|_| DeviceError::protocol(NAME, "feature index does not fit a byte"))?;
            vec![0xa0, 0x01, 0x00, index, 0x64, v]
        }
        OutputType::Rotate => vec![0xa0, 0x0f, 0x00, 0x00, 0x64, v],
        OutputType::Oscillate => vec![0xa0, 0x06, 0x01, 0x00, 0x64, v],
        OutputType::Constrict => {
            vec![0xa0, 0x0d, 0x00, 0x00, if v == 0 { 0x00 } else { 0x14 }, v]
        }
        _ => return Err(unsupported(NAME, action)),
    };
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

    /// The bytes of the reference's `luvmazer_protocol` case (Luvmazer Finger Magic).
    #[tokio::test]
    async fn luvmazer() {
        let d = def_with(
            &[],
            &[
                (0, &[(Vibrate, 0, 255)], false),
                (1, &[(Rotate, 0, 255)], false),
            ],
        );
        let (sim, hw) = connect(spec("TKLM-W001-BT", &[Endpoint::Tx])).await;
        let h = named(factories(), "luvmazer")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 128)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0xa0, 0x01, 0x00, 0x00, 0x64, 0x80],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 26), act(1, Rotate, 128)])
                    .unwrap()
            ),
            [
                (
                    Endpoint::Tx,
                    vec![0xa0, 0x01, 0x00, 0x00, 0x64, 0x1a],
                    false
                ),
                (
                    Endpoint::Tx,
                    vec![0xa0, 0x0f, 0x00, 0x00, 0x64, 0x80],
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
                    vec![0xa0, 0x01, 0x00, 0x00, 0x64, 0x00],
                    false
                ),
                (
                    Endpoint::Tx,
                    vec![0xa0, 0x0f, 0x00, 0x00, 0x64, 0x00],
                    false
                )
            ]
        );
    }

    #[test]
    fn packets_match_vector() {
        let d = def(&[
            (0, &[(Vibrate, 0, 255)], false),
            (1, &[(Rotate, 0, 255)], false),
        ]);
        let p = encode(&act(0, OutputType::Vibrate, 128), &d).unwrap();
        assert_eq!(bytes(&p), vec![vec![0xa0, 0x01, 0x00, 0x00, 0x64, 0x80]]);
        let tap = encode(&act(2, OutputType::Vibrate, 0xff), &d).unwrap();
        assert_eq!(bytes(&tap), vec![vec![0xa0, 0x0c, 0x00, 0x00, 0x64, 0xff]]);
        let p = encode(&act(1, OutputType::Rotate, 0), &d).unwrap();
        assert_eq!(bytes(&p), vec![vec![0xa0, 0x0f, 0x00, 0x00, 0x64, 0x00]]);
        let p = encode(&act(2, OutputType::Constrict, 10), &d).unwrap();
        assert_eq!(bytes(&p), vec![vec![0xa0, 0x0d, 0x00, 0x00, 0x14, 0x0a]]);
    }
}
