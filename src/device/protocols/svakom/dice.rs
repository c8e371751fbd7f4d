//! Svakom Dice (`svakom-dice`, Zemalia Dice for Love).
//!
//! The vibrator takes `55 04 00 00 01 <level> aa` on `tx` (without response); level 0 stops it.
//! The last frame is repeated when the hardware needs a keep-alive. (The toy also reports rolls
//! and battery on `rx`; no reading is exposed.)

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "svakom-dice";

/// The factory registered as `svakom-dice`.
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
    let level = byte(NAME, a.value)?;
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![0x55, 0x04, 0x00, 0x00, 0x01, level, 0xaa],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::*;
    use crate::device::protocol::KeepAlive;
    use crate::device::protocols::testkit::*;

    fn dice() -> DeviceDefinition {
        def(&[(0, &[(Vibrate, 0, 255)], false)])
    }

    #[test]
    fn frames() {
        let d = dice();
        let e = |v| writes(&encode(&act(0, Vibrate, v), &d).unwrap());
        assert_eq!(
            e(255),
            [(
                Endpoint::Tx,
                vec![0x55, 0x04, 0x00, 0x00, 0x01, 0xff, 0xaa],
                false
            )]
        );
        assert_eq!(
            e(0),
            [(
                Endpoint::Tx,
                vec![0x55, 0x04, 0x00, 0x00, 0x01, 0x00, 0xaa],
                false
            )]
        );
        assert!(encode(&act(0, Rotate, 1), &d).is_err());
        assert!(encode(&act(0, Vibrate, 256), &d).is_err());
    }

    #[tokio::test]
    async fn no_setup() {
        let (sim, hw) = connect(spec("ZhiAi", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &dice()).await;
        assert!(sim.take_ops().is_empty());
        assert_eq!(h.keepalive(), KeepAlive::RepeatLastIfRequired);
    }
}
