//! Sexverse v6 (Sexverse Aether, Sirius).
//!
//! Every motor's level travels in one frame `aa 03 03 <vibration> <oscillation> <suction>`
//! written without response to `tx`; a motor the device lacks is sent as 0. The handler keeps the
//! last level of each motor and re-sends the whole frame on each command.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, ProtocolFactory};
use crate::device::protocols::kit::{byte, AllFeatures};
use crate::error::DeviceError;

const NAME: &str = "sexverse-v6";

/// The factory registered as `sexverse-v6`.
fn factory() -> Arc<dyn ProtocolFactory> {
    AllFeatures::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

/// The level of the first state slot driving `kind` (0 when none does). Slots are the features
/// with a non-position output, in index order, as [`AllFeatures`] keeps them.
fn level_of(values: &[i32], def: &DeviceDefinition, kind: OutputType) -> Result<u8, DeviceError> {
    let value = def
        .features
        .iter()
        .filter(|f| f.outputs.iter().any(|o| !o.kind.is_position()))
        .zip(values)
        .find(|(f, _)| f.output(kind).is_some())
        .map(|(_, v)| *v)
        .unwrap_or(0);
    byte(NAME, value)
}

fn encode(values: &[i32], def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let vibration = level_of(values, def, OutputType::Vibrate)?;
    let oscillation = level_of(values, def, OutputType::Oscillate)?;
    let suction = level_of(values, def, OutputType::Constrict)?;
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![0xaa, 0x03, 0x03, vibration, oscillation, suction],
        0,
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    fn sirius() -> DeviceDefinition {
        def(&[
            (0, &[(Vibrate, 0, 100)], false),
            (1, &[(Oscillate, 0, 100)], false),
            (2, &[(Constrict, 0, 100)], false),
        ])
    }

    #[tokio::test]
    async fn whole_state_frames() {
        let (sim, hw) = connect(spec("A14M01C", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &sirius()).await;
        assert!(sim.take_ops().is_empty());
        let e = |a: &[_]| writes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(0, Vibrate, 50)]),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x03, 0x03, 0x32, 0x00, 0x00],
                false
            )]
        );
        assert_eq!(
            e(&[act(1, Oscillate, 100), act(2, Constrict, 10)]),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x03, 0x03, 0x32, 0x64, 0x0a],
                false
            )]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 0)]),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x03, 0x03, 0x00, 0x64, 0x0a],
                false
            )]
        );
        assert!(h.outputs(&[act(0, Vibrate, 300)]).is_err());
        // A refused command leaves the state untouched.
        assert_eq!(
            e(&[act(2, Constrict, 0)]),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x03, 0x03, 0x00, 0x64, 0x00],
                false
            )]
        );
    }

    #[test]
    fn missing_motor_is_zero() {
        let aether = def(&[
            (0, &[(Vibrate, 0, 100)], false),
            (1, &[(Oscillate, 0, 100)], false),
        ]);
        assert_eq!(
            bytes(&encode(&[7, 9], &aether).unwrap()),
            [vec![0xaa, 0x03, 0x03, 0x07, 0x09, 0x00]]
        );
    }
}
