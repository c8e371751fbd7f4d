//! Vorze Cyclone X10 (USB HID dongle): a fixed 16-byte ASCII-framed report on `tx`
//! `00 3C 30 31 35 32 30 <dir> <speed> 30 30 01 02 03 68 3E`, where `<dir>` is `30` for
//! clockwise and `31` for counter-clockwise and `<speed>` is `30` plus the speed 0–10. A stop
//! keeps the last direction.

use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory, ProtocolHandler};
use crate::device::protocols::kit::{mask, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "vorze-cyclone-x";

/// Highest speed the report can carry.
const MAX_SPEED: u32 = 10;

/// The factory registered as `vorze-cyclone-x`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(CycloneX)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

struct CycloneX;

#[async_trait]
impl ProtocolFactory for CycloneX {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        _hardware: &Arc<dyn Hardware>,
        _definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        Ok(Arc::new(CycloneXHandler {
            clockwise: Mutex::new(true),
        }))
    }
}

struct CycloneXHandler {
    clockwise: Mutex<bool>,
}

/// The report for a direction and speed (0–10).
fn report(clockwise: bool, speed: u8) -> Vec<u8> {
    vec![
        0x00,
        0x3c,
        0x30,
        0x31,
        0x35,
        0x32,
        0x30,
        if clockwise { 0x30 } else { 0x31 },
        0x30 + speed,
        0x30,
        0x30,
        0x01,
        0x02,
        0x03,
        0x68,
        0x3e,
    ]
}

impl ProtocolHandler for CycloneXHandler {
    fn output(&self, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if a.kind != OutputType::Rotate {
            return Err(unsupported(NAME, a));
        }
        let speed = a.value.unsigned_abs();
        if speed > MAX_SPEED {
            return Err(DeviceError::protocol(
                NAME,
                format!("rotation speed {speed} is above {MAX_SPEED}"),
            ));
        }
        let speed = u8::try_from(speed)
            .map_err(|_| DeviceError::protocol(NAME, "rotation speed out of range"))?;
        let mut clockwise = self.clockwise.lock();
        if a.value != 0 {
            *clockwise = a.value > 0;
        }
        Ok(vec![HwCommand::write(
            Endpoint::Tx,
            report(*clockwise, speed),
            mask(a.feature),
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::config::VidPid;
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::{SimBus, SimDeviceSpec};

    fn expect(dir: u8, speed: u8) -> Vec<u8> {
        vec![
            0, 0x3c, 0x30, 0x31, 0x35, 0x32, 0x30, dir, speed, 0x30, 0x30, 1, 2, 3, 0x68, 0x3e,
        ]
    }

    #[tokio::test]
    async fn rotation_reports() {
        let d = def(&[(0, &[(OutputType::Rotate, -10, 10)], false)]);
        let mut s = SimDeviceSpec::parse("hid:0483:5750").unwrap();
        assert_eq!(
            s.bus,
            SimBus::Hid(VidPid {
                vendor_id: 1155,
                product_id: 22352
            })
        );
        s.endpoints = None;
        let (sim, hw) = connect(s).await;
        let h = init(&*factory(), &hw, &d).await;
        assert!(sim.take_ops().is_empty());
        let e = |v| writes(&h.output(&act(0, OutputType::Rotate, v)).unwrap());
        assert_eq!(e(10), [(Endpoint::Tx, expect(0x30, 0x3a), false)]);
        assert_eq!(e(-5), [(Endpoint::Tx, expect(0x31, 0x35), false)]);
        // a stop keeps the last direction
        assert_eq!(e(0), [(Endpoint::Tx, expect(0x31, 0x30), false)]);
        assert_eq!(e(3), [(Endpoint::Tx, expect(0x30, 0x33), false)]);
        assert!(h.output(&act(0, OutputType::Rotate, 11)).is_err());
        assert!(h.output(&act(0, OutputType::Vibrate, 1)).is_err());
    }
}
