//! Vibratissimo: the model name is read from `rxblemodel` (UTF-8; the BLE name when it is not
//! valid text or cannot be read) and selects the configuration. Every command writes `[03, FF]` on `txmode`
//! (remote-control mode) and then the levels of all vibrators, in feature order, on
//! `txvibrate`; a single-vibrator device still sends two bytes (`[level, 00]`). A stop sends
//! only the `txvibrate` write: the reference's stop batch drops the mode write, which shares
//! the level write's id.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, Identified, ProtocolFactory, ProtocolHandler};
use crate::device::protocols::kit::{byte, overlapping_writes_replaced, AllFeatures, StopWrites};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "vibratissimo";

/// The factory registered as `vibratissimo`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Vibratissimo {
        inner: StopWrites::new(AllFeatures::new(NAME, encode), overlapping_writes_replaced),
    })
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(values: &[i32], _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let mut levels = values
        .iter()
        .map(|v| byte(NAME, *v))
        .collect::<Result<Vec<u8>, _>>()?;
    if levels.len() < 2 {
        levels.resize(2, 0);
    }
    Ok(vec![
        HwCommand::write(Endpoint::TxMode, vec![0x03, 0xff], 0),
        HwCommand::write(Endpoint::TxVibrate, levels, 0),
    ])
}

struct Vibratissimo {
    inner: Arc<StopWrites>,
}

#[async_trait]
impl ProtocolFactory for Vibratissimo {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn identify(&self, hardware: &Arc<dyn Hardware>) -> Result<Identified, DeviceError> {
        let identifier = match hardware
            .read(Endpoint::RxBleModel, 128, Duration::from_millis(500))
            .await
        {
            Ok(data) => String::from_utf8(data).unwrap_or_else(|_| hardware.name().to_string()),
            Err(e) => {
                tracing::warn!(error = %e, "vibratissimo: no model read, using the BLE name");
                hardware.name().to_string()
            }
        };
        Ok(Identified::new(NAME, Some(identifier)))
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        self.inner.initialize(hardware, definition).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::Vibrate;
    use crate::device::protocols::testkit::*;

    const ENDPOINTS: &[Endpoint] = &[
        Endpoint::TxMode,
        Endpoint::TxVibrate,
        Endpoint::RxBleModel,
        Endpoint::RxBleBattery,
    ];

    #[tokio::test]
    async fn model_read_selects_configuration() {
        let (sim, hw) = connect(spec("Vibratissimo", ENDPOINTS)).await;
        sim.queue_read(Endpoint::RxBleModel, b"Rabbit");
        let ident = factory().identify(&hw).await.unwrap().identification;
        assert_eq!(ident.identifier.as_deref(), Some("Rabbit"));
        sim.queue_read(Endpoint::RxBleModel, &[0xff, 0xfe]);
        let ident = factory().identify(&hw).await.unwrap().identification;
        assert_eq!(ident.identifier.as_deref(), Some("Vibratissimo"));
        // nothing to read: the BLE name
        let ident = factory().identify(&hw).await.unwrap().identification;
        assert_eq!(ident.identifier.as_deref(), Some("Vibratissimo"));
    }

    #[tokio::test]
    async fn single_vibrator_padded() {
        let d = def(&[(0, &[(Vibrate, 0, 255)], false), (1, &[], true)]);
        let (_, hw) = connect(spec("Vibratissimo", ENDPOINTS)).await;
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 0x40)]).unwrap()),
            [
                (Endpoint::TxMode, vec![0x03, 0xff], false),
                (Endpoint::TxVibrate, vec![0x40, 0x00], false)
            ]
        );
    }

    #[tokio::test]
    async fn stop_sends_only_the_levels() {
        let d = def(&[(0, &[(Vibrate, 0, 255)], false), (1, &[], true)]);
        let (_, hw) = connect(spec("Vibratissimo", ENDPOINTS)).await;
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [
                (Endpoint::TxMode, vec![0x03, 0xff], false),
                (Endpoint::TxVibrate, vec![0x00, 0x00], false)
            ]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(Endpoint::TxVibrate, vec![0x00, 0x00], false)]
        );
    }

    #[tokio::test]
    async fn rabbit_three_vibrators() {
        let d = def(&[
            (0, &[(Vibrate, 0, 255)], false),
            (1, &[(Vibrate, 0, 255)], false),
            (2, &[(Vibrate, 0, 2)], false),
            (3, &[], true),
        ]);
        let (_, hw) = connect(spec("Vibratissimo", ENDPOINTS)).await;
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(
            bytes(&h.outputs(&[act(1, Vibrate, 0x80)]).unwrap()),
            [vec![0x03, 0xff], vec![0, 0x80, 0]]
        );
        assert_eq!(
            bytes(
                &h.outputs(&[act(0, Vibrate, 0xff), act(2, Vibrate, 2)])
                    .unwrap()
            ),
            [vec![0x03, 0xff], vec![0xff, 0x80, 2]]
        );
    }
}
