//! Honey Play Box: framed, signed commands on `tx`, replies on `rx`.
//!
//! * Frame: `02 A5 5A 55 AA F0`, a counter byte, type, command, big-endian data length, the
//!   data, `03`, then the CRC-16/MODBUS of `type, command, length, data` (high byte first).
//!   Replies use the same framing and may be split over several notifications.
//! * Handshake (initialisation): frame type `B1`, command `01`, data `00 10`, counter `0B`,
//!   written with response; the reply's data starts with a status (`90 00` = success) followed
//!   by a 16-byte session token. Unanswered handshakes are repeated, waiting 1, 2, 3, then 4 s.
//! * Vibration: type `B1`, command `03`, counter `10`, written with response. The data holds an
//!   8-byte group per output feature `i` (in feature order):
//!   `[i << 4 | 1, 00, 05, 00, 3C, 00, 00, level]` (mode 1, 6 s duration, no frequency), then
//!   the first 8 bytes of the MD5 of `B1 03`, the big-endian length of the groups plus 8, the
//!   groups, a fixed secret and the session token. The state is resent every 5 s.
//! * Battery: the standard BLE battery characteristic.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    all_features, FeatureMask, HwCommand, KeepAlive, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{byte, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

use super::fredorch::{crc16_modbus, next_notification};

const NAME: &str = "honeyplaybox";
const HEADER: [u8; 6] = [0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0];
const ETX: u8 = 0x03;
/// Header, counter, type, command and length.
const PREFIX_LEN: usize = 11;
const TYPE: u8 = 0xb1;
const CMD_HANDSHAKE: u8 = 0x01;
const CMD_VIBRATE: u8 = 0x03;
const COUNTER_HANDSHAKE: u8 = 0x0b;
const COUNTER_VIBRATE: u8 = 0x10;
const SUCCESS: u16 = 0x9000;
/// Handshake attempts; attempt `n` waits `n` times the base wait for the reply.
const ATTEMPTS: u32 = 4;
const BASE_WAIT: Duration = Duration::from_secs(1);
/// How often the state is resent.
const REFRESH: Duration = Duration::from_secs(5);
/// Vibration group duration, in 100 ms units.
const GROUP_TIME: u16 = 60;
/// The signing secret.
const SECRET: [u8; 16] = [
    0x8b, 0xe3, 0xfd, 0x04, 0x68, 0x35, 0x09, 0x86, 0x12, 0x1a, 0xbf, 0x03, 0x30, 0xe9, 0xe3, 0xc5,
];

/// A frame around `data`.
fn build_frame(kind: u8, command: u8, data: &[u8], counter: u8) -> Result<Vec<u8>, DeviceError> {
    let len = u16::try_from(data.len())
        .map_err(|_| DeviceError::protocol(NAME, "frame data too long"))?
        .to_be_bytes();
    let mut body = vec![kind, command, len[0], len[1]];
    body.extend_from_slice(data);
    let crc = crc16_modbus(&body).to_be_bytes();
    let mut frame = Vec::with_capacity(body.len() + 10);
    frame.extend_from_slice(&HEADER);
    frame.push(counter);
    frame.extend_from_slice(&body);
    frame.push(ETX);
    frame.extend_from_slice(&crc);
    Ok(frame)
}

/// Reassembles frames from notification pieces.
#[derive(Default)]
struct Collector {
    buffer: Vec<u8>,
}

impl Collector {
    /// Adds bytes and returns the complete frames found.
    fn push(&mut self, data: &[u8]) -> Vec<Vec<u8>> {
        self.buffer.extend_from_slice(data);
        let mut frames = Vec::new();
        loop {
            let Some(start) = self.buffer.windows(HEADER.len()).position(|w| w == HEADER) else {
                // keep a possible partial header
                let keep = self.buffer.len().min(HEADER.len() - 1);
                self.buffer.drain(..self.buffer.len() - keep);
                return frames;
            };
            self.buffer.drain(..start);
            let Some(&[hi, lo]) = self.buffer.get(9..PREFIX_LEN) else {
                return frames;
            };
            let etx_at = PREFIX_LEN + usize::from(u16::from_be_bytes([hi, lo]));
            let total = etx_at + 3;
            if self.buffer.len() < total {
                return frames;
            }
            if self.buffer.get(etx_at) != Some(&ETX) {
                self.buffer.drain(..1);
                continue;
            }
            frames.push(self.buffer.drain(..total).collect());
        }
    }
}

/// The data of a complete frame.
fn frame_data(frame: &[u8]) -> Option<&[u8]> {
    let &[hi, lo] = frame.get(9..PREFIX_LEN)? else {
        return None;
    };
    frame.get(PREFIX_LEN..PREFIX_LEN + usize::from(u16::from_be_bytes([hi, lo])))
}

/// `(status, session token)` of a handshake reply.
fn handshake_reply(frame: &[u8]) -> Option<(u16, Option<[u8; 16]>)> {
    let data = frame_data(frame)?;
    let &[hi, lo] = data.get(..2)? else {
        return None;
    };
    let token = data.get(2..18).and_then(|t| <[u8; 16]>::try_from(t).ok());
    Some((u16::from_be_bytes([hi, lo]), token))
}

/// The MD5 digest of `message`, the signature hash the device expects.
fn md5(message: &[u8]) -> [u8; 16] {
    use md5::Digest;
    md5::Md5::digest(message).into()
}

/// The signed vibration frame for the given levels (one per output feature).
fn vibrate_frame(token: &[u8; 16], levels: &[u8]) -> Result<Vec<u8>, DeviceError> {
    let mut groups = Vec::with_capacity(levels.len() * 8);
    for (i, level) in levels.iter().enumerate() {
        let position = u8::try_from(i)
            .ok()
            .filter(|p| *p < 16)
            .ok_or_else(|| DeviceError::protocol(NAME, "too many motors"))?;
        let [t_hi, t_lo] = GROUP_TIME.to_be_bytes();
        groups.extend_from_slice(&[(position << 4) | 0x01, 0x00, 0x05, t_hi, t_lo, 0, 0, *level]);
    }
    let signed_len = u16::try_from(groups.len() + 8)
        .map_err(|_| DeviceError::protocol(NAME, "too many motors"))?
        .to_be_bytes();
    let mut signed = vec![TYPE, CMD_VIBRATE, signed_len[0], signed_len[1]];
    signed.extend_from_slice(&groups);
    signed.extend_from_slice(&SECRET);
    signed.extend_from_slice(token);
    let digest = md5(&signed);
    groups.extend_from_slice(digest.get(..8).unwrap_or(&digest));
    build_frame(TYPE, CMD_VIBRATE, &groups, COUNTER_VIBRATE)
}

/// The `honeyplaybox` factory; `wait` is the base handshake wait.
struct HoneyPlayBox {
    wait: Duration,
}

/// The factory registered as `honeyplaybox`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(HoneyPlayBox { wait: BASE_WAIT })
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

impl HoneyPlayBox {
    async fn handshake(&self, hardware: &Arc<dyn Hardware>) -> Result<[u8; 16], DeviceError> {
        let mut events = hardware.events();
        hardware.subscribe(Endpoint::Rx).await?;
        let request = build_frame(TYPE, CMD_HANDSHAKE, &[0x00, 0x10], COUNTER_HANDSHAKE)?;
        let mut collector = Collector::default();
        for attempt in 1..=ATTEMPTS {
            hardware.write(Endpoint::Tx, &request, true).await?;
            let deadline = tokio::time::Instant::now() + self.wait * attempt;
            loop {
                let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                let Some((_, data)) = next_notification(&mut events, left, NAME).await? else {
                    break;
                };
                for frame in collector.push(&data) {
                    match handshake_reply(&frame) {
                        Some((SUCCESS, Some(token))) => return Ok(token),
                        Some((SUCCESS, None)) => {
                            tracing::warn!("honeyplaybox: handshake reply without a token");
                        }
                        Some((code, _)) => {
                            return Err(DeviceError::protocol(
                                NAME,
                                format!("handshake refused, status {code:04X}"),
                            ))
                        }
                        None => tracing::debug!(?frame, "honeyplaybox: unexpected frame"),
                    }
                }
            }
        }
        Err(DeviceError::Timeout(format!(
            "honeyplaybox handshake unanswered after {ATTEMPTS} attempts"
        )))
    }
}

#[async_trait]
impl ProtocolFactory for HoneyPlayBox {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let token = self.handshake(hardware).await?;
        let motors = definition
            .features
            .iter()
            .filter(|f| !f.outputs.is_empty())
            .count();
        Ok(Arc::new(Handler {
            token,
            levels: Mutex::new(vec![0; motors]),
            mask: all_features(definition),
        }))
    }
}

struct Handler {
    token: [u8; 16],
    /// Level of each output feature, by feature index.
    levels: Mutex<Vec<u8>>,
    mask: FeatureMask,
}

impl ProtocolHandler for Handler {
    fn outputs(&self, actions: &[OutputAction]) -> Result<Vec<HwCommand>, DeviceError> {
        let mut levels = self.levels.lock();
        let mut next = levels.clone();
        for a in actions {
            if a.kind != OutputType::Vibrate {
                return Err(unsupported(NAME, a));
            }
            let slot = usize::try_from(a.feature)
                .ok()
                .and_then(|i| next.get_mut(i))
                .ok_or_else(|| unsupported(NAME, a))?;
            *slot = byte(NAME, a.value)?;
        }
        let frame = vibrate_frame(&self.token, &next)?;
        *levels = next;
        Ok(vec![HwCommand::write_with_response(
            Endpoint::Tx,
            frame,
            self.mask,
        )])
    }

    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        self.outputs(std::slice::from_ref(action))
    }

    fn keepalive(&self) -> KeepAlive {
        KeepAlive::RepeatLastEvery(REFRESH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::{Constrict, Vibrate};
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::{SimHardware, SimOp};

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn md5_hex(data: &[u8]) -> String {
        md5(data).iter().map(|b| format!("{b:02x}")).collect()
    }

    const TOKEN: [u8; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

    #[test]
    fn md5_vectors() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            md5_hex(b"The quick brown fox jumps over the lazy dog"),
            "9e107d9d372bb6826bd81d3542a419d6"
        );
        assert_eq!(md5_hex(&[b'a'; 56]), "3b0c8ac703f828b04c6c197006d17218");
        assert_eq!(md5_hex(&[b'a'; 100]), "36a92cc94a9e0fa21f625f8bfb007adf");
    }

    #[test]
    fn frames() {
        assert_eq!(
            build_frame(TYPE, CMD_HANDSHAKE, &[0x00, 0x10], COUNTER_HANDSHAKE).unwrap(),
            hex("02a55a55aaf00bb10100020010033686")
        );
        assert_eq!(
            vibrate_frame(&TOKEN, &[50, 0]).unwrap(),
            hex("02a55a55aaf010b1030018010005003c000032110005003c0000003cab13934e4cb857033291")
        );
        assert_eq!(
            vibrate_frame(&TOKEN, &[0]).unwrap(),
            hex("02a55a55aaf010b1030010010005003c00000093d3cb7ea009575803a9c0")
        );
    }

    #[test]
    fn collector_reassembles() {
        let reply = hex("02a55a55aaf00bb101001290000102030405060708090a0b0c0d0e0f1003f426");
        let mut c = Collector::default();
        let mut pieces = vec![0x55, 0x02];
        pieces.extend_from_slice(&reply[..9]);
        assert!(c.push(&pieces).is_empty());
        let frames = c.push(&reply[9..]);
        assert_eq!(frames, std::slice::from_ref(&reply));
        assert_eq!(handshake_reply(&frames[0]), Some((SUCCESS, Some(TOKEN))));
        let refused = hex("02a55a55aaf00bb10100026a8003faa8");
        assert_eq!(c.push(&refused), std::slice::from_ref(&refused));
        assert_eq!(handshake_reply(&refused), Some((0x6a80, None)));
        // a header whose end marker is missing is skipped
        let mut bad = reply.clone();
        bad[29] = 0x00;
        bad.extend_from_slice(&refused);
        assert_eq!(c.push(&bad), [refused]);
    }

    /// Answers the handshake with `reply`, in two notifications.
    fn answering(sim: &Arc<SimHardware>, reply: Vec<u8>) {
        let weak = Arc::downgrade(sim);
        sim.set_write_hook(Some(Box::new(move |_, _| {
            if let Some(s) = weak.upgrade() {
                s.notify(Endpoint::Rx, &reply[..12]);
                s.notify(Endpoint::Rx, &reply[12..]);
            }
        })));
    }

    fn kaipro() -> DeviceDefinition {
        def(&[
            (0, &[(Vibrate, 0, 100)], false),
            (1, &[(Constrict, 0, 4)], false),
            (2, &[], true),
        ])
    }

    const ENDPOINTS: [Endpoint; 3] = [Endpoint::Rx, Endpoint::RxBleBattery, Endpoint::Tx];

    #[tokio::test]
    async fn handshake_and_vibration() {
        let d = def(&[
            (0, &[(Vibrate, 0, 100)], false),
            (1, &[(Vibrate, 0, 100)], false),
            (2, &[], true),
        ]);
        let (sim, hw) = connect(spec("JXT002", &ENDPOINTS)).await;
        answering(
            &sim,
            hex("02a55a55aaf00bb101001290000102030405060708090a0b0c0d0e0f1003f426"),
        );
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(
            next(&sim).await,
            Some(SimOp::Subscribe {
                endpoint: Endpoint::Rx
            })
        );
        assert_eq!(
            next(&sim).await,
            Some(w(
                Endpoint::Tx,
                &hex("02a55a55aaf00bb10100020010033686"),
                true
            ))
        );
        assert!(sim.take_ops().is_empty());
        assert_eq!(h.keepalive(), KeepAlive::RepeatLastEvery(REFRESH));
        let e = |a: &[_]| writes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(0, Vibrate, 50)]),
            [(
                Endpoint::Tx,
                hex("02a55a55aaf010b1030018010005003c000032110005003c0000003cab13934e4cb857033291"),
                true
            )]
        );
        assert_eq!(
            e(&[act(1, Vibrate, 100)]),
            [(
                Endpoint::Tx,
                hex("02a55a55aaf010b1030018010005003c000032110005003c00006496870a4ec562e38003acb2"),
                true
            )]
        );
        assert!(h.outputs(&[act(1, Vibrate, 256)]).is_err());
        assert!(h.outputs(&[act(2, Vibrate, 1)]).is_err());
        // the refused batch left the state alone
        assert_eq!(
            bytes(&h.outputs(&[act(0, Vibrate, 50)]).unwrap()),
            [hex(
                "02a55a55aaf010b1030018010005003c000032110005003c00006496870a4ec562e38003acb2"
            )]
        );
    }

    #[tokio::test]
    async fn refused_or_silent_handshake() {
        let (sim, hw) = connect(spec("HPB-274", &ENDPOINTS)).await;
        answering(&sim, hex("02a55a55aaf00bb10100026a8003faa8"));
        let f = HoneyPlayBox {
            wait: Duration::from_millis(20),
        };
        assert!(matches!(
            f.initialize(&hw, &kaipro()).await,
            Err(DeviceError::Protocol { .. })
        ));
        let (sim, hw) = connect(spec("HPB-274", &ENDPOINTS)).await;
        assert!(matches!(
            f.initialize(&hw, &kaipro()).await,
            Err(DeviceError::Timeout(_))
        ));
        let handshakes = sim
            .take_ops()
            .into_iter()
            .filter(|op| matches!(op, SimOp::Write { .. }))
            .count();
        assert_eq!(handshakes, 4);
    }

    #[tokio::test]
    async fn constriction_is_refused() {
        let (sim, hw) = connect(spec("HPB-274", &ENDPOINTS)).await;
        answering(
            &sim,
            hex("02a55a55aaf00bb101001290000102030405060708090a0b0c0d0e0f1003f426"),
        );
        let h = init(&*factory(), &hw, &kaipro()).await;
        assert!(h.outputs(&[act(1, Constrict, 2)]).is_err());
        assert_eq!(
            bytes(&h.outputs(&[act(0, Vibrate, 50)]).unwrap()),
            [hex(
                "02a55a55aaf010b1030018010005003c000032110005003c0000003cab13934e4cb857033291"
            )]
        );
    }
}
