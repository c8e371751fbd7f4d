//! Foreo: `[0x01, mode, speed]`, with response. The mode byte depends on the product: 3 for the
//! LUNA play smart 2, 1 for the fofo and UFO families, else 0 (taken from the device name).

use std::sync::Arc;

use async_trait::async_trait;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory, ProtocolHandler};
use crate::device::protocols::kit::{byte, mask, unsupported, ActionEncoder, PerFeature};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "foreo";

struct Foreo;

/// The factory registered as `foreo`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Foreo)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

/// The mode byte for a device name.
fn mode(name: &str) -> u8 {
    let name = name.to_lowercase();
    if name.contains("smart") && name.contains('2') {
        3
    } else if name.contains("fofo") || name.contains("ufo") {
        1
    } else {
        0
    }
}

fn encode<const MODE: u8>(
    a: &OutputAction,
    _: &DeviceDefinition,
) -> Result<Vec<HwCommand>, DeviceError> {
    if a.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, a));
    }
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        vec![0x01, MODE, byte(NAME, a.value)?],
        mask(a.feature),
    )])
}

#[async_trait]
impl ProtocolFactory for Foreo {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let encoder: ActionEncoder = match mode(hardware.name()) {
            3 => encode::<3>,
            1 => encode::<1>,
            _ => encode::<0>,
        };
        PerFeature::new(NAME, encoder)
            .initialize(hardware, definition)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn modes() {
        assert_eq!(mode("FOFO"), 1);
        assert_eq!(mode("UFO 2"), 1);
        assert_eq!(mode("LUNA play smart 2"), 3);
        assert_eq!(mode("BEAR"), 0);
    }

    #[tokio::test]
    async fn vector_bytes() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 10)], false)]);
        let (_, hw) = connect(spec("FOFO", &[Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        let e = |v| writes(&h.outputs(&[act(0, OutputType::Vibrate, v)]).unwrap());
        assert_eq!(e(5), [(Endpoint::Tx, vec![0x01, 0x01, 0x05], true)]);
        assert_eq!(e(8), [(Endpoint::Tx, vec![0x01, 0x01, 0x08], true)]);
        assert_eq!(e(0), [(Endpoint::Tx, vec![0x01, 0x01, 0x00], true)]);
    }
}
