//! Svakom Jordan (`svakom-jordan`).
//!
//! Frames are `55 <function> 00 00 <on> <level> 00` on `tx` (without response), `<on>` being 1
//! while the level is non-zero: function 3 for vibration, function 8 for oscillation. The last
//! frame is repeated when the hardware needs a keep-alive.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "svakom-jordan";

/// The factory registered as `svakom-jordan`.
fn factory() -> Arc<dyn ProtocolFactory> {
    PerFeature::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let function = match a.kind {
        OutputType::Vibrate => 0x03,
        OutputType::Oscillate => 0x08,
        _ => return Err(unsupported(NAME, a)),
    };
    let level = byte(NAME, a.value)?;
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![
            0x55,
            function,
            0x00,
            0x00,
            u8::from(level != 0),
            level,
            0x00,
        ],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::*;
    use crate::device::protocol::KeepAlive;
    use crate::device::protocols::testkit::*;

    fn jordan() -> DeviceDefinition {
        def(&[
            (0, &[(Vibrate, 0, 10)], false),
            (1, &[(Oscillate, 0, 5)], false),
        ])
    }

    #[test]
    fn frames() {
        let d = jordan();
        let e = |f, k, v| writes(&encode(&act(f, k, v), &d).unwrap());
        assert_eq!(
            e(0, Vibrate, 10),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x01, 0x0a, 0x00],
                false
            )]
        );
        assert_eq!(
            e(0, Vibrate, 0),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00],
                false
            )]
        );
        assert_eq!(
            e(1, Oscillate, 5),
            [(
                Endpoint::Tx,
                vec![0x55, 0x08, 0x00, 0x00, 0x01, 0x05, 0x00],
                false
            )]
        );
        assert!(encode(&act(0, Constrict, 1), &d).is_err());
        assert!(encode(&act(1, Oscillate, -2), &d).is_err());
    }

    #[tokio::test]
    async fn no_setup() {
        let (sim, hw) = connect(spec("Jordan", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &jordan()).await;
        assert!(sim.take_ops().is_empty());
        assert_eq!(h.keepalive(), KeepAlive::RepeatLastIfRequired);
    }
}
