//! Cueme (advertised as `FUNCODE_<x>_<model>`; the model number after the second underscore is
//! the configuration identifier).
//!
//! One byte on `tx` drives one motor at a time: the high nibble is the motor number (1-based),
//! the low nibble the level 0–15; `0x00` stops everything. When several motors are on, the
//! device is switched between them: every 500 ms the next running motor's byte is sent (the
//! device task's periodic tick), so each runs in turn.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    all_features, FeatureMask, HwCommand, Identified, KeepAlive, OutputAction, ProtocolFactory,
    ProtocolHandler,
};
use crate::device::protocols::kit::unsupported;
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "cueme";
/// How long each running motor gets before the next one takes over.
const SWITCH: Duration = Duration::from_millis(500);
/// Highest level a motor takes (one nibble).
const MAX_LEVEL: u8 = 0x0f;

struct Cueme;

/// The factory registered as `cueme`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Cueme)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

/// The model identifier in an advertised name (`FUNCODE_<x>_<model>`).
fn model(name: &str) -> Option<String> {
    let parts: Vec<&str> = name.split('_').collect();
    match parts.as_slice() {
        [_, _, model] => Some((*model).to_string()),
        _ => None,
    }
}

#[async_trait]
impl ProtocolFactory for Cueme {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn identify(&self, hardware: &Arc<dyn Hardware>) -> Result<Identified, DeviceError> {
        Ok(Identified::new(NAME, model(hardware.name())))
    }

    async fn initialize(
        &self,
        _: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let motors: Vec<u32> = definition
            .features
            .iter()
            .filter(|f| f.output(OutputType::Vibrate).is_some())
            .map(|f| f.index)
            .collect();
        if motors.len() > usize::from(MAX_LEVEL) {
            return Err(DeviceError::protocol(
                NAME,
                format!("{} motors do not fit in a nibble", motors.len()),
            ));
        }
        Ok(Arc::new(Handler {
            state: Mutex::new(State {
                levels: vec![0; motors.len()],
                current: 0,
            }),
            motors,
            mask: all_features(definition),
        }))
    }
}

struct State {
    /// Level of each motor, in motor order.
    levels: Vec<u8>,
    /// The motor the device is currently given.
    current: usize,
}

impl State {
    fn running(&self, motor: usize) -> bool {
        self.levels.get(motor).is_some_and(|l| *l > 0)
    }

    /// The first running motor after `current` (cyclically, `current` itself last).
    fn next_running(&self) -> Option<usize> {
        let n = self.levels.len();
        (1..=n)
            .map(|step| (self.current + step) % n)
            .find(|m| self.running(*m))
    }

    /// The byte for the current motor.
    fn packet(&self) -> u8 {
        match self.levels.get(self.current) {
            Some(level) if *level > 0 => {
                let number = u8::try_from(self.current + 1).unwrap_or(MAX_LEVEL);
                (number << 4) | level
            }
            _ => 0x00,
        }
    }
}

struct Handler {
    /// Feature index of each motor.
    motors: Vec<u32>,
    state: Mutex<State>,
    mask: FeatureMask,
}

impl Handler {
    fn write(&self, byte: u8) -> HwCommand {
        HwCommand::write(Endpoint::Tx, vec![byte], self.mask)
    }
}

impl ProtocolHandler for Handler {
    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        let motor = self
            .motors
            .iter()
            .position(|f| *f == action.feature)
            .filter(|_| action.kind == OutputType::Vibrate)
            .ok_or_else(|| unsupported(NAME, action))?;
        let level = u8::try_from(action.value)
            .ok()
            .filter(|l| *l <= MAX_LEVEL)
            .ok_or_else(|| {
                DeviceError::protocol(NAME, format!("level {} is above 15", action.value))
            })?;
        let mut state = self.state.lock();
        if let Some(slot) = state.levels.get_mut(motor) {
            *slot = level;
        }
        if !state.running(state.current) {
            state.current = state.next_running().unwrap_or(0);
        }
        Ok(vec![self.write(state.packet())])
    }

    fn keepalive(&self) -> KeepAlive {
        KeepAlive::Periodic(SWITCH)
    }

    fn periodic(&self) -> Vec<HwCommand> {
        let mut state = self.state.lock();
        match state.next_running() {
            Some(next) => {
                state.current = next;
                vec![self.write(state.packet())]
            }
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::{Rotate, Vibrate};
    use crate::device::protocols::testkit::*;

    #[tokio::test]
    async fn identification() {
        let id = |name: &str| {
            let name = name.to_string();
            async move {
                let (_, hw) = connect(spec(&name, &[Endpoint::Tx])).await;
                factory().identify(&hw).await.unwrap().identification
            }
        };
        let i = id("FUNCODE_A1_3").await;
        assert_eq!(i.protocol, "cueme");
        assert_eq!(i.identifier.as_deref(), Some("3"));
        assert_eq!(id("FUNCODE_X_1").await.identifier.as_deref(), Some("1"));
        assert_eq!(id("FUNCODE_X").await.identifier, None);
    }

    #[tokio::test]
    async fn motors_take_turns() {
        let d = def(&[
            (0, &[(Vibrate, 0, 15)], false),
            (1, &[(Vibrate, 0, 15)], false),
            (2, &[(Vibrate, 0, 15)], false),
            (3, &[(Vibrate, 0, 15)], false),
        ]);
        let (sim, hw) = connect(spec("FUNCODE_A_3", &[Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        assert!(sim.take_ops().is_empty());
        assert_eq!(h.keepalive(), KeepAlive::Periodic(SWITCH));
        let e = |a: &[_]| writes(&h.outputs(a).unwrap());
        assert!(h.periodic().is_empty());
        assert_eq!(
            e(&[act(0, Vibrate, 5)]),
            [(Endpoint::Tx, vec![0x15], false)]
        );
        assert_eq!(bytes(&h.periodic()), [vec![0x15]]);
        // a second motor: the current one keeps the device until the next switch
        assert_eq!(
            e(&[act(2, Vibrate, 15)]),
            [(Endpoint::Tx, vec![0x15], false)]
        );
        assert_eq!(bytes(&h.periodic()), [vec![0x3f]]);
        assert_eq!(bytes(&h.periodic()), [vec![0x15]]);
        assert_eq!(bytes(&h.periodic()), [vec![0x3f]]);
        // stopping the current motor hands the device to the next running one at once
        assert_eq!(
            e(&[act(2, Vibrate, 0)]),
            [(Endpoint::Tx, vec![0x15], false)]
        );
        assert_eq!(bytes(&h.periodic()), [vec![0x15]]);
        // one batch, one packet
        assert_eq!(
            e(&[act(1, Vibrate, 1), act(3, Vibrate, 9)]),
            [(Endpoint::Tx, vec![0x15], false)]
        );
        assert_eq!(bytes(&h.periodic()), [vec![0x21]]);
        assert_eq!(bytes(&h.periodic()), [vec![0x49]]);
        assert_eq!(bytes(&h.periodic()), [vec![0x15]]);
        assert_eq!(
            e(&[act(0, Vibrate, 0), act(1, Vibrate, 0), act(3, Vibrate, 0)]),
            [(Endpoint::Tx, vec![0x00], false)]
        );
        assert!(h.periodic().is_empty());
        assert!(h.outputs(&[act(0, Vibrate, 16)]).is_err());
        assert!(h.outputs(&[act(0, Rotate, 1)]).is_err());
        assert!(h.outputs(&[act(4, Vibrate, 1)]).is_err());
    }
}
