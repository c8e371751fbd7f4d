//! Galaku and Galaku pump toys: obfuscated packets.
//!
//! A plain packet is `0x23`, a 10-byte body and an 8-bit sum of everything before it; each byte
//! after the first is then masked with a key chosen by the previous masked byte
//! (`out[i] = (k ^ 0x23 ^ in[i]) + k`, `k = KEY[out[i-1] & 3][i]`).
//!
//! * `galaku`, one output: body `[0x5A, 0, 0, 1, 0x31, speed, 0, 0, 0, 0]`; the "AC695X_1(BLE)"
//!   pump instead takes the plain 16-byte `[0xAA, 1, 10, 3, speed, on, 0...]`.
//! * `galaku`, two outputs: body `[0x5A, 0, 0, 1, 0x40, 3, a, b, 0, 0]`.
//! * `galaku-pump`: body `[0x5A, 0, 0, 1, 0x60, 3, oscillation, vibration, 0, 0]`, with response.
//!
//! Battery (`galaku`): subscribe `rxblebattery`, send the query body `[0x5A, 0, 0, 1, 0x13, 0...]`
//! with response, and take the first byte of the next `rxblebattery` notification.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::broadcast::error::RecvError;

use crate::core::messages::InputReadingValue;
use crate::core::types::{Endpoint, InputCommand, InputType, OutputType};
use crate::device::definition::{DeviceDefinition, FeatureDefinition};
use crate::device::protocol::{
    default_input, feature_bit, FeatureMask, HwCommand, OutputAction, ProtocolFactory,
    ProtocolHandler,
};
use crate::device::protocols::kit::{byte, unsupported, AllFeatures};
use crate::error::DeviceError;
use crate::hwmgr::{Hardware, HardwareEvent};

const NAME: &str = "galaku";
const PUMP: &str = "galaku-pump";
/// The one model that takes plain packets.
const CAIPING_PUMP: &str = "AC695X_1(BLE)";
const BATTERY_TIMEOUT: Duration = Duration::from_secs(2);

const KEY: [[u8; 12]; 4] = [
    [0, 24, 152, 247, 165, 61, 13, 41, 37, 80, 68, 70],
    [0, 69, 110, 106, 111, 120, 32, 83, 45, 49, 46, 55],
    [0, 101, 120, 32, 84, 111, 121, 115, 10, 142, 157, 163],
    [0, 197, 214, 231, 248, 10, 50, 32, 111, 98, 13, 10],
];

/// Frames and masks a 10-byte body.
fn packet(body: &[u8]) -> Vec<u8> {
    let mut plain = vec![0x23];
    plain.extend_from_slice(body);
    let sum = plain.iter().fold(0u8, |s, b| s.wrapping_add(*b));
    plain.push(sum);
    let mut out: Vec<u8> = Vec::with_capacity(plain.len());
    for (i, b) in plain.iter().enumerate() {
        let masked = match out.last() {
            None => *b,
            Some(prev) => {
                let k = KEY
                    .get(usize::from(prev & 3))
                    .and_then(|row| row.get(i))
                    .copied()
                    .unwrap_or(0);
                (k ^ 0x23 ^ b).wrapping_add(k)
            }
        };
        out.push(masked);
    }
    out
}

struct Galaku;

/// The factory registered as `galaku`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Galaku)
}

/// The factory registered as `galaku-pump`.
fn pump_factory() -> Arc<dyn ProtocolFactory> {
    AllFeatures::new(PUMP, encode_pump)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory(), pump_factory()]
}

fn encode_pump(values: &[i32], _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let v = |i: usize| byte(PUMP, values.get(i).copied().unwrap_or(0));
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        packet(&[0x5a, 0, 0, 1, 0x60, 3, v(0)?, v(1)?, 0, 0]),
        0,
    )])
}

#[async_trait]
impl ProtocolFactory for Galaku {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let outputs: Vec<(u32, u8)> = definition
            .features
            .iter()
            .filter(|f| !f.outputs.is_empty())
            .map(|f| (f.index, 0))
            .collect();
        Ok(Arc::new(GalakuHandler {
            plain: hardware.name() == CAIPING_PUMP,
            mask: outputs.iter().fold(0, |m, (f, _)| m | feature_bit(*f)),
            speeds: Mutex::new(outputs),
        }))
    }
}

struct GalakuHandler {
    /// The plain-packet pump model.
    plain: bool,
    mask: FeatureMask,
    /// (feature, speed) per output feature.
    speeds: Mutex<Vec<(u32, u8)>>,
}

#[async_trait]
impl ProtocolHandler for GalakuHandler {
    fn output(&self, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if !matches!(
            a.kind,
            OutputType::Vibrate
                | OutputType::Oscillate
                | OutputType::Constrict
                | OutputType::Rotate
        ) {
            return Err(unsupported(NAME, a));
        }
        let speed = byte(
            NAME,
            i32::try_from(a.value.unsigned_abs()).unwrap_or(i32::MAX),
        )?;
        let mut speeds = self.speeds.lock();
        let data = if speeds.len() <= 1 {
            if self.plain {
                let mut d = vec![0xaa, 1, 10, 3, speed, u8::from(speed > 0)];
                d.resize(16, 0);
                d
            } else {
                packet(&[0x5a, 0, 0, 1, 0x31, speed, 0, 0, 0, 0])
            }
        } else {
            let slot = speeds
                .iter_mut()
                .find(|(f, _)| *f == a.feature)
                .ok_or_else(|| unsupported(NAME, a))?;
            slot.1 = speed;
            let s = |i: usize| speeds.get(i).map(|(_, v)| *v).unwrap_or(0);
            packet(&[0x5a, 0, 0, 1, 0x40, 3, s(0), s(1), 0, 0])
        };
        Ok(vec![HwCommand::write(Endpoint::Tx, data, self.mask)])
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
            _ => default_input(hardware, feature, kind, command).await,
        }
    }
}

async fn read_battery(hardware: &Arc<dyn Hardware>) -> Result<u8, DeviceError> {
    let mut events = hardware.events();
    hardware.subscribe(Endpoint::RxBleBattery).await?;
    hardware
        .write(
            Endpoint::Tx,
            &packet(&[0x5a, 0, 0, 1, 0x13, 0, 0, 0, 0, 0]),
            true,
        )
        .await?;
    let deadline = tokio::time::Instant::now() + BATTERY_TIMEOUT;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => {
                return Err(DeviceError::Timeout(
                    "galaku battery query got no reply".to_string(),
                ))
            }
            Ok(Ok(HardwareEvent::Notification {
                endpoint: Endpoint::RxBleBattery,
                data,
            })) => {
                if let Some(level) = data.first() {
                    return Ok((*level).min(100));
                }
            }
            Ok(Ok(HardwareEvent::Notification { .. })) | Ok(Err(RecvError::Lagged(_))) => {}
            Ok(Ok(HardwareEvent::Disconnected)) | Ok(Err(RecvError::Closed)) => {
                return Err(DeviceError::Disconnected(
                    "galaku device left during a battery query".to_string(),
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
    use OutputType::*;

    #[tokio::test]
    async fn single_motor() {
        let d = def(&[(0, &[(Vibrate, 0, 100)], false), (1, &[], true)]);
        let (_, hw) = connect(spec("GX21", &[Endpoint::RxBleBattery, Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        let e = |v| writes(&h.outputs(&[act(0, Vibrate, v)]).unwrap());
        let off = vec![
            0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x3b, 0x23, 0xbb, 0xa3, 0x3b, 0x90,
        ];
        let full = vec![
            0x23, 0x81, 0xbb, 0xab, 0xd2, 0xec, 0x57, 0x23, 0xbb, 0xa3, 0x3b, 0x44,
        ];
        assert_eq!(e(0), [(Endpoint::Tx, off, false)]);
        assert_eq!(e(100), [(Endpoint::Tx, full, false)]);
    }

    #[tokio::test]
    async fn pump() {
        let d = def(&[
            (0, &[(Oscillate, 0, 100)], false),
            (1, &[(Vibrate, 0, 100)], false),
        ]);
        let (_, hw) = connect(spec("V415", &[Endpoint::Tx])).await;
        let h = init(&*pump_factory(), &hw, &d).await;
        let e = |a: &[_]| writes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(1, Vibrate, 50)]),
            [(
                Endpoint::Tx,
                vec![0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x33, 0xed, 0x43, 0x3b, 0x44],
                true
            )]
        );
        assert_eq!(
            e(&[act(0, Oscillate, 75), act(1, Vibrate, 50)]),
            [(
                Endpoint::Tx,
                vec![0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x6a, 0x25, 0x43, 0x3b, 0x81],
                true
            )]
        );
        assert_eq!(
            e(&[act(0, Oscillate, 0), act(1, Vibrate, 0)]),
            [(
                Endpoint::Tx,
                vec![0x23, 0x81, 0xbb, 0xab, 0xd2, 0x9b, 0x44, 0x33, 0xbb, 0xa3, 0x3b, 0xd2],
                true
            )]
        );
    }

    #[tokio::test]
    async fn battery() {
        let d = def(&[(0, &[(Vibrate, 0, 100)], false), (1, &[], true)]);
        let (sim, hw) = connect(spec("GX21", &[Endpoint::RxBleBattery, Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        let feature = d.features[1].clone();
        let task = {
            let hw = hw.clone();
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
        assert!(matches!(
            next(&sim).await,
            Some(SimOp::Write {
                with_response: true,
                ..
            })
        ));
        sim.notify(Endpoint::RxBleBattery, &[77]);
        assert_eq!(
            task.await.unwrap().unwrap(),
            Some(InputReadingValue::Battery(77))
        );
    }
}
