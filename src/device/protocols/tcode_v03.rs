//! TCode v0.3 (text commands, newline-terminated): `L<axis><pos>I<ms>` for timed moves,
//! `L<axis><pos>` for immediate moves, `V<axis><level>` for vibrators. The axis number is the
//! feature index. TCode values are the digits of a decimal fraction, so a value is written with
//! as many digits as the largest value below the configured maximum has (`[0, 100]` → `00`–`99`)
//! and clamped to the largest number of that width.

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{mask, unsupported, PerFeature};
use crate::error::DeviceError;

const NAME: &str = "tcode-v03";

/// The value as TCode digits for an output whose configured maximum is `max`.
fn digits(value: i32, max: u32) -> Result<String, DeviceError> {
    let value = u32::try_from(value).map_err(|_| DeviceError::protocol(NAME, "negative value"))?;
    let width = max.saturating_sub(1).max(1).to_string().len();
    let limit = 10u32
        .checked_pow(u32::try_from(width).unwrap_or(9))
        .map_or(u32::MAX, |p| p - 1);
    Ok(format!("{:0width$}", value.min(limit)))
}

fn encode(action: &OutputAction, def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let axis = action.feature;
    let max = def
        .feature(action.feature)
        .and_then(|f| f.output(action.kind))
        .map_or(100, |o| o.base_max());
    let value = digits(action.value, max)?;
    let text = match action.kind {
        OutputType::HwPositionWithDuration => {
            let duration = action.duration.unwrap_or(0);
            format!("L{axis}{value}I{duration}\n")
        }
        OutputType::Position => format!("L{axis}{value}\n"),
        OutputType::Vibrate => format!("V{axis}{value}\n"),
        _ => return Err(unsupported(NAME, action)),
    };
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        text.into_bytes(),
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

    /// The bytes of the reference's `tcode_linear_and_vibrate` case (TCode v0.3 (Single Linear Axis + Single Vibe)).
    #[tokio::test]
    async fn tcode_linear_and_vibrate() {
        let d = def_with(
            &["tcode-v03-linear-vibrate"],
            &[
                (0, &[(HwPositionWithDuration, 0, 100)], false),
                (1, &[(Vibrate, 0, 99)], false),
            ],
        );
        let (sim, hw) = connect(spec("tcode-v03-linear-vibrate", &[Endpoint::Tx])).await;
        let h = named(factories(), "tcode-v03")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[mv(0, 51, 200)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x4c, 0x30, 0x35, 0x31, 0x49, 0x32, 0x30, 0x30, 0x0a],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(1, Vibrate, 99)]).unwrap()),
            [(Endpoint::Tx, vec![0x56, 0x31, 0x39, 0x39, 0x0a], false)]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(1, Vibrate, 0)]).unwrap()),
            [(Endpoint::Tx, vec![0x56, 0x31, 0x30, 0x30, 0x0a], false)]
        );
    }

    #[test]
    fn text_commands() {
        let d = def(&[
            (0, &[(Position, 0, 999)], false),
            (1, &[(HwPositionWithDuration, 0, 100)], false),
            (2, &[(Vibrate, 0, 99)], false),
        ]);
        let p = encode(&act(0, OutputType::Position, 7), &d).unwrap();
        assert_eq!(bytes(&p), vec![b"L0007\n".to_vec()]);
        let mut a = act(1, OutputType::HwPositionWithDuration, 51);
        a.duration = Some(200);
        assert_eq!(
            bytes(&encode(&a, &d).unwrap()),
            vec![b"L151I200\n".to_vec()]
        );
        a.value = 100;
        assert_eq!(
            bytes(&encode(&a, &d).unwrap()),
            vec![b"L199I200\n".to_vec()]
        );
        let p = encode(&act(2, OutputType::Vibrate, 0), &d).unwrap();
        assert_eq!(bytes(&p), vec![b"V200\n".to_vec()]);
        assert!(encode(&act(2, OutputType::Vibrate, -1), &d).is_err());
    }
}
