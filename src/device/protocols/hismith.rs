//! Hismith and Hismith Mini. Both identify the model by reading two bytes from `rxblemodel`
//! (rendered as lower-case hex, e.g. `"1001"`); models outside the legacy list are handled by the
//! `hismith-mini` protocol even when they advertise as Hismith.
//!
//! Packets are `[header, channel, value, value + channel]`:
//! * `hismith` (header `0xAA`): oscillation on channel 4; vibration on channel 4 for the first
//!   feature, channel 6 for the second (whose off value is `0xF0`);
//! * `hismith-mini` (header `0xCC`): oscillation on channel 3; vibration on channel 5 (channel 3
//!   for the first of two vibrators); air pump on channel 3, or 5 when it is the second feature;
//!   rotation on channel 3 followed by the direction `[0xCC, 0x01, 0xC0|0xC1, 0xC1|0xC2]`;
//!   spray `[0xCC, 0x0B, 0x01, 0x0C]`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    HwCommand, Identified, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "hismith";
const MINI: &str = "hismith-mini";
const LEGACY: [&str; 6] = ["1001", "1002", "1003", "3001", "2001", "1006"];
const READ_TIMEOUT: Duration = Duration::from_secs(2);

/// The `hismith` factory: identifies, and hands newer models over to `hismith-mini` (the
/// identification names that protocol, whose factory then initialises the device).
struct Hismith;

/// The `hismith-mini` factory.
struct HismithMini;

/// The factory registered as `hismith`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Hismith)
}

/// The factory registered as `hismith-mini`.
fn mini_factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(HismithMini)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory(), mini_factory()]
}

async fn read_model(hardware: &Arc<dyn Hardware>) -> Result<String, DeviceError> {
    let data = hardware
        .read(Endpoint::RxBleModel, 128, READ_TIMEOUT)
        .await?;
    Ok(data.iter().map(|b| format!("{b:02x}")).collect())
}

fn packet(header: u8, channel: u8, value: u8) -> Vec<u8> {
    vec![header, channel, value, value.wrapping_add(channel)]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let v = byte(NAME, a.value)?;
    let data = match a.kind {
        OutputType::Oscillate => packet(0xaa, 0x04, v),
        OutputType::Vibrate if a.feature == 0 => packet(0xaa, 0x04, v),
        OutputType::Vibrate => packet(0xaa, 0x06, if v == 0 { 0xf0 } else { v }),
        _ => return Err(unsupported(NAME, a)),
    };
    Ok(vec![HwCommand::write(Endpoint::Tx, data, mask(a.feature))])
}

fn encode_mini(a: &OutputAction, d: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let write = |data| HwCommand::write(Endpoint::Tx, data, mask(a.feature));
    match a.kind {
        OutputType::Oscillate => Ok(vec![write(packet(0xcc, 0x03, byte(MINI, a.value)?))]),
        OutputType::Vibrate => {
            let vibrators = d
                .features
                .iter()
                .filter(|f| f.output(OutputType::Vibrate).is_some())
                .count();
            let channel = if vibrators < 2 || a.feature == 1 {
                0x05
            } else {
                0x03
            };
            Ok(vec![write(packet(0xcc, channel, byte(MINI, a.value)?))])
        }
        OutputType::Constrict => {
            let second = d
                .features
                .iter()
                .position(|f| f.output(OutputType::Constrict).is_some())
                == Some(1);
            let channel = if second { 0x05 } else { 0x03 };
            Ok(vec![write(packet(0xcc, channel, byte(MINI, a.value)?))])
        }
        OutputType::Rotate => {
            let speed = u8::try_from(a.value.unsigned_abs())
                .map_err(|_| DeviceError::protocol(MINI, "rotation speed too large"))?;
            let direction = if a.value >= 0 {
                vec![0xcc, 0x01, 0xc0, 0xc1]
            } else {
                vec![0xcc, 0x01, 0xc1, 0xc2]
            };
            Ok(vec![write(packet(0xcc, 0x03, speed)), write(direction)])
        }
        OutputType::Spray => {
            if a.value > 0 {
                Ok(vec![write(vec![0xcc, 0x0b, 0x01, 0x0c])])
            } else {
                Ok(Vec::new())
            }
        }
        _ => Err(unsupported(MINI, a)),
    }
}

#[async_trait]
impl ProtocolFactory for Hismith {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn identify(&self, hardware: &Arc<dyn Hardware>) -> Result<Identified, DeviceError> {
        let model = read_model(hardware).await?;
        let protocol = if LEGACY.contains(&model.as_str()) {
            NAME
        } else {
            MINI
        };
        Ok(Identified::new(protocol, Some(model)))
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        PerFeature::new(NAME, encode)
            .initialize(hardware, definition)
            .await
    }
}

#[async_trait]
impl ProtocolFactory for HismithMini {
    fn name(&self) -> &'static str {
        MINI
    }

    async fn identify(&self, hardware: &Arc<dyn Hardware>) -> Result<Identified, DeviceError> {
        Ok(Identified::new(MINI, Some(read_model(hardware).await?)))
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        PerFeature::new(MINI, encode_mini)
            .initialize(hardware, definition)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocol::Identification;
    use crate::device::protocols::testkit::*;
    use crate::device::protocols::ProtocolRegistry;
    use OutputType::*;

    async fn identify(f: &dyn ProtocolFactory, model: &[u8]) -> Identification {
        let (sim, hw) = connect(spec("HISMITH", &[Endpoint::RxBleModel, Endpoint::Tx])).await;
        sim.queue_read(Endpoint::RxBleModel, model);
        let identified = f.identify(&hw).await.unwrap();
        // the identified protocol's own factory initialises the device
        assert!(!identified.has_initializer());
        identified.identification
    }

    #[tokio::test]
    async fn identification() {
        let id = identify(&*factory(), &[0x10, 0x05]).await;
        assert_eq!(id.protocol, "hismith-mini");
        assert_eq!(id.identifier.as_deref(), Some("1005"));
        let id = identify(&*factory(), &[0x20, 0x01]).await;
        assert_eq!(id.protocol, "hismith");
        assert_eq!(id.identifier.as_deref(), Some("2001"));
        let id = identify(&*mini_factory(), &[0x40, 0x01]).await;
        assert_eq!(id.protocol, "hismith-mini");
        assert_eq!(id.identifier.as_deref(), Some("4001"));
    }

    #[test]
    fn legacy_bytes() {
        let cup = def(&[
            (0, &[(Oscillate, 0, 100)], false),
            (1, &[(Vibrate, 0, 1)], false),
        ]);
        let e = |f, k, v| bytes(&encode(&act(f, k, v), &cup).unwrap());
        assert_eq!(e(0, Oscillate, 50), [vec![0xaa, 0x04, 0x32, 0x36]]);
        assert_eq!(e(0, Oscillate, 10), [vec![0xaa, 0x04, 0x0a, 0x0e]]);
        assert_eq!(e(1, Vibrate, 1), [vec![0xaa, 0x06, 0x01, 0x07]]);
        assert_eq!(e(0, Oscillate, 0), [vec![0xaa, 0x04, 0x00, 0x04]]);
        assert_eq!(e(1, Vibrate, 0), [vec![0xaa, 0x06, 0xf0, 0xf6]]);
        let wildolo = def(&[(0, &[(Vibrate, 0, 100)], false)]);
        assert_eq!(
            bytes(&encode(&act(0, Vibrate, 50), &wildolo).unwrap()),
            [vec![0xaa, 0x04, 0x32, 0x36]]
        );
    }

    #[test]
    fn mini_bytes() {
        let sinloli = def(&[
            (0, &[(Constrict, 0, 100)], false),
            (1, &[(Vibrate, 0, 100)], false),
        ]);
        let e = |d: &DeviceDefinition, f, k, v| bytes(&encode_mini(&act(f, k, v), d).unwrap());
        assert_eq!(
            e(&sinloli, 0, Constrict, 50),
            [vec![0xcc, 0x03, 0x32, 0x35]]
        );
        assert_eq!(e(&sinloli, 1, Vibrate, 50), [vec![0xcc, 0x05, 0x32, 0x37]]);
        assert_eq!(e(&sinloli, 1, Vibrate, 0), [vec![0xcc, 0x05, 0x00, 0x05]]);
        let aston = def(&[(0, &[(Rotate, -100, 100)], false)]);
        assert_eq!(
            e(&aston, 0, Rotate, 50),
            [vec![0xcc, 0x03, 0x32, 0x35], vec![0xcc, 0x01, 0xc0, 0xc1]]
        );
        assert_eq!(
            e(&aston, 0, Rotate, -100),
            [vec![0xcc, 0x03, 0x64, 0x67], vec![0xcc, 0x01, 0xc1, 0xc2]]
        );
        assert_eq!(
            e(&aston, 0, Rotate, 0),
            [vec![0xcc, 0x03, 0x00, 0x03], vec![0xcc, 0x01, 0xc0, 0xc1]]
        );
        let auxfun = def(&[(0, &[(Oscillate, 0, 100)], false)]);
        assert_eq!(e(&auxfun, 0, Oscillate, 50), [vec![0xcc, 0x03, 0x32, 0x35]]);
        let eropair = def(&[
            (0, &[(Vibrate, 0, 100)], false),
            (1, &[(Vibrate, 0, 100)], false),
        ]);
        assert_eq!(e(&eropair, 0, Vibrate, 1), [vec![0xcc, 0x03, 0x01, 0x04]]);
        assert_eq!(e(&eropair, 1, Vibrate, 1), [vec![0xcc, 0x05, 0x01, 0x06]]);
        let cosima = def(&[
            (0, &[(Oscillate, 0, 100)], false),
            (1, &[(Constrict, 0, 100)], false),
        ]);
        assert_eq!(e(&cosima, 1, Constrict, 1), [vec![0xcc, 0x05, 0x01, 0x06]]);
    }

    #[tokio::test]
    async fn hands_over_to_mini() {
        // as the device manager does: identify with the matched protocol, initialise with the
        // registered factory of the protocol identification names
        let registry = ProtocolRegistry::builtin();
        let (sim, hw) = connect(spec("HISMITH", &[Endpoint::RxBleModel, Endpoint::Tx])).await;
        sim.queue_read(Endpoint::RxBleModel, &[0x10, 0x05]);
        let identified = registry.get(NAME).unwrap().identify(&hw).await.unwrap();
        assert_eq!(identified.identification.protocol, MINI);
        let mini = registry.get(&identified.identification.protocol).unwrap();
        let d = def(&[(0, &[(Oscillate, 0, 100)], false)]);
        let h = identified.initialize(&*mini, &hw, &d).await.unwrap();
        assert_eq!(
            bytes(&h.outputs(&[act(0, Oscillate, 50)]).unwrap()),
            [vec![0xcc, 0x03, 0x32, 0x35]]
        );
    }
}
