//! Amorelie Joy: `[0x03]` at connection, then `[0x01, 0x01 (steady pattern), speed]`.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, KeepAlive, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "amorelie-joy";

/// The factory registered as `amorelie-joy`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(PerFeature {
        name: NAME,
        encode,
        init: Some(setup_packets),
        keepalive: KeepAlive::RepeatLastIfRequired,
    })
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn setup_packets(_: &DeviceDefinition) -> Vec<HwCommand> {
    vec![HwCommand::write(Endpoint::Tx, vec![0x03], 0)]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if a.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, a));
    }
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![0x01, 0x01, byte(NAME, a.value)?],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[tokio::test]
    async fn vector_bytes() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 100)], false)]);
        let (sim, hw) = connect(spec("4D01", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(next(&sim).await, Some(w(Endpoint::Tx, &[0x03], false)));
        let e = |v| bytes(&h.outputs(&[act(0, OutputType::Vibrate, v)]).unwrap());
        assert_eq!(e(50), [vec![0x01, 0x01, 0x32]]);
        assert_eq!(e(100), [vec![0x01, 0x01, 0x64]]);
        assert_eq!(e(0), [vec![0x01, 0x01, 0x00]]);
    }
}
