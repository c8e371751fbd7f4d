//! Nobra's Silicone Dreams: one byte per command, `0x70` for off, `0x60 + level` otherwise.
//! The off byte is also sent when connecting.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, KeepAlive, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "nobra";

fn init(_def: &DeviceDefinition) -> Vec<HwCommand> {
    vec![HwCommand::write(Endpoint::Tx, vec![0x70], 0)]
}

fn encode(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if action.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, action));
    }
    let v = byte(NAME, action.value)?;
    let out = if v == 0 {
        0x70
    } else {
        0x60u8
            .checked_add(v)
            .filter(|b| *b < 0x70)
            .ok_or_else(|| DeviceError::protocol(NAME, "level too high"))?
    };
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![out],
        mask(action.feature),
    )])
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![Arc::new(PerFeature {
        name: NAME,
        encode,
        init: Some(init),
        keepalive: KeepAlive::RepeatLastIfRequired,
    })]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    /// The bytes of the reference's `nobra_protocol` case (Nobra's Silicone Dreams Toy).
    #[tokio::test]
    async fn nobra() {
        let d = def_with(&[], &[(0, &[(Vibrate, 0, 15)], false)]);
        let (sim, hw) = connect(spec("NobraController  ", &[Endpoint::Tx])).await;
        let h = named(factories(), "nobra")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), [w(Endpoint::Tx, &[0x70], false)]);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 8)]).unwrap()),
            [(Endpoint::Tx, vec![0x68], false)]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 12)]).unwrap()),
            [(Endpoint::Tx, vec![0x6c], false)]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(Endpoint::Tx, vec![0x70], false)]
        );
    }
}
