//! The Handy (firmware 3): "handyplug" protobuf messages on `tx`, always written with response.
//!
//! A move is a `Payload` holding one `Message` whose `LinearCmd` (oneof field 403) has id 2,
//! device index 0 and one vector `{index 0, duration ms, position 0.0–1.0 as a double}`; the
//! configuration's 0–100 position is divided by 100. When the host needs keep-alive writes, a
//! `Payload` with a `Ping` (oneof field 102) of id 999 is sent. No session set-up is performed
//! (the reference does none either).

pub(crate) mod v3;

use std::sync::Arc;

use async_trait::async_trait;
use prost::Message as _;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    HwCommand, KeepAlive, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{mask, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "thehandy";

/// The handyplug messages this protocol sends.
mod handyplug {
    /// `Ping { Id = 1 }`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub(super) struct Ping {
        #[prost(uint32, tag = "1")]
        pub(super) id: u32,
    }

    /// `LinearCmd.Vector`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub(super) struct Vector {
        #[prost(uint32, tag = "1")]
        pub(super) index: u32,
        #[prost(uint32, tag = "2")]
        pub(super) duration: u32,
        #[prost(double, tag = "3")]
        pub(super) position: f64,
    }

    /// `LinearCmd { Id = 1, DeviceIndex = 2, Vectors = 3 }`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub(super) struct LinearCmd {
        #[prost(uint32, tag = "1")]
        pub(super) id: u32,
        #[prost(uint32, tag = "2")]
        pub(super) device_index: u32,
        #[prost(message, repeated, tag = "3")]
        pub(super) vectors: Vec<Vector>,
    }

    /// The `Message` oneof (only the variants sent here).
    #[derive(Clone, PartialEq, ::prost::Oneof)]
    pub(super) enum Kind {
        #[prost(message, tag = "102")]
        Ping(Ping),
        #[prost(message, tag = "403")]
        LinearCmd(LinearCmd),
    }

    /// `Message`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub(super) struct Message {
        #[prost(oneof = "Kind", tags = "102, 403")]
        pub(super) kind: Option<Kind>,
    }

    /// `Payload { repeated Message Messages = 1 }`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub(super) struct Payload {
        #[prost(message, repeated, tag = "1")]
        pub(super) messages: Vec<Message>,
    }
}

/// A payload carrying one message.
fn payload(kind: handyplug::Kind) -> Vec<u8> {
    handyplug::Payload {
        messages: vec![handyplug::Message { kind: Some(kind) }],
    }
    .encode_to_vec()
}

/// The keep-alive ping.
fn ping() -> Vec<u8> {
    payload(handyplug::Kind::Ping(handyplug::Ping { id: 999 }))
}

/// A move to `position` (0–100) over `duration` ms.
fn linear(position: i32, duration: u32) -> Vec<u8> {
    payload(handyplug::Kind::LinearCmd(handyplug::LinearCmd {
        id: 2,
        device_index: 0,
        vectors: vec![handyplug::Vector {
            index: 0,
            duration,
            position: f64::from(position) / 100.0,
        }],
    }))
}

/// The factory registered as `thehandy`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(TheHandy)
}

/// The protocols of this family (its members' included), for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    let mut list: Vec<Arc<dyn ProtocolFactory>> = vec![factory()];
    list.extend(v3::factories());
    list
}

struct TheHandy;

#[async_trait]
impl ProtocolFactory for TheHandy {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        _hardware: &Arc<dyn Hardware>,
        _definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        Ok(Arc::new(TheHandyHandler))
    }
}

struct TheHandyHandler;

impl ProtocolHandler for TheHandyHandler {
    fn output(&self, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if a.kind != OutputType::HwPositionWithDuration {
            return Err(unsupported(NAME, a));
        }
        if !(0..=100).contains(&a.value) {
            return Err(DeviceError::protocol(
                NAME,
                format!("position {} is outside 0-100", a.value),
            ));
        }
        Ok(vec![HwCommand::write_with_response(
            Endpoint::Tx,
            linear(a.value, a.duration.unwrap_or(0)),
            mask(a.feature),
        )])
    }

    fn keepalive(&self) -> KeepAlive {
        KeepAlive::FixedIfRequired {
            endpoint: Endpoint::Tx,
            data: ping(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[tokio::test]
    async fn linear_and_ping_bytes() {
        let d = def(&[(0, &[(OutputType::HwPositionWithDuration, 0, 100)], false)]);
        let (sim, hw) = connect(spec("The Handy", &[Endpoint::Tx, Endpoint::Firmware])).await;
        let h = init(&*factory(), &hw, &d).await;
        assert!(sim.take_ops().is_empty(), "no session set-up");
        // Payload{Message{LinearCmd{id 2, vectors [{duration 500, position 0.5}]}}}
        let mut expected = vec![0x0a, 0x13, 0x9a, 0x19, 0x10, 0x08, 0x02, 0x1a, 0x0c];
        expected.extend_from_slice(&[0x10, 0xf4, 0x03, 0x19]);
        expected.extend_from_slice(&0.5f64.to_le_bytes());
        assert_eq!(
            writes(&h.output(&mv(0, 50, 500)).unwrap()),
            [(Endpoint::Tx, expected, true)]
        );
        // position 0 and duration 0 are proto3 defaults and are left out
        assert_eq!(
            bytes(&h.output(&mv(0, 0, 0)).unwrap()),
            [vec![0x0a, 0x07, 0x9a, 0x19, 0x04, 0x08, 0x02, 0x1a, 0x00]]
        );
        assert!(h.output(&mv(0, 101, 10)).is_err());
        assert!(h.output(&act(0, OutputType::Position, 10)).is_err());
        assert_eq!(
            h.keepalive(),
            KeepAlive::FixedIfRequired {
                endpoint: Endpoint::Tx,
                data: vec![0x0a, 0x06, 0xb2, 0x06, 0x03, 0x08, 0xe7, 0x07],
            }
        );
    }
}
