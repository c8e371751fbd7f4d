//! Xibao masturbation cup: a fixed 13-byte frame, the speed, and `speed + 0xb5` as check byte.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "xibao";

fn encode(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if action.kind != OutputType::Oscillate {
        return Err(unsupported(NAME, action));
    }
    let v = byte(NAME, action.value)?;
    let data = vec![
        0x66,
        0x3a,
        0x00,
        0x06,
        0x00,
        0x06,
        0x01,
        0x02,
        0x00,
        0x02,
        0x04,
        v,
        v.wrapping_add(0xb5),
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

    /// The bytes of the reference's `xibao_protocol` case (Xibao Smart Masturbation Cup).
    #[tokio::test]
    async fn xibao() {
        let d = def_with(&[], &[(0, &[(Oscillate, 0, 99)], false)]);
        let (sim, hw) = connect(spec("CCYB_1904", &[Endpoint::Tx])).await;
        let h = named(factories(), "xibao")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Oscillate, 50)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x66, 0x3a, 0x00, 0x06, 0x00, 0x06, 0x01, 0x02, 0x00, 0x02, 0x04, 0x32, 0xe7],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Oscillate, 99)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x66, 0x3a, 0x00, 0x06, 0x00, 0x06, 0x01, 0x02, 0x00, 0x02, 0x04, 0x63, 0x18],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Oscillate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x66, 0x3a, 0x00, 0x06, 0x00, 0x06, 0x01, 0x02, 0x00, 0x02, 0x04, 0x00, 0xb5],
                false
            )]
        );
    }
}
