//! AES-128 in ECB mode with PKCS#7 padding: how VibCrafter and Vibio toys seal every message.
//! Both ends of that conversation live in this crate, the protocol
//! (`device::protocols::vibcrafter`) and the simulated toy (`hwmgr::sim`), so the cipher sits
//! below both layers, beside `error`, `runtime` and `logging`.

use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};

/// The cipher's block length in bytes.
const BLOCK: usize = 16;

/// Encrypts `plain` under `key`. The result is padded to whole blocks, and always gains at least
/// one byte of padding: a message of whole blocks gains a block.
pub(crate) fn aes128_ecb_encrypt(key: &[u8; 16], plain: &[u8]) -> Vec<u8> {
    let cipher = aes::Aes128::new(key.into());
    let pad = BLOCK - plain.len() % BLOCK;
    let mut data = plain.to_vec();
    // `pad` is 1..=16, so the conversion cannot fail
    data.resize(plain.len() + pad, u8::try_from(pad).unwrap_or(16));
    for block in data.chunks_exact_mut(BLOCK) {
        cipher.encrypt_block(aes::Block::from_mut_slice(block));
    }
    data
}

/// Decrypts `data` under `key` and strips its padding; `None` when `data` is not whole blocks
/// or its padding is malformed (also what a wrong key usually gives).
pub(crate) fn aes128_ecb_decrypt(key: &[u8; 16], data: &[u8]) -> Option<Vec<u8>> {
    if data.is_empty() || data.len() % BLOCK != 0 {
        return None;
    }
    let cipher = aes::Aes128::new(key.into());
    let mut plain = data.to_vec();
    for block in plain.chunks_exact_mut(BLOCK) {
        cipher.decrypt_block(aes::Block::from_mut_slice(block));
    }
    let pad = usize::from(*plain.last()?);
    let body = plain
        .len()
        .checked_sub(pad)
        .filter(|_| (1..=BLOCK).contains(&pad))?;
    if plain.get(body..)?.iter().any(|b| usize::from(*b) != pad) {
        return None;
    }
    plain.truncate(body);
    Some(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn fips_197_example_and_padding() {
        // FIPS-197 appendix C.1: the key 00..0f enciphers 00 11 .. ff to 69c4e0d8...
        let key: [u8; 16] = core::array::from_fn(|i| i as u8);
        let plain: [u8; 16] = core::array::from_fn(|i| (i as u8) * 0x11);
        let sealed = aes128_ecb_encrypt(&key, &plain);
        assert_eq!(sealed.len(), 32, "a whole block gains a block of padding");
        assert_eq!(hex(&sealed[..16]), "69c4e0d86a7b0430d8cdb78070b4c55a");
        assert_eq!(aes128_ecb_decrypt(&key, &sealed).unwrap(), plain);
        for len in 0..40 {
            let text: Vec<u8> = (0..len).map(|i| i as u8 ^ 0x5a).collect();
            let sealed = aes128_ecb_encrypt(&key, &text);
            assert_eq!(sealed.len(), (len / 16 + 1) * 16);
            assert_eq!(
                aes128_ecb_decrypt(&key, &sealed).unwrap(),
                text,
                "length {len}"
            );
        }
    }

    #[test]
    fn malformed_input_is_refused() {
        let key = [7u8; 16];
        let sealed = aes128_ecb_encrypt(&key, b"MtInt:0000;");
        assert_eq!(aes128_ecb_decrypt(&key, &[]), None);
        assert_eq!(aes128_ecb_decrypt(&key, &sealed[..15]), None);
        assert_eq!(aes128_ecb_decrypt(&[8u8; 16], &sealed), None, "another key");
        // a block whose padding byte is 0, or larger than a block, or inconsistent
        for last in [0u8, 17, 255] {
            let mut block = [last; 16];
            block[..4].copy_from_slice(b"abcd");
            let cipher = aes::Aes128::new((&key).into());
            cipher.encrypt_block(aes::Block::from_mut_slice(&mut block));
            assert_eq!(
                aes128_ecb_decrypt(&key, &block),
                None,
                "padding byte {last}"
            );
        }
        let mut block = [3u8; 16];
        block[14] = 2;
        let cipher = aes::Aes128::new((&key).into());
        cipher.encrypt_block(aes::Block::from_mut_slice(&mut block));
        assert_eq!(aes128_ecb_decrypt(&key, &block), None, "padding 02 03");
    }
}
