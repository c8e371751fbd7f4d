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
pub fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Fluffer)
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
    let keys = expand_key(&KEY);
    let pad = 16 - data.len() % 16;
    let mut padded = data.to_vec();
    padded.resize(data.len() + pad, u8::try_from(pad).unwrap_or(16));
    let mut out = Vec::with_capacity(padded.len());
    for chunk in padded.chunks(16) {
        let mut block = [0u8; 16];
        block.copy_from_slice(chunk);
        encrypt_block(&mut block, &keys);
        out.extend_from_slice(&block);
    }
    out
}

/// The AES S-box, computed from the field inverse and the affine map.
const SBOX: [u8; 256] = {
    let mut sbox = [0u8; 256];
    let mut p: u8 = 1;
    let mut q: u8 = 1;
    loop {
        // p := p · 3
        p = p ^ (p << 1) ^ if p & 0x80 != 0 { 0x1b } else { 0 };
        // q := q / 3
        q ^= q << 1;
        q ^= q << 2;
        q ^= q << 4;
        if q & 0x80 != 0 {
            q ^= 0x09;
        }
        let x = q ^ q.rotate_left(1) ^ q.rotate_left(2) ^ q.rotate_left(3) ^ q.rotate_left(4);
        sbox[p as usize] = x ^ 0x63;
        if p == 1 {
            break;
        }
    }
    sbox[0] = 0x63;
    sbox
};

fn sub(b: u8) -> u8 {
    SBOX[usize::from(b)]
}

fn xtime(b: u8) -> u8 {
    (b << 1) ^ if b & 0x80 != 0 { 0x1b } else { 0 }
}

fn expand_key(key: &[u8; 16]) -> [[u8; 16]; 11] {
    let mut words = [[0u8; 4]; 44];
    for (i, w) in words.iter_mut().take(4).enumerate() {
        for (j, b) in w.iter_mut().enumerate() {
            *b = key.get(4 * i + j).copied().unwrap_or(0);
        }
    }
    let mut rcon: u8 = 1;
    for i in 4..44 {
        let mut t = words[i - 1];
        if i % 4 == 0 {
            t = [sub(t[1]) ^ rcon, sub(t[2]), sub(t[3]), sub(t[0])];
            rcon = xtime(rcon);
        }
        let prev = words[i - 4];
        words[i] = [
            prev[0] ^ t[0],
            prev[1] ^ t[1],
            prev[2] ^ t[2],
            prev[3] ^ t[3],
        ];
    }
    let mut keys = [[0u8; 16]; 11];
    for (r, k) in keys.iter_mut().enumerate() {
        for c in 0..4 {
            k[4 * c..4 * c + 4].copy_from_slice(&words[4 * r + c]);
        }
    }
    keys
}

fn encrypt_block(state: &mut [u8; 16], keys: &[[u8; 16]; 11]) {
    let add = |s: &mut [u8; 16], k: &[u8; 16]| s.iter_mut().zip(k).for_each(|(a, b)| *a ^= b);
    add(state, &keys[0]);
    for (round, key) in keys.iter().enumerate().skip(1) {
        // SubBytes and ShiftRows (state is column-major: byte r + 4c is row r, column c)
        let old = *state;
        for c in 0..4 {
            for r in 0..4 {
                state[r + 4 * c] = sub(old[r + 4 * ((c + r) % 4)]);
            }
        }
        if round < 10 {
            for c in 0..4 {
                let col = [
                    state[4 * c],
                    state[4 * c + 1],
                    state[4 * c + 2],
                    state[4 * c + 3],
                ];
                let all = col[0] ^ col[1] ^ col[2] ^ col[3];
                for r in 0..4 {
                    state[4 * c + r] = col[r] ^ all ^ xtime(col[r] ^ col[(r + 1) % 4]);
                }
            }
        }
        add(state, key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit_a::*;
    use crate::hwmgr::sim::SimOp;

    #[test]
    fn aes_known_answer() {
        // FIPS-197 appendix C.1
        let key: [u8; 16] = core::array::from_fn(|i| i as u8);
        let mut block: [u8; 16] = core::array::from_fn(|i| (i as u8) * 0x11);
        encrypt_block(&mut block, &expand_key(&key));
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
