//! Joyroid Loob: `[0x00, 0x01, 0x01, 0xF4]` at connection (with response), then moves as
//! `[position (u16 BE, 1..=1000), duration ms (u16 BE, at least 1)]`.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, KeepAlive, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "loob";

/// The factory registered as `loob`.
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
    vec![HwCommand::write_with_response(
        Endpoint::Tx,
        vec![0x00, 0x01, 0x01, 0xf4],
        0,
    )]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if a.kind != OutputType::HwPositionWithDuration {
        return Err(unsupported(NAME, a));
    }
    let position = u16::try_from(a.value.clamp(1, 1000)).unwrap_or(1);
    let duration = u16::try_from(a.duration.unwrap_or(0).max(1)).unwrap_or(u16::MAX);
    let mut packet = position.to_be_bytes().to_vec();
    packet.extend(duration.to_be_bytes());
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        packet,
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[tokio::test]
    async fn vector_bytes() {
        let d = def(&[(0, &[(OutputType::HwPositionWithDuration, 0, 1000)], false)]);
        let (sim, hw) = connect(spec("LOOB", &[Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(
            next(&sim).await,
            Some(w(Endpoint::Tx, &[0x00, 0x01, 0x01, 0xf4], true))
        );
        let e = |v, t| writes(&h.outputs(&[mv(0, v, t)]).unwrap());
        assert_eq!(
            e(510, 200),
            [(Endpoint::Tx, vec![0x01, 0xfe, 0x00, 0xc8], false)]
        );
        assert_eq!(
            e(1000, 50),
            [(Endpoint::Tx, vec![0x03, 0xe8, 0x00, 0x32], false)]
        );
        assert_eq!(
            e(0, 500),
            [(Endpoint::Tx, vec![0x00, 0x01, 0x01, 0xf4], false)]
        );
    }
}
