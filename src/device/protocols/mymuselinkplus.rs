//! MyMuse Link Plus: 8-byte frames on `tx`, written without response. Running at level 1–3
//! (slow, medium, fast) is `AA 55 06 01 01 01 <level> FF`; off is `AA 55 06 AA 00 00 00 00`.
//! The configured range 0–3 maps one to one onto off and the three levels. Nothing is written at
//! connection (the reference sends no start-up pulse either).

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "mymuselinkplus";

/// Highest intensity level (fast).
const MAX_LEVEL: i32 = 3;

/// The frame that switches the motor off.
const OFF: [u8; 8] = [0xaa, 0x55, 0x06, 0xaa, 0x00, 0x00, 0x00, 0x00];

/// The frame for a level 1..=3.
fn running(level: u8) -> Vec<u8> {
    vec![0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, level, 0xff]
}

/// The frame for a device value 0..=3.
fn frame(value: i32) -> Result<Vec<u8>, DeviceError> {
    match u8::try_from(value) {
        Ok(0) => Ok(OFF.to_vec()),
        Ok(level) if i32::from(level) <= MAX_LEVEL => Ok(running(level)),
        _ => Err(DeviceError::protocol(
            NAME,
            format!("level {value} is outside 0..={MAX_LEVEL}"),
        )),
    }
}

/// The factory registered as `mymuselinkplus`.
fn factory() -> Arc<dyn ProtocolFactory> {
    PerFeature::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if a.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, a));
    }
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        frame(a.value)?,
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn frames() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 3)], false)]);
        let e = |v| writes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(
            e(1),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, 0x01, 0xff],
                false
            )]
        );
        assert_eq!(
            e(2),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, 0x02, 0xff],
                false
            )]
        );
        assert_eq!(
            e(3),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x55, 0x06, 0x01, 0x01, 0x01, 0x03, 0xff],
                false
            )]
        );
        assert_eq!(
            e(0),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x55, 0x06, 0xaa, 0, 0, 0, 0],
                false
            )]
        );
        assert!(encode(&act(0, OutputType::Vibrate, 4), &d).is_err());
        assert!(encode(&act(0, OutputType::Vibrate, -1), &d).is_err());
        assert!(encode(&act(0, OutputType::Rotate, 1), &d).is_err());
    }

    #[tokio::test]
    async fn nothing_at_connection() {
        let f = factory();
        let (sim, hw) = connect(spec("MM Massager", &[Endpoint::Tx])).await;
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 3)], false)]);
        let _h = init(&*f, &hw, &d).await;
        assert!(sim.take_ops().is_empty());
    }
}
