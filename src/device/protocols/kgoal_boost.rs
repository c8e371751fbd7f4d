//! KGoal Boost: a pelvic-floor trainer with a pressure sensor and no outputs.
//!
//! Readings arrive as notifications on `rxpressure` once it is subscribed: 7 bytes,
//! `[0x00, 0x01, 0x04, norm_hi, norm_lo, raw_hi, raw_lo]`, i.e. a big-endian normalised
//! pressure (feature 0) and a big-endian raw pressure (feature 1). The notification stream is
//! started by the first pressure subscription and stopped when the last one ends. A reading is
//! reported only when its value differs from the one the previous notification carried (as the
//! reference does; the remembered pair starts at zero with each start of the stream). The
//! battery is the standard BLE battery characteristic.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::messages::InputReadingValue;
use crate::core::types::{Endpoint, InputCommand, InputType};
use crate::device::definition::{DeviceDefinition, FeatureDefinition};
use crate::device::protocol::{
    default_input, HwCommand, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::unsupported;
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "kgoal-boost";
/// Feature carrying the normalised pressure.
const NORMALISED: u32 = 0;
/// Feature carrying the raw pressure.
const RAW: u32 = 1;

struct KGoalBoost;

/// The factory registered as `kgoal-boost`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(KGoalBoost)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

#[async_trait]
impl ProtocolFactory for KGoalBoost {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        _: &Arc<dyn Hardware>,
        _: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        Ok(Arc::new(Handler {
            subscribed: tokio::sync::Mutex::new(HashSet::new()),
            listening: Mutex::new(None),
        }))
    }
}

struct Handler {
    /// Features with an active pressure subscription (the async lock keeps the endpoint
    /// subscription in step with the set).
    subscribed: tokio::sync::Mutex<HashSet<u32>>,
    /// While `rxpressure` is subscribed: the `(normalised, raw)` pair of the last notification.
    listening: Mutex<Option<(u32, u32)>>,
}

/// Splits a pressure notification into `(normalised, raw)`.
fn parse(data: &[u8]) -> Option<(u32, u32)> {
    let [_, _, _, norm_hi, norm_lo, raw_hi, raw_lo, ..] = *data else {
        return None;
    };
    let word = |hi: u8, lo: u8| u32::from(u16::from_be_bytes([hi, lo]));
    Some((word(norm_hi, norm_lo), word(raw_hi, raw_lo)))
}

#[async_trait]
impl ProtocolHandler for Handler {
    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        Err(unsupported(NAME, action))
    }

    async fn input(
        &self,
        hardware: &Arc<dyn Hardware>,
        feature: &FeatureDefinition,
        kind: InputType,
        command: InputCommand,
    ) -> Result<Option<InputReadingValue>, DeviceError> {
        if kind != InputType::Pressure || command == InputCommand::Read {
            return default_input(hardware, feature, kind, command).await;
        }
        let mut subscribed = self.subscribed.lock().await;
        if command == InputCommand::Subscribe {
            if subscribed.is_empty() {
                hardware.subscribe(Endpoint::RxPressure).await?;
                *self.listening.lock() = Some((0, 0));
            }
            subscribed.insert(feature.index);
        } else if subscribed.remove(&feature.index) && subscribed.is_empty() {
            *self.listening.lock() = None;
            hardware.unsubscribe(Endpoint::RxPressure).await?;
        }
        Ok(None)
    }

    fn notification(&self, endpoint: Endpoint, data: &[u8]) -> Vec<(u32, InputReadingValue)> {
        let mut listening = self.listening.lock();
        let Some(last) = listening
            .as_mut()
            .filter(|_| endpoint == Endpoint::RxPressure)
        else {
            return Vec::new();
        };
        match parse(data) {
            Some((normalised, raw)) => {
                let mut readings = Vec::new();
                if normalised != last.0 {
                    readings.push((NORMALISED, InputReadingValue::Pressure(normalised)));
                }
                if raw != last.1 {
                    readings.push((RAW, InputReadingValue::Pressure(raw)));
                }
                *last = (normalised, raw);
                readings
            }
            None => {
                tracing::warn!(?data, "kgoal-boost: short pressure notification");
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::messages::FeatureInput;
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::SimOp;

    fn boost() -> DeviceDefinition {
        let mut d = def(&[(0, &[], false), (1, &[], false), (2, &[], true)]);
        for f in d.features.iter_mut().take(2) {
            f.inputs = vec![FeatureInput {
                kind: InputType::Pressure,
                value: vec![(0, 2000)],
                commands: vec![InputCommand::Subscribe],
            }];
        }
        d
    }

    #[tokio::test]
    async fn pressure_subscription_and_readings() {
        let d = boost();
        let (sim, hw) = connect(spec(
            "Boost",
            &[Endpoint::RxBleBattery, Endpoint::RxPressure],
        ))
        .await;
        let h = init(&*factory(), &hw, &d).await;
        let (f0, f1) = (&d.features[0], &d.features[1]);
        let sub = |f| h.input(&hw, f, InputType::Pressure, InputCommand::Subscribe);
        assert_eq!(sub(f0).await.unwrap(), None);
        assert_eq!(
            next(&sim).await,
            Some(SimOp::Subscribe {
                endpoint: Endpoint::RxPressure
            })
        );
        sub(f1).await.unwrap();
        assert!(sim.take_ops().is_empty());
        assert_eq!(
            h.notification(
                Endpoint::RxPressure,
                &[0x00, 0x01, 0x04, 0x00, 0x00, 0x05, 0xd3]
            ),
            // the normalised value has not changed from the starting 0
            [(1, InputReadingValue::Pressure(0x05d3))]
        );
        assert_eq!(
            h.notification(
                Endpoint::RxPressure,
                &[0x00, 0x01, 0x04, 0x01, 0x2c, 0x07, 0xd0]
            ),
            [
                (0, InputReadingValue::Pressure(300)),
                (1, InputReadingValue::Pressure(2000))
            ]
        );
        // unchanged values are not reported again
        assert!(h
            .notification(
                Endpoint::RxPressure,
                &[0x00, 0x01, 0x04, 0x01, 0x2c, 0x07, 0xd0]
            )
            .is_empty());
        assert_eq!(
            h.notification(
                Endpoint::RxPressure,
                &[0x00, 0x01, 0x04, 0x01, 0x2c, 0x07, 0xd1]
            ),
            [(1, InputReadingValue::Pressure(2001))]
        );
        assert!(h
            .notification(Endpoint::RxPressure, &[0x00, 0x01, 0x04, 0x01])
            .is_empty());
        assert!(h.notification(Endpoint::Rx, &[0; 7]).is_empty());
        let unsub = |f| h.input(&hw, f, InputType::Pressure, InputCommand::Unsubscribe);
        unsub(f0).await.unwrap();
        assert!(sim.take_ops().is_empty());
        unsub(f1).await.unwrap();
        assert_eq!(
            next(&sim).await,
            Some(SimOp::Unsubscribe {
                endpoint: Endpoint::RxPressure
            })
        );
        assert!(h
            .notification(Endpoint::RxPressure, &[0, 1, 4, 0, 1, 0, 1])
            .is_empty());
    }

    #[tokio::test]
    async fn battery_and_no_outputs() {
        let d = boost();
        let (sim, hw) = connect(spec(
            "Boost",
            &[Endpoint::RxBleBattery, Endpoint::RxPressure],
        ))
        .await;
        let h = init(&*factory(), &hw, &d).await;
        sim.queue_read(Endpoint::RxBleBattery, &[77]);
        assert_eq!(
            h.input(&hw, &d.features[2], InputType::Battery, InputCommand::Read)
                .await
                .unwrap(),
            Some(InputReadingValue::Battery(77))
        );
        assert!(h
            .outputs(&[act(0, crate::core::types::OutputType::Vibrate, 1)])
            .is_err());
    }
}
