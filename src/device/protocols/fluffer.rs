//! Fluffer (and MotorBunny toys sold with Fluffer firmware): every packet is AES-128-ECB
//! encrypted (PKCS#7 padding) with the vendor's fixed key.
//!
//! At connection `rx` is subscribed. Both motors travel in one packet
//! `[0x82, 0x0F, 0x05, 0x00, a, b, 0x00, 0x00]`; a counter-clockwise rotation speed `n` is sent as
//! `n + 100`. The keep-alive packet is `[0x80, 0x02, 0x00]`.
//!
//! Not done: toys that advertise Fluffer manufacturer data expect an authentication exchange
//! derived from that data, which the hardware layer does not pass to protocols; such toys are
//! driven without it.

use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    all_features, HwCommand, KeepAlive, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::unsupported;
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "fluffer";
const KEY: [u8; 16] = *b"jdk#Flu%y6fer32f";

struct Fluffer;

/// The factory registered as `fluffer`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Fluffer)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

#[async_trait]
impl ProtocolFactory for Fluffer {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        hardware.subscribe(Endpoint::Rx).await?;
        Ok(Arc::new(FlufferHandler {
            speeds: Mutex::new([0; 2]),
            mask: all_features(definition),
        }))
    }
}

struct FlufferHandler {
    speeds: Mutex<[u8; 2]>,
    mask: u64,
}

impl ProtocolHandler for FlufferHandler {
    fn output(&self, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        let magnitude = u8::try_from(a.value.unsigned_abs())
            .map_err(|_| DeviceError::protocol(NAME, "value does not fit in a byte"))?;
        let value = match a.kind {
            OutputType::Vibrate | OutputType::Oscillate => magnitude,
            OutputType::Rotate if a.value < 0 => magnitude
                .checked_add(100)
                .ok_or_else(|| DeviceError::protocol(NAME, "rotation speed too large"))?,
            OutputType::Rotate => magnitude,
            _ => return Err(unsupported(NAME, a)),
        };
        let mut speeds = self.speeds.lock();
        let slot = usize::try_from(a.feature)
            .ok()
            .and_then(|i| speeds.get_mut(i))
            .ok_or_else(|| unsupported(NAME, a))?;
        *slot = value;
        let [s0, s1] = *speeds;
        Ok(vec![HwCommand::write(
            Endpoint::Tx,
            encrypt(&[0x82, 0x0f, 0x05, 0x00, s0, s1, 0x00, 0x00]),
            self.mask,
        )])
    }

    fn keepalive(&self) -> KeepAlive {
        KeepAlive::FixedIfRequired {
            endpoint: Endpoint::Tx,
            data: encrypt(&[0x80, 0x02, 0x00]),
        }
    }
}

/// AES-128-ECB with PKCS#7 padding under the Fluffer key.
fn encrypt(data: &[u8]) -> Vec<u8> {
    use aes::cipher::{BlockEncrypt, KeyInit};
    let cipher = aes::Aes128::new(&KEY.into());
    let pad = 16 - data.len() % 16;
    let mut padded = data.to_vec();
    padded.resize(data.len() + pad, u8::try_from(pad).unwrap_or(16));
    for chunk in padded.chunks_exact_mut(16) {
        cipher.encrypt_block(aes::Block::from_mut_slice(chunk));
    }
    padded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::SimOp;

    #[test]
    fn aes_known_answer() {
        // FIPS-197 appendix C.1, through the same cipher the protocol uses
        use aes::cipher::{BlockEncrypt, KeyInit};
        let key: [u8; 16] = core::array::from_fn(|i| i as u8);
        let mut block: [u8; 16] = core::array::from_fn(|i| (i as u8) * 0x11);
        aes::Aes128::new(&key.into()).encrypt_block(aes::Block::from_mut_slice(&mut block));
        assert_eq!(
            block,
            [
                0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4,
                0xc5, 0x5a
            ]
        );
    }

    #[tokio::test]
    async fn vector_bytes() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 100)], false)]);
        let (sim, hw) = connect(spec("fluffer", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(
            next(&sim).await,
            Some(SimOp::Subscribe {
                endpoint: Endpoint::Rx
            })
        );
        let e = |v| bytes(&h.outputs(&[act(0, OutputType::Vibrate, v)]).unwrap());
        assert_eq!(
            e(100),
            [vec![
                0x34, 0x86, 0x9a, 0x67, 0x7b, 0x8e, 0x6f, 0xa9, 0xe9, 0x2b, 0x53, 0xf8, 0x37, 0xc5,
                0x25, 0x3c
            ]]
        );
        assert_eq!(
            e(0),
            [vec![
                0xd3, 0xaf, 0x8c, 0xb6, 0xb5, 0x05, 0x3c, 0x01, 0x7e, 0xc0, 0xd3, 0x7f, 0x5b, 0x06,
                0x44, 0x21
            ]]
        );
    }
}
