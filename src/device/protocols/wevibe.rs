//! We-Vibe toys: an 8-byte `0f ...` frame carrying both motors, or `0f 00 ...` when both are off.
//! The "internal" motor is the first vibrator, the "external" one the second (or the first
//! again on single-motor toys).
//!
//! * `wevibe` (4-bit levels): `0f 03 00 <int<<4 | ext> 00 03 00 00`, after a start-up sequence.
//! * `wevibe-8bit`: `0f 03 00 <ext+3> <int+3> <status> 00 00`.
//! * `wevibe-chorus`: `0f 03 00 <int> <ext> <status> 00 00`.
//!
//! `status` has bit 0 set when the internal motor runs and bit 1 when the external one does.

use std::sync::Arc;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, KeepAlive, ProtocolFactory};
use crate::device::protocols::kit::{byte, AllFeatures};
use crate::error::DeviceError;

const OFF: [u8; 8] = [0x0f, 0, 0, 0, 0, 0, 0, 0];

/// `(internal, external)` levels from the state slots.
fn motors(name: &str, values: &[i32]) -> Result<(u8, u8), DeviceError> {
    let internal = values.first().copied().unwrap_or(0);
    let external = if values.len() > 1 {
        values.get(1).copied().unwrap_or(0)
    } else {
        internal
    };
    Ok((byte(name, internal)?, byte(name, external)?))
}

fn status(internal: u8, external: u8) -> u8 {
    u8::from(internal != 0) | (u8::from(external != 0) << 1)
}

fn frame(data: Vec<u8>) -> Vec<HwCommand> {
    vec![HwCommand::write_with_response(Endpoint::Tx, data, 0)]
}

fn init(_def: &DeviceDefinition) -> Vec<HwCommand> {
    vec![
        HwCommand::write_with_response(
            Endpoint::Tx,
            vec![0x0f, 0x03, 0x00, 0x99, 0x00, 0x03, 0x00, 0x00],
            0,
        ),
        HwCommand::write_with_response(Endpoint::Tx, OFF.to_vec(), 0),
    ]
}

fn classic(values: &[i32], _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "wevibe";
    let (int, ext) = motors(NAME, values)?;
    if int == 0 && ext == 0 {
        return Ok(frame(OFF.to_vec()));
    }
    if int > 0x0f || ext > 0x0f {
        return Err(DeviceError::protocol(NAME, "level above 15"));
    }
    Ok(frame(vec![
        0x0f,
        0x03,
        0x00,
        (int << 4) | ext,
        0x00,
        0x03,
        0x00,
        0x00,
    ]))
}

fn eight_bit(values: &[i32], _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "wevibe-8bit";
    let (int, ext) = motors(NAME, values)?;
    if int == 0 && ext == 0 {
        return Ok(frame(OFF.to_vec()));
    }
    let shift = |v: u8| {
        v.checked_add(3)
            .ok_or_else(|| DeviceError::protocol(NAME, "level too high"))
    };
    Ok(frame(vec![
        0x0f,
        0x03,
        0x00,
        shift(ext)?,
        shift(int)?,
        status(int, ext),
        0x00,
        0x00,
    ]))
}

fn chorus(values: &[i32], _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let (int, ext) = motors("wevibe-chorus", values)?;
    if int == 0 && ext == 0 {
        return Ok(frame(OFF.to_vec()));
    }
    Ok(frame(vec![
        0x0f,
        0x03,
        0x00,
        int,
        ext,
        status(int, ext),
        0x00,
        0x00,
    ]))
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![
        Arc::new(AllFeatures {
            name: "wevibe",
            encode: classic,
            init: Some(init),
            keepalive: KeepAlive::RepeatLastIfRequired,
        }),
        AllFeatures::new("wevibe-8bit", eight_bit),
        AllFeatures::new("wevibe-chorus", chorus),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::*;
    use crate::device::protocols::testkit::*;

    /// The bytes of the reference's `wevibe_4plus` case (WeVibe 4 Plus).
    #[tokio::test]
    async fn wevibe_4plus() {
        let d = def_with(
            &["Cougar"],
            &[
                (0, &[(Vibrate, 0, 15)], false),
                (1, &[(Vibrate, 0, 15)], false),
            ],
        );
        let (sim, hw) = connect(spec("4plus", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = named(factories(), "wevibe")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(
            sim.take_ops(),
            [
                w(
                    Endpoint::Tx,
                    &[0x0f, 0x03, 0x00, 0x99, 0x00, 0x03, 0x00, 0x00],
                    true
                ),
                w(
                    Endpoint::Tx,
                    &[0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
                    true
                )
            ]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 8), act(1, Vibrate, 4)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x03, 0x00, 0x84, 0x00, 0x03, 0x00, 0x00],
                true
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 12), act(1, Vibrate, 8)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x03, 0x00, 0xc8, 0x00, 0x03, 0x00, 0x00],
                true
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x03, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00],
                true
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(1, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
                true
            )]
        );
    }

    /// The bytes of the reference's `wevibe_chorus` case (WeVibe Chorus).
    #[tokio::test]
    async fn wevibe_chorus() {
        let d = def_with(
            &[],
            &[
                (0, &[(Vibrate, 0, 30)], false),
                (1, &[(Vibrate, 0, 30)], false),
            ],
        );
        let (sim, hw) = connect(spec("Chorus", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = named(factories(), "wevibe-chorus")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 15), act(1, Vibrate, 8)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x03, 0x00, 0x0f, 0x08, 0x03, 0x00, 0x00],
                true
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 23), act(1, Vibrate, 15)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x03, 0x00, 0x17, 0x0f, 0x03, 0x00, 0x00],
                true
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x03, 0x00, 0x00, 0x0f, 0x02, 0x00, 0x00],
                true
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(1, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
                true
            )]
        );
    }

    /// The bytes of the reference's `wevibe_moxie` case (WeVibe Moxie).
    #[tokio::test]
    async fn wevibe_moxie() {
        let d = def_with(&["Moxie"], &[(0, &[(Vibrate, 0, 12)], false)]);
        let (sim, hw) = connect(spec("Moxie", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = named(factories(), "wevibe-8bit")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 6)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x03, 0x00, 0x09, 0x09, 0x03, 0x00, 0x00],
                true
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 9)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x03, 0x00, 0x0c, 0x0c, 0x03, 0x00, 0x00],
                true
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
                true
            )]
        );
    }

    /// The bytes of the reference's `wevibe_pivot` case (WeVibe Pivot).
    #[tokio::test]
    async fn wevibe_pivot() {
        let d = def_with(&["Pivot"], &[(0, &[(Vibrate, 0, 15)], false)]);
        let (sim, hw) = connect(spec("Pivot", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = named(factories(), "wevibe")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(
            sim.take_ops(),
            [
                w(
                    Endpoint::Tx,
                    &[0x0f, 0x03, 0x00, 0x99, 0x00, 0x03, 0x00, 0x00],
                    true
                ),
                w(
                    Endpoint::Tx,
                    &[0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
                    true
                )
            ]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 8)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x03, 0x00, 0x88, 0x00, 0x03, 0x00, 0x00],
                true
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 12)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x03, 0x00, 0xcc, 0x00, 0x03, 0x00, 0x00],
                true
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
                true
            )]
        );
    }

    /// The bytes of the reference's `wevibe_vector` case (WeVibe Vector).
    #[tokio::test]
    async fn wevibe_vector() {
        let d = def_with(
            &["Vector"],
            &[
                (0, &[(Vibrate, 0, 12)], false),
                (1, &[(Vibrate, 0, 12)], false),
            ],
        );
        let (sim, hw) = connect(spec("Vector", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = named(factories(), "wevibe-8bit")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 6), act(1, Vibrate, 3)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x03, 0x00, 0x06, 0x09, 0x03, 0x00, 0x00],
                true
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 9), act(1, Vibrate, 6)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x03, 0x00, 0x09, 0x0c, 0x03, 0x00, 0x00],
                true
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x03, 0x00, 0x09, 0x03, 0x02, 0x00, 0x00],
                true
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(1, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
                true
            )]
        );
    }
}
