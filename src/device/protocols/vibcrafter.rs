//! VibCrafter and Vibio: text commands encrypted with AES-128-ECB (PKCS#7 padding) under a fixed
//! per-brand key, after a challenge–response login.
//!
//! Login: `rx` is subscribed and `Auth:<nonce>;` is written on `tx`, the nonce being random
//! alphanumerics (6 for VibCrafter, 8 for Vibio). Each encrypted reply on `rx` is then either
//! `OK;` (logged in) or a challenge `<4 chars>:<secret>;` (VibCrafter: four alphanumerics and an
//! alphanumeric secret; Vibio: four hex digits and any secret without `;`), answered with
//! `Auth:<h0><h1>;` where `h0 h1` are the first two bytes of SHA-256(secret) in lower-case hex.
//! Anything else fails the connection.
//!
//! Both motors travel in one command `MtInt:<a><b>;`, each level as two decimal digits
//! (0–99), e.g. `MtInt:0599;`.

use std::sync::Arc;
use std::time::Duration;

use crate::cipher::{aes128_ecb_decrypt as decrypt, aes128_ecb_encrypt as encrypt};
use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::broadcast::error::RecvError;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory, ProtocolHandler};
use crate::device::protocols::kit::unsupported;
use crate::error::DeviceError;
use crate::hwmgr::{Hardware, HardwareEvent};

/// How long the login waits for each reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Challenges answered before the login is given up.
const MAX_CHALLENGES: usize = 8;

/// What differs between the two brands.
struct Brand {
    name: &'static str,
    key: [u8; 16],
    nonce_len: usize,
    /// Extracts the secret to hash from a decrypted challenge.
    secret: fn(&str) -> Option<&str>,
}

const VIBCRAFTER: Brand = Brand {
    name: "vibcrafter",
    key: *b"jdk#Cra%f5Vib28r",
    nonce_len: 6,
    secret: vibcrafter_secret,
};

const VIBIO: Brand = Brand {
    name: "vibio",
    key: *b"jdk#vib%y5fir21a",
    nonce_len: 8,
    secret: vibio_secret,
};

/// `XXXX:secret;` with four alphanumerics and an alphanumeric secret.
fn vibcrafter_secret(text: &str) -> Option<&str> {
    let (head, secret) = text.strip_suffix(';')?.split_once(':')?;
    let alnum = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    (head.len() == 4 && alnum(head) && alnum(secret)).then_some(secret)
}

/// `XXXX:secret;` with four hex digits and a secret without `;`.
fn vibio_secret(text: &str) -> Option<&str> {
    let body = text.strip_suffix(';')?;
    let head = body.get(..4)?;
    let secret = body.get(4..)?.strip_prefix(':')?;
    let ok =
        head.bytes().all(|b| b.is_ascii_hexdigit()) && !secret.is_empty() && !secret.contains(';');
    ok.then_some(secret)
}

/// SHA-256 of `message`.
fn sha256(message: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(message).into()
}

/// The answer to a challenge secret.
fn answer(secret: &str) -> String {
    let digest = sha256(secret.as_bytes());
    format!("Auth:{:02x}{:02x};", digest[0], digest[1])
}

/// Random alphanumerics for the login nonce.
fn nonce(len: usize) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in uuid::Uuid::new_v4().into_bytes() {
            if out.len() == len {
                break;
            }
            if let Some(c) = ALNUM.get(usize::from(b) % ALNUM.len()) {
                out.push(char::from(*c));
            }
        }
    }
    out
}

struct Factory {
    brand: &'static Brand,
}

/// The factories of this module: `vibcrafter` and `vibio`.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![
        Arc::new(Factory { brand: &VIBCRAFTER }),
        Arc::new(Factory { brand: &VIBIO }),
    ]
}

impl Factory {
    fn fail(&self, what: &str) -> DeviceError {
        DeviceError::protocol(self.brand.name, format!("login failed: {what}"))
    }

    async fn login(&self, hardware: &Arc<dyn Hardware>) -> Result<(), DeviceError> {
        let brand = self.brand;
        let mut events = hardware.events();
        hardware.subscribe(Endpoint::Rx).await?;
        let hello = format!("Auth:{};", nonce(brand.nonce_len));
        hardware
            .write(Endpoint::Tx, &encrypt(&brand.key, hello.as_bytes()), false)
            .await?;
        let mut challenges = 0;
        let deadline = || tokio::time::Instant::now() + REPLY_TIMEOUT;
        let mut until = deadline();
        loop {
            let data = match tokio::time::timeout_at(until, events.recv()).await {
                Err(_) => return Err(DeviceError::Timeout(format!("{} login", brand.name))),
                Ok(Ok(HardwareEvent::Notification { data, .. })) => data,
                Ok(Err(RecvError::Lagged(_))) => continue,
                Ok(Ok(HardwareEvent::Disconnected)) | Ok(Err(RecvError::Closed)) => {
                    return Err(DeviceError::Disconnected(format!(
                        "{} device left during login",
                        brand.name
                    )))
                }
            };
            let plain = decrypt(&brand.key, &data).ok_or_else(|| self.fail("undecodable reply"))?;
            let text = String::from_utf8(plain).map_err(|_| self.fail("reply is not text"))?;
            if text == "OK;" {
                return Ok(());
            }
            let secret = (brand.secret)(&text).ok_or_else(|| self.fail("unexpected reply"))?;
            challenges += 1;
            if challenges > MAX_CHALLENGES {
                return Err(self.fail("too many challenges"));
            }
            hardware
                .write(
                    Endpoint::Tx,
                    &encrypt(&brand.key, answer(secret).as_bytes()),
                    false,
                )
                .await?;
            until = deadline();
        }
    }
}

#[async_trait]
impl ProtocolFactory for Factory {
    fn name(&self) -> &'static str {
        self.brand.name
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        _definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        self.login(hardware).await?;
        Ok(Arc::new(Handler {
            brand: self.brand,
            levels: Mutex::new([0; 2]),
        }))
    }
}

struct Handler {
    brand: &'static Brand,
    levels: Mutex<[u8; 2]>,
}

impl ProtocolHandler for Handler {
    fn output(&self, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if a.kind != OutputType::Vibrate {
            return Err(unsupported(self.brand.name, a));
        }
        let level = u8::try_from(a.value)
            .ok()
            .filter(|v| *v <= 99)
            .ok_or_else(|| {
                DeviceError::protocol(
                    self.brand.name,
                    format!("level {} is outside 0-99", a.value),
                )
            })?;
        let mut levels = self.levels.lock();
        let slot = usize::try_from(a.feature)
            .ok()
            .and_then(|i| levels.get_mut(i))
            .ok_or_else(|| unsupported(self.brand.name, a))?;
        *slot = level;
        let text = format!("MtInt:{:02}{:02};", levels[0], levels[1]);
        Ok(vec![HwCommand::write(
            Endpoint::Tx,
            encrypt(&self.brand.key, text.as_bytes()),
            0b11,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::{SimHardware, SimOp};

    fn hex(d: &[u8]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn sha256_known_answers() {
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&sha256(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(answer("abc"), "Auth:ba78;");
    }

    #[test]
    fn challenge_shapes() {
        assert_eq!(vibcrafter_secret("a1B2:Secret9;"), Some("Secret9"));
        assert_eq!(vibcrafter_secret("a1B2:Sec-ret;"), None);
        assert_eq!(vibcrafter_secret("a1B:Secret;"), None);
        assert_eq!(vibcrafter_secret("a1B2:;"), None);
        assert_eq!(vibio_secret("0fA9:any thing!;"), Some("any thing!"));
        assert_eq!(vibio_secret("0fG9:x;"), None);
        assert_eq!(vibio_secret("0fA9:x;y;"), None);
        assert_eq!(vibio_secret("OK;"), None);
    }

    #[test]
    fn brand_keys_seal_and_refuse() {
        let short = encrypt(&VIBIO.key, b"MtInt:0000;");
        assert_eq!(short.len(), 16);
        assert_eq!(decrypt(&VIBIO.key, &short).unwrap(), b"MtInt:0000;");
        assert_eq!(decrypt(&VIBIO.key, &short[..15]), None);
        assert_eq!(
            decrypt(&VIBCRAFTER.key, &short),
            None,
            "wrong key, bad padding"
        );
    }

    async fn written(sim: &SimHardware, key: &[u8; 16]) -> String {
        match next(sim).await {
            Some(SimOp::Write {
                endpoint: Endpoint::Tx,
                data,
                with_response: false,
            }) => String::from_utf8(decrypt(key, &data).unwrap()).unwrap(),
            other => panic!("expected a write on tx, got {other:?}"),
        }
    }

    async fn login_and_drive(brand: &'static Brand, name: &str, challenge: &str, secret: &str) {
        let d = def(&[
            (0, &[(OutputType::Vibrate, 0, 99)], false),
            (1, &[(OutputType::Vibrate, 0, 99)], false),
        ]);
        let (sim, hw) = connect(spec(name, &[Endpoint::Tx, Endpoint::Rx])).await;
        let f: Arc<dyn ProtocolFactory> = Arc::new(Factory { brand });
        assert_eq!(f.name(), brand.name);
        let task = {
            let (f, hw, d) = (f.clone(), hw.clone(), d.clone());
            tokio::spawn(async move { f.initialize(&hw, &d).await })
        };
        assert_eq!(
            next(&sim).await,
            Some(SimOp::Subscribe {
                endpoint: Endpoint::Rx
            })
        );
        let hello = written(&sim, &brand.key).await;
        let n = hello
            .strip_prefix("Auth:")
            .and_then(|s| s.strip_suffix(';'))
            .unwrap();
        assert_eq!(n.len(), brand.nonce_len);
        assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()));
        sim.notify(Endpoint::Rx, &encrypt(&brand.key, challenge.as_bytes()));
        let digest = sha256(secret.as_bytes());
        assert_eq!(
            written(&sim, &brand.key).await,
            format!("Auth:{:02x}{:02x};", digest[0], digest[1])
        );
        sim.notify(Endpoint::Rx, &encrypt(&brand.key, b"OK;"));
        let h = task.await.unwrap().unwrap();

        let e = |a| writes(&h.output(&a).unwrap());
        assert_eq!(
            e(act(0, OutputType::Vibrate, 5)),
            [(Endpoint::Tx, encrypt(&brand.key, b"MtInt:0500;"), false)]
        );
        assert_eq!(
            e(act(1, OutputType::Vibrate, 99)),
            [(Endpoint::Tx, encrypt(&brand.key, b"MtInt:0599;"), false)]
        );
        assert!(h.output(&act(0, OutputType::Vibrate, 100)).is_err());
        assert!(h.output(&act(2, OutputType::Vibrate, 1)).is_err());
    }

    #[tokio::test]
    async fn vibcrafter_login() {
        login_and_drive(&VIBCRAFTER, "Hayden", "Zz09:k3yMaterial;", "k3yMaterial").await;
    }

    #[tokio::test]
    async fn vibio_login() {
        login_and_drive(&VIBIO, "Clara_Vibio", "beef:s3cr3t text;", "s3cr3t text").await;
    }

    #[tokio::test]
    async fn bad_reply_fails() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 99)], false)]);
        let (sim, hw) = connect(spec("Janna", &[Endpoint::Tx, Endpoint::Rx])).await;
        let task = {
            let hw = hw.clone();
            tokio::spawn(async move {
                let f = Factory { brand: &VIBCRAFTER };
                f.initialize(&hw, &d).await.map(|_| ())
            })
        };
        next(&sim).await;
        next(&sim).await;
        sim.notify(Endpoint::Rx, &encrypt(&VIBCRAFTER.key, b"NOPE;"));
        assert!(task.await.unwrap().is_err());
    }
}
