//! MysteryVibe: a mode packet at start-up, then one byte per motor on `txvibrate`, resent every
//! 93 ms by the keep-alive (the toy stops when the stream stops).

pub(crate) mod v2;

use std::sync::Arc;
use std::time::Duration;

use crate::core::types::Endpoint;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, KeepAlive, ProtocolFactory};
use crate::device::protocols::kit::{byte, AllFeatures};
use crate::error::DeviceError;

const NAME: &str = "mysteryvibe";

fn init(_def: &DeviceDefinition) -> Vec<HwCommand> {
    vec![HwCommand::write_with_response(
        Endpoint::TxMode,
        vec![0x43, 0x02, 0x00],
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

/// The protocols of this family (its members' included), for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    let mut list: Vec<Arc<dyn ProtocolFactory>> = vec![Arc::new(AllFeatures {
        name: NAME,
        encode,
        init: Some(init),
        keepalive: KeepAlive::RepeatLastEvery(Duration::from_millis(93)),
    })];
    list.extend(v2::factories());
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType::*;
    use crate::device::protocols::testkit::*;

    /// The bytes of the reference's `mysteryvibe` case (MysteryVibe Crescendo).
    #[tokio::test]
    async fn mysteryvibe() {
        let d = def_with(
            &["MV Crescendo"],
            &[
                (0, &[(Vibrate, 0, 56)], false),
                (1, &[(Vibrate, 0, 56)], false),
                (2, &[(Vibrate, 0, 56)], false),
                (3, &[(Vibrate, 0, 56)], false),
                (4, &[(Vibrate, 0, 56)], false),
                (5, &[(Vibrate, 0, 56)], false),
            ],
        );
        let (sim, hw) = connect(spec(
            "MV Crescendo",
            &[Endpoint::TxMode, Endpoint::TxVibrate],
        ))
        .await;
        let h = named(factories(), "mysteryvibe")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(
            sim.take_ops(),
            [w(Endpoint::TxMode, &[0x43, 0x02, 0x00], true)]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 28), act(5, Vibrate, 56)])
                    .unwrap()
            ),
            [(
                Endpoint::TxVibrate,
                vec![0x1c, 0x00, 0x00, 0x00, 0x00, 0x38],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.stop_outputs(&[
                    act(0, Vibrate, 0),
                    act(1, Vibrate, 0),
                    act(2, Vibrate, 0),
                    act(3, Vibrate, 0),
                    act(4, Vibrate, 0),
                    act(5, Vibrate, 0)
                ])
                .unwrap()
            ),
            [(
                Endpoint::TxVibrate,
                vec![0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
                false
            )]
        );
    }
}
