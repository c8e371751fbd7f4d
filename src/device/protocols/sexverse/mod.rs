//! Sexverse toys.
//!
//! * `sexverse-v1`: every motor in one packet, `23 07 <3·n>` then `(0x80|motor, kind, value)`
//!   per motor and an XOR check byte.
//! * `sexverse-lg389`: vibration and oscillation together in one 10-byte packet.
//! * `sexverse-v2`: `aa 03 01 <motor> 64 <value>` per motor after an `aa 04` greeting.
//! * `sexverse-v4`: `bb 01 <value> 66`; `sexverse-v5`: `aa 03 03 <value> 00 00 00`.

pub(crate) mod v3;
pub(crate) mod v6;

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, KeepAlive, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, AllFeatures, PerFeature};
use crate::error::DeviceError;

/// The output kind of each state slot (features with a non-position output, by index).
fn slot_kinds(def: &DeviceDefinition) -> Vec<OutputType> {
    def.features
        .iter()
        .filter_map(|f| f.stop_output())
        .collect()
}

fn v1(values: &[i32], def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "sexverse-v1";
    let kinds = slot_kinds(def);
    let too_many = || DeviceError::protocol(NAME, "too many motors for one packet");
    let count = u8::try_from(values.len() * 3).map_err(|_| too_many())?;
    let mut data = vec![0x23, 0x07, count];
    for (i, v) in values.iter().enumerate() {
        let motor = u8::try_from(i + 1).map_err(|_| too_many())?;
        let kind = match kinds.get(i) {
            Some(OutputType::Rotate) => 0x06,
            Some(OutputType::Constrict | OutputType::Oscillate) => 0x04,
            _ => 0x03,
        };
        data.extend_from_slice(&[0x80 | motor, kind, byte(NAME, *v)?]);
    }
    let check = data.iter().fold(0u8, |a, b| a ^ b);
    data.push(check);
    Ok(vec![HwCommand::write(Endpoint::Tx, data, 0)])
}

fn lg389(values: &[i32], def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "sexverse-lg389";
    let kinds = slot_kinds(def);
    let value_of = |kind: OutputType| -> Result<u8, DeviceError> {
        let v = kinds
            .iter()
            .zip(values)
            .find(|(k, _)| **k == kind)
            .map(|(_, v)| *v)
            .unwrap_or(0);
        byte(NAME, v)
    };
    let vibe = value_of(OutputType::Vibrate)?;
    let osc = value_of(OutputType::Oscillate)?;
    // Oscillation runs over the full stroke, anchored at the base.
    let (anchor, range) = if osc == 0 { (0, 0) } else { (1, 4) };
    let data = vec![0xaa, 0x05, vibe, 0x14, anchor, 0x00, range, 0x00, osc, 0x00];
    Ok(vec![HwCommand::write_with_response(Endpoint::Tx, data, 0)])
}

fn v2_init(_def: &DeviceDefinition) -> Vec<HwCommand> {
    vec![HwCommand::write_with_response(
        Endpoint::Tx,
        vec![0xaa, 0x04],
        0,
    )]
}

fn v2(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "sexverse-v2";
    if !matches!(action.kind, OutputType::Vibrate | OutputType::Oscillate) {
        return Err(unsupported(NAME, action));
    }
    let motor = u8::try_from(action.feature)
        .ok()
        .and_then(|f| f.checked_add(1))
        .ok_or_else(|| DeviceError::protocol(NAME, "feature index does not fit a byte"))?;
    let data = vec![0xaa, 0x03, 0x01, motor, 0x64, byte(NAME, action.value)?];
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        data,
        mask(action.feature),
    )])
}

fn v4(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "sexverse-v4";
    if action.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, action));
    }
    let data = vec![0xbb, 0x01, byte(NAME, action.value)?, 0x66];
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        data,
        mask(action.feature),
    )])
}

fn v5(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "sexverse-v5";
    if action.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, action));
    }
    let data = vec![
        0xaa,
        0x03,
        0x03,
        byte(NAME, action.value)?,
        0x00,
        0x00,
        0x00,
    ];
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        data,
        mask(action.feature),
    )])
}

/// The protocols of this family (its members' included), for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    let mut list: Vec<Arc<dyn ProtocolFactory>> = vec![
        AllFeatures::new("sexverse-v1", v1),
        AllFeatures::new("sexverse-lg389", lg389),
        Arc::new(PerFeature {
            name: "sexverse-v2",
            encode: v2,
            init: Some(v2_init),
            keepalive: KeepAlive::RepeatLastIfRequired,
        }),
        PerFeature::new("sexverse-v4", v4),
        PerFeature::new("sexverse-v5", v5),
    ];
    list.extend(v3::factories());
    list.extend(v6::factories());
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn the_family_is_every_sexverse_protocol() {
        let mut names: Vec<&str> = super::factories().iter().map(|f| f.name()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "sexverse-lg389",
                "sexverse-v1",
                "sexverse-v2",
                "sexverse-v3",
                "sexverse-v4",
                "sexverse-v5",
                "sexverse-v6",
            ]
        );
    }

    use crate::device::protocols::testkit::*;
    use OutputType::*;

    /// The bytes of the reference's `sexverse_cali` case (Sexverse Cali).
    #[tokio::test]
    async fn sexverse_cali() {
        let d = def_with(
            &["Cali"],
            &[
                (0, &[(Vibrate, 0, 255)], false),
                (1, &[(Constrict, 0, 255)], false),
            ],
        );
        let (sim, hw) = connect(spec("Cali", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = named(factories(), "sexverse-v1")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 128)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x23, 0x07, 0x06, 0x81, 0x03, 0x80, 0x82, 0x04, 0x00, 0xa6],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 192), act(1, Constrict, 128)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0x23, 0x07, 0x06, 0x81, 0x03, 0xc0, 0x82, 0x04, 0x80, 0x66],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x23, 0x07, 0x06, 0x81, 0x03, 0x00, 0x82, 0x04, 0x80, 0xa6],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(1, Constrict, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x23, 0x07, 0x06, 0x81, 0x03, 0x00, 0x82, 0x04, 0x00, 0x26],
                false
            )]
        );
    }

    /// The bytes of the reference's `sexverse_heart_protocol` case (Sexverse Heart).
    #[tokio::test]
    async fn sexverse_heart() {
        let d = def_with(&[], &[(0, &[(Vibrate, 0, 100)], false)]);
        let (sim, hw) = connect(spec("CBW02", &[Endpoint::Tx])).await;
        let h = named(factories(), "sexverse-v5")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 50)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x03, 0x03, 0x32, 0x00, 0x00, 0x00],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 75)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x03, 0x03, 0x4b, 0x00, 0x00, 0x00],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x03, 0x03, 0x00, 0x00, 0x00, 0x00],
                false
            )]
        );
    }

    /// The bytes of the reference's `sexverse_lg389_protocol` case (Sexverse LG389).
    #[tokio::test]
    async fn sexverse_lg389() {
        let d = def_with(
            &[],
            &[
                (0, &[(Vibrate, 0, 3)], false),
                (1, &[(Oscillate, 0, 10)], false),
            ],
        );
        let (sim, hw) = connect(spec("LG389", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = named(factories(), "sexverse-lg389")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 2)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x05, 0x02, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
                true
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 3), act(1, Oscillate, 8)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x05, 0x03, 0x14, 0x01, 0x00, 0x04, 0x00, 0x08, 0x00],
                true
            )]
        );
        assert_eq!(
            writes(
                &h.stop_outputs(&[act(0, Vibrate, 0), act(1, Oscillate, 0)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x05, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
                true
            )]
        );
    }

    /// The bytes of the reference's `sexverse_nolan` case (Sexverse Nolan).
    #[tokio::test]
    async fn sexverse_nolan() {
        let d = def_with(
            &[],
            &[
                (0, &[(Vibrate, 0, 20)], false),
                (1, &[(Oscillate, 0, 20)], false),
            ],
        );
        let (sim, hw) = connect(spec("LY272A01", &[Endpoint::Tx])).await;
        let h = named(factories(), "sexverse-v2")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), [w(Endpoint::Tx, &[0xaa, 0x04], true)]);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 10)]).unwrap()),
            [(Endpoint::Tx, vec![0xaa, 0x03, 0x01, 0x01, 0x64, 0x0a], true)]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 15), act(1, Oscillate, 10)])
                    .unwrap()
            ),
            [
                (Endpoint::Tx, vec![0xaa, 0x03, 0x01, 0x01, 0x64, 0x0f], true),
                (Endpoint::Tx, vec![0xaa, 0x03, 0x01, 0x02, 0x64, 0x0a], true)
            ]
        );
        assert_eq!(
            writes(
                &h.stop_outputs(&[act(0, Vibrate, 0), act(1, Oscillate, 0)])
                    .unwrap()
            ),
            [
                (Endpoint::Tx, vec![0xaa, 0x03, 0x01, 0x01, 0x64, 0x00], true),
                (Endpoint::Tx, vec![0xaa, 0x03, 0x01, 0x02, 0x64, 0x00], true)
            ]
        );
    }

    /// The bytes of the reference's `sexverse_olis` case (Sexverse Olis).
    #[tokio::test]
    async fn sexverse_olis() {
        let d = def_with(
            &["Olis"],
            &[
                (0, &[(Vibrate, 0, 255)], false),
                (1, &[(Vibrate, 0, 255)], false),
                (2, &[(Rotate, 0, 255)], false),
            ],
        );
        let (sim, hw) = connect(spec("Olis", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = named(factories(), "sexverse-v1")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 128)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x23, 0x07, 0x09, 0x81, 0x03, 0x80, 0x82, 0x03, 0x00, 0x83, 0x06, 0x00, 0x2b],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 192), act(1, Vibrate, 128)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0x23, 0x07, 0x09, 0x81, 0x03, 0xc0, 0x82, 0x03, 0x80, 0x83, 0x06, 0x00, 0xeb],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 0), act(1, Vibrate, 0), act(2, Rotate, 128)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0x23, 0x07, 0x09, 0x81, 0x03, 0x00, 0x82, 0x03, 0x00, 0x83, 0x06, 0x80, 0x2b],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(2, Rotate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x23, 0x07, 0x09, 0x81, 0x03, 0x00, 0x82, 0x03, 0x00, 0x83, 0x06, 0x00, 0xab],
                false
            )]
        );
    }

    /// The bytes of the reference's `sexverse_rex` case (Sexverse Rex).
    #[tokio::test]
    async fn sexverse_rex() {
        let d = def_with(&["Rex"], &[(0, &[(Vibrate, 0, 255)], false)]);
        let (sim, hw) = connect(spec("Rex", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = named(factories(), "sexverse-v1")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 128)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x23, 0x07, 0x03, 0x81, 0x03, 0x80, 0x25],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 192)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x23, 0x07, 0x03, 0x81, 0x03, 0xc0, 0x65],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x23, 0x07, 0x03, 0x81, 0x03, 0x00, 0xa5],
                false
            )]
        );
    }

    /// The bytes of the reference's `vvd_vkini_protocol` case (VVD Vkini).
    #[tokio::test]
    async fn vvd_vkini() {
        let d = def_with(&["HJ2024N01"], &[(0, &[(Vibrate, 0, 99)], false)]);
        let (sim, hw) = connect(spec("HJ2024N01", &[Endpoint::Tx])).await;
        let h = named(factories(), "sexverse-v4")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 50)]).unwrap()),
            [(Endpoint::Tx, vec![0xbb, 0x01, 0x32, 0x66], true)]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 75)]).unwrap()),
            [(Endpoint::Tx, vec![0xbb, 0x01, 0x4b, 0x66], true)]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(Endpoint::Tx, vec![0xbb, 0x01, 0x00, 0x66], true)]
        );
    }
}
