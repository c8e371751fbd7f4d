//! Patoo: two single-byte writes per change, both with response: the speed on `tx`, then the
//! mode on `txmode`. The toy has one speed, so with two motors the first motor wins: while it
//! runs, `tx` carries its speed and the mode is `04` (steady vibration); when it is stopped and
//! the second motor runs, `tx` carries the second motor's speed and the mode is `80`; with both
//! stopped the speed is 0 and the mode `00`.
//!
//! Devices advertise a letter prefix followed by digits (`PTVEA1234`); the letters alone are
//! the identifier.

use std::sync::Arc;

use async_trait::async_trait;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, Identified, ProtocolFactory, ProtocolHandler};
use crate::device::protocols::kit::{byte, AllFeatures};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "patoo";

/// Mode: steady vibration on the main motor.
const MODE_VIBRATE: u8 = 0x04;
/// Mode: everything stopped.
const MODE_OFF: u8 = 0x00;
/// Mode: the second motor drives the speed.
const MODE_SECOND: u8 = 0x80;

/// The identifier for an advertised name: everything before the first digit.
fn identifier(name: &str) -> String {
    name.chars().take_while(|c| !c.is_ascii_digit()).collect()
}

fn encode(values: &[i32], _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let first = byte(NAME, values.first().copied().unwrap_or(0))?;
    let second = byte(NAME, values.get(1).copied().unwrap_or(0))?;
    let (speed, mode) = match (first, second) {
        (0, 0) => (0, MODE_OFF),
        (0, s) => (s, MODE_SECOND),
        (s, _) => (s, MODE_VIBRATE),
    };
    Ok(vec![
        HwCommand::write_with_response(Endpoint::Tx, vec![speed], 0),
        HwCommand::write_with_response(Endpoint::TxMode, vec![mode], 0),
    ])
}

struct Patoo {
    inner: Arc<AllFeatures>,
}

#[async_trait]
impl ProtocolFactory for Patoo {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn identify(&self, hardware: &Arc<dyn Hardware>) -> Result<Identified, DeviceError> {
        Ok(Identified::new(NAME, Some(identifier(hardware.name()))))
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        self.inner.initialize(hardware, definition).await
    }
}

/// The factory registered as `patoo`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Patoo {
        inner: AllFeatures::new(NAME, encode),
    })
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::Vibrate;
    use crate::device::protocols::testkit::*;

    #[test]
    fn identifiers() {
        assert_eq!(identifier("PTVEA2011"), "PTVEA");
        assert_eq!(identifier("PBT1"), "PBT");
        assert_eq!(identifier("PHT"), "PHT");
    }

    #[tokio::test]
    async fn two_motor_frames() {
        let f = factory();
        let (sim, hw) = connect(spec("PBT0042", &[Endpoint::Tx, Endpoint::TxMode])).await;
        let id = f.identify(&hw).await.unwrap().identification;
        assert_eq!(id.identifier.as_deref(), Some("PBT"));
        let d = def(&[
            (0, &[(Vibrate, 0, 100)], false),
            (1, &[(Vibrate, 0, 100)], false),
        ]);
        let h = init(&*f, &hw, &d).await;
        assert!(sim.take_ops().is_empty());
        let e = |a: &[_]| writes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(0, Vibrate, 50)]),
            [
                (Endpoint::Tx, vec![50], true),
                (Endpoint::TxMode, vec![0x04], true)
            ]
        );
        // the first motor has priority over the second
        assert_eq!(
            e(&[act(1, Vibrate, 80)]),
            [
                (Endpoint::Tx, vec![50], true),
                (Endpoint::TxMode, vec![0x04], true)
            ]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 0)]),
            [
                (Endpoint::Tx, vec![80], true),
                (Endpoint::TxMode, vec![0x80], true)
            ]
        );
        assert_eq!(
            e(&[act(1, Vibrate, 0)]),
            [
                (Endpoint::Tx, vec![0], true),
                (Endpoint::TxMode, vec![0x00], true)
            ]
        );
        assert!(h.outputs(&[act(0, Vibrate, 256)]).is_err());
    }

    #[tokio::test]
    async fn single_motor_frames() {
        let f = factory();
        let (_sim, hw) = connect(spec("PTVEA2011", &[Endpoint::Tx, Endpoint::TxMode])).await;
        let d = def(&[(0, &[(Vibrate, 0, 100)], false)]);
        let h = init(&*f, &hw, &d).await;
        assert_eq!(
            bytes(&h.outputs(&[act(0, Vibrate, 100)]).unwrap()),
            [vec![100], vec![0x04]]
        );
        assert_eq!(
            bytes(&h.outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [vec![0], vec![0x00]]
        );
    }
}
