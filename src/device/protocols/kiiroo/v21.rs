//! Kiiroo 2.1 / 3 devices (OhMiBod, Pearl 2.1+, Titan 1.1, Onyx 2.1/+, Keon).
//!
//! All share one command set, written without response to `tx`:
//! * vibration `[0x01, speed]` (speed 0–100, or the model's step count);
//! * a move `[0x03, 0x00, speed, position]` (position 0–99, 0–100 on the Keon 2); the speed
//!   (0–99) is derived from the distance to the previous position and the requested duration
//!   with the Launch curve ([`super::v2::launch_speed`]).
//!
//! The protocols differ in set-up and battery:
//! * `kiiroo-v21`: nothing at initialisation; the battery level is byte 5 of the 20 bytes read
//!   from the `whitelist` endpoint;
//! * `kiiroo-v21-initialized` (Onyx 2.1/+, Keon): initialisation writes `[0x03, 0x00, 0x64,
//!   0x19]` then `[0x03, 0x00, 0x64, 0x00]` with response to `tx` (a move to 25 and back to 0 at
//!   speed 100); battery from the standard characteristic when present;
//! * `kiiroo-v3` (Keon WiFi, Keon 2): as `kiiroo-v21`. On the Keon 2 the `whitelist` endpoint is
//!   the standard BLE battery characteristic, which answers a single byte: a one-byte reading is
//!   taken as the level itself.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;

use super::v2::launch_speed;
use crate::core::messages::InputReadingValue;
use crate::core::types::{Endpoint, InputCommand, InputType, OutputType};
use crate::device::definition::{DeviceDefinition, FeatureDefinition};
use crate::device::protocol::{
    default_input, HwCommand, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{byte, mask, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const V21: &str = "kiiroo-v21";
const V21_INITIALIZED: &str = "kiiroo-v21-initialized";
const V3: &str = "kiiroo-v3";
const BATTERY_TIMEOUT: Duration = Duration::from_secs(2);
/// Length of the `whitelist` status record that carries the battery level.
const STATUS_LEN: usize = 20;
/// Offset of the battery level in the status record.
const STATUS_BATTERY: usize = 5;

/// One of the three protocols of this module.
struct KiirooV21 {
    name: &'static str,
    /// Initialisation packets (written with response to `tx`).
    setup: &'static [&'static [u8]],
    /// Battery from the `whitelist` status record (else the standard characteristic).
    status_battery: bool,
}

/// The handler of one connected device: remembers the last position sent.
struct KiirooV21Handler {
    name: &'static str,
    status_battery: bool,
    previous: Mutex<u8>,
}

/// The factory registered as `kiiroo-v21`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(KiirooV21 {
        name: V21,
        setup: &[],
        status_battery: true,
    })
}

/// The factory registered as `kiiroo-v21-initialized`.
fn initialized_factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(KiirooV21 {
        name: V21_INITIALIZED,
        setup: &[&[0x03, 0x00, 0x64, 0x19], &[0x03, 0x00, 0x64, 0x00]],
        status_battery: false,
    })
}

/// The factory registered as `kiiroo-v3`.
fn v3_factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(KiirooV21 {
        name: V3,
        setup: &[],
        status_battery: true,
    })
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory(), initialized_factory(), v3_factory()]
}

#[async_trait]
impl ProtocolFactory for KiirooV21 {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        _definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        for packet in self.setup {
            hardware.write(Endpoint::Tx, packet, true).await?;
        }
        Ok(Arc::new(KiirooV21Handler {
            name: self.name,
            status_battery: self.status_battery,
            previous: Mutex::new(0),
        }))
    }
}

/// The battery level in a reading of the `whitelist` endpoint.
fn status_level(name: &str, data: &[u8]) -> Result<u8, DeviceError> {
    let level = match data.len() {
        STATUS_LEN => data.get(STATUS_BATTERY).copied(),
        1 => data.first().copied(),
        _ => None,
    };
    level.map(|l| l.min(100)).ok_or_else(|| {
        DeviceError::protocol(
            name,
            format!(
                "battery status has {} bytes, expected {STATUS_LEN}",
                data.len()
            ),
        )
    })
}

#[async_trait]
impl ProtocolHandler for KiirooV21Handler {
    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        let data = match action.kind {
            OutputType::Vibrate => vec![0x01, byte(self.name, action.value)?],
            OutputType::HwPositionWithDuration => {
                let goal = byte(self.name, action.value)?;
                let mut previous = self.previous.lock();
                let speed = launch_speed(*previous, goal, action.duration.unwrap_or(0));
                *previous = goal;
                vec![0x03, 0x00, speed, goal]
            }
            _ => return Err(unsupported(self.name, action)),
        };
        Ok(vec![HwCommand::write(
            Endpoint::Tx,
            data,
            mask(action.feature),
        )])
    }

    async fn input(
        &self,
        hardware: &Arc<dyn Hardware>,
        feature: &FeatureDefinition,
        kind: InputType,
        command: InputCommand,
    ) -> Result<Option<InputReadingValue>, DeviceError> {
        match (kind, command) {
            (InputType::Battery, InputCommand::Read) if self.status_battery => {
                let data = hardware
                    .read(Endpoint::Whitelist, STATUS_LEN as u32, BATTERY_TIMEOUT)
                    .await?;
                status_level(self.name, &data).map(|l| Some(InputReadingValue::Battery(l)))
            }
            _ => default_input(hardware, feature, kind, command).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::{HwPositionWithDuration as Pos, Vibrate};

    const ENDPOINTS: [Endpoint; 3] = [Endpoint::Tx, Endpoint::Rx, Endpoint::Whitelist];

    #[tokio::test]
    async fn v21_vibrate_and_move() {
        // Titan 1.1: a vibrator and a stroker
        let d = def(&[
            (0, &[(Vibrate, 0, 100)], false),
            (1, &[(Pos, 0, 99)], false),
        ]);
        let (sim, hw) = connect(spec("Titan1.1", &ENDPOINTS)).await;
        let h = init(&*factory(), &hw, &d).await;
        assert!(sim.take_ops().is_empty());
        let o = |a| writes(&h.output(&a).unwrap());
        assert_eq!(
            o(act(0, Vibrate, 100)),
            [(Endpoint::Tx, vec![0x01, 0x64], false)]
        );
        assert_eq!(
            o(act(0, Vibrate, 0)),
            [(Endpoint::Tx, vec![0x01, 0], false)]
        );
        assert_eq!(
            o(mv(1, 99, 1000)),
            [(Endpoint::Tx, vec![0x03, 0x00, 19, 99], false)]
        );
        assert_eq!(
            o(mv(1, 0, 500)),
            [(Endpoint::Tx, vec![0x03, 0x00, 40, 0], false)]
        );
        assert_eq!(
            o(mv(1, 0, 500)),
            [(Endpoint::Tx, vec![0x03, 0x00, 0, 0], false)]
        );
        assert!(h.output(&act(0, OutputType::Rotate, 1)).is_err());
        assert!(h.output(&act(0, Vibrate, 256)).is_err());
    }

    #[tokio::test]
    async fn v21_battery_from_status_record() {
        let d = def(&[(0, &[(Vibrate, 0, 100)], false), (1, &[], true)]);
        let (sim, hw) = connect(spec("Pearl2.1", &ENDPOINTS)).await;
        let h = init(&*factory(), &hw, &d).await;
        let mut record = [0u8; 20];
        record[5] = 73;
        sim.queue_read(Endpoint::Whitelist, &record);
        let r = h
            .input(&hw, &d.features[1], InputType::Battery, InputCommand::Read)
            .await
            .unwrap();
        assert_eq!(r, Some(InputReadingValue::Battery(73)));
        sim.queue_read(Endpoint::Whitelist, &[1, 2, 3]);
        assert!(h
            .input(&hw, &d.features[1], InputType::Battery, InputCommand::Read)
            .await
            .is_err());
    }

    #[tokio::test]
    async fn v3_keon2_battery_single_byte() {
        let d = def(&[(0, &[(Pos, 0, 100)], false), (1, &[], true)]);
        let (sim, hw) = connect(spec("KEON2", &ENDPOINTS)).await;
        let h = init(&*v3_factory(), &hw, &d).await;
        assert!(sim.take_ops().is_empty());
        sim.queue_read(Endpoint::Whitelist, &[88]);
        let r = h
            .input(&hw, &d.features[1], InputType::Battery, InputCommand::Read)
            .await
            .unwrap();
        assert_eq!(r, Some(InputReadingValue::Battery(88)));
        // position 100 is allowed on the Keon 2 (the distance is capped at a full stroke)
        assert_eq!(
            bytes(&h.output(&mv(0, 100, 1000)).unwrap()),
            [vec![0x03, 0x00, 19, 100]]
        );
    }

    #[tokio::test]
    async fn v21_initialized_setup() {
        let d = def(&[(0, &[(Pos, 0, 99)], false)]);
        let (sim, hw) = connect(spec("KEON", &ENDPOINTS)).await;
        let h = init(&*initialized_factory(), &hw, &d).await;
        assert_eq!(
            sim.take_ops(),
            [
                w(Endpoint::Tx, &[0x03, 0x00, 0x64, 0x19], true),
                w(Endpoint::Tx, &[0x03, 0x00, 0x64, 0x00], true)
            ]
        );
        assert_eq!(
            bytes(&h.output(&mv(0, 99, 500)).unwrap()),
            [vec![0x03, 0x00, 40, 99]]
        );
        assert_eq!(
            bytes(&h.output(&act(0, Vibrate, 20)).unwrap()),
            [vec![0x01, 20]]
        );
    }
}
