//! Lovehoney Desire: `[0xF3, motor, speed]` with response, where motor 0 means "all motors".
//! Two-motor toys send one `motor 0` packet when both speeds are equal, else one packet per
//! motor.

use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    feature_bit, FeatureMask, HwCommand, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{byte, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "lovehoney-desire";

struct LovehoneyDesire;

/// The factory registered as `lovehoney-desire`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(LovehoneyDesire)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

#[async_trait]
impl ProtocolFactory for LovehoneyDesire {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        _: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let motors: Vec<(u32, u8)> = definition
            .features
            .iter()
            .filter(|f| !f.outputs.is_empty())
            .map(|f| (f.index, 0))
            .collect();
        Ok(Arc::new(DesireHandler {
            all: motors.iter().fold(0, |m, (f, _)| m | feature_bit(*f)),
            motors: Mutex::new(motors),
        }))
    }
}

struct DesireHandler {
    /// (feature, speed) per motor.
    motors: Mutex<Vec<(u32, u8)>>,
    all: FeatureMask,
}

impl ProtocolHandler for DesireHandler {
    fn output(&self, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if a.kind != OutputType::Vibrate {
            return Err(unsupported(NAME, a));
        }
        let speed = byte(NAME, a.value)?;
        let mut motors = self.motors.lock();
        let packet = |m: u8, s: u8, mask| {
            HwCommand::write_with_response(Endpoint::Tx, vec![0xf3, m, s], mask)
        };
        if motors.len() < 2 {
            return Ok(vec![packet(0, speed, feature_bit(a.feature))]);
        }
        let slot = motors
            .iter_mut()
            .find(|(f, _)| *f == a.feature)
            .ok_or_else(|| unsupported(NAME, a))?;
        slot.1 = speed;
        match motors.as_slice() {
            [(_, s0), (_, s1), ..] if s0 == s1 => Ok(vec![packet(0, *s0, self.all)]),
            [(f0, s0), (f1, s1), ..] => Ok(vec![
                packet(1, *s0, feature_bit(*f0)),
                packet(2, *s1, feature_bit(*f1)),
            ]),
            _ => Err(unsupported(NAME, a)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    #[tokio::test]
    async fn vector_bytes() {
        let (_, hw) = connect(spec("LOVE EGG", &[Endpoint::Tx])).await;
        let egg = def(&[(0, &[(Vibrate, 0, 127)], false)]);
        let h = init(&*factory(), &hw, &egg).await;
        let e = |a: &[_]| writes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(0, Vibrate, 64)]),
            [(Endpoint::Tx, vec![0xf3, 0, 0x40], true)]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 0)]),
            [(Endpoint::Tx, vec![0xf3, 0, 0], true)]
        );

        let prostate = def(&[
            (0, &[(Vibrate, 0, 127)], false),
            (1, &[(Vibrate, 0, 127)], false),
        ]);
        let h = init(&*factory(), &hw, &prostate).await;
        let e = |a: &[_]| bytes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(0, Vibrate, 64)]),
            [vec![0xf3, 1, 0x40], vec![0xf3, 2, 0]]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 13), act(1, Vibrate, 64)]),
            [vec![0xf3, 1, 0x0d], vec![0xf3, 2, 0x40]]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 0), act(1, Vibrate, 0)]),
            [vec![0xf3, 0, 0]]
        );
    }
}
