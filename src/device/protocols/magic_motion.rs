//! MagicMotion protocols (`magic-motion-1` .. `magic-motion-4`): a fixed 12-byte motor packet
//! for the single-motor generations, and a 17-byte packet carrying two motors for v2 and v4.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, AllFeatures, PerFeature};
use crate::error::DeviceError;

fn single_motor(
    name: &str,
    intensity: u8,
    action: &OutputAction,
) -> Result<Vec<HwCommand>, DeviceError> {
    if !matches!(action.kind, OutputType::Vibrate | OutputType::Oscillate) {
        return Err(unsupported(name, action));
    }
    let v = byte(name, action.value)?;
    let data = vec![
        0x0b, 0xff, 0x04, 0x0a, intensity, intensity, 0x00, 0x04, 0x08, v, 0x64, 0x00,
    ];
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        data,
        mask(action.feature),
    )])
}

fn v1(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    single_motor("magic-motion-1", 0x32, action)
}

fn v3(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    single_motor("magic-motion-3", 0x46, action)
}

fn dual_packet(name: &str, header: u8, first: i32, second: i32) -> Result<Vec<u8>, DeviceError> {
    Ok(vec![
        0x10,
        0xff,
        0x04,
        0x0a,
        0x32,
        header,
        0x00,
        0x04,
        0x08,
        byte(name, first)?,
        0x64,
        0x00,
        0x04,
        0x08,
        byte(name, second)?,
        0x64,
        0x01,
    ])
}

fn v2(values: &[i32], _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let first = values.first().copied().unwrap_or(0);
    let second = values.get(1).copied().unwrap_or(0);
    let data = dual_packet("magic-motion-2", 0x0a, first, second)?;
    Ok(vec![HwCommand::write(Endpoint::Tx, data, 0)])
}

/// A single-motor v4 device gets its value on both motor slots.
fn v4(values: &[i32], _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let first = values.first().copied().unwrap_or(0);
    let second = if values.len() == 1 {
        first
    } else {
        values.get(1).copied().unwrap_or(0)
    };
    let data = dual_packet("magic-motion-4", 0x32, first, second)?;
    Ok(vec![HwCommand::write_with_response(Endpoint::Tx, data, 0)])
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![
        PerFeature::new("magic-motion-1", v1),
        AllFeatures::new("magic-motion-2", v2),
        PerFeature::new("magic-motion-3", v3),
        AllFeatures::new("magic-motion-4", v4),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    /// The bytes of the reference's `magic_motion_1_magic_cell` case (MagicMotion Dante/Candy/Rise).
    #[tokio::test]
    async fn magic_motion_1_magic_cell() {
        let d = def_with(
            &["Magic Cell"],
            &[(0, &[(Vibrate, 0, 100)], false), (1, &[], true)],
        );
        let (sim, hw) = connect(spec("Magic Cell", &[Endpoint::RxBleBattery, Endpoint::Tx])).await;
        let h = named(factories(), "magic-motion-1")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 50)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0b, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x32, 0x64, 0x00],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0b, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00],
                false
            )]
        );
    }

    /// The bytes of the reference's `magic_motion_2_eidolon` case (MagicMotion Eidolon).
    #[tokio::test]
    async fn magic_motion_2_eidolon() {
        let d = def_with(
            &["Eidolon"],
            &[
                (0, &[(Vibrate, 0, 100)], false),
                (1, &[(Vibrate, 0, 100)], false),
                (2, &[], true),
            ],
        );
        let (sim, hw) = connect(spec("Eidolon", &[Endpoint::RxBleBattery, Endpoint::Tx])).await;
        let h = named(factories(), "magic-motion-2")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 50), act(1, Vibrate, 25)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![
                    0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x32, 0x64, 0x00, 0x04,
                    0x08, 0x19, 0x64, 0x01
                ],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 75), act(1, Vibrate, 50)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![
                    0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x4b, 0x64, 0x00, 0x04,
                    0x08, 0x32, 0x64, 0x01
                ],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00, 0x04,
                    0x08, 0x32, 0x64, 0x01
                ],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(1, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00, 0x04,
                    0x08, 0x00, 0x64, 0x01
                ],
                false
            )]
        );
    }

    /// The bytes of the reference's `magic_motion_2_equinox` case (MagicMotion Equinox).
    #[tokio::test]
    async fn magic_motion_2_equinox() {
        let d = def_with(
            &["Sword"],
            &[(0, &[(Vibrate, 0, 100)], false), (1, &[], true)],
        );
        let (sim, hw) = connect(spec("Sword", &[Endpoint::RxBleBattery, Endpoint::Tx])).await;
        let h = named(factories(), "magic-motion-2")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 50)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x32, 0x64, 0x00, 0x04,
                    0x08, 0x00, 0x64, 0x01
                ],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 75)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x4b, 0x64, 0x00, 0x04,
                    0x08, 0x00, 0x64, 0x01
                ],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0x10, 0xff, 0x04, 0x0a, 0x32, 0x0a, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00, 0x04,
                    0x08, 0x00, 0x64, 0x01
                ],
                false
            )]
        );
    }

    /// The bytes of the reference's `magic_motion_3_krush` case (LoveLife Krush).
    #[tokio::test]
    async fn magic_motion_3_krush() {
        let d = def_with(&[], &[(0, &[(Vibrate, 0, 77)], false), (1, &[], true)]);
        let (sim, hw) = connect(spec("Krush", &[Endpoint::RxBleBattery, Endpoint::Tx])).await;
        let h = named(factories(), "magic-motion-3")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 39)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0b, 0xff, 0x04, 0x0a, 0x46, 0x46, 0x00, 0x04, 0x08, 0x27, 0x64, 0x00],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 58)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0b, 0xff, 0x04, 0x0a, 0x46, 0x46, 0x00, 0x04, 0x08, 0x3a, 0x64, 0x00],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x0b, 0xff, 0x04, 0x0a, 0x46, 0x46, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00],
                false
            )]
        );
    }

    /// The bytes of the reference's `magic_motion_4_bobi` case (MagicMotion Bobi).
    #[tokio::test]
    async fn magic_motion_4_bobi() {
        let d = def_with(
            &["bobi2"],
            &[
                (0, &[(Vibrate, 0, 100)], false),
                (1, &[(Vibrate, 0, 100)], false),
                (2, &[], true),
            ],
        );
        let (sim, hw) = connect(spec("bobi2", &[Endpoint::RxBleBattery, Endpoint::Tx])).await;
        let h = named(factories(), "magic-motion-4")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 50), act(1, Vibrate, 25)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![
                    0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x32, 0x64, 0x00, 0x04,
                    0x08, 0x19, 0x64, 0x01
                ],
                true
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 75), act(1, Vibrate, 50)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![
                    0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x4b, 0x64, 0x00, 0x04,
                    0x08, 0x32, 0x64, 0x01
                ],
                true
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00, 0x04,
                    0x08, 0x32, 0x64, 0x01
                ],
                true
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(1, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00, 0x04,
                    0x08, 0x00, 0x64, 0x01
                ],
                true
            )]
        );
    }

    /// The bytes of the reference's `magic_motion_4_nyx` case (MagicMotion Nyx).
    #[tokio::test]
    async fn magic_motion_4_nyx() {
        let d = def_with(
            &["nyx"],
            &[(0, &[(Vibrate, 0, 100)], false), (1, &[], true)],
        );
        let (sim, hw) = connect(spec("nyx", &[Endpoint::RxBleBattery, Endpoint::Tx])).await;
        let h = named(factories(), "magic-motion-4")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 50)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x32, 0x64, 0x00, 0x04,
                    0x08, 0x32, 0x64, 0x01
                ],
                true
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 75)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x4b, 0x64, 0x00, 0x04,
                    0x08, 0x4b, 0x64, 0x01
                ],
                true
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0x10, 0xff, 0x04, 0x0a, 0x32, 0x32, 0x00, 0x04, 0x08, 0x00, 0x64, 0x00, 0x04,
                    0x08, 0x00, 0x64, 0x01
                ],
                true
            )]
        );
    }
}
