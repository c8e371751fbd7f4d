//! ServeU stroker: `01 <position> <speed>`; the device wants a speed code, so the handler
//! derives the travel rate (units per second) from the last position and the duration.

use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory, ProtocolHandler};
use crate::device::protocols::kit::{byte, mask, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "serveu";

/// Speed code for moving `distance` units in `duration_ms`: piecewise linear in the rate, with
/// 0 for no movement and `0xfa` for anything faster than 2000 units/s.
fn speed_code(distance: u32, duration_ms: u32) -> u8 {
    if distance == 0 {
        return 0;
    }
    if duration_ms == 0 {
        return 0xfa;
    }
    let rate = (f64::from(distance) / (f64::from(duration_ms) / 1000.0)).ceil();
    let code = if rate <= 50.0 {
        (rate / 2.0).ceil()
    } else if rate <= 750.0 {
        ((rate - 50.0) / 4.0).ceil() + 25.0
    } else if rate <= 2000.0 {
        ((rate - 750.0) / 25.0).ceil() + 200.0
    } else {
        250.0
    };
    // code is within 0..=250 by construction
    code.clamp(0.0, 250.0) as u8
}

struct ServeUHandler {
    last_position: Mutex<u8>,
}

impl ProtocolHandler for ServeUHandler {
    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if action.kind != OutputType::HwPositionWithDuration {
            return Err(unsupported(NAME, action));
        }
        let goal = byte(NAME, action.value)?;
        let mut last = self.last_position.lock();
        let distance = u32::from(goal.abs_diff(*last));
        let speed = speed_code(distance, action.duration.unwrap_or(0));
        *last = goal;
        Ok(vec![HwCommand::write(
            Endpoint::Tx,
            vec![0x01, goal, speed],
            mask(action.feature),
        )])
    }
}

struct ServeU;

#[async_trait]
impl ProtocolFactory for ServeU {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        _hardware: &Arc<dyn Hardware>,
        _definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        Ok(Arc::new(ServeUHandler {
            last_position: Mutex::new(0),
        }))
    }
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![Arc::new(ServeU)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    /// The bytes of the reference's `serveu_protocol` case (ServeU).
    #[tokio::test]
    async fn serveu() {
        let d = def_with(&[], &[(0, &[(HwPositionWithDuration, 0, 100)], false)]);
        let (sim, hw) = connect(spec("ServeU", &[Endpoint::Tx])).await;
        let h = named(factories(), "serveu")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[mv(0, 30, 1000)]).unwrap()),
            [(Endpoint::Tx, vec![0x01, 0x1e, 0x0f], false)]
        );
        assert_eq!(
            writes(&h.outputs(&[mv(0, 80, 200)]).unwrap()),
            [(Endpoint::Tx, vec![0x01, 0x50, 0x4b], false)]
        );
        assert_eq!(
            writes(&h.outputs(&[mv(0, 100, 10)]).unwrap()),
            [(Endpoint::Tx, vec![0x01, 0x64, 0xfa], false)]
        );
    }

    #[test]
    fn speed_codes() {
        assert_eq!(speed_code(30, 1000), 0x0f);
        assert_eq!(speed_code(50, 200), 0x4b);
        assert_eq!(speed_code(20, 10), 0xfa);
        assert_eq!(speed_code(0, 0), 0);
        assert_eq!(speed_code(5, 0), 0xfa);
    }
}
