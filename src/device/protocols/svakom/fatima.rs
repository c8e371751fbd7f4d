//! Svakom Fatima Pro (`svakom-fatima`, advertised as `SL278B`).
//!
//! Every function has its own frame on `tx` (without response):
//! * vibration `55 03 00 00 01 <level>` and suction `55 09 00 00 01 <level>` (steady mode 1);
//!   level 0 sends `55 <function> 00 00 00 00`;
//! * thrusting `55 08 00 00 <pattern> ff`, where the device value picks one of the toy's
//!   patterns; 0 sends `55 08 00 00 00 00`;
//! * heating, on/off only: `55 05 01 37 02 00 00` to heat, `55 05 00 00 02 00 00` to stop.
//!
//! No setup is needed; the last frame is repeated when the hardware needs a keep-alive.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "svakom-fatima";

/// The factory registered as `svakom-fatima`.
fn factory() -> Arc<dyn ProtocolFactory> {
    PerFeature::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

/// The steady-mode frame of vibration and suction.
fn steady(function: u8, level: u8) -> Vec<u8> {
    if level == 0 {
        vec![0x55, function, 0x00, 0x00, 0x00, 0x00]
    } else {
        vec![0x55, function, 0x00, 0x00, 0x01, level]
    }
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let data = match a.kind {
        OutputType::Vibrate => steady(0x03, byte(NAME, a.value)?),
        OutputType::Constrict => steady(0x09, byte(NAME, a.value)?),
        OutputType::Oscillate => match byte(NAME, a.value)? {
            0 => vec![0x55, 0x08, 0x00, 0x00, 0x00, 0x00],
            pattern => vec![0x55, 0x08, 0x00, 0x00, pattern, 0xff],
        },
        OutputType::Temperature => match a.value {
            0 => vec![0x55, 0x05, 0x00, 0x00, 0x02, 0x00, 0x00],
            v if v > 0 => vec![0x55, 0x05, 0x01, 0x37, 0x02, 0x00, 0x00],
            v => {
                return Err(DeviceError::protocol(
                    NAME,
                    format!("temperature {v} is not supported: the toy can only heat"),
                ))
            }
        },
        _ => return Err(unsupported(NAME, a)),
    };
    Ok(vec![HwCommand::write(Endpoint::Tx, data, mask(a.feature))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::*;
    use crate::device::protocol::KeepAlive;
    use crate::device::protocols::testkit::*;

    fn fatima() -> DeviceDefinition {
        def(&[
            (0, &[(Vibrate, 0, 10)], false),
            (1, &[(Constrict, 0, 10)], false),
            (2, &[(Oscillate, 0, 7)], false),
            (3, &[(Temperature, 0, 1)], false),
        ])
    }

    #[test]
    fn frames() {
        let d = fatima();
        let e = |f, k, v| writes(&encode(&act(f, k, v), &d).unwrap());
        let tx = |data: &[u8]| [(Endpoint::Tx, data.to_vec(), false)];
        assert_eq!(e(0, Vibrate, 10), tx(&[0x55, 0x03, 0x00, 0x00, 0x01, 0x0a]));
        assert_eq!(e(0, Vibrate, 0), tx(&[0x55, 0x03, 0x00, 0x00, 0x00, 0x00]));
        assert_eq!(
            e(1, Constrict, 4),
            tx(&[0x55, 0x09, 0x00, 0x00, 0x01, 0x04])
        );
        assert_eq!(
            e(1, Constrict, 0),
            tx(&[0x55, 0x09, 0x00, 0x00, 0x00, 0x00])
        );
        assert_eq!(
            e(2, Oscillate, 7),
            tx(&[0x55, 0x08, 0x00, 0x00, 0x07, 0xff])
        );
        assert_eq!(
            e(2, Oscillate, 0),
            tx(&[0x55, 0x08, 0x00, 0x00, 0x00, 0x00])
        );
        assert_eq!(
            e(3, Temperature, 1),
            tx(&[0x55, 0x05, 0x01, 0x37, 0x02, 0x00, 0x00])
        );
        assert_eq!(
            e(3, Temperature, 0),
            tx(&[0x55, 0x05, 0x00, 0x00, 0x02, 0x00, 0x00])
        );
        assert!(encode(&act(3, Temperature, -1), &d).is_err());
        assert!(encode(&act(0, Rotate, 1), &d).is_err());
        assert!(encode(&act(0, Vibrate, 256), &d).is_err());
    }

    #[tokio::test]
    async fn no_setup() {
        let (sim, hw) = connect(spec("SL278B", &[Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &fatima()).await;
        assert!(sim.take_ops().is_empty());
        assert_eq!(h.keepalive(), KeepAlive::RepeatLastIfRequired);
    }
}
