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

    async fn identify(&self, hardware: &Arc<dyn Hardware>) -> Result<Identification, DeviceError> {
        let data = hardware
            .read(Endpoint::RxBleModel, 128, Duration::from_millis(500))
            .await?;
        Ok(Identification {
            protocol: NAME.to_string(),
            identifier: model_identifier(&data),
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

/// The protocol factories of this module.
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
    use crate::device::protocols::vectors_b::check_vectors;

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
}
