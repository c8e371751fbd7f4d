//! Svakom Sam Neo (`svakom-sam`).
//!
//! Initialisation subscribes to `rx`. The model generation is read from the endpoints the
//! hardware offers: a `txmode` or `firmware` endpoint marks the second generation (a unit with
//! only `firmware` vibrates at a single speed, but takes the same frames).
//!
//! Frames go to `tx` without response:
//! * vibration (first feature): `12 01 03 00 <mode> <level>`, where `<mode>` is 4 while the level
//!   is non-zero and 0 to stop on the second generation, and always 5 on the first;
//! * suction (or a vibrator on any other feature): `12 06 01 <level>`.

use std::sync::Arc;

use async_trait::async_trait;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory, ProtocolHandler};
use crate::device::protocols::kit::{byte, mask, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "svakom-sam";

/// The factory registered as `svakom-sam`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(SvakomSam)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

struct SvakomSam;

/// Drives one Sam Neo.
struct SamHandler {
    /// Second generation (speed-controlled vibration frame).
    gen2: bool,
}

/// True when the endpoints mark a second-generation unit.
fn is_gen2(endpoints: &[Endpoint]) -> bool {
    endpoints.contains(&Endpoint::TxMode) || endpoints.contains(&Endpoint::Firmware)
}

#[async_trait]
impl ProtocolFactory for SvakomSam {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        _definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        hardware.subscribe(Endpoint::Rx).await?;
        Ok(Arc::new(SamHandler {
            gen2: is_gen2(&hardware.endpoints()),
        }))
    }
}

impl ProtocolHandler for SamHandler {
    fn output(&self, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        let level = byte(NAME, a.value)?;
        let data = match a.kind {
            OutputType::Vibrate if a.feature == 0 => {
                let mode = match (self.gen2, level) {
                    (false, _) => 0x05,
                    (true, 0) => 0x00,
                    (true, _) => 0x04,
                };
                vec![0x12, 0x01, 0x03, 0x00, mode, level]
            }
            OutputType::Vibrate | OutputType::Constrict => vec![0x12, 0x06, 0x01, level],
            _ => return Err(unsupported(NAME, a)),
        };
        Ok(vec![HwCommand::write(Endpoint::Tx, data, mask(a.feature))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocol::KeepAlive;
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::SimOp;
    use OutputType::*;

    fn sam() -> DeviceDefinition {
        def(&[
            (0, &[(Vibrate, 0, 10)], false),
            (1, &[(Constrict, 0, 1)], false),
        ])
    }

    async fn start(endpoints: &[Endpoint]) -> Arc<dyn ProtocolHandler> {
        let (sim, hw) = connect(spec("Sam Neo", endpoints)).await;
        let h = init(&*factory(), &hw, &sam()).await;
        assert_eq!(
            sim.take_ops(),
            [SimOp::Subscribe {
                endpoint: Endpoint::Rx
            }]
        );
        assert_eq!(h.keepalive(), KeepAlive::RepeatLastIfRequired);
        h
    }

    #[tokio::test]
    async fn second_generation() {
        let h = start(&[
            Endpoint::Rx,
            Endpoint::Tx,
            Endpoint::TxMode,
            Endpoint::Firmware,
        ])
        .await;
        let e = |a| writes(&h.outputs(&[a]).unwrap());
        assert_eq!(
            e(act(0, Vibrate, 10)),
            [(
                Endpoint::Tx,
                vec![0x12, 0x01, 0x03, 0x00, 0x04, 0x0a],
                false
            )]
        );
        assert_eq!(
            e(act(0, Vibrate, 0)),
            [(
                Endpoint::Tx,
                vec![0x12, 0x01, 0x03, 0x00, 0x00, 0x00],
                false
            )]
        );
        assert_eq!(
            e(act(1, Constrict, 1)),
            [(Endpoint::Tx, vec![0x12, 0x06, 0x01, 0x01], false)]
        );
        assert_eq!(
            e(act(1, Constrict, 0)),
            [(Endpoint::Tx, vec![0x12, 0x06, 0x01, 0x00], false)]
        );
        assert!(h.outputs(&[act(0, Rotate, 1)]).is_err());
        assert!(h.outputs(&[act(0, Vibrate, 256)]).is_err());
    }

    #[tokio::test]
    async fn firmware_only_is_second_generation() {
        let h = start(&[Endpoint::Rx, Endpoint::Tx, Endpoint::Firmware]).await;
        assert_eq!(
            bytes(&h.outputs(&[act(0, Vibrate, 3)]).unwrap()),
            [vec![0x12, 0x01, 0x03, 0x00, 0x04, 0x03]]
        );
    }

    #[tokio::test]
    async fn first_generation() {
        let h = start(&[Endpoint::Rx, Endpoint::Tx]).await;
        let e = |a| bytes(&h.outputs(&[a]).unwrap());
        assert_eq!(
            e(act(0, Vibrate, 3)),
            [vec![0x12, 0x01, 0x03, 0x00, 0x05, 0x03]]
        );
        assert_eq!(
            e(act(0, Vibrate, 0)),
            [vec![0x12, 0x01, 0x03, 0x00, 0x05, 0x00]]
        );
        assert_eq!(e(act(1, Vibrate, 7)), [vec![0x12, 0x06, 0x01, 0x07]]);
    }
}
