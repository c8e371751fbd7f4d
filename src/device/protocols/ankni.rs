//! Ankni (Roselex): at connection the device's PnP characteristic (`generic0`) is read; when it
//! holds a 6-byte address the toy wants a handshake: twenty `0x01` bytes, then
//! `[0x01, 0x02, c × 16, 0, 0]` where `c` is the high byte of a CRC-16/XMODEM of `0x01` + address.
//! Vibration is `[0x03, 0x12, speed, 0 × 17]`. All writes are with response.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory, ProtocolHandler};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "ankni";
const READ_TIMEOUT: Duration = Duration::from_secs(2);

struct Ankni;

/// The factory registered as `ankni`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Ankni)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

/// CRC-16 with polynomial 0x1021, initial value 0, no reflection.
fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for b in data {
        crc ^= u16::from(*b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The two handshake packets for a PnP reading, or none when no handshake is needed.
fn handshake(pnp: &[u8]) -> Vec<Vec<u8>> {
    if pnp.len() > 6 {
        return Vec::new();
    }
    let mut seed = vec![0x01];
    seed.extend_from_slice(pnp);
    let [check, _] = crc16(&seed).to_be_bytes();
    let mut second = vec![0x01, 0x02];
    second.extend([check; 16]);
    second.extend([0x00, 0x00]);
    vec![vec![0x01; 20], second]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if a.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, a));
    }
    let mut packet = vec![0x03, 0x12, byte(NAME, a.value)?];
    packet.resize(20, 0);
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        packet,
        mask(a.feature),
    )])
}

#[async_trait]
impl ProtocolFactory for Ankni {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let pnp = hardware
            .read(Endpoint::Generic(0), 16, READ_TIMEOUT)
            .await?;
        for packet in handshake(&pnp) {
            hardware.write(Endpoint::Tx, &packet, true).await?;
        }
        PerFeature::new(NAME, encode)
            .initialize(hardware, definition)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn handshake_bytes() {
        let h = handshake(&[0xa2, 0x31, 0x35, 0x53, 0x52, 0xd8]);
        assert_eq!(h.len(), 2);
        assert_eq!(h[0], vec![0x01; 20]);
        let mut second = vec![0x01, 0x02];
        second.extend([0xc1; 16]);
        second.extend([0, 0]);
        assert_eq!(h[1], second);
        assert!(handshake(&[0x01, 0xa6, 0x01, 0x00, 0x00, 0x01, 0x16]).is_empty());
    }

    #[tokio::test]
    async fn vector_flow() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 3)], false)]);
        let (sim, hw) = connect(spec("DSJM", &[Endpoint::Generic(0), Endpoint::Tx])).await;
        sim.queue_read(Endpoint::Generic(0), &[0xa2, 0x31, 0x35, 0x53, 0x52, 0xd8]);
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(next(&sim).await, Some(w(Endpoint::Tx, &[0x01; 20], true)));
        assert!(matches!(
            next(&sim).await,
            Some(crate::hwmgr::sim::SimOp::Write { .. })
        ));
        let mut on = vec![0x03, 0x12, 0x02];
        on.resize(20, 0);
        assert_eq!(
            writes(&h.outputs(&[act(0, OutputType::Vibrate, 2)]).unwrap()),
            [(Endpoint::Tx, on, true)]
        );
    }
}
