//! Satisfyer: the model number is read from `rxblemodel` (4 bytes, big-endian) and selects the
//! configuration; a `01` on `command` enables remote control; each motor's level is then sent
//! four times in a row on `tx`, all motors in one packet, repeated every 3 s by the keep-alive.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, Identified, KeepAlive, ProtocolFactory, ProtocolHandler};
use crate::device::protocols::kit::{byte, AllFeatures};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "satisfyer";

fn init(_def: &DeviceDefinition) -> Vec<HwCommand> {
    vec![HwCommand::write_with_response(
        Endpoint::Command,
        vec![0x01],
        0,
    )]
}

fn encode(values: &[i32], _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let mut data = Vec::with_capacity(values.len() * 4);
    for v in values {
        let b = byte(NAME, *v)?;
        data.extend_from_slice(&[b; 4]);
    }
    Ok(vec![HwCommand::write(Endpoint::Tx, data, 0)])
}

/// The model number as the configuration spells it (decimal), from the 4-byte model read.
fn model_identifier(data: &[u8]) -> Option<String> {
    let bytes: [u8; 4] = data.try_into().ok()?;
    Some(u32::from_be_bytes(bytes).to_string())
}

struct Satisfyer {
    inner: Arc<AllFeatures>,
}

#[async_trait]
impl ProtocolFactory for Satisfyer {
    fn name(&self) -> &'static str {
        NAME
    }

    /// The model number comes from the advertisement's manufacturer data when the toy
    /// advertises any (as the reference takes it), else from the model characteristic.
    async fn identify(&self, hardware: &Arc<dyn Hardware>) -> Result<Identified, DeviceError> {
        let advertised = hardware
            .manufacturer_data()
            .into_iter()
            .find_map(|m| m.data);
        let identifier = match advertised {
            // four bytes are a model number; the reference reads anything else as model 0
            Some(data) => Some(model_identifier(&data).unwrap_or_else(|| "0".to_string())),
            None => {
                let data = hardware
                    .read(Endpoint::RxBleModel, 128, Duration::from_millis(500))
                    .await?;
                model_identifier(&data)
            }
        };
        Ok(Identified::new(NAME, identifier))
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        self.inner.initialize(hardware, definition).await
    }
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![Arc::new(Satisfyer {
        inner: Arc::new(AllFeatures {
            name: NAME,
            encode,
            init: Some(init),
            keepalive: KeepAlive::RepeatLastEvery(Duration::from_secs(3)),
        }),
    })]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::*;
    use crate::device::protocols::testkit::connect;
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::SimDeviceSpec;

    /// The bytes of the reference's `satisfyer_dual_vibrator` case (Satisfyer Double Desire).
    #[tokio::test]
    async fn satisfyer_dual_vibrator() {
        let d = def_with(
            &["10160"],
            &[
                (0, &[(Vibrate, 0, 100)], false),
                (1, &[(Vibrate, 0, 100)], false),
            ],
        );
        let (sim, hw) = connect(spec(
            "SF Whatever",
            &[Endpoint::Command, Endpoint::RxBleModel, Endpoint::Tx],
        ))
        .await;
        sim.queue_read(Endpoint::RxBleModel, &[0x00, 0x00, 0x27, 0xb0]);
        let h = named(factories(), "satisfyer")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), [w(Endpoint::Command, &[0x01], true)]);
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 50), act(1, Vibrate, 25)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0x32, 0x32, 0x32, 0x32, 0x19, 0x19, 0x19, 0x19],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 75), act(1, Vibrate, 50)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0x4b, 0x4b, 0x4b, 0x4b, 0x32, 0x32, 0x32, 0x32],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.stop_outputs(&[act(0, Vibrate, 0), act(1, Vibrate, 0)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
                false
            )]
        );
    }

    /// The bytes of the reference's `satisfyer_single_vibrator` case (Satisfyer Hot Spot).
    #[tokio::test]
    async fn satisfyer_single_vibrator() {
        let d = def_with(&["10005"], &[(0, &[(Vibrate, 0, 100)], false)]);
        let (sim, hw) = connect(spec(
            "SF Whatever",
            &[Endpoint::Command, Endpoint::RxBleModel, Endpoint::Tx],
        ))
        .await;
        sim.queue_read(Endpoint::RxBleModel, &[0x00, 0x00, 0x27, 0x15]);
        let h = named(factories(), "satisfyer")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), [w(Endpoint::Command, &[0x01], true)]);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 50)]).unwrap()),
            [(Endpoint::Tx, vec![0x32, 0x32, 0x32, 0x32], false)]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(Endpoint::Tx, vec![0x00, 0x00, 0x00, 0x00], false)]
        );
    }

    /// The bytes of the reference's `satisfyer_triple_vibrator` case (Satisfyer Double Flex).
    #[tokio::test]
    async fn satisfyer_triple_vibrator() {
        let d = def_with(
            &["10065"],
            &[
                (0, &[(Vibrate, 0, 100)], false),
                (1, &[(Vibrate, 0, 100)], false),
                (2, &[(Vibrate, 0, 100)], false),
            ],
        );
        let (sim, hw) = connect(spec(
            "SF Double Flex",
            &[Endpoint::Command, Endpoint::RxBleModel, Endpoint::Tx],
        ))
        .await;
        sim.queue_read(Endpoint::RxBleModel, &[0x00, 0x00, 0x27, 0x51]);
        let h = named(factories(), "satisfyer")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), [w(Endpoint::Command, &[0x01], true)]);
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 50), act(1, Vibrate, 25)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0x32, 0x32, 0x32, 0x32, 0x19, 0x19, 0x19, 0x19, 0x00, 0x00, 0x00, 0x00],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 75), act(1, Vibrate, 50)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0x4b, 0x4b, 0x4b, 0x4b, 0x32, 0x32, 0x32, 0x32, 0x00, 0x00, 0x00, 0x00],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(2, Vibrate, 25)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x4b, 0x4b, 0x4b, 0x4b, 0x32, 0x32, 0x32, 0x32, 0x19, 0x19, 0x19, 0x19],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.stop_outputs(&[act(0, Vibrate, 0), act(1, Vibrate, 0), act(2, Vibrate, 0)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
                false
            )]
        );
    }

    #[test]
    fn model_numbers() {
        assert_eq!(
            model_identifier(&[0, 0, 0x27, 0xb0]).as_deref(),
            Some("10160")
        );
        assert_eq!(model_identifier(&[0x27, 0xb0]), None);
    }

    fn toy(manufacturer_data: Vec<crate::device::config::ManufacturerData>) -> SimDeviceSpec {
        let mut spec = SimDeviceSpec::ble_silent("SF Curvy 2+");
        if let crate::hwmgr::sim::SimBus::Btle {
            manufacturer_data: md,
            ..
        } = &mut spec.bus
        {
            *md = manufacturer_data;
        }
        spec.endpoints = Some(vec![Endpoint::Tx, Endpoint::RxBleModel]);
        spec
    }

    #[tokio::test]
    async fn identification_prefers_the_advertised_model_number() {
        let factory = &factories()[0];
        // advertised: no read of the model characteristic
        let advertised = crate::device::config::ManufacturerData {
            company: 0x0109,
            data: Some(vec![0, 0, 0x27, 0xb0]),
        };
        let (sim, hw) = connect(toy(vec![advertised])).await;
        let id = factory.identify(&hw).await.unwrap().identification;
        assert_eq!(id.identifier.as_deref(), Some("10160"));
        assert!(sim.take_ops().is_empty());
        // not advertised: read from the characteristic
        let (sim, hw) = connect(toy(Vec::new())).await;
        sim.queue_read(Endpoint::RxBleModel, &[0, 0, 0x27, 0xb1]);
        let id = factory.identify(&hw).await.unwrap().identification;
        assert_eq!(id.identifier.as_deref(), Some("10161"));
    }
}
