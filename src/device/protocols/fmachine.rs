//! F-Machine (Gigolo, Tremblr, Alpha; advertised as `FM-…`): the Bluetooth remote imitates the
//! buttons of the wired remote, so the protocol presses and releases buttons.
//!
//! * Packets (18 bytes, written with response on `tx`):
//!   `[button, 0x64, 0, 0, 0, 0, '1', '2', '3', '4', 0 × 7, check]`. The check byte is derived
//!   from the number `n` of set bits in the first 17 bytes: `222 − n` when `n % 3 == 0`,
//!   `n / 2 + 111` when `n % 3 == 1`, `n / 3 + 177` otherwise.
//! * Buttons: on/off press `01` / release `02`; speed up `05`, speed down `06`, both released
//!   with `03`.
//! * Initialisation: subscribe to `rx`, then 55 speed-down press/release pairs 60 ms apart bring
//!   the remembered speed to its minimum.
//! * Control: the device reports nothing, so the handler tracks the on/off state and the speed.
//!   A command only sets the target speed (feature 0; 0 = off); every 200 ms the device task
//!   toggles on/off when the state disagrees with the target and moves the speed one step
//!   towards it.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    HwCommand, KeepAlive, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{byte, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "fmachine";
const ON_OFF_PRESS: u8 = 0x01;
const ON_OFF_RELEASE: u8 = 0x02;
const SPEED_RELEASE: u8 = 0x03;
const SPEED_UP: u8 = 0x05;
const SPEED_DOWN: u8 = 0x06;
/// Speed-down presses that bring the device from its top speed to its lowest.
const RESET_PRESSES: usize = 55;
/// Pause between the initialisation presses.
const RESET_INTERVAL: Duration = Duration::from_millis(60);
/// The device takes one speed step per 200 ms.
const STEP: Duration = Duration::from_millis(200);

/// The check byte of a packet body.
fn check(body: &[u8]) -> u8 {
    let bits: u32 = body.iter().map(|b| b.count_ones()).sum();
    let value = match bits % 3 {
        0 => 222_u32.saturating_sub(bits),
        1 => bits / 2 + 111,
        _ => bits / 3 + 177,
    };
    u8::try_from(value).unwrap_or(u8::MAX)
}

/// The packet for one button event.
fn packet(button: u8) -> Vec<u8> {
    let mut data = vec![
        button, 0x64, 0x00, 0x00, 0x00, 0x00, b'1', b'2', b'3', b'4', 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00,
    ];
    data.push(check(&data));
    data
}

/// Press then release, as writes with response.
fn click(press: u8, release: u8) -> [HwCommand; 2] {
    [
        HwCommand::write_with_response(Endpoint::Tx, packet(press), 0),
        HwCommand::write_with_response(Endpoint::Tx, packet(release), 0),
    ]
}

/// The `fmachine` factory; `interval` is the pause between initialisation presses.
struct FMachine {
    interval: Duration,
}

/// The factory registered as `fmachine`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(FMachine {
        interval: RESET_INTERVAL,
    })
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

#[async_trait]
impl ProtocolFactory for FMachine {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        _: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        hardware.subscribe(Endpoint::Rx).await?;
        let (press, release) = (packet(SPEED_DOWN), packet(SPEED_RELEASE));
        for _ in 0..RESET_PRESSES {
            hardware.write(Endpoint::Tx, &press, true).await?;
            hardware.write(Endpoint::Tx, &release, true).await?;
            tokio::time::sleep(self.interval).await;
        }
        Ok(Arc::new(Handler {
            state: Mutex::new(State::default()),
        }))
    }
}

#[derive(Default)]
struct State {
    running: bool,
    current: u8,
    target: u8,
}

struct Handler {
    state: Mutex<State>,
}

impl ProtocolHandler for Handler {
    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if action.kind != OutputType::Oscillate || action.feature != 0 {
            return Err(unsupported(NAME, action));
        }
        self.state.lock().target = byte(NAME, action.value)?;
        Ok(Vec::new())
    }

    fn keepalive(&self) -> KeepAlive {
        KeepAlive::Periodic(STEP)
    }

    fn periodic(&self) -> Vec<HwCommand> {
        let mut s = self.state.lock();
        let mut out = Vec::new();
        if s.running == (s.target == 0) {
            out.extend(click(ON_OFF_PRESS, ON_OFF_RELEASE));
            s.running = !s.running;
        }
        if s.target > s.current {
            out.extend(click(SPEED_UP, SPEED_RELEASE));
            s.current += 1;
        } else if s.target < s.current {
            out.extend(click(SPEED_DOWN, SPEED_RELEASE));
            s.current -= 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::{Oscillate, Vibrate};
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::SimOp;

    fn button(b: u8, check: u8) -> Vec<u8> {
        let mut v = vec![b, 0x64, 0, 0, 0, 0, 0x31, 0x32, 0x33, 0x34];
        v.extend_from_slice(&[0; 7]);
        v.push(check);
        v
    }

    #[test]
    fn packets() {
        assert_eq!(packet(ON_OFF_PRESS), button(0x01, 0xb6));
        assert_eq!(packet(ON_OFF_RELEASE), button(0x02, 0xb6));
        assert_eq!(packet(SPEED_RELEASE), button(0x03, 0xcc));
        assert_eq!(packet(SPEED_UP), button(0x05, 0xcc));
        assert_eq!(packet(SPEED_DOWN), button(0x06, 0xcc));
        assert_eq!(packet(0x07), button(0x07, 0x78));
        assert_eq!(packet(SPEED_DOWN).len(), 18);
    }

    #[tokio::test]
    async fn initialisation_and_stepping() {
        let d = def(&[(0, &[(Oscillate, 0, 28)], false)]);
        let (sim, hw) = connect(spec("FM-G", &[Endpoint::Rx, Endpoint::Tx])).await;
        let f = FMachine {
            interval: Duration::from_millis(1),
        };
        let h = init(&f, &hw, &d).await;
        assert_eq!(
            next(&sim).await,
            Some(SimOp::Subscribe {
                endpoint: Endpoint::Rx
            })
        );
        for _ in 0..RESET_PRESSES {
            assert_eq!(next(&sim).await, Some(w(Endpoint::Tx, &packet(0x06), true)));
            assert_eq!(next(&sim).await, Some(w(Endpoint::Tx, &packet(0x03), true)));
        }
        assert!(sim.take_ops().is_empty());

        let on = [packet(0x01), packet(0x02)];
        let up = [packet(0x05), packet(0x03)];
        let down = [packet(0x06), packet(0x03)];
        assert_eq!(h.keepalive(), KeepAlive::Periodic(STEP));
        assert!(h.periodic().is_empty());
        assert!(h.outputs(&[act(0, Oscillate, 2)]).unwrap().is_empty());
        let tick = h.periodic();
        assert!(tick.iter().all(|c| matches!(
            c,
            HwCommand::Write {
                with_response: true,
                endpoint: Endpoint::Tx,
                ..
            }
        )));
        assert_eq!(bytes(&tick), [on.clone(), up.clone()].concat());
        assert_eq!(bytes(&h.periodic()), up);
        assert!(h.periodic().is_empty());
        h.outputs(&[act(0, Oscillate, 1)]).unwrap();
        assert_eq!(bytes(&h.periodic()), down);
        assert!(h.periodic().is_empty());
        // off: the on/off button, then the speed runs down
        h.outputs(&[act(0, Oscillate, 0)]).unwrap();
        assert_eq!(bytes(&h.periodic()), [on.clone(), down.clone()].concat());
        assert!(h.periodic().is_empty());
        assert!(h.outputs(&[act(0, Vibrate, 1)]).is_err());
        assert!(h.outputs(&[act(1, Oscillate, 1)]).is_err());
        assert!(h.outputs(&[act(0, Oscillate, 300)]).is_err());
    }
}
