//! Svakom v4 (`svakom-v4`: Svakom Erica, Cici+ 2, ToyCod Barzillai, Clara) and Svakom Barney
//! (`svakom-barney`: Mutufun Barney), which speak the same frame.
//!
//! Each vibrator takes `55 03 <motor> 00 <mode> <level>` on `tx` (without response), where
//! `<motor>` is the feature index plus one and `<mode>` is 3 while the level is non-zero, 0 to
//! stop. The last frame is repeated when the hardware needs a keep-alive.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const V4: &str = "svakom-v4";
const BARNEY: &str = "svakom-barney";

/// The factory registered as `svakom-v4`.
pub(crate) fn factory() -> Arc<dyn ProtocolFactory> {
    PerFeature::new(V4, encode_v4)
}

/// The factory registered as `svakom-barney`.
pub(crate) fn barney_factory() -> Arc<dyn ProtocolFactory> {
    PerFeature::new(BARNEY, encode_barney)
}

fn encode_v4(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    encode(V4, a)
}

fn encode_barney(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    encode(BARNEY, a)
}

fn encode(name: &str, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
    if a.kind != OutputType::Vibrate {
        return Err(unsupported(name, a));
    }
    let motor = u8::try_from(a.feature)
        .ok()
        .and_then(|m| m.checked_add(1))
        .ok_or_else(|| DeviceError::protocol(name, "feature index does not fit a motor number"))?;
    let level = byte(name, a.value)?;
    let mode = if level == 0 { 0x00 } else { 0x03 };
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![0x55, 0x03, motor, 0x00, mode, level],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::*;
    use crate::device::protocol::KeepAlive;
    use crate::device::protocols::testkit_a::*;

    fn two_vibrators() -> DeviceDefinition {
        def(&[
            (0, &[(Vibrate, 0, 10)], false),
            (1, &[(Vibrate, 0, 10)], false),
        ])
    }

    #[test]
    fn frames() {
        let d = two_vibrators();
        for encoder in [encode_v4, encode_barney] {
            let e = |f, v| writes(&encoder(&act(f, Vibrate, v), &d).unwrap());
            assert_eq!(
                e(0, 7),
                [(
                    Endpoint::Tx,
                    vec![0x55, 0x03, 0x01, 0x00, 0x03, 0x07],
                    false
                )]
            );
            assert_eq!(
                e(1, 10),
                [(
                    Endpoint::Tx,
                    vec![0x55, 0x03, 0x02, 0x00, 0x03, 0x0a],
                    false
                )]
            );
            assert_eq!(
                e(1, 0),
                [(
                    Endpoint::Tx,
                    vec![0x55, 0x03, 0x02, 0x00, 0x00, 0x00],
                    false
                )]
            );
            assert!(encoder(&act(0, Oscillate, 1), &d).is_err());
            assert!(encoder(&act(0, Vibrate, -1), &d).is_err());
            assert!(encoder(&act(255, Vibrate, 1), &d).is_err());
        }
    }

    #[tokio::test]
    async fn no_setup() {
        for (f, name) in [(factory(), "ERICA"), (barney_factory(), "DJ333A")] {
            let (sim, hw) = connect(spec(name, &[Endpoint::Rx, Endpoint::Tx])).await;
            let h = init(&*f, &hw, &two_vibrators()).await;
            assert!(sim.take_ops().is_empty());
            assert_eq!(h.keepalive(), KeepAlive::RepeatLastIfRequired);
            assert_eq!(
                bytes(
                    &h.outputs(&[act(0, Vibrate, 1), act(1, Vibrate, 2)])
                        .unwrap()
                ),
                [
                    vec![0x55, 0x03, 0x01, 0x00, 0x03, 0x01],
                    vec![0x55, 0x03, 0x02, 0x00, 0x03, 0x02]
                ]
            );
        }
    }
}
