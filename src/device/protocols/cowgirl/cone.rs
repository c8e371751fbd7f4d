//! The Cowgirl Cone: one vibrator driven over `tx`.
//!
//! * Initialisation: `[0xAA, 0x56, 0x00, 0x00]` is written once, then the device needs about
//!   three seconds before it accepts commands.
//! * Vibration: `[0xF1, 0x01, level, 0x00]`, level in device steps.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory, ProtocolHandler};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "cowgirl-cone";
/// Packet that wakes the device up.
const WAKE: [u8; 4] = [0xaa, 0x56, 0x00, 0x00];
/// How long the device needs after the wake-up packet.
const SETTLE: Duration = Duration::from_millis(3000);

/// The `cowgirl-cone` factory; `settle` is the pause after the wake-up packet.
struct CowgirlCone {
    settle: Duration,
}

/// The factory registered as `cowgirl-cone`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(CowgirlCone { settle: SETTLE })
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
        vec![0xf1, 0x01, byte(NAME, a.value)?, 0x00],
        mask(a.feature),
    )])
}

#[async_trait]
impl ProtocolFactory for CowgirlCone {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        hardware.write(Endpoint::Tx, &WAKE, false).await?;
        tokio::time::sleep(self.settle).await;
        PerFeature::new(NAME, encode)
            .initialize(hardware, definition)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn vibrate_bytes() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 128)], false)]);
        let e = |v| writes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(e(64), [(Endpoint::Tx, vec![0xf1, 0x01, 0x40, 0x00], false)]);
        assert_eq!(
            e(128),
            [(Endpoint::Tx, vec![0xf1, 0x01, 0x80, 0x00], false)]
        );
        assert_eq!(e(0), [(Endpoint::Tx, vec![0xf1, 0x01, 0x00, 0x00], false)]);
        assert!(encode(&act(0, OutputType::Vibrate, 256), &d).is_err());
        assert!(encode(&act(0, OutputType::Rotate, 1), &d).is_err());
    }

    #[tokio::test]
    async fn wakes_the_device() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 128)], false)]);
        let (sim, hw) = connect(spec("CG-CONE", &[Endpoint::Tx])).await;
        let f = CowgirlCone {
            settle: Duration::from_millis(10),
        };
        let h = init(&f, &hw, &d).await;
        assert_eq!(next(&sim).await, Some(w(Endpoint::Tx, &WAKE, false)));
        assert_eq!(
            bytes(&h.outputs(&[act(0, OutputType::Vibrate, 10)]).unwrap()),
            [vec![0xf1, 0x01, 0x0a, 0x00]]
        );
        assert_eq!(factory().name(), "cowgirl-cone");
    }
}
