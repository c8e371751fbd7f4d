//! Mizz Zee vibrators: `mizzzee` and `mizzzee-v2` (short fixed packets) and `mizzzee-v3`
//! (a 20-byte waveform packet, resent every 200 ms by the keep-alive).

use std::sync::Arc;
use std::time::Duration;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, KeepAlive, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;

fn v1(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "mizzzee";
    if action.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, action));
    }
    let v = byte(NAME, action.value)?;
    let data = vec![0x69, 0x96, 0x03, 0x01, u8::from(v != 0), v];
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        data,
        mask(action.feature),
    )])
}

fn v2(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "mizzzee-v2";
    if action.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, action));
    }
    let v = byte(NAME, action.value)?;
    let data = vec![0x69, 0x96, 0x04, 0x02, v, 0x2c, v];
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        data,
        mask(action.feature),
    )])
}

/// The v3 packet: a zero packet for 0, else the intensity mapped onto 30–100 % of a 10-bit
/// level, shifted left by 6 and tagged with 60, little-endian, repeated in two fixed frames.
fn v3_packet(value: i32) -> Result<Vec<u8>, DeviceError> {
    const NAME: &str = "mizzzee-v3";
    if value < 0 {
        return Err(DeviceError::protocol(NAME, "negative intensity"));
    }
    let mut data = vec![0x03, 0x12];
    if value == 0 {
        data.resize(20, 0x00);
        return Ok(data);
    }
    // Computed in single precision like the vendor app, so rounding matches byte for byte.
    let fraction = value as f32 / 1000.0;
    let level = ((fraction * 0.7 + 0.3) * 1023.0).clamp(0.0, 1023.0) as u16;
    let word = (level << 6) | 60;
    const FILL: [u8; 6] = [0x00, 0xfc, 0x00, 0xfe, 0x40, 0x01];
    data.push(0xf3);
    for _ in 0..2 {
        data.extend_from_slice(&FILL);
        data.extend_from_slice(&word.to_le_bytes());
    }
    data.push(0x00);
    Ok(data)
}

fn v3(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if action.kind != OutputType::Vibrate {
        return Err(unsupported("mizzzee-v3", action));
    }
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        v3_packet(action.value)?,
        mask(action.feature),
    )])
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![
        PerFeature::new("mizzzee", v1),
        PerFeature::new("mizzzee-v2", v2),
        Arc::new(PerFeature {
            name: "mizzzee-v3",
            encode: v3,
            init: None,
            keepalive: KeepAlive::RepeatLastEvery(Duration::from_millis(200)),
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    /// The bytes of the reference's `mizzzee_protocol` case (Mizz Zee Device).
    #[tokio::test]
    async fn mizzzee() {
        let d = def_with(&[], &[(0, &[(Vibrate, 0, 68)], false)]);
        let (sim, hw) = connect(spec("NFY008", &[Endpoint::Tx])).await;
        let h = named(factories(), "mizzzee")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 34)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x69, 0x96, 0x03, 0x01, 0x01, 0x22],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x69, 0x96, 0x03, 0x01, 0x00, 0x00],
                false
            )]
        );
    }

    /// The bytes of the reference's `mizzzee_v2_protocol` case (Mizz Zee Device).
    #[tokio::test]
    async fn mizzzee_v2() {
        let d = def_with(&[], &[(0, &[(Vibrate, 0, 68)], false)]);
        let (sim, hw) = connect(spec("XHT", &[Endpoint::Tx])).await;
        let h = named(factories(), "mizzzee-v2")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 34)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x69, 0x96, 0x04, 0x02, 0x22, 0x2c, 0x22],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x69, 0x96, 0x04, 0x02, 0x00, 0x2c, 0x00],
                false
            )]
        );
    }

    /// The bytes of the reference's `mizzzee_v3_protocol` case (Mizz Zee Device).
    #[tokio::test]
    async fn mizzzee_v3() {
        let d = def_with(&[], &[(0, &[(Vibrate, 0, 1000)], false)]);
        let (sim, hw) = connect(spec("XHTKJ", &[Endpoint::Tx])).await;
        let h = named(factories(), "mizzzee-v3")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 500)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0x03, 0x12, 0xf3, 0x00, 0xfc, 0x00, 0xfe, 0x40, 0x01, 0x3c, 0xa6, 0x00, 0xfc,
                    0x00, 0xfe, 0x40, 0x01, 0x3c, 0xa6, 0x00
                ],
                true
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 1000)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0x03, 0x12, 0xf3, 0x00, 0xfc, 0x00, 0xfe, 0x40, 0x01, 0xfc, 0xff, 0x00, 0xfc,
                    0x00, 0xfe, 0x40, 0x01, 0xfc, 0xff, 0x00
                ],
                true
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0x03, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
                ],
                true
            )]
        );
    }

    #[test]
    fn v3_levels() {
        let p = v3_packet(500).unwrap();
        assert_eq!(p.len(), 20);
        assert_eq!(&p[9..11], &[0x3c, 0xa6]);
        assert_eq!(&v3_packet(1000).unwrap()[9..11], &[0xfc, 0xff]);
        assert!(v3_packet(-1).is_err());
    }
}
