//! Svakom v4 (`svakom-v4`: Svakom Erica, Cici+ 2, ToyCod Barzillai, Clara) and Svakom Barney
//! (`svakom-barney`: Mutufun Barney), which speak the same frame.
//!
//! One frame carries both vibrators: `55 03 <which> 00 <mode> <level> 00` on `tx` (without
//! response). `<level>` is the higher of the two last levels; `<which>` is 0 when both run (or
//! both are equal, or the toy has a single vibrator), 1 when only the first runs, 2 when only
//! the second runs; `<mode>` is 0 when both are stopped, else 1 (v4) or 3 (Barney). The last
//! frame is repeated when the hardware needs a keep-alive.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, ProtocolFactory};
use crate::device::protocols::kit::{byte, AllFeatures};
use crate::error::DeviceError;

const V4: &str = "svakom-v4";
const BARNEY: &str = "svakom-barney";

/// The factory registered as `svakom-v4`.
fn factory() -> Arc<dyn ProtocolFactory> {
    AllFeatures::new(V4, encode_v4)
}

/// The factory registered as `svakom-barney`.
fn barney_factory() -> Arc<dyn ProtocolFactory> {
    AllFeatures::new(BARNEY, encode_barney)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![barney_factory(), factory()]
}

fn encode_v4(values: &[i32], def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    encode(V4, 0x01, values, def)
}

fn encode_barney(values: &[i32], def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    encode(BARNEY, 0x03, values, def)
}

fn encode(
    name: &str,
    running: u8,
    values: &[i32],
    def: &DeviceDefinition,
) -> Result<Vec<HwCommand>, DeviceError> {
    let vibrators = def
        .features
        .iter()
        .filter(|f| f.outputs.iter().any(|o| o.kind == OutputType::Vibrate))
        .count();
    let first = byte(name, values.first().copied().unwrap_or(0))?;
    let second = byte(name, values.get(1).copied().unwrap_or(0))?;
    let which = if vibrators == 1 || (first > 0 && second > 0) || first == second {
        0x00
    } else if first > 0 {
        0x01
    } else {
        0x02
    };
    let mode = if first == 0 && second == 0 {
        0x00
    } else {
        running
    };
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![0x55, 0x03, which, 0x00, mode, first.max(second), 0x00],
        0,
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::*;
    use crate::device::protocol::KeepAlive;
    use crate::device::protocols::testkit::*;

    fn two_vibrators() -> DeviceDefinition {
        def(&[
            (0, &[(Vibrate, 0, 10)], false),
            (1, &[(Vibrate, 0, 10)], false),
        ])
    }

    #[test]
    fn frames() {
        let d = two_vibrators();
        for (encoder, on) in [
            (encode_v4 as fn(&[i32], &DeviceDefinition) -> _, 0x01),
            (encode_barney, 0x03),
        ] {
            let e = |v: &[i32]| writes(&encoder(v, &d).unwrap());
            let frame = |which, mode, level| {
                [(
                    Endpoint::Tx,
                    vec![0x55, 0x03, which, 0x00, mode, level, 0x00],
                    false,
                )]
            };
            assert_eq!(e(&[7, 0]), frame(0x01, on, 7));
            assert_eq!(e(&[0, 10]), frame(0x02, on, 10));
            assert_eq!(e(&[3, 9]), frame(0x00, on, 9));
            assert_eq!(e(&[4, 4]), frame(0x00, on, 4));
            assert_eq!(e(&[0, 0]), frame(0x00, 0x00, 0));
            assert!(encoder(&[-1, 0], &d).is_err());
        }
        // a single vibrator never names one
        let one = def(&[(0, &[(Vibrate, 0, 10)], false)]);
        assert_eq!(
            writes(&encode_v4(&[5], &one).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x01, 0x05, 0x00],
                false
            )]
        );
    }

    #[tokio::test]
    async fn no_setup() {
        for (f, name) in [(factory(), "ERICA"), (barney_factory(), "DJ333A")] {
            let (sim, hw) = connect(spec(name, &[Endpoint::Rx, Endpoint::Tx])).await;
            let h = init(&*f, &hw, &two_vibrators()).await;
            assert!(sim.take_ops().is_empty());
            assert_eq!(h.keepalive(), KeepAlive::RepeatLastIfRequired);
            let on = if name == "ERICA" { 0x01 } else { 0x03 };
            assert_eq!(
                bytes(&h.outputs(&[act(0, Vibrate, 1)]).unwrap()),
                [vec![0x55, 0x03, 0x01, 0x00, on, 0x01, 0x00]]
            );
            assert_eq!(
                bytes(&h.outputs(&[act(1, Vibrate, 2)]).unwrap()),
                [vec![0x55, 0x03, 0x00, 0x00, on, 0x02, 0x00]]
            );
        }
    }
}
