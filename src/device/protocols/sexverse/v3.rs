//! Sexverse v3 (Sexverse Tay, Zeus).
//!
//! Each motor is driven by its own 4-byte frame `a1 04 <level> <motor>`, where `<motor>` is the
//! feature index plus one; frames are written with response to `tx`. The toy stops when the host
//! falls silent, so the last frame is repeated every 100 ms, always.
//!
//! The reference drives vibration and rotation through this frame; oscillation (the Zeus's
//! second motor) is sent the same way, addressed by its motor number.

use std::sync::Arc;
use std::time::Duration;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, KeepAlive, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "sexverse-v3";

/// How often the last frame is repeated.
const REPEAT: Duration = Duration::from_millis(100);

/// The factory registered as `sexverse-v3`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(PerFeature {
        name: NAME,
        encode,
        init: None,
        keepalive: KeepAlive::RepeatLastEvery(REPEAT),
    })
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if !matches!(
        a.kind,
        OutputType::Vibrate | OutputType::Rotate | OutputType::Oscillate
    ) {
        return Err(unsupported(NAME, a));
    }
    let motor = u8::try_from(a.feature)
        .ok()
        .and_then(|m| m.checked_add(1))
        .ok_or_else(|| DeviceError::protocol(NAME, "feature index does not fit a motor number"))?;
    let level = byte(NAME, a.value)?;
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        vec![0xa1, 0x04, level, motor],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    fn zeus() -> DeviceDefinition {
        def(&[
            (0, &[(Vibrate, 0, 20)], false),
            (1, &[(Oscillate, 0, 20)], false),
        ])
    }

    #[test]
    fn frames() {
        let d = zeus();
        let e = |f, k, v| writes(&encode(&act(f, k, v), &d).unwrap());
        assert_eq!(
            e(0, Vibrate, 20),
            [(Endpoint::Tx, vec![0xa1, 0x04, 0x14, 0x01], true)]
        );
        assert_eq!(
            e(0, Vibrate, 0),
            [(Endpoint::Tx, vec![0xa1, 0x04, 0x00, 0x01], true)]
        );
        assert_eq!(
            e(1, Oscillate, 7),
            [(Endpoint::Tx, vec![0xa1, 0x04, 0x07, 0x02], true)]
        );
        assert_eq!(
            e(0, Rotate, 3),
            [(Endpoint::Tx, vec![0xa1, 0x04, 0x03, 0x01], true)]
        );
        assert!(encode(&act(0, Constrict, 1), &d).is_err());
        assert!(encode(&act(0, Vibrate, 256), &d).is_err());
        assert!(encode(&act(0, Rotate, -1), &d).is_err());
        assert!(encode(&act(255, Vibrate, 1), &d).is_err());
    }

    #[tokio::test]
    async fn no_setup_and_fast_keepalive() {
        let (sim, hw) = connect(spec("TAY001", &[Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &zeus()).await;
        assert!(sim.take_ops().is_empty());
        assert_eq!(h.keepalive(), KeepAlive::RepeatLastEvery(REPEAT));
        assert_eq!(
            bytes(
                &h.outputs(&[act(0, Vibrate, 5), act(1, Oscillate, 6)])
                    .unwrap()
            ),
            [vec![0xa1, 0x04, 0x05, 0x01], vec![0xa1, 0x04, 0x06, 0x02]]
        );
    }
}
