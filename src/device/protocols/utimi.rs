//! Utimi (Benben "lightspot" boards): the levels of up to five motor slots in one frame
//! `[A0, 03, s0, s1, s2, s3, s4, AA]` on `tx`. Slot 0 is the vibrator, slot 1 the thrusting
//! (oscillate) motor; unused slots stay 0.

use std::sync::Arc;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, ProtocolFactory};
use crate::device::protocols::kit::{byte, AllFeatures};
use crate::error::DeviceError;

const NAME: &str = "utimi";

/// The factory registered as `utimi`.
fn factory() -> Arc<dyn ProtocolFactory> {
    AllFeatures::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(values: &[i32], _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if values.len() > 5 {
        return Err(DeviceError::protocol(
            NAME,
            "at most five motor slots exist",
        ));
    }
    let mut data = vec![0xa0, 0x03, 0, 0, 0, 0, 0, 0xaa];
    for (slot, v) in data.iter_mut().skip(2).zip(values) {
        *slot = byte(NAME, *v)?;
    }
    Ok(vec![HwCommand::write(Endpoint::Tx, data, 0)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::{Oscillate, Vibrate};
    use crate::device::protocols::testkit::*;

    #[tokio::test]
    async fn slots() {
        let d = def(&[
            (0, &[(Vibrate, 0, 255)], false),
            (1, &[(Oscillate, 0, 255)], false),
        ]);
        let (_, hw) = connect(spec("Utimi000040", &[Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        let e = |a: &[_]| writes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(0, Vibrate, 0x80)]),
            [(Endpoint::Tx, vec![0xa0, 3, 0x80, 0, 0, 0, 0, 0xaa], false)]
        );
        assert_eq!(
            e(&[act(1, Oscillate, 0xff)]),
            [(
                Endpoint::Tx,
                vec![0xa0, 3, 0x80, 0xff, 0, 0, 0, 0xaa],
                false
            )]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 0), act(1, Oscillate, 0)]),
            [(Endpoint::Tx, vec![0xa0, 3, 0, 0, 0, 0, 0, 0xaa], false)]
        );
        assert!(h.outputs(&[act(0, Vibrate, 256)]).is_err());
    }
}
