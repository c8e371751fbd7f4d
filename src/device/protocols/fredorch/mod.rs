//! Fredorch (F21S and relatives, advertised as `YXlinksSPP`): a stroker programmed with
//! Modbus-style frames on `tx`, each ending with its CRC-16/MODBUS (low byte first).
//!
//! * Initialisation: subscribe to `rx`, allow up to 500 ms for a wake-up notification, then
//!   send five frames, each acknowledged by a notification within 500 ms: program mode
//!   `01 06 00 64 00 01`, record mode `01 06 00 69 00 00`, a move to position 0 at speed 5
//!   (the move frame below), run `01 06 00 69 00 01`, repeat `01 06 00 6A 00 01`.
//! * Move: `01 10 00 6B 00 05 0A 00 speed 00 speed 00 pos 00 pos 00 01`. The 16 positions of
//!   the configuration (0–15) are sent as tenths of the 0–150 travel (`pos = 10 × position`);
//!   the speed (1–20) is the slowest one whose travel time for the distance (in positions) is
//!   shorter than the requested duration, from the device's timing table; no movement uses
//!   speed 0.

pub(crate) mod rotary;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory, ProtocolHandler};
use crate::device::protocols::kit::{mask, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::{Hardware, HardwareEvent};

const NAME: &str = "fredorch";
/// How long the device gets to answer each initialisation frame.
const REPLY_TIMEOUT: Duration = Duration::from_millis(500);

/// Travel time in ms of the device for a distance of 1–15 positions (rows) at speed 1–20
/// (columns).
const TRAVEL_MS: [[u16; 20]; 15] = [
    [
        1000, 800, 400, 235, 200, 172, 155, 92, 60, 45, 38, 34, 32, 28, 27, 26, 25, 24, 23, 22,
    ],
    [
        1500, 1000, 800, 680, 600, 515, 425, 265, 165, 115, 80, 70, 50, 48, 45, 35, 34, 33, 32, 30,
    ],
    [
        2500, 2310, 1135, 925, 792, 695, 565, 380, 218, 155, 105, 82, 70, 68, 65, 60, 48, 45, 43,
        40,
    ],
    [
        3000, 2800, 1500, 1155, 965, 810, 690, 465, 260, 195, 140, 110, 85, 75, 74, 73, 70, 65, 60,
        55,
    ],
    [
        3400, 3232, 2305, 1380, 1200, 1165, 972, 565, 328, 235, 162, 132, 98, 78, 75, 74, 73, 72,
        71, 70,
    ],
    [
        3500, 3350, 2500, 1640, 1250, 1210, 1010, 645, 385, 275, 175, 160, 115, 95, 91, 90, 85, 80,
        77, 75,
    ],
    [
        3600, 3472, 2980, 2060, 1560, 1275, 1132, 738, 430, 310, 230, 170, 128, 122, 110, 108, 105,
        103, 101, 100,
    ],
    [
        3800, 3500, 3055, 2105, 1740, 1370, 1290, 830, 490, 355, 235, 195, 150, 140, 135, 132, 130,
        125, 120, 119,
    ],
    [
        3900, 3518, 3190, 2315, 2045, 1510, 1442, 1045, 552, 392, 280, 225, 172, 145, 140, 138,
        135, 134, 132, 130,
    ],
    [
        6000, 5755, 3240, 2530, 2135, 1605, 1500, 1200, 595, 425, 285, 245, 175, 170, 160, 155,
        150, 145, 142, 140,
    ],
    [
        6428, 5872, 3335, 2780, 2270, 1782, 1590, 1310, 648, 470, 315, 255, 182, 180, 175, 172,
        170, 162, 160, 155,
    ],
    [
        6730, 5950, 3490, 2995, 2395, 1890, 1650, 1350, 700, 500, 350, 290, 220, 190, 185, 180,
        175, 170, 165, 160,
    ],
    [
        6962, 6122, 3880, 3205, 2465, 1900, 1700, 1400, 835, 545, 375, 310, 228, 195, 190, 185,
        182, 181, 180, 175,
    ],
    [
        7945, 6365, 4130, 3470, 2505, 1910, 1755, 1510, 855, 580, 400, 330, 235, 210, 205, 200,
        195, 190, 185, 180,
    ],
    [
        8048, 7068, 4442, 3708, 2668, 1930, 1800, 1520, 878, 618, 428, 365, 260, 255, 250, 240,
        230, 220, 210, 200,
    ],
];

/// CRC-16/MODBUS (reflected polynomial 0xA001, initial value 0xFFFF).
pub(super) fn crc16_modbus(data: &[u8]) -> u16 {
    data.iter().fold(0xffff_u16, |crc, b| {
        (0..8).fold(crc ^ u16::from(*b), |c, _| {
            if c & 1 == 1 {
                (c >> 1) ^ 0xa001
            } else {
                c >> 1
            }
        })
    })
}

/// Waits for the next notification, at most `timeout`: `Ok(None)` when none came, an error
/// when the device went away.
pub(super) async fn next_notification(
    events: &mut broadcast::Receiver<HardwareEvent>,
    timeout: Duration,
    protocol: &str,
) -> Result<Option<(Endpoint, Vec<u8>)>, DeviceError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => return Ok(None),
            Ok(Ok(HardwareEvent::Notification { endpoint, data })) => {
                return Ok(Some((endpoint, data)))
            }
            Ok(Ok(HardwareEvent::Disconnected)) | Ok(Err(RecvError::Closed)) => {
                return Err(DeviceError::Disconnected(format!(
                    "{protocol} device left while initialising"
                )))
            }
            Ok(Err(RecvError::Lagged(_))) => {}
        }
    }
}

/// A frame followed by its CRC, low byte first.
fn framed(mut data: Vec<u8>) -> Vec<u8> {
    let crc = crc16_modbus(&data);
    data.extend_from_slice(&crc.to_le_bytes());
    data
}

/// The move frame (with CRC) for a device position 0–150 and speed.
fn move_frame(speed: u8, position: u8) -> Vec<u8> {
    framed(vec![
        0x01, 0x10, 0x00, 0x6b, 0x00, 0x05, 0x0a, 0x00, speed, 0x00, speed, 0x00, position, 0x00,
        position, 0x00, 0x01,
    ])
}

/// The initialisation frames (with CRC), in order.
fn init_frames() -> Vec<Vec<u8>> {
    vec![
        framed(vec![0x01, 0x06, 0x00, 0x64, 0x00, 0x01]),
        framed(vec![0x01, 0x06, 0x00, 0x69, 0x00, 0x00]),
        move_frame(5, 0),
        framed(vec![0x01, 0x06, 0x00, 0x69, 0x00, 0x01]),
        framed(vec![0x01, 0x06, 0x00, 0x6a, 0x00, 0x01]),
    ]
}

/// The device speed for moving `distance` positions in `duration_ms`.
fn speed_for(distance: u32, duration_ms: u32) -> u8 {
    let Some(row) = usize::try_from(distance.min(15))
        .ok()
        .and_then(|d| d.checked_sub(1))
        .and_then(|d| TRAVEL_MS.get(d))
    else {
        return 0;
    };
    row.iter()
        .zip(1u8..)
        .find(|(ms, _)| u32::from(**ms) < duration_ms)
        .map_or(20, |(_, speed)| speed)
}

struct Fredorch;

/// The factory registered as `fredorch`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Fredorch)
}

/// The protocols of this family (its members' included), for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    let mut list: Vec<Arc<dyn ProtocolFactory>> = vec![factory()];
    list.extend(rotary::factories());
    list
}

#[async_trait]
impl ProtocolFactory for Fredorch {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        _: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let mut events = hardware.events();
        hardware.subscribe(Endpoint::Rx).await?;
        if let Some((_, data)) = next_notification(&mut events, REPLY_TIMEOUT, NAME).await? {
            tracing::debug!(?data, "fredorch: wake-up");
        }
        for frame in init_frames() {
            hardware.write(Endpoint::Tx, &frame, false).await?;
            match next_notification(&mut events, REPLY_TIMEOUT, NAME).await? {
                Some((_, data)) => tracing::debug!(?frame, ?data, "fredorch: set-up reply"),
                None => {
                    return Err(DeviceError::Timeout(
                        "fredorch device did not answer its set-up".to_string(),
                    ))
                }
            }
        }
        Ok(Arc::new(Handler {
            previous: Mutex::new(0),
        }))
    }
}

struct Handler {
    /// The last position commanded (configuration units).
    previous: Mutex<u32>,
}

impl ProtocolHandler for Handler {
    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if action.kind != OutputType::HwPositionWithDuration {
            return Err(unsupported(NAME, action));
        }
        let position = u32::try_from(action.value)
            .ok()
            .filter(|p| *p <= 25)
            .ok_or_else(|| {
                DeviceError::protocol(NAME, format!("position {} out of range", action.value))
            })?;
        let device_position = u8::try_from(position * 10).unwrap_or(u8::MAX);
        let mut previous = self.previous.lock();
        let speed = speed_for(previous.abs_diff(position), action.duration.unwrap_or(0));
        *previous = position;
        Ok(vec![HwCommand::write(
            Endpoint::Tx,
            move_frame(speed, device_position),
            mask(action.feature),
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::{SimHardware, SimOp};

    #[test]
    fn crc_matches_modbus() {
        assert_eq!(
            init_frames(),
            [
                vec![0x01, 0x06, 0x00, 0x64, 0x00, 0x01, 0x09, 0xd5],
                vec![0x01, 0x06, 0x00, 0x69, 0x00, 0x00, 0x59, 0xd6],
                vec![
                    0x01, 0x10, 0x00, 0x6b, 0x00, 0x05, 0x0a, 0x00, 0x05, 0x00, 0x05, 0x00, 0x00,
                    0x00, 0x00, 0x00, 0x01, 0xc0, 0xc3
                ],
                vec![0x01, 0x06, 0x00, 0x69, 0x00, 0x01, 0x98, 0x16],
                vec![0x01, 0x06, 0x00, 0x6a, 0x00, 0x01, 0x68, 0x16],
            ]
        );
    }

    #[test]
    fn speeds() {
        assert_eq!(speed_for(0, 500), 0);
        assert_eq!(speed_for(1, 1001), 1);
        assert_eq!(speed_for(1, 1000), 2);
        assert_eq!(speed_for(1, 500), 3);
        assert_eq!(speed_for(15, 1000), 9);
        assert_eq!(speed_for(15, 100), 20);
        assert_eq!(speed_for(30, 9000), 1);
        assert_eq!(speed_for(5, 0), 20);
    }

    /// Answers every write on `rx`, like the device does.
    fn answering(sim: &Arc<SimHardware>) {
        let weak = Arc::downgrade(sim);
        sim.set_write_hook(Some(Box::new(move |_, _| {
            if let Some(s) = weak.upgrade() {
                s.notify(Endpoint::Rx, &[0x01]);
            }
        })));
    }

    #[tokio::test]
    async fn initialisation_and_moves() {
        let d = def(&[(0, &[(OutputType::HwPositionWithDuration, 0, 15)], false)]);
        let (sim, hw) = connect(spec("YXlinksSPP", &[Endpoint::Rx, Endpoint::Tx])).await;
        answering(&sim);
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(
            next(&sim).await,
            Some(SimOp::Subscribe {
                endpoint: Endpoint::Rx
            })
        );
        for frame in init_frames() {
            assert_eq!(next(&sim).await, Some(w(Endpoint::Tx, &frame, false)));
        }
        let e = |p, ms| writes(&h.outputs(&[mv(0, p, ms)]).unwrap());
        // 15 positions in 1 s: speed 9, position 150
        assert_eq!(e(15, 1000), [(Endpoint::Tx, move_frame(9, 150), false)]);
        assert_eq!(
            move_frame(9, 150),
            [
                0x01, 0x10, 0x00, 0x6b, 0x00, 0x05, 0x0a, 0x00, 0x09, 0x00, 0x09, 0x00, 0x96, 0x00,
                0x96, 0x00, 0x01, 0xf1, 0xf2
            ]
        );
        // back 5 positions in 500 ms: speed 9 (565 ms at speed 8 is too slow)
        assert_eq!(e(10, 500), [(Endpoint::Tx, move_frame(9, 100), false)]);
        // no movement: speed 0
        assert_eq!(e(10, 500), [(Endpoint::Tx, move_frame(0, 100), false)]);
        assert!(h.outputs(&[mv(0, 26, 100)]).is_err());
        assert!(h.outputs(&[act(0, OutputType::Oscillate, 1)]).is_err());
    }

    #[tokio::test]
    async fn silent_device_fails_initialisation() {
        let d = def(&[(0, &[(OutputType::HwPositionWithDuration, 0, 15)], false)]);
        let (_, hw) = connect(spec("YXlinksSPP", &[Endpoint::Rx, Endpoint::Tx])).await;
        assert!(matches!(
            factory().initialize(&hw, &d).await,
            Err(DeviceError::Timeout(_))
        ));
    }
}
