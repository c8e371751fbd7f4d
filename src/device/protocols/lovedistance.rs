//! Love Distance (`lovedistance`): one vibrator, level 0–121. Initialisation writes
//! `[0xF3, 0x00, 0x00]` (stop) and `[0xF4, 0x01]` to `tx`; each command is
//! `[0xF3, 0x00, level]`. All writes go without response.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, KeepAlive, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "lovedistance";

/// The factory registered as `lovedistance`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(PerFeature {
        name: NAME,
        encode,
        init: Some(setup),
        keepalive: KeepAlive::RepeatLastIfRequired,
    })
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn setup(_: &DeviceDefinition) -> Vec<HwCommand> {
    vec![
        HwCommand::write(Endpoint::Tx, vec![0xf3, 0x00, 0x00], 0),
        HwCommand::write(Endpoint::Tx, vec![0xf4, 0x01], 0),
    ]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if a.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, a));
    }
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![0xf3, 0x00, byte(NAME, a.value)?],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn vibrate_bytes() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 121)], false)]);
        let e = |v| writes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(e(121), [(Endpoint::Tx, vec![0xf3, 0x00, 0x79], false)]);
        assert_eq!(e(60), [(Endpoint::Tx, vec![0xf3, 0x00, 0x3c], false)]);
        assert_eq!(e(0), [(Endpoint::Tx, vec![0xf3, 0x00, 0x00], false)]);
        assert!(encode(&act(0, OutputType::Vibrate, 256), &d).is_err());
        assert!(encode(&act(0, OutputType::Rotate, 1), &d).is_err());
    }

    #[tokio::test]
    async fn initialisation() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 121)], false)]);
        let (sim, hw) = connect(spec("REACH", &[Endpoint::Tx, Endpoint::Rx])).await;
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(
            sim.take_ops(),
            [
                w(Endpoint::Tx, &[0xf3, 0x00, 0x00], false),
                w(Endpoint::Tx, &[0xf4, 0x01], false)
            ]
        );
        assert_eq!(
            bytes(&h.output(&act(0, OutputType::Vibrate, 10)).unwrap()),
            [vec![0xf3, 0x00, 0x0a]]
        );
    }
}
