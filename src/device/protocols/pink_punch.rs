//! Pink Punch: `09 <speed>`, written with response.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "pink_punch";

fn encode(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if action.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, action));
    }
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        vec![0x09, byte(NAME, action.value)?],
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

    /// The bytes of the reference's `pink_punch_protocol` case (Pink Punch Sunset Mushroom).
    #[tokio::test]
    async fn pink_punch() {
        let d = def_with(&["Pink_Punch"], &[(0, &[(Vibrate, 0, 100)], false)]);
        let (sim, hw) = connect(spec("Pink_Punch", &[Endpoint::Tx])).await;
        let h = named(factories(), "pink_punch")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 50)]).unwrap()),
            [(Endpoint::Tx, vec![0x09, 0x32], true)]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 75)]).unwrap()),
            [(Endpoint::Tx, vec![0x09, 0x4b], true)]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(Endpoint::Tx, vec![0x09, 0x00], true)]
        );
    }
}
