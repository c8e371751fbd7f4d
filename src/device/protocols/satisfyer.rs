//! Satisfyer: the model number is read from `rxblemodel` (4 bytes, big-endian) and selects the
//! configuration; a `01` on `command` enables remote control; each motor's level is then sent
//! four times in a row on `tx`, all motors in one packet, repeated every 3 s by the keep-alive.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    HwCommand, Identification, KeepAlive, ProtocolFactory, ProtocolHandler,
};
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
    async fn identify(&self, hardware: &Arc<dyn Hardware>) -> Result<Identification, DeviceError> {
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
        Ok(Identification {
            protocol: NAME.to_string(),
            identifier,
        })
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
    use crate::device::protocols::testkit_a::connect;
    use crate::device::protocols::vectors_b::check_vectors;
    use crate::hwmgr::sim::SimDeviceSpec;

    #[test]
    fn vectors() {
        check_vectors(&[
            "satisfyer_dual_vibrator",
            "satisfyer_single_vibrator",
            "satisfyer_triple_vibrator",
        ]);
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
        let id = factory.identify(&hw).await.unwrap();
        assert_eq!(id.identifier.as_deref(), Some("10160"));
        assert!(sim.take_ops().is_empty());
        // not advertised: read from the characteristic
        let (sim, hw) = connect(toy(Vec::new())).await;
        sim.queue_read(Endpoint::RxBleModel, &[0, 0, 0x27, 0xb1]);
        let id = factory.identify(&hw).await.unwrap();
        assert_eq!(id.identifier.as_deref(), Some("10161"));
    }
}
