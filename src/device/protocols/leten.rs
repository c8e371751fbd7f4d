//! Leten: `[0x04, 0x01]` at connection, then `[0x02, speed]`, all written with response. The
//! toy stops on its own unless the last packet is repeated every second.

use std::sync::Arc;
use std::time::Duration;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, KeepAlive, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "leten";

/// The factory registered as `leten`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(PerFeature {
        name: NAME,
        encode,
        init: Some(setup_packets),
        keepalive: KeepAlive::RepeatLastEvery(Duration::from_millis(1000)),
    })
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn setup_packets(_: &DeviceDefinition) -> Vec<HwCommand> {
    vec![HwCommand::write_with_response(
        Endpoint::Tx,
        vec![0x04, 0x01],
        0,
    )]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if a.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, a));
    }
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        vec![0x02, byte(NAME, a.value)?],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[tokio::test]
    async fn vector_bytes() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 25)], false)]);
        let (sim, hw) = connect(spec("F520A-LT", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(next(&sim).await, Some(w(Endpoint::Tx, &[0x04, 0x01], true)));
        assert_eq!(
            h.keepalive(),
            KeepAlive::RepeatLastEvery(Duration::from_millis(1000))
        );
        let e = |v| writes(&h.outputs(&[act(0, OutputType::Vibrate, v)]).unwrap());
        assert_eq!(e(0), [(Endpoint::Tx, vec![0x02, 0x00], true)]);
        assert_eq!(e(13), [(Endpoint::Tx, vec![0x02, 0x0d], true)]);
        assert_eq!(e(19), [(Endpoint::Tx, vec![0x02, 0x13], true)]);
    }
}
