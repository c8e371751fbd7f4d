//! Kiiroo Spot 2 (`kiiroo-spot-v2`): one vibrator driven with the six-byte packet
//! `[0x01, speed, speed, 0x03, 0xE8, 0xFF]` written with response to `tx` (speed 0–100, given
//! twice); the battery level is the standard BLE battery characteristic (`rxblebattery`), which
//! the default input handling reads.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "kiiroo-spot-v2";

/// The factory registered as `kiiroo-spot-v2`.
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
    let v = byte(NAME, a.value)?;
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        vec![0x01, v, v, 0x03, 0xe8, 0xff],
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::messages::InputReadingValue;
    use crate::core::types::{InputCommand, InputType};
    use crate::device::protocols::testkit::*;

    fn spot2() -> crate::device::definition::DeviceDefinition {
        def(&[(0, &[(OutputType::Vibrate, 0, 100)], false), (1, &[], true)])
    }

    #[test]
    fn vibrate_bytes() {
        let d = spot2();
        let e = |v| writes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(
            e(50),
            [(Endpoint::Tx, vec![0x01, 0x32, 0x32, 0x03, 0xe8, 0xff], true)]
        );
        assert_eq!(
            e(100),
            [(Endpoint::Tx, vec![0x01, 0x64, 0x64, 0x03, 0xe8, 0xff], true)]
        );
        assert_eq!(
            e(0),
            [(Endpoint::Tx, vec![0x01, 0, 0, 0x03, 0xe8, 0xff], true)]
        );
        assert!(encode(&act(0, OutputType::Rotate, 1), &d).is_err());
        assert!(encode(&act(0, OutputType::Vibrate, 256), &d).is_err());
    }

    #[tokio::test]
    async fn init_writes_nothing_and_battery_reads_standard_characteristic() {
        let d = spot2();
        let (sim, hw) = connect(spec("SPOT W2", &[Endpoint::Tx, Endpoint::RxBleBattery])).await;
        let h = init(&*factory(), &hw, &d).await;
        assert!(sim.take_ops().is_empty());
        sim.queue_read(Endpoint::RxBleBattery, &[64]);
        let reading = h
            .input(&hw, &d.features[1], InputType::Battery, InputCommand::Read)
            .await
            .unwrap();
        assert_eq!(reading, Some(InputReadingValue::Battery(64)));
    }
}
