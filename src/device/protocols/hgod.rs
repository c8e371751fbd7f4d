//! Hgod: a vibration only lasts about 100 ms, so the packet `[0x55, 0x04, 0, 0, 0, speed]` is
//! re-sent every 100 ms while the speed is above 0 (the device task's periodic tick); commands
//! only change the remembered speed.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    feature_bit, HwCommand, KeepAlive, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{byte, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "hgod";
const PERIOD: Duration = Duration::from_millis(100);

struct Hgod;

/// The factory registered as `hgod`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Hgod)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

#[async_trait]
impl ProtocolFactory for Hgod {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        _: &Arc<dyn Hardware>,
        _: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        Ok(Arc::new(HgodHandler {
            speed: Mutex::new((0, 0)),
        }))
    }
}

struct HgodHandler {
    /// (feature, speed) of the last command.
    speed: Mutex<(u32, u8)>,
}

impl ProtocolHandler for HgodHandler {
    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if action.kind != OutputType::Vibrate {
            return Err(unsupported(NAME, action));
        }
        *self.speed.lock() = (action.feature, byte(NAME, action.value)?);
        Ok(Vec::new())
    }

    fn keepalive(&self) -> KeepAlive {
        KeepAlive::Periodic(PERIOD)
    }

    fn periodic(&self) -> Vec<HwCommand> {
        let (feature, speed) = *self.speed.lock();
        if speed == 0 {
            return Vec::new();
        }
        vec![HwCommand::write(
            Endpoint::Tx,
            vec![0x55, 0x04, 0x00, 0x00, 0x00, speed],
            feature_bit(feature),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[tokio::test]
    async fn vector_bytes() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 10)], false)]);
        let (_, hw) = connect(spec("AMN NEO", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(h.keepalive(), KeepAlive::Periodic(PERIOD));
        assert!(h.periodic().is_empty());
        assert!(h
            .outputs(&[act(0, OutputType::Vibrate, 5)])
            .unwrap()
            .is_empty());
        assert_eq!(bytes(&h.periodic()), [vec![0x55, 0x04, 0, 0, 0, 0x05]]);
        h.outputs(&[act(0, OutputType::Vibrate, 10)]).unwrap();
        assert_eq!(bytes(&h.periodic()), [vec![0x55, 0x04, 0, 0, 0, 0x0a]]);
        h.outputs(&[act(0, OutputType::Vibrate, 0)]).unwrap();
        assert!(h.periodic().is_empty());
    }
}
