//! Yiciyuan (YCY-FJB cups): the three axes (stroke = feature 0, vibration = feature 1,
//! axis C = feature 2) travel together in a 16-byte frame `[35, 12, stroke, vibe, c, 0 × 11]`
//! on `tx`. The configuration's 0–100 levels are scaled to the firmware's 0–20, rounding half
//! up (`(v × 20 + 50) / 100`).
//!
//! The battery is not read from a characteristic value: the cup pushes a frame
//! `[35, 13, 01, percent, ...]` about once a second on `rxblebattery` (other frames on that
//! endpoint, such as `35 14` uptime ticks, are ignored). A battery read subscribes and waits for
//! the next such frame.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::broadcast::error::RecvError;

use crate::core::messages::InputReadingValue;
use crate::core::types::{Endpoint, InputCommand, InputType, OutputType};
use crate::device::definition::{DeviceDefinition, FeatureDefinition};
use crate::device::protocol::{
    default_input, HwCommand, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::unsupported;
use crate::error::DeviceError;
use crate::hwmgr::{Hardware, HardwareEvent};

const NAME: &str = "yiciyuan";

/// Firmware maximum per axis.
const DEVICE_MAX: i32 = 20;

/// How long a battery read waits for the pushed battery frame.
const BATTERY_TIMEOUT: Duration = Duration::from_secs(3);

/// The factory registered as `yiciyuan`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Yiciyuan)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

struct Yiciyuan;

#[async_trait]
impl ProtocolFactory for Yiciyuan {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        _hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let battery_feature = definition
            .features
            .iter()
            .find(|f| f.input(InputType::Battery).is_some())
            .map(|f| f.index);
        Ok(Arc::new(YiciyuanHandler {
            axes: Mutex::new([0; 3]),
            battery_feature,
        }))
    }
}

struct YiciyuanHandler {
    axes: Mutex<[u8; 3]>,
    battery_feature: Option<u32>,
}

/// Scales a 0–100 level to the firmware's 0–20.
fn level(value: i32) -> Result<u8, DeviceError> {
    if !(0..=100).contains(&value) {
        return Err(DeviceError::protocol(
            NAME,
            format!("level {value} is outside 0-100"),
        ));
    }
    u8::try_from((value * DEVICE_MAX + 50) / 100)
        .map_err(|_| DeviceError::protocol(NAME, "level out of range"))
}

/// The battery percentage of a pushed battery frame.
fn battery_frame(data: &[u8]) -> Option<u8> {
    match data {
        [0x35, 0x13, _, level, ..] => Some((*level).min(100)),
        _ => None,
    }
}

#[async_trait]
impl ProtocolHandler for YiciyuanHandler {
    fn output(&self, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if !matches!(a.kind, OutputType::Oscillate | OutputType::Vibrate) {
            return Err(unsupported(NAME, a));
        }
        let slot = usize::try_from(a.feature)
            .ok()
            .filter(|s| *s < 3)
            .ok_or_else(|| unsupported(NAME, a))?;
        let value = level(a.value)?;
        let mut axes = self.axes.lock();
        if let Some(axis) = axes.get_mut(slot) {
            *axis = value;
        }
        let mut data = vec![0u8; 16];
        data[0] = 0x35;
        data[1] = 0x12;
        data[2..5].copy_from_slice(&axes[..]);
        Ok(vec![HwCommand::write(Endpoint::Tx, data, 0b111)])
    }

    async fn input(
        &self,
        hardware: &Arc<dyn Hardware>,
        feature: &FeatureDefinition,
        kind: InputType,
        command: InputCommand,
    ) -> Result<Option<InputReadingValue>, DeviceError> {
        match (kind, command) {
            (InputType::Battery, InputCommand::Read) => read_battery(hardware)
                .await
                .map(|v| Some(InputReadingValue::Battery(v))),
            (InputType::Battery, InputCommand::Subscribe) => {
                hardware.subscribe(Endpoint::RxBleBattery).await?;
                Ok(None)
            }
            (InputType::Battery, InputCommand::Unsubscribe) => {
                hardware.unsubscribe(Endpoint::RxBleBattery).await?;
                Ok(None)
            }
            _ => default_input(hardware, feature, kind, command).await,
        }
    }

    fn notification(&self, endpoint: Endpoint, data: &[u8]) -> Vec<(u32, InputReadingValue)> {
        match (endpoint, self.battery_feature, battery_frame(data)) {
            (Endpoint::RxBleBattery, Some(feature), Some(level)) => {
                vec![(feature, InputReadingValue::Battery(level))]
            }
            _ => Vec::new(),
        }
    }
}

async fn read_battery(hardware: &Arc<dyn Hardware>) -> Result<u8, DeviceError> {
    let mut events = hardware.events();
    hardware.subscribe(Endpoint::RxBleBattery).await?;
    let deadline = tokio::time::Instant::now() + BATTERY_TIMEOUT;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => {
                return Err(DeviceError::Timeout(
                    "yiciyuan pushed no battery frame".to_string(),
                ))
            }
            Ok(Ok(HardwareEvent::Notification {
                endpoint: Endpoint::RxBleBattery,
                data,
            })) => {
                if let Some(level) = battery_frame(&data) {
                    return Ok(level);
                }
            }
            Ok(Ok(HardwareEvent::Notification { .. })) | Ok(Err(RecvError::Lagged(_))) => {}
            Ok(Ok(HardwareEvent::Disconnected)) | Ok(Err(RecvError::Closed)) => {
                return Err(DeviceError::Disconnected(
                    "yiciyuan device left during a battery read".to_string(),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::SimOp;
    use OutputType::{Oscillate, Vibrate};

    fn frame(axes: [u8; 3]) -> Vec<u8> {
        let mut v = vec![0x35, 0x12, axes[0], axes[1], axes[2]];
        v.resize(16, 0);
        v
    }

    fn definition() -> DeviceDefinition {
        def(&[
            (0, &[(Oscillate, 0, 100)], false),
            (1, &[(Vibrate, 0, 100)], false),
            (2, &[(Vibrate, 0, 100)], false),
            (3, &[], true),
        ])
    }

    #[tokio::test]
    async fn axes_share_one_frame() {
        let (_, hw) = connect(spec("YCY-FJB-01", &[Endpoint::Tx, Endpoint::RxBleBattery])).await;
        let h = init(&*factory(), &hw, &definition()).await;
        let e = |a| writes(&h.output(&a).unwrap());
        assert_eq!(
            e(act(0, Oscillate, 100)),
            [(Endpoint::Tx, frame([20, 0, 0]), false)]
        );
        // 50 -> 10, 3 -> 1 (0.6 rounds up), 2 -> 0 (0.4 rounds down)
        assert_eq!(
            e(act(1, Vibrate, 50)),
            [(Endpoint::Tx, frame([20, 10, 0]), false)]
        );
        assert_eq!(
            e(act(2, Vibrate, 3)),
            [(Endpoint::Tx, frame([20, 10, 1]), false)]
        );
        assert_eq!(
            e(act(2, Vibrate, 2)),
            [(Endpoint::Tx, frame([20, 10, 0]), false)]
        );
        assert!(h.output(&act(1, Vibrate, 101)).is_err());
        assert!(h.output(&act(3, Vibrate, 1)).is_err());
    }

    #[tokio::test]
    async fn battery_from_pushed_frame() {
        let d = definition();
        let (sim, hw) = connect(spec("YCY-FJB-02", &[Endpoint::Tx, Endpoint::RxBleBattery])).await;
        let h = init(&*factory(), &hw, &d).await;
        let feature = d.feature(3).unwrap().clone();
        let task = {
            let (h, hw) = (h.clone(), hw.clone());
            tokio::spawn(async move {
                h.input(&hw, &feature, InputType::Battery, InputCommand::Read)
                    .await
            })
        };
        assert_eq!(
            next(&sim).await,
            Some(SimOp::Subscribe {
                endpoint: Endpoint::RxBleBattery
            })
        );
        sim.notify(Endpoint::RxBleBattery, &[0x35, 0x14, 0, 0, 9]);
        sim.notify(Endpoint::RxBleBattery, &[0x35, 0x13, 0x01, 77, 0]);
        assert_eq!(
            task.await.unwrap().unwrap(),
            Some(InputReadingValue::Battery(77))
        );
        assert_eq!(
            h.notification(Endpoint::RxBleBattery, &[0x35, 0x13, 1, 42]),
            [(3, InputReadingValue::Battery(42))]
        );
        assert!(h
            .notification(Endpoint::RxBleBattery, &[0x35, 0x14, 1, 42])
            .is_empty());
    }
}
