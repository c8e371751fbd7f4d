//! WeToy: `b2 <level − 1>` to run, `80 03` to stop (also sent when connecting); all writes
//! with response.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, KeepAlive, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "wetoy";

fn init(_def: &DeviceDefinition) -> Vec<HwCommand> {
    vec![HwCommand::write_with_response(
        Endpoint::Tx,
        vec![0x80, 0x03],
        0,
    )]
}

fn encode(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if action.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, action));
    }
    let v = byte(NAME, action.value)?;
    let data = match v.checked_sub(1) {
        None => vec![0x80, 0x03],
        Some(level) => vec![0xb2, level],
    };
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        data,
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

    /// The bytes of the reference's `wetoy_protocol` case (WeToy MiNa).
    #[tokio::test]
    async fn wetoy() {
        let d = def_with(&[], &[(0, &[(Vibrate, 0, 3)], false)]);
        let (sim, hw) = connect(spec("WeToy", &[Endpoint::Tx])).await;
        let h = named(factories(), "wetoy")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), [w(Endpoint::Tx, &[0x80, 0x03], true)]);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 2)]).unwrap()),
            [(Endpoint::Tx, vec![0xb2, 0x01], true)]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 3)]).unwrap()),
            [(Endpoint::Tx, vec![0xb2, 0x02], true)]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(Endpoint::Tx, vec![0x80, 0x03], true)]
        );
    }
}
