//! Svakom Magic Suitcase (`svakom-suitcase`, also Coleur Dor VX236A).
//!
//! The vibrator takes `55 03 00 00 <intensity> <speed>` on `tx` (without response). A device
//! level `n` is split into tens and units: `<speed>` runs 1..=10 within a band and
//! `<intensity>` counts the bands from 1, so 1..=10 map to intensity 1 with speed 1..=10,
//! 11..=20 to intensity 2, and so on; level 0 sends `00 00`. Any other vibrator takes
//! `55 09 00 00 <level> 00`, as the reference sends it.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "svakom-suitcase";

/// The factory registered as `svakom-suitcase`.
fn factory() -> Arc<dyn ProtocolFactory> {
    PerFeature::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

/// `(intensity, speed)` of a device level.
fn split(level: u8) -> (u8, u8) {
    if level == 0 {
        return (0, 0);
    }
    let band = level / 10;
    match level % 10 {
        0 => (band, 10),
        units => (band + 1, units),
    }
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if a.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, a));
    }
    if a.feature != 0 {
        let level = byte(NAME, a.value)?;
        return Ok(vec![HwCommand::write(
            Endpoint::Tx,
            vec![0x55, 0x09, 0x00, 0x00, level, 0x00],
            mask(a.feature),
        )]);
    }
    let (intensity, speed) = split(byte(NAME, a.value)?);
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![0x55, 0x03, 0x00, 0x00, intensity, speed],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::*;
    use crate::device::protocol::KeepAlive;
    use crate::device::protocols::testkit::*;

    fn suitcase() -> DeviceDefinition {
        def(&[
            (0, &[(Vibrate, 0, 30)], false),
            (1, &[(Vibrate, 0, 1)], false),
        ])
    }

    #[test]
    fn level_split() {
        assert_eq!(split(0), (0, 0));
        assert_eq!(split(1), (1, 1));
        assert_eq!(split(9), (1, 9));
        assert_eq!(split(10), (1, 10));
        assert_eq!(split(11), (2, 1));
        assert_eq!(split(20), (2, 10));
        assert_eq!(split(25), (3, 5));
        assert_eq!(split(30), (3, 10));
        assert_eq!(split(255), (26, 5));
    }

    #[test]
    fn second_vibrator_frame() {
        let d = suitcase();
        assert_eq!(
            writes(&encode(&act(1, Vibrate, 1), &d).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x09, 0x00, 0x00, 0x01, 0x00],
                false
            )]
        );
        assert_eq!(
            bytes(&encode(&act(1, Vibrate, 0), &d).unwrap()),
            [vec![0x55, 0x09, 0x00, 0x00, 0x00, 0x00]]
        );
    }

    #[test]
    fn frames() {
        let d = suitcase();
        let e = |f, v| writes(&encode(&act(f, Vibrate, v), &d).unwrap());
        assert_eq!(
            e(0, 15),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x02, 0x05],
                false
            )]
        );
        assert_eq!(
            e(0, 30),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x03, 0x0a],
                false
            )]
        );
        assert_eq!(
            e(0, 0),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x00, 0x00],
                false
            )]
        );
        assert!(encode(&act(0, Oscillate, 1), &d).is_err());
        assert!(encode(&act(0, Vibrate, 256), &d).is_err());
    }

    #[tokio::test]
    async fn no_setup() {
        let (sim, hw) = connect(spec("VX357A-BLE-V1.0", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &suitcase()).await;
        assert!(sim.take_ops().is_empty());
        assert_eq!(h.keepalive(), KeepAlive::RepeatLastIfRequired);
    }
}
