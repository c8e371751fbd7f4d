//! LiBo family. The devices expose two one-byte characteristics, `tx` and `txmode`.
//!
//! * `libo-vibes`: the first motor's level goes to `tx` as one byte (a level of 0 also writes
//!   `0` to `txmode`, which single-motor models need); the second motor's level goes to
//!   `txmode`. A stop sends only its last write (`txmode 00`): the reference gives every write
//!   of this protocol one id, so its stop batch keeps only the last.
//! * `libo-elle`: the first feature's level goes to `txmode`; the second feature's level goes to
//!   `tx` as `(level - base) << 4 | mode`: levels 1–7 use mode 1 (base 1), levels 8–23 mode 4
//!   (base 8), `0` is off.
//! * `libo-shark`: both motors (levels 0–15) packed in one `tx` byte, first motor in the high
//!   nibble.
//! * `libo-karen`: the configuration gives this model no features; the handler drives nothing.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{
    byte, last_write_only, mask, unsupported, AllFeatures, PerFeature, StopWrites,
};
use crate::error::DeviceError;

const VIBES: &str = "libo-vibes";
const ELLE: &str = "libo-elle";
const SHARK: &str = "libo-shark";
const KAREN: &str = "libo-karen";

/// The factory registered as `libo-vibes`.
fn vibes_factory() -> Arc<dyn ProtocolFactory> {
    StopWrites::new(PerFeature::new(VIBES, vibes), last_write_only)
}

/// The factory registered as `libo-elle`.
fn elle_factory() -> Arc<dyn ProtocolFactory> {
    PerFeature::new(ELLE, elle)
}

/// The factory registered as `libo-shark`.
fn shark_factory() -> Arc<dyn ProtocolFactory> {
    AllFeatures::new(SHARK, shark)
}

/// The factory registered as `libo-karen` (no outputs).
fn karen_factory() -> Arc<dyn ProtocolFactory> {
    PerFeature::new(KAREN, karen)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![
        elle_factory(),
        karen_factory(),
        shark_factory(),
        vibes_factory(),
    ]
}

fn vibrate_level(name: &str, a: &OutputAction) -> Result<u8, DeviceError> {
    if a.kind != OutputType::Vibrate {
        return Err(unsupported(name, a));
    }
    byte(name, a.value)
}

fn vibes(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let v = vibrate_level(VIBES, a)?;
    let m = mask(a.feature);
    match a.feature {
        0 => {
            let mut out = vec![HwCommand::write(Endpoint::Tx, vec![v], m)];
            if v == 0 {
                out.push(HwCommand::write(Endpoint::TxMode, vec![0], m));
            }
            Ok(out)
        }
        1 => Ok(vec![HwCommand::write(Endpoint::TxMode, vec![v], m)]),
        _ => Err(unsupported(VIBES, a)),
    }
}

/// The `tx` byte of the Elle's second feature.
fn elle_unit(level: u8) -> Result<u8, DeviceError> {
    match level {
        0 => Ok(0),
        1..=7 => Ok(((level - 1) << 4) | 0x01),
        8..=23 => Ok(((level - 8) << 4) | 0x04),
        _ => Err(DeviceError::protocol(
            ELLE,
            format!("level {level} is above 23"),
        )),
    }
}

fn elle(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let v = vibrate_level(ELLE, a)?;
    let packet = if a.feature == 1 {
        HwCommand::write(Endpoint::Tx, vec![elle_unit(v)?], mask(a.feature))
    } else {
        HwCommand::write(Endpoint::TxMode, vec![v], mask(a.feature))
    };
    Ok(vec![packet])
}

fn shark(values: &[i32], _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let nibble = |i: usize| -> Result<u8, DeviceError> {
        let v = values.get(i).copied().unwrap_or(0);
        u8::try_from(v)
            .ok()
            .filter(|n| *n <= 0x0f)
            .ok_or_else(|| DeviceError::protocol(SHARK, format!("level {v} is above 15")))
    };
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![(nibble(0)? << 4) | nibble(1)?],
        0,
    )])
}

fn karen(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    Err(unsupported(KAREN, a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::{Rotate, Vibrate};
    use crate::device::protocols::testkit::*;

    const LIBO: [Endpoint; 2] = [Endpoint::Tx, Endpoint::TxMode];

    #[test]
    fn vibes_bytes() {
        let lala = def(&[
            (0, &[(Vibrate, 0, 100)], false),
            (1, &[(Vibrate, 0, 3)], false),
        ]);
        let e = |f, v| writes(&vibes(&act(f, Vibrate, v), &lala).unwrap());
        assert_eq!(e(0, 50), [(Endpoint::Tx, vec![50], false)]);
        assert_eq!(e(0, 100), [(Endpoint::Tx, vec![100], false)]);
        assert_eq!(
            e(0, 0),
            [
                (Endpoint::Tx, vec![0], false),
                (Endpoint::TxMode, vec![0], false)
            ]
        );
        assert_eq!(e(1, 2), [(Endpoint::TxMode, vec![2], false)]);
        assert_eq!(e(1, 0), [(Endpoint::TxMode, vec![0], false)]);
        assert!(vibes(&act(0, Rotate, 1), &lala).is_err());
        assert!(vibes(&act(2, Vibrate, 1), &lala).is_err());
    }

    #[tokio::test]
    async fn vibes_batch_keeps_every_packet() {
        let lala = def(&[
            (0, &[(Vibrate, 0, 100)], false),
            (1, &[(Vibrate, 0, 3)], false),
        ]);
        let (_, hw) = connect(spec("BaiHu", &LIBO)).await;
        let h = init(&*vibes_factory(), &hw, &lala).await;
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 0), act(1, Vibrate, 3)])
                    .unwrap()
            ),
            [
                (Endpoint::Tx, vec![0], false),
                (Endpoint::TxMode, vec![0], false),
                (Endpoint::TxMode, vec![3], false)
            ]
        );
    }

    #[tokio::test]
    async fn vibes_stop_keeps_only_the_last_write() {
        let lala = def(&[
            (0, &[(Vibrate, 0, 100)], false),
            (1, &[(Vibrate, 0, 3)], false),
        ]);
        let (_, hw) = connect(spec("BaiHu", &LIBO)).await;
        let h = init(&*vibes_factory(), &hw, &lala).await;
        // a command of zeros sends every write; a stop only the last
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [
                (Endpoint::Tx, vec![0], false),
                (Endpoint::TxMode, vec![0], false)
            ]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(Endpoint::TxMode, vec![0], false)]
        );
        assert_eq!(
            writes(
                &h.stop_outputs(&[act(0, Vibrate, 0), act(1, Vibrate, 0)])
                    .unwrap()
            ),
            [(Endpoint::TxMode, vec![0], false)]
        );
    }

    #[test]
    fn elle_bytes() {
        let d = def(&[
            (0, &[(Vibrate, 0, 3)], false),
            (1, &[(Vibrate, 0, 23)], false),
        ]);
        let e = |f, v| writes(&elle(&act(f, Vibrate, v), &d).unwrap());
        assert_eq!(e(0, 2), [(Endpoint::TxMode, vec![2], false)]);
        assert_eq!(e(0, 0), [(Endpoint::TxMode, vec![0], false)]);
        assert_eq!(e(1, 0), [(Endpoint::Tx, vec![0x00], false)]);
        assert_eq!(e(1, 1), [(Endpoint::Tx, vec![0x01], false)]);
        assert_eq!(e(1, 7), [(Endpoint::Tx, vec![0x61], false)]);
        assert_eq!(e(1, 8), [(Endpoint::Tx, vec![0x04], false)]);
        assert_eq!(e(1, 10), [(Endpoint::Tx, vec![0x24], false)]);
        assert_eq!(e(1, 23), [(Endpoint::Tx, vec![0xf4], false)]);
        assert!(elle(&act(1, Vibrate, 24), &d).is_err());
        assert!(elle(&act(0, Vibrate, 256), &d).is_err());
    }

    #[tokio::test]
    async fn shark_bytes() {
        let d = def(&[
            (0, &[(Vibrate, 0, 3)], false),
            (1, &[(Vibrate, 0, 3)], false),
        ]);
        let (_, hw) = connect(spec("ShaYu", &LIBO)).await;
        let h = init(&*shark_factory(), &hw, &d).await;
        let e = |a: &[_]| writes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(0, Vibrate, 2)]),
            [(Endpoint::Tx, vec![0x20], false)]
        );
        assert_eq!(
            e(&[act(1, Vibrate, 3)]),
            [(Endpoint::Tx, vec![0x23], false)]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 1), act(1, Vibrate, 1)]),
            [(Endpoint::Tx, vec![0x11], false)]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 0), act(1, Vibrate, 0)]),
            [(Endpoint::Tx, vec![0x00], false)]
        );
        assert!(h.outputs(&[act(0, Vibrate, 16)]).is_err());
        // a refused value leaves the state untouched
        assert_eq!(
            e(&[act(1, Vibrate, 1)]),
            [(Endpoint::Tx, vec![0x01], false)]
        );
    }

    #[tokio::test]
    async fn karen_drives_nothing() {
        let (sim, hw) = connect(spec("SuoYinQiu", &LIBO)).await;
        let h = init(&*karen_factory(), &hw, &def(&[])).await;
        assert!(h.outputs(&[act(0, Vibrate, 1)]).is_err());
        assert!(sim.take_ops().is_empty());
        assert_eq!(karen_factory().name(), "libo-karen");
    }
}
