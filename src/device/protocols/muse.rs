//! Mu Se ("Love Spouse") panty vibrators (Dream Lover Archer 2, Galaku Panty Vib): two bytes on
//! `tx`, `[speed, mode]`. A non-zero mode byte selects speed mode, in which the device runs the
//! speed for about a second, so the last command is repeated every half second; speed 0 stops.
//!
//! Facts from the community protocol notes (stpihkal issue 65): the mode byte only has to be
//! non-zero, and `0x01` is what we send; the reference implementation has no handler.

use std::sync::Arc;
use std::time::Duration;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, KeepAlive, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "muse";

/// Mode byte selecting speed mode.
const SPEED_MODE: u8 = 0x01;

/// How often the last speed is repeated (the device holds a speed about one second).
const REPEAT: Duration = Duration::from_millis(500);

/// The factory registered as `muse`.
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
    if a.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, a));
    }
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![byte(NAME, a.value)?, SPEED_MODE],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn speeds_and_stop() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 9)], false)]);
        let e = |v| bytes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(e(9), [vec![0x09, 0x01]]);
        assert_eq!(e(3), [vec![0x03, 0x01]]);
        assert_eq!(e(0), [vec![0x00, 0x01]]);
        assert!(encode(&act(0, OutputType::Rotate, 1), &d).is_err());
        assert!(encode(&act(0, OutputType::Vibrate, 300), &d).is_err());
    }

    #[tokio::test]
    async fn connecting_writes_nothing_and_the_speed_is_repeated() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 9)], false)]);
        let (sim, hw) = connect(spec("WB-TDD", &[Endpoint::Tx])).await;
        let handler = init(factory().as_ref(), &hw, &d).await;
        assert!(sim.take_ops().is_empty());
        assert!(matches!(handler.keepalive(), KeepAlive::RepeatLastEvery(r) if r == REPEAT));
    }
}
