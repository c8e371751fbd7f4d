//! Simulated devices of the v5 configuration (`simulated-1vibe`, `simulated-stroker`, ...):
//! virtual toys with no wire format. Every output the configuration gives them is accepted and
//! nothing is written; identification uses the simulated device's name, which selects the
//! configuration.

use std::sync::Arc;

use async_trait::async_trait;

use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory, ProtocolHandler};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "simulated";

/// The factory registered as `simulated`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Simulated)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

struct Simulated;

#[async_trait]
impl ProtocolFactory for Simulated {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        _hardware: &Arc<dyn Hardware>,
        _definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        Ok(Arc::new(SimulatedHandler))
    }
}

struct SimulatedHandler;

impl ProtocolHandler for SimulatedHandler {
    fn output(&self, _action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::*;
    use crate::device::protocols::testkit::*;

    #[tokio::test]
    async fn accepts_everything_writes_nothing() {
        let (sim, hw) = connect(spec("simulated-stroker", &[])).await;
        let f = factory();
        let ident = f.identify(&hw).await.unwrap().identification;
        assert_eq!(ident.protocol, "simulated");
        assert_eq!(ident.identifier.as_deref(), Some("simulated-stroker"));
        let d = def(&[
            (0, &[(Vibrate, 0, 100)], false),
            (1, &[(Rotate, -100, 100)], false),
            (
                2,
                &[(Position, 0, 1000), (HwPositionWithDuration, 0, 1000)],
                false,
            ),
        ]);
        let h = init(&*f, &hw, &d).await;
        let cmds = h
            .outputs(&[
                act(0, Vibrate, 50),
                act(1, Rotate, -20),
                act(2, Position, 500),
                mv(2, 1000, 300),
            ])
            .unwrap();
        assert!(cmds.is_empty());
        assert!(sim.take_ops().is_empty());
    }
}
