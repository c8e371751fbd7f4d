//! Svakom DT250A (`svakom-dt250a`, Coleur Dor DT250A).
//!
//! Frames are `55 <function> 00 00 <level> <on>` on `tx` (without response): function 3 for the
//! first vibrator and 8 for the second, with `<on>` 1 while the level is non-zero; function 9 for
//! the suction (constrict) with `<on>` always 0, as the reference sends them.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "svakom-dt250a";

/// The factory registered as `svakom-dt250a`.
fn factory() -> Arc<dyn ProtocolFactory> {
    PerFeature::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let function = match (a.kind, a.feature) {
        (OutputType::Vibrate, 0) => 0x03,
        (OutputType::Vibrate, _) => 0x08,
        (OutputType::Constrict, _) => 0x09,
        _ => return Err(unsupported(NAME, a)),
    };
    let level = byte(NAME, a.value)?;
    let on = u8::from(level != 0 && function != 0x09);
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![0x55, function, 0x00, 0x00, level, on],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::*;
    use crate::device::protocol::KeepAlive;
    use crate::device::protocols::testkit::*;

    fn dt250a() -> DeviceDefinition {
        def(&[
            (0, &[(Vibrate, 0, 3)], false),
            (1, &[(Vibrate, 0, 3)], false),
            (2, &[(Constrict, 0, 2)], false),
        ])
    }

    #[test]
    fn frames() {
        let d = dt250a();
        let e = |f, k, v| bytes(&encode(&act(f, k, v), &d).unwrap());
        assert_eq!(e(0, Vibrate, 3), [vec![0x55, 0x03, 0x00, 0x00, 0x03, 0x01]]);
        assert_eq!(e(0, Vibrate, 0), [vec![0x55, 0x03, 0x00, 0x00, 0x00, 0x00]]);
        assert_eq!(e(1, Vibrate, 2), [vec![0x55, 0x08, 0x00, 0x00, 0x02, 0x01]]);
        assert_eq!(e(1, Vibrate, 0), [vec![0x55, 0x08, 0x00, 0x00, 0x00, 0x00]]);
        assert_eq!(
            e(2, Constrict, 2),
            [vec![0x55, 0x09, 0x00, 0x00, 0x02, 0x00]]
        );
        assert_eq!(
            e(2, Constrict, 0),
            [vec![0x55, 0x09, 0x00, 0x00, 0x00, 0x00]]
        );
        assert!(!writes(&encode(&act(0, Vibrate, 1), &d).unwrap())[0].2);
        assert!(encode(&act(0, Oscillate, 1), &d).is_err());
        assert!(encode(&act(2, Constrict, 256), &d).is_err());
    }

    #[tokio::test]
    async fn no_setup() {
        let (sim, hw) = connect(spec("DT250A", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &dt250a()).await;
        assert!(sim.take_ops().is_empty());
        assert_eq!(h.keepalive(), KeepAlive::RepeatLastIfRequired);
    }
}
