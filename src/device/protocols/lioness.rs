//! Lioness (`lioness`): one vibrator, speed 0–100. Initialisation subscribes to `rx` and writes
//! the handshake `[0x01, 0xAA, 0xAA, 0xBB, 0xCC, 0x10]` with response to `tx`; when that write
//! fails the device usually has not been paired with the operating system (PIN 6496 or 006496).
//! Each command is `[0x02, 0xAA, 0xBB, 0xCC, 0xCC, speed]` written without response to `tx`.

use std::sync::Arc;

use async_trait::async_trait;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory, ProtocolHandler};
use crate::device::protocols::kit::{byte, mask, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "lioness";
const HANDSHAKE: [u8; 6] = [0x01, 0xaa, 0xaa, 0xbb, 0xcc, 0x10];

/// The `lioness` factory.
struct Lioness;

/// The handler of one connected Lioness.
struct LionessHandler;

/// The factory registered as `lioness`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Lioness)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
    if a.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, a));
    }
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![0x02, 0xaa, 0xbb, 0xcc, 0xcc, byte(NAME, a.value)?],
        mask(a.feature),
    )])
}

#[async_trait]
impl ProtocolFactory for Lioness {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        _definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        hardware.subscribe(Endpoint::Rx).await?;
        hardware
            .write(Endpoint::Tx, &HANDSHAKE, true)
            .await
            .map_err(|e| {
                DeviceError::protocol(
                    NAME,
                    format!(
                        "handshake failed ({e}); the Lioness may need pairing with the \
                         operating system first, PIN 6496 or 006496"
                    ),
                )
            })?;
        Ok(Arc::new(LionessHandler))
    }
}

impl ProtocolHandler for LionessHandler {
    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        encode(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::SimOp;

    #[test]
    fn vibrate_bytes() {
        let e = |v| writes(&encode(&act(0, OutputType::Vibrate, v)).unwrap());
        assert_eq!(
            e(100),
            [(
                Endpoint::Tx,
                vec![0x02, 0xaa, 0xbb, 0xcc, 0xcc, 0x64],
                false
            )]
        );
        assert_eq!(
            e(33),
            [(
                Endpoint::Tx,
                vec![0x02, 0xaa, 0xbb, 0xcc, 0xcc, 0x21],
                false
            )]
        );
        assert_eq!(
            e(0),
            [(
                Endpoint::Tx,
                vec![0x02, 0xaa, 0xbb, 0xcc, 0xcc, 0x00],
                false
            )]
        );
        assert!(encode(&act(0, OutputType::Vibrate, 256)).is_err());
        assert!(encode(&act(0, OutputType::Oscillate, 1)).is_err());
    }

    #[tokio::test]
    async fn initialisation() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 100)], false)]);
        let (sim, hw) = connect(spec("Lioness", &[Endpoint::Tx, Endpoint::Rx])).await;
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(
            sim.take_ops(),
            [
                SimOp::Subscribe {
                    endpoint: Endpoint::Rx
                },
                w(Endpoint::Tx, &[0x01, 0xaa, 0xaa, 0xbb, 0xcc, 0x10], true)
            ]
        );
        assert_eq!(
            bytes(&h.output(&act(0, OutputType::Vibrate, 5)).unwrap()),
            [vec![0x02, 0xaa, 0xbb, 0xcc, 0xcc, 0x05]]
        );
    }

    #[tokio::test]
    async fn failed_handshake_mentions_pairing() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 100)], false)]);
        // no tx endpoint: the handshake write fails
        let (_sim, hw) = connect(spec("Lioness", &[Endpoint::Rx])).await;
        let err = match factory().initialize(&hw, &d).await {
            Err(e) => e,
            Ok(_) => panic!("initialisation should fail"),
        };
        assert!(err.to_string().contains("6496"), "{err}");
    }
}
