//! Motorbunny: seven repeated `(value, mode)` pairs with an additive checksum, or a short
//! stop packet for 0. Rotation carries its direction in the mode byte.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "motorbunny";

fn framed(header: u8, pair: [u8; 2]) -> Vec<u8> {
    let body: Vec<u8> = pair.iter().copied().cycle().take(14).collect();
    let sum = body.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    let mut data = Vec::with_capacity(17);
    data.push(header);
    data.extend(body);
    data.push(sum);
    data.push(0xec);
    data
}

fn encode(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let data = match action.kind {
        OutputType::Vibrate => {
            let v = byte(NAME, action.value)?;
            if v == 0 {
                vec![0xf0, 0x00, 0x00, 0x00, 0x00, 0xec]
            } else {
                framed(0xff, [v, 0x14])
            }
        }
        OutputType::Rotate => {
            let v = byte(NAME, action.value.saturating_abs())?;
            if v == 0 {
                vec![0xa0, 0x00, 0x00, 0x00, 0x00, 0xec]
            } else {
                let direction = if action.value > 0 { 0x2a } else { 0x29 };
                framed(0xaf, [direction, v])
            }
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

    /// The bytes of the reference's `motorbunny_protocol` case (Motorbunny Classic).
    #[tokio::test]
    async fn motorbunny() {
        let d = def_with(
            &["MB Controller"],
            &[
                (0, &[(Vibrate, 0, 255)], false),
                (1, &[(Rotate, -255, 255)], false),
            ],
        );
        let (sim, hw) = connect(spec("MB Controller", &[Endpoint::Tx])).await;
        let h = named(factories(), "motorbunny")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 128)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0xff, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14, 0x80, 0x14,
                    0x80, 0x14, 0x0c, 0xec
                ],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 192)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0xff, 0xc0, 0x14, 0xc0, 0x14, 0xc0, 0x14, 0xc0, 0x14, 0xc0, 0x14, 0xc0, 0x14,
                    0xc0, 0x14, 0xcc, 0xec
                ],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(1, Rotate, 128)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0xaf, 0x2a, 0x80, 0x2a, 0x80, 0x2a, 0x80, 0x2a, 0x80, 0x2a, 0x80, 0x2a, 0x80,
                    0x2a, 0x80, 0xa6, 0xec
                ],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(1, Rotate, -192)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0xaf, 0x29, 0xc0, 0x29, 0xc0, 0x29, 0xc0, 0x29, 0xc0, 0x29, 0xc0, 0x29, 0xc0,
                    0x29, 0xc0, 0x5f, 0xec
                ],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.stop_outputs(&[act(0, Vibrate, 0), act(1, Rotate, 0)])
                    .unwrap()
            ),
            [
                (
                    Endpoint::Tx,
                    vec![0xf0, 0x00, 0x00, 0x00, 0x00, 0xec],
                    false
                ),
                (
                    Endpoint::Tx,
                    vec![0xa0, 0x00, 0x00, 0x00, 0x00, 0xec],
                    false
                )
            ]
        );
    }
}
