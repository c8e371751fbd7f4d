//! Svakom Ava Neo (`svakom-avaneo`).
//!
//! The first feature (vibration or oscillation) takes the frame `55 03 00 00 <on> <level>` on
//! `tx` (without response), `<on>` being 1 while the level is non-zero. Any other feature has a
//! frame of its own: `55 09 00 00 <level> ff` for vibration and `55 08 00 00 <level> ff` for
//! oscillation, as the reference sends them.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "svakom-avaneo";

/// The factory registered as `svakom-avaneo`.
fn factory() -> Arc<dyn ProtocolFactory> {
    PerFeature::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if !matches!(a.kind, OutputType::Vibrate | OutputType::Oscillate) {
        return Err(unsupported(NAME, a));
    }
    let level = byte(NAME, a.value)?;
    let frame = match (a.feature, a.kind) {
        (0, _) => vec![0x55, 0x03, 0x00, 0x00, u8::from(level != 0), level],
        (_, OutputType::Vibrate) => vec![0x55, 0x09, 0x00, 0x00, level, 0xff],
        _ => vec![0x55, 0x08, 0x00, 0x00, level, 0xff],
    };
    Ok(vec![HwCommand::write(Endpoint::Tx, frame, mask(a.feature))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::*;
    use crate::device::protocol::KeepAlive;
    use crate::device::protocols::testkit::*;

    fn ava() -> DeviceDefinition {
        def(&[
            (0, &[(Vibrate, 0, 10)], false),
            (1, &[(Oscillate, 0, 1)], false),
        ])
    }

    #[test]
    fn frames() {
        let d = ava();
        let e = |f, k, v| writes(&encode(&act(f, k, v), &d).unwrap());
        assert_eq!(
            e(0, Vibrate, 10),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x01, 0x0a],
                false
            )]
        );
        assert_eq!(
            e(0, Vibrate, 0),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x00, 0x00],
                false
            )]
        );
        assert_eq!(
            e(1, Oscillate, 1),
            [(
                Endpoint::Tx,
                vec![0x55, 0x08, 0x00, 0x00, 0x01, 0xff],
                false
            )]
        );
        assert_eq!(
            e(1, Vibrate, 7),
            [(
                Endpoint::Tx,
                vec![0x55, 0x09, 0x00, 0x00, 0x07, 0xff],
                false
            )]
        );
        assert_eq!(
            e(0, Oscillate, 3),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x01, 0x03],
                false
            )]
        );
        assert!(encode(&act(0, Rotate, 1), &d).is_err());
        assert!(encode(&act(0, Vibrate, 256), &d).is_err());
    }

    #[tokio::test]
    async fn no_setup() {
        let (sim, hw) = connect(spec("Ava Neo", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &ava()).await;
        assert!(sim.take_ops().is_empty());
        assert_eq!(h.keepalive(), KeepAlive::RepeatLastIfRequired);
    }
}
