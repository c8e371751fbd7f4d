//! Omobo: `a1 04 04 01 <speed> ff 55`, written with response.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "omobo";

fn encode(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if action.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, action));
    }
    let data = vec![
        0xa1,
        0x04,
        0x04,
        0x01,
        byte(NAME, action.value)?,
        0xff,
        0x55,
    ];
    Ok(vec![HwCommand::write_with_response(
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

    /// The bytes of the reference's `omobo_protocol` case (Omobo ViVegg Vibrator).
    #[tokio::test]
    async fn omobo() {
        let d = def_with(&[], &[(0, &[(Vibrate, 0, 100)], false)]);
        let (sim, hw) = connect(spec("S6", &[Endpoint::Tx])).await;
        let h = named(factories(), "omobo")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 50)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0xa1, 0x04, 0x04, 0x01, 0x32, 0xff, 0x55],
                true
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 100)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0xa1, 0x04, 0x04, 0x01, 0x64, 0xff, 0x55],
                true
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0xa1, 0x04, 0x04, 0x01, 0x00, 0xff, 0x55],
                true
            )]
        );
    }
}
