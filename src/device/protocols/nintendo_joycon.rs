//! Nintendo Joy-Con (HID, v4 database only): one vibrate feature (0–1000) driven through the
//! controller's HD rumble.
//!
//! Every output report written to `tx` is 64 bytes: byte 0 is the report id, byte 1 a packet
//! counter, bytes 2–5 the rumble data for the left actuator, bytes 6–9 the same for the right
//! one, byte 10 a sub-command and bytes 11.. its arguments; everything else is zero.
//!
//! * Initialisation writes report `01` (rumble + sub-command), counter `00`, all-zero rumble
//!   data and sub-command `48` with argument `01`: "enable vibration".
//! * A level is sent as report `10` (rumble only), counter `01`, the same 4 rumble bytes for both
//!   sides, sub-command byte `00`.
//! * The controller only keeps rumbling while it is fed, so the level is re-sent every 15 ms
//!   (the periodic tick) for as long as it is not zero.
//!
//! A level `n` becomes a 200 Hz rumble of amplitude `n / 1000`; levels of 1 or less stop it
//! (the neutral rumble `00 01 40 40`). The 4 rumble bytes follow the usual HD rumble encoding:
//! with `f = round(log2(freq / 10) * 32)`, the high band frequency is `hf = (f - 0x60) * 4` and
//! the low band frequency `lf = f - 0x40`; the amplitude code `e` is
//! `round(log2(amp * 8.7) * 32)` above 0.23, `round(log2(amp * 17) * 16)` above 0.12 and
//! `round((log2(amp) * 32 - 96) / (4 - 2 * amp))` below, clamped to 0..=255 (so amplitudes up to
//! 0.12 encode as silence). The bytes are `hf & ff`, `2e + (hf >> 8)`, `lf`, `e / 2 + 0x40`
//! (the high band amplitude `2e` is capped at `1FC`, the low band one at `7F`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    feature_bit, HwCommand, KeepAlive, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::unsupported;
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "nintendo-joycon";

/// Length of every output report, report id included.
const REPORT_LEN: usize = 64;
/// Report id: rumble data followed by a sub-command.
const REPORT_RUMBLE_AND_SUBCOMMAND: u8 = 0x01;
/// Report id: rumble data only.
const REPORT_RUMBLE_ONLY: u8 = 0x10;
/// Sub-command enabling the vibration motors.
const SUBCOMMAND_ENABLE_VIBRATION: u8 = 0x48;
/// Highest vibrate level.
const MAX_LEVEL: i32 = 1000;
/// Frequency of the rumble, in Hz.
const RUMBLE_FREQUENCY: f32 = 200.0;
/// Rumble data meaning "no vibration".
const NEUTRAL_RUMBLE: [u8; 4] = [0x00, 0x01, 0x40, 0x40];
/// How often the current level is re-sent.
const REFRESH: Duration = Duration::from_millis(15);

/// The factory registered as `nintendo-joycon`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Joycon)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

/// A 64-byte output report.
fn report(
    report_id: u8,
    counter: u8,
    rumble: Option<[u8; 4]>,
    subcommand: u8,
    args: &[u8],
) -> Vec<u8> {
    let mut data = [0u8; REPORT_LEN];
    data[0] = report_id;
    data[1] = counter;
    if let Some(r) = rumble {
        data[2..6].copy_from_slice(&r);
        data[6..10].copy_from_slice(&r);
    }
    data[10] = subcommand;
    for (slot, a) in data.iter_mut().skip(11).zip(args) {
        *slot = *a;
    }
    data.to_vec()
}

/// Converts a float to a byte code the way a saturating cast does (NaN and negatives → 0).
fn code(x: f32) -> u8 {
    let r = x.round();
    if r.is_nan() || r <= 0.0 {
        0
    } else if r >= 255.0 {
        u8::MAX
    } else {
        r as u8
    }
}

/// The 4 HD rumble bytes for a frequency (Hz) and an amplitude (0–1).
fn rumble_bytes(frequency: f32, amplitude: f32) -> [u8; 4] {
    let f = code((frequency / 10.0).log2() * 32.0);
    let hf: u16 = u16::from(f.saturating_sub(0x60)) * 4;
    let lf: u8 = f.saturating_sub(0x40);
    let e = if amplitude > 0.23 {
        code((amplitude * 8.7).log2() * 32.0)
    } else if amplitude > 0.12 {
        code((amplitude * 17.0).log2() * 16.0)
    } else {
        code((amplitude.log2() * 32.0 - 96.0) / (4.0 - 2.0 * amplitude))
    };
    let hf_amp: u16 = (u16::from(e) * 2).min(0x1fc);
    let lf_amp: u8 = (e / 2 + 0x40).min(0x7f);
    let [hf_lo, hf_hi] = hf.to_le_bytes();
    [
        hf_lo,
        (hf_amp + u16::from(hf_hi)).to_le_bytes()[0],
        lf,
        lf_amp,
    ]
}

/// The rumble bytes for a vibrate level (0–1000).
fn level_rumble(level: u16) -> [u8; 4] {
    let amplitude = f32::from(level) / 1000.0;
    if amplitude > 0.001 {
        rumble_bytes(RUMBLE_FREQUENCY, amplitude)
    } else {
        NEUTRAL_RUMBLE
    }
}

/// The "enable vibration" report written at initialisation.
fn enable_vibration() -> Vec<u8> {
    report(
        REPORT_RUMBLE_AND_SUBCOMMAND,
        0x00,
        None,
        SUBCOMMAND_ENABLE_VIBRATION,
        &[0x01],
    )
}

/// The rumble-only report for a level.
fn level_report(level: u16) -> Vec<u8> {
    report(
        REPORT_RUMBLE_ONLY,
        0x01,
        Some(level_rumble(level)),
        0x00,
        &[],
    )
}

struct Joycon;

#[async_trait]
impl ProtocolFactory for Joycon {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        _definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        hardware
            .write(Endpoint::Tx, &enable_vibration(), false)
            .await
            .map_err(|e| DeviceError::protocol(NAME, format!("cannot enable vibration: {e}")))?;
        Ok(Arc::new(JoyconHandler {
            level: Mutex::new((0, 0)),
        }))
    }
}

struct JoyconHandler {
    /// (feature, level) of the last command.
    level: Mutex<(u32, u16)>,
}

impl ProtocolHandler for JoyconHandler {
    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if action.kind != OutputType::Vibrate {
            return Err(unsupported(NAME, action));
        }
        let level = u16::try_from(action.value)
            .ok()
            .filter(|l| i32::from(*l) <= MAX_LEVEL)
            .ok_or_else(|| {
                DeviceError::protocol(
                    NAME,
                    format!("vibrate level {} is outside 0..={MAX_LEVEL}", action.value),
                )
            })?;
        *self.level.lock() = (action.feature, level);
        Ok(vec![HwCommand::write(
            Endpoint::Tx,
            level_report(level),
            feature_bit(action.feature),
        )])
    }

    fn keepalive(&self) -> KeepAlive {
        KeepAlive::Periodic(REFRESH)
    }

    fn periodic(&self) -> Vec<HwCommand> {
        let (feature, level) = *self.level.lock();
        if level == 0 {
            return Vec::new();
        }
        vec![HwCommand::write(
            Endpoint::Tx,
            level_report(level),
            feature_bit(feature),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    /// The expected 64-byte rumble report carrying `r` on both sides.
    fn rumble_report(r: [u8; 4]) -> Vec<u8> {
        let mut v = vec![0x10, 0x01];
        v.extend_from_slice(&r);
        v.extend_from_slice(&r);
        v.resize(64, 0);
        v
    }

    #[test]
    fn rumble_encoding() {
        // 200 Hz: f = 0x8A, hf = 0xA8, lf = 0x4A
        assert_eq!(level_rumble(1000), [0xa8, 0xc8, 0x4a, 0x72]);
        assert_eq!(level_rumble(500), [0xa8, 0x88, 0x4a, 0x62]);
        assert_eq!(level_rumble(250), [0xa8, 0x48, 0x4a, 0x52]);
        assert_eq!(level_rumble(200), [0xa8, 0x38, 0x4a, 0x4e]);
        // up to 0.12 the amplitude code is 0
        assert_eq!(level_rumble(100), [0xa8, 0x00, 0x4a, 0x40]);
        assert_eq!(level_rumble(1), NEUTRAL_RUMBLE);
        assert_eq!(level_rumble(0), NEUTRAL_RUMBLE);
    }

    #[tokio::test]
    async fn init_output_and_refresh() {
        let (sim, hw) = connect(spec("Joy-Con (L)", &[Endpoint::Tx, Endpoint::Rx])).await;
        let d = def(&[(0, &[(Vibrate, 0, 1000)], false)]);
        let h = init(&*factory(), &hw, &d).await;
        let mut enable = vec![0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x48, 0x01];
        enable.resize(64, 0);
        assert_eq!(next(&sim).await, Some(w(Endpoint::Tx, &enable, false)));

        assert_eq!(
            h.keepalive(),
            KeepAlive::Periodic(Duration::from_millis(15))
        );
        assert!(h.periodic().is_empty());

        let full = rumble_report([0xa8, 0xc8, 0x4a, 0x72]);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 1000)]).unwrap()),
            [(Endpoint::Tx, full.clone(), false)]
        );
        assert_eq!(bytes(&h.periodic()), [full]);

        let half = rumble_report([0xa8, 0x88, 0x4a, 0x62]);
        assert_eq!(bytes(&h.outputs(&[act(0, Vibrate, 500)]).unwrap()), [half]);

        let stop = rumble_report(NEUTRAL_RUMBLE);
        assert_eq!(bytes(&h.outputs(&[act(0, Vibrate, 0)]).unwrap()), [stop]);
        assert!(h.periodic().is_empty());
    }

    #[tokio::test]
    async fn refuses_bad_values() {
        let (_, hw) = connect(spec("Joy-Con (R)", &[Endpoint::Tx])).await;
        let d = def(&[(0, &[(Vibrate, 0, 1000)], false)]);
        let h = init(&*factory(), &hw, &d).await;
        assert!(h.outputs(&[act(0, Vibrate, 1001)]).is_err());
        assert!(h.outputs(&[act(0, Vibrate, -1)]).is_err());
        assert!(h.outputs(&[act(0, Rotate, 10)]).is_err());
    }
}
