//! Youou (VX001 wand): a 17-byte frame on `tx`
//! `AA 55 <id> 02 03 01 <speed> <on> <xor> FF 00 00 00 00 00 00 00`, where `<id>` is a packet
//! counter starting at 0 and wrapping at 256, `<on>` is 1 when the speed is non-zero, and
//! `<xor>` is the XOR of the first eight bytes. Identification always yields `VX001_`.

use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    HwCommand, Identified, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{byte, mask, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "youou";

/// The factory registered as `youou`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Youou)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

struct Youou;

#[async_trait]
impl ProtocolFactory for Youou {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn identify(&self, _hardware: &Arc<dyn Hardware>) -> Result<Identified, DeviceError> {
        Ok(Identified::new(NAME, Some("VX001_".to_string())))
    }

    async fn initialize(
        &self,
        _hardware: &Arc<dyn Hardware>,
        _definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        Ok(Arc::new(YououHandler {
            packet_id: Mutex::new(0),
        }))
    }
}

struct YououHandler {
    packet_id: Mutex<u8>,
}

/// The frame for one speed with the given packet counter.
fn frame(id: u8, speed: u8) -> Vec<u8> {
    let mut data = vec![0xaa, 0x55, id, 0x02, 0x03, 0x01, speed, u8::from(speed > 0)];
    let check = data.iter().fold(0u8, |acc, b| acc ^ b);
    data.push(check);
    data.push(0xff);
    data.extend_from_slice(&[0; 7]);
    data
}

impl ProtocolHandler for YououHandler {
    fn output(&self, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if a.kind != OutputType::Vibrate {
            return Err(unsupported(NAME, a));
        }
        let speed = byte(NAME, a.value)?;
        let mut id = self.packet_id.lock();
        let data = frame(*id, speed);
        *id = id.wrapping_add(1);
        Ok(vec![HwCommand::write(Endpoint::Tx, data, mask(a.feature))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[tokio::test]
    async fn counter_and_checksum() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 255)], false)]);
        let (sim, hw) = connect(spec("VX001_1234", &[Endpoint::Tx])).await;
        let f = factory();
        let ident = f.identify(&hw).await.unwrap().identification;
        assert_eq!(ident.identifier.as_deref(), Some("VX001_"));
        let h = init(&*f, &hw, &d).await;
        assert!(sim.take_ops().is_empty());
        let e = |v| writes(&h.output(&act(0, OutputType::Vibrate, v)).unwrap());
        // 0xaa^0x55^0^2^3^1^0x80^1 = 0x7e
        assert_eq!(
            e(128),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x55, 0, 2, 3, 1, 0x80, 1, 0x7e, 0xff, 0, 0, 0, 0, 0, 0, 0],
                false
            )]
        );
        // counter 1, speed 0: 0xaa^0x55^1^2^3^1 = 0xfe
        assert_eq!(
            e(0),
            [(
                Endpoint::Tx,
                vec![0xaa, 0x55, 1, 2, 3, 1, 0, 0, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0],
                false
            )]
        );
        for _ in 2..256 {
            e(1);
        }
        assert_eq!(e(255)[0].1[2], 0, "the counter wraps");
        assert!(h.output(&act(0, OutputType::Vibrate, 256)).is_err());
    }
}
