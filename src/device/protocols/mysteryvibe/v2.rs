//! MysteryVibe, second generation: the same motor stream as the first generation, only the
//! start-up mode packet differs. At initialisation `03 02 40` is written with response on
//! `txmode`; from then on every change sends one byte per motor (all motors, in feature order)
//! on `txvibrate` without response, and that packet is repeated every 93 ms because the toy
//! stops as soon as the stream stops.

use std::sync::Arc;
use std::time::Duration;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, KeepAlive, ProtocolFactory};
use crate::device::protocols::kit::{byte, AllFeatures};
use crate::error::DeviceError;

const NAME: &str = "mysteryvibe-v2";

/// Interval at which the motor packet is repeated.
const RESEND: Duration = Duration::from_millis(93);

fn setup(_def: &DeviceDefinition) -> Vec<HwCommand> {
    vec![HwCommand::write_with_response(
        Endpoint::TxMode,
        vec![0x03, 0x02, 0x40],
        0,
    )]
}

fn encode(values: &[i32], _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let data = values
        .iter()
        .map(|v| byte(NAME, *v))
        .collect::<Result<Vec<u8>, _>>()?;
    Ok(vec![HwCommand::write(Endpoint::TxVibrate, data, 0)])
}

/// The factory registered as `mysteryvibe-v2`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(AllFeatures {
        name: NAME,
        encode,
        init: Some(setup),
        keepalive: KeepAlive::RepeatLastEvery(RESEND),
    })
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::Vibrate;
    use crate::device::protocols::testkit::*;

    #[tokio::test]
    async fn mode_packet_then_motor_stream() {
        let f = factory();
        let (sim, hw) = connect(spec("6909 MV1", &[Endpoint::TxMode, Endpoint::TxVibrate])).await;
        let d = def(&[
            (0, &[(Vibrate, 0, 56)], false),
            (1, &[(Vibrate, 0, 56)], false),
            (2, &[(Vibrate, 0, 56)], false),
            (3, &[(Vibrate, 0, 56)], false),
        ]);
        let h = init(&*f, &hw, &d).await;
        assert_eq!(
            next(&sim).await,
            Some(w(Endpoint::TxMode, &[0x03, 0x02, 0x40], true))
        );
        assert!(sim.take_ops().is_empty());
        assert_eq!(
            writes(&h.outputs(&[act(1, Vibrate, 28)]).unwrap()),
            [(Endpoint::TxVibrate, vec![0, 28, 0, 0], false)]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 56), act(3, Vibrate, 10)])
                    .unwrap()
            ),
            [(Endpoint::TxVibrate, vec![56, 28, 0, 10], false)]
        );
        assert_eq!(
            writes(&h.outputs(&[act(1, Vibrate, 0)]).unwrap()),
            [(Endpoint::TxVibrate, vec![56, 0, 0, 10], false)]
        );
        assert!(h.outputs(&[act(2, Vibrate, 256)]).is_err());
        assert_eq!(h.keepalive(), KeepAlive::RepeatLastEvery(RESEND));
    }
}
