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
    use crate::device::protocols::vectors_b::check_vectors;

    #[test]
    fn vectors() {
        check_vectors(&["mysteryvibe"]);
    }
}
