//! Xuanhuan masturbator: `03 02 00 <speed>` with response. The toy stops unless the command is
//! repeated, so a running speed is resent every 300 ms.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    all_features, FeatureMask, HwCommand, KeepAlive, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{byte, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "xuanhuan";

/// Period of the repeated speed command.
const REPEAT: Duration = Duration::from_millis(300);

struct XuanhuanHandler {
    speed: Mutex<u8>,
    mask: FeatureMask,
}

impl XuanhuanHandler {
    fn packet(&self, speed: u8) -> HwCommand {
        HwCommand::write_with_response(Endpoint::Tx, vec![0x03, 0x02, 0x00, speed], self.mask)
    }
}

impl ProtocolHandler for XuanhuanHandler {
    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if action.kind != OutputType::Vibrate {
            return Err(unsupported(NAME, action));
        }
        let v = byte(NAME, action.value)?;
        *self.speed.lock() = v;
        Ok(vec![self.packet(v)])
    }

    fn keepalive(&self) -> KeepAlive {
        KeepAlive::Periodic(REPEAT)
    }

    fn periodic(&self) -> Vec<HwCommand> {
        let speed = *self.speed.lock();
        if speed == 0 {
            Vec::new()
        } else {
            vec![self.packet(speed)]
        }
    }
}

struct Xuanhuan;

#[async_trait]
impl ProtocolFactory for Xuanhuan {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        _hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        Ok(Arc::new(XuanhuanHandler {
            speed: Mutex::new(0),
            mask: all_features(definition),
        }))
    }
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![Arc::new(Xuanhuan)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    /// The bytes of the reference's `xuanhuan_protocol` case (Xuanhuan Masturbator).
    #[tokio::test]
    async fn xuanhuan() {
        let d = def_with(&[], &[(0, &[(Vibrate, 0, 10)], false)]);
        let (sim, hw) = connect(spec("QUXIN", &[Endpoint::Tx])).await;
        let h = named(factories(), "xuanhuan")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 5)]).unwrap()),
            [(Endpoint::Tx, vec![0x03, 0x02, 0x00, 0x05], true)]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 1)]).unwrap()),
            [(Endpoint::Tx, vec![0x03, 0x02, 0x00, 0x01], true)]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(Endpoint::Tx, vec![0x03, 0x02, 0x00, 0x00], true)]
        );
    }

    #[test]
    fn repeats_only_while_running() {
        let h = XuanhuanHandler {
            speed: Mutex::new(0),
            mask: all_features(&def(&[(0, &[(Vibrate, 0, 10)], false)])),
        };
        assert!(h.periodic().is_empty());
        h.output(&act(0, OutputType::Vibrate, 4)).unwrap();
        assert_eq!(h.periodic().len(), 1);
        h.output(&act(0, OutputType::Vibrate, 0)).unwrap();
        assert!(h.periodic().is_empty());
    }
}
