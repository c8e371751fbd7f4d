//! Sistalk MonsterPub / MonsterHub and Tracy's Dog (`monsterpub`).
//!
//! * Identification: the model string (e.g. `MP2_JK_N_P1`) is read from `rxblemodel`, with NUL
//!   bytes removed; a device that does not answer is identified as `Unknown`.
//! * Authentication: when the device has an `rx` endpoint, 16 bytes are read from it. The first
//!   byte selects one of four keys — the ASCII words `2IPO`, `LSBB`, `SIS6`, `TALK`, repeated —
//!   and the other 15 bytes XOR-ed with the key are written back to `rx` with response.
//! * Output: the speeds (0–100) of all motors travel together, one byte per output feature in
//!   feature order, written without response to `txvibrate` when the device has it, else to
//!   `tx`, else to `generic0` (which wants a leading `0x03`). On `tx`, an all-zero state is
//!   written with response to `txmode` instead (the device's stop).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    all_features, HwCommand, Identified, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{byte, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "monsterpub";
const MODEL_TIMEOUT: Duration = Duration::from_millis(500);
const AUTH_TIMEOUT: Duration = Duration::from_secs(2);
/// Key words of the authentication, selected by the first byte of the challenge.
const KEYS: [&[u8; 4]; 4] = [b"2IPO", b"LSBB", b"SIS6", b"TALK"];
/// Bytes of the challenge that are answered (after the key selector).
const AUTH_LEN: usize = 15;

/// The `monsterpub` factory.
struct MonsterPub;

/// The handler of one connected device.
struct MonsterPubHandler {
    /// Endpoint the speeds are written to.
    tx: Endpoint,
    /// Feature index of each speed slot.
    slots: Vec<u32>,
    /// Current speed of each slot.
    speeds: Mutex<Vec<u8>>,
    /// Mask covering every feature (one packet carries all motors).
    mask: u64,
}

/// The factory registered as `monsterpub`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(MonsterPub)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

/// The model string in a `rxblemodel` reading.
fn model_name(data: &[u8]) -> Result<String, DeviceError> {
    let text = std::str::from_utf8(data)
        .map_err(|_| DeviceError::protocol(NAME, "the model name is not UTF-8"))?;
    Ok(text.replace('\0', ""))
}

/// The answer to an authentication challenge.
fn auth_reply(challenge: &[u8]) -> Result<Vec<u8>, DeviceError> {
    let (selector, rest) = challenge
        .split_first()
        .ok_or_else(|| DeviceError::protocol(NAME, "empty authentication challenge"))?;
    let key = KEYS.get(usize::from(*selector)).ok_or_else(|| {
        DeviceError::protocol(NAME, format!("unknown authentication key {selector}"))
    })?;
    let body = rest.get(..AUTH_LEN).ok_or_else(|| {
        DeviceError::protocol(
            NAME,
            format!(
                "authentication challenge has {} bytes, expected {}",
                challenge.len(),
                AUTH_LEN + 1
            ),
        )
    })?;
    Ok(body
        .iter()
        .zip(key.iter().cycle())
        .map(|(b, k)| b ^ k)
        .collect())
}

#[async_trait]
impl ProtocolFactory for MonsterPub {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn identify(&self, hardware: &Arc<dyn Hardware>) -> Result<Identified, DeviceError> {
        let model = match hardware.read(Endpoint::RxBleModel, 32, MODEL_TIMEOUT).await {
            Ok(data) => model_name(&data)?,
            Err(_) => "Unknown".to_string(),
        };
        Ok(Identified::new(NAME, Some(model)))
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let endpoints = hardware.endpoints();
        if endpoints.contains(&Endpoint::Rx) {
            let challenge = hardware.read(Endpoint::Rx, 16, AUTH_TIMEOUT).await?;
            let reply = auth_reply(&challenge)?;
            hardware.write(Endpoint::Rx, &reply, true).await?;
        }
        let tx = if endpoints.contains(&Endpoint::TxVibrate) {
            Endpoint::TxVibrate
        } else if endpoints.contains(&Endpoint::Tx) {
            Endpoint::Tx
        } else {
            Endpoint::Generic(0)
        };
        let slots: Vec<u32> = definition
            .features
            .iter()
            .filter(|f| !f.outputs.is_empty())
            .map(|f| f.index)
            .collect();
        Ok(Arc::new(MonsterPubHandler {
            tx,
            speeds: Mutex::new(vec![0; slots.len()]),
            slots,
            mask: all_features(definition),
        }))
    }
}

impl MonsterPubHandler {
    fn packet(&self, speeds: &[u8]) -> HwCommand {
        let mut data = Vec::with_capacity(speeds.len() + 1);
        if self.tx == Endpoint::Generic(0) {
            data.push(0x03);
        }
        data.extend_from_slice(speeds);
        if self.tx == Endpoint::Tx && speeds.iter().all(|s| *s == 0) {
            HwCommand::write_with_response(Endpoint::TxMode, data, self.mask)
        } else {
            HwCommand::write(self.tx, data, self.mask)
        }
    }
}

impl ProtocolHandler for MonsterPubHandler {
    fn outputs(&self, actions: &[OutputAction]) -> Result<Vec<HwCommand>, DeviceError> {
        let mut speeds = self.speeds.lock();
        let mut next = speeds.clone();
        for a in actions {
            let slot = self
                .slots
                .iter()
                .position(|s| *s == a.feature)
                .and_then(|i| next.get_mut(i))
                .ok_or_else(|| unsupported(NAME, a))?;
            *slot = byte(NAME, a.value)?;
        }
        let packet = self.packet(&next);
        *speeds = next;
        Ok(vec![packet])
    }

    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        self.outputs(std::slice::from_ref(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::{Oscillate, Vibrate};
    use crate::device::protocols::testkit::*;

    fn two_motors() -> DeviceDefinition {
        def_with(
            &["MP2_JK_N_P1"],
            &[
                (0, &[(Vibrate, 0, 100)], false),
                (1, &[(Vibrate, 0, 100)], false),
            ],
        )
    }

    #[tokio::test]
    async fn identification_reads_the_model() {
        let (sim, hw) = connect(spec(
            "MonsterPub",
            &[Endpoint::RxBleModel, Endpoint::Tx, Endpoint::TxMode],
        ))
        .await;
        sim.queue_read(Endpoint::RxBleModel, b"MP2_JK_N_P1\0\0\0\0\0");
        let id = factory().identify(&hw).await.unwrap().identification;
        assert_eq!(id.protocol, "monsterpub");
        assert_eq!(id.identifier.as_deref(), Some("MP2_JK_N_P1"));

        let (_sim, hw) = connect(spec("TracyDog", &[Endpoint::Tx])).await;
        let id = factory().identify(&hw).await.unwrap().identification;
        assert_eq!(id.identifier.as_deref(), Some("Unknown"));
    }

    #[test]
    fn authentication_reply() {
        // key 3 is "TALK"; a challenge of zeros answers the key itself
        let mut challenge = vec![3u8];
        challenge.extend([0u8; 15]);
        assert_eq!(auth_reply(&challenge).unwrap(), b"TALKTALKTALKTAL".to_vec());
        let mut challenge = vec![0u8];
        challenge.extend(1..=15u8);
        let expected: Vec<u8> = b"2IPO2IPO2IPO2IP"
            .iter()
            .zip(1..=15u8)
            .map(|(k, b)| k ^ b)
            .collect();
        assert_eq!(auth_reply(&challenge).unwrap(), expected);
        assert!(auth_reply(&[4; 16]).is_err());
        assert!(auth_reply(&[1; 10]).is_err());
        assert!(auth_reply(&[]).is_err());
    }

    #[tokio::test]
    async fn init_authenticates_then_drives_txvibrate() {
        let d = two_motors();
        let (sim, hw) = connect(spec(
            "MonsterPub",
            &[
                Endpoint::Rx,
                Endpoint::Tx,
                Endpoint::TxMode,
                Endpoint::TxVibrate,
            ],
        ))
        .await;
        let mut challenge = vec![1u8];
        challenge.extend([0xffu8; 15]);
        sim.queue_read(Endpoint::Rx, &challenge);
        let h = init(&*factory(), &hw, &d).await;
        let reply: Vec<u8> = b"LSBBLSBBLSBBLSB".iter().map(|k| k ^ 0xff).collect();
        assert_eq!(sim.take_ops(), [w(Endpoint::Rx, &reply, true)]);
        let o = |a: &[OutputAction]| writes(&h.outputs(a).unwrap());
        assert_eq!(
            o(&[act(0, Vibrate, 50)]),
            [(Endpoint::TxVibrate, vec![50, 0], false)]
        );
        assert_eq!(
            o(&[act(1, Vibrate, 100)]),
            [(Endpoint::TxVibrate, vec![50, 100], false)]
        );
        assert_eq!(
            o(&[act(0, Vibrate, 0), act(1, Vibrate, 0)]),
            [(Endpoint::TxVibrate, vec![0, 0], false)]
        );
        assert!(h.output(&act(2, Vibrate, 1)).is_err());
    }

    #[tokio::test]
    async fn tx_device_stops_through_txmode() {
        // Sistalk MonsterPub Pop: oscillation then vibration, no rx, no txvibrate
        let d = def(&[
            (0, &[(Oscillate, 0, 100)], false),
            (1, &[(Vibrate, 0, 100)], false),
        ]);
        let (sim, hw) = connect(spec("MonsterPub", &[Endpoint::Tx, Endpoint::TxMode])).await;
        let h = init(&*factory(), &hw, &d).await;
        assert!(sim.take_ops().is_empty());
        let o = |a: &[OutputAction]| writes(&h.outputs(a).unwrap());
        assert_eq!(
            o(&[act(0, Oscillate, 30)]),
            [(Endpoint::Tx, vec![30, 0], false)]
        );
        assert_eq!(
            o(&[act(1, Vibrate, 60)]),
            [(Endpoint::Tx, vec![30, 60], false)]
        );
        assert_eq!(
            o(&[act(0, Oscillate, 0), act(1, Vibrate, 0)]),
            [(Endpoint::TxMode, vec![0, 0], true)]
        );
    }

    #[tokio::test]
    async fn generic0_device_prefixes_three() {
        let d = def(&[
            (0, &[(Vibrate, 0, 100)], false),
            (1, &[(Vibrate, 0, 100)], false),
            (2, &[(Vibrate, 0, 100)], false),
        ]);
        let (_sim, hw) = connect(spec("TracyDog", &[Endpoint::Generic(0)])).await;
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(
            writes(&h.output(&act(2, Vibrate, 40)).unwrap()),
            [(Endpoint::Generic(0), vec![0x03, 0, 0, 40], false)]
        );
        assert_eq!(
            writes(&h.output(&act(2, Vibrate, 0)).unwrap()),
            [(Endpoint::Generic(0), vec![0x03, 0, 0, 0], false)]
        );
    }
}
