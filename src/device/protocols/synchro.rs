//! Synchro: `a1 01 <speed|dir> 77 55`, bit 7 set for counter-clockwise rotation.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "synchro";

fn encode(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if action.kind != OutputType::Rotate {
        return Err(unsupported(NAME, action));
    }
    let speed = byte(NAME, action.value.saturating_abs())?;
    if speed & 0x80 != 0 {
        return Err(DeviceError::protocol(NAME, "rotation speed too high"));
    }
    let direction = if action.value < 0 { 0x80 } else { 0x00 };
    let data = vec![0xa1, 0x01, speed | direction, 0x77, 0x55];
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        data,
        mask(action.feature),
    )])
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![PerFeature::new(NAME, encode)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    /// The bytes of the reference's `synchro_protocol` case (Synchro).
    #[tokio::test]
    async fn synchro() {
        let d = def_with(&[], &[(0, &[(Rotate, -6, 6)], false)]);
        let (sim, hw) = connect(spec("Shinkuro", &[Endpoint::Tx])).await;
        let h = named(factories(), "synchro")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Rotate, 3)]).unwrap()),
            [(Endpoint::Tx, vec![0xa1, 0x01, 0x03, 0x77, 0x55], false)]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Rotate, -6)]).unwrap()),
            [(Endpoint::Tx, vec![0xa1, 0x01, 0x86, 0x77, 0x55], false)]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Rotate, 0)]).unwrap()),
            [(Endpoint::Tx, vec![0xa1, 0x01, 0x00, 0x77, 0x55], false)]
        );
    }
}
