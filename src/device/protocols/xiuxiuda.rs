//! Xiuxiuda: `00 00 00 00 65 3a 30 <speed> 64`.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "xiuxiuda";

fn encode(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if action.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, action));
    }
    let data = vec![
        0x00,
        0x00,
        0x00,
        0x00,
        0x65,
        0x3a,
        0x30,
        byte(NAME, action.value)?,
        0x64,
    ];
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

    /// The bytes of the reference's `xiuxiuda_protocol` case (Xiuxiuda Device).
    #[tokio::test]
    async fn xiuxiuda() {
        let d = def_with(&[], &[(0, &[(Vibrate, 0, 19)], false)]);
        let (sim, hw) = connect(spec("XXD-Lush12B-XT", &[Endpoint::Tx])).await;
        let h = named(factories(), "xiuxiuda")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 10)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x00, 0x00, 0x00, 0x00, 0x65, 0x3a, 0x30, 0x0a, 0x64],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 15)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x00, 0x00, 0x00, 0x00, 0x65, 0x3a, 0x30, 0x0f, 0x64],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x00, 0x00, 0x00, 0x00, 0x65, 0x3a, 0x30, 0x00, 0x64],
                false
            )]
        );
    }
}
