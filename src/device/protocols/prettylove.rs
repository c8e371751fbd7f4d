//! Pretty Love (Aogu BLE): `00 <speed>` on `tx`, written with response. Every device of the
//! protocol identifies as `Aogu BLE`, whatever name it advertises.

use std::sync::Arc;

use async_trait::async_trait;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    HwCommand, Identified, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "prettylove";

/// The identifier every Pretty Love device resolves to.
const IDENTIFIER: &str = "Aogu BLE";

struct PrettyLove {
    inner: Arc<PerFeature>,
}

#[async_trait]
impl ProtocolFactory for PrettyLove {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn identify(&self, _: &Arc<dyn Hardware>) -> Result<Identified, DeviceError> {
        Ok(Identified::new(NAME, Some(IDENTIFIER.to_string())))
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        self.inner.initialize(hardware, definition).await
    }
}

/// The factory registered as `prettylove`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(PrettyLove {
        inner: PerFeature::new(NAME, encode),
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
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        vec![0x00, byte(NAME, a.value)?],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn frames() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 3)], false)]);
        let e = |v| writes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(e(3), [(Endpoint::Tx, vec![0x00, 0x03], true)]);
        assert_eq!(e(1), [(Endpoint::Tx, vec![0x00, 0x01], true)]);
        assert_eq!(e(0), [(Endpoint::Tx, vec![0x00, 0x00], true)]);
        assert!(encode(&act(0, OutputType::Vibrate, 256), &d).is_err());
        assert!(encode(&act(0, OutputType::Rotate, 1), &d).is_err());
    }

    #[tokio::test]
    async fn identifies_as_aogu_and_writes_nothing_at_start() {
        let f = factory();
        let (sim, hw) = connect(spec("Aogu BLE 1234", &[Endpoint::Tx, Endpoint::Rx])).await;
        let id = f.identify(&hw).await.unwrap().identification;
        assert_eq!(id.protocol, "prettylove");
        assert_eq!(id.identifier.as_deref(), Some("Aogu BLE"));
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 3)], false)]);
        let h = init(&*f, &hw, &d).await;
        assert!(sim.take_ops().is_empty());
        assert_eq!(
            writes(&h.outputs(&[act(0, OutputType::Vibrate, 2)]).unwrap()),
            [(Endpoint::Tx, vec![0x00, 0x02], true)]
        );
    }
}
