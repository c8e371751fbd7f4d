//! Svakom Tara X (`svakom-tarax`, ToyCod Tara X).
//!
//! The vibrators take `55 03 00 00 <level> 02` on `tx` (without response); to stop, the frame is
//! `55 03 00 00 01 01`. The second vibrator takes `55 09 00 00 <level> 00`, as the reference
//! sends it.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "svakom-tarax";

/// The factory registered as `svakom-tarax`.
fn factory() -> Arc<dyn ProtocolFactory> {
    PerFeature::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if a.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, a));
    }
    let data = match byte(NAME, a.value)? {
        level if a.feature != 0 => vec![0x55, 0x09, 0x00, 0x00, level, 0x00],
        0 => vec![0x55, 0x03, 0x00, 0x00, 0x01, 0x01],
        level => vec![0x55, 0x03, 0x00, 0x00, level, 0x02],
    };
    Ok(vec![HwCommand::write(Endpoint::Tx, data, mask(a.feature))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::*;
    use crate::device::protocol::KeepAlive;
    use crate::device::protocols::testkit::*;

    fn tarax() -> DeviceDefinition {
        def(&[
            (0, &[(Vibrate, 0, 3)], false),
            (1, &[(Vibrate, 0, 3)], false),
        ])
    }

    #[test]
    fn second_vibrator_frame() {
        let d = tarax();
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
        let d = tarax();
        let e = |f, v| writes(&encode(&act(f, Vibrate, v), &d).unwrap());
        assert_eq!(
            e(0, 3),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x03, 0x02],
                false
            )]
        );
        assert_eq!(
            e(0, 0),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x01, 0x01],
                false
            )]
        );
        assert!(encode(&act(0, Constrict, 1), &d).is_err());
        assert!(encode(&act(0, Vibrate, -1), &d).is_err());
    }

    #[tokio::test]
    async fn no_setup() {
        let (sim, hw) = connect(spec("SX218A", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &tarax()).await;
        assert!(sim.take_ops().is_empty());
        assert_eq!(h.keepalive(), KeepAlive::RepeatLastIfRequired);
    }
}
