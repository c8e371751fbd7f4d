//! The Handy with firmware 4 and later, and the Oh! ("hdy_rpc" protobuf RPC on `tx`, replies
//! on `rx`).
//!
//! The model comes from the BLE name `OHD_<model>_<serial>` (`hw1` is the Oh!, `hw3`/`hw4` the
//! Handy 2); a name without two underscores gives `unknown`.
//!
//! At connection `rx` is subscribed and two requests are written (without response), each
//! followed by a wait for one reply: an `RpcMessage` of type REQUEST (1) whose `Request` has id
//! 1 and a `RequestBatteryGet` (oneof field 710), then the same with id 2 and a
//! `RequestCapabilitiesGet` (field 713). The replies are not interpreted.
//!
//! Commands are `RpcMessage { type 1, request { id, params } }` written with response, the ids
//! counting up from 1:
//! * a move: `RequestHdspXpTSet` (field 744) `{ xp = position / 100 (float), t = duration ms,
//!   stop_on_target = true }`;
//! * vibration (the Oh!): `RequestHvpSet` (field 900) `{ amplitude = level / 100 (float),
//!   frequency = 100, position = 0 }`, or `RequestHvpStop` (field 901) for level 0.
//!
//! When the host needs keep-alive writes, a bare `Request` (not wrapped in an `RpcMessage`) with
//! id 0 and a `RequestCapabilitiesGet` is sent, as the reference does.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use prost::Message as _;
use tokio::sync::broadcast::error::RecvError;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    HwCommand, Identified, KeepAlive, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{mask, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::{Hardware, HardwareEvent};

const NAME: &str = "thehandy-v3";

/// How long initialisation waits for each reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(2);

/// The RPC messages this protocol sends.
mod rpc {
    /// An empty request body (`RequestBatteryGet`, `RequestCapabilitiesGet`,
    /// `RequestHvpStop`).
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub(super) struct Empty {}

    /// `RequestHdspXpTSet`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub(super) struct HdspXpTSet {
        #[prost(float, tag = "1")]
        pub(super) xp: f32,
        #[prost(uint32, tag = "2")]
        pub(super) t: u32,
        #[prost(bool, tag = "3")]
        pub(super) stop_on_target: bool,
    }

    /// `RequestHvpSet`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub(super) struct HvpSet {
        #[prost(float, tag = "1")]
        pub(super) amplitude: f32,
        #[prost(uint32, tag = "2")]
        pub(super) frequency: u32,
        #[prost(float, tag = "3")]
        pub(super) position: f32,
    }

    /// The `Request.params` oneof (only the variants sent here).
    #[derive(Clone, PartialEq, ::prost::Oneof)]
    pub(super) enum Params {
        #[prost(message, tag = "710")]
        BatteryGet(Empty),
        #[prost(message, tag = "713")]
        CapabilitiesGet(Empty),
        #[prost(message, tag = "744")]
        HdspXpTSet(HdspXpTSet),
        #[prost(message, tag = "900")]
        HvpSet(HvpSet),
        #[prost(message, tag = "901")]
        HvpStop(Empty),
    }

    /// `Request { params, id = 2 }`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub(super) struct Request {
        #[prost(uint32, tag = "2")]
        pub(super) id: u32,
        #[prost(oneof = "Params", tags = "710, 713, 744, 900, 901")]
        pub(super) params: Option<Params>,
    }

    /// The `RpcMessage.message` oneof (requests only).
    #[derive(Clone, PartialEq, ::prost::Oneof)]
    pub(super) enum Body {
        #[prost(message, tag = "2")]
        Request(Request),
    }

    /// `RpcMessage { type = 1, message }`.
    #[derive(Clone, PartialEq, ::prost::Message)]
    pub(super) struct RpcMessage {
        #[prost(int32, tag = "1")]
        pub(super) kind: i32,
        #[prost(oneof = "Body", tags = "2")]
        pub(super) body: Option<Body>,
    }

    /// `MessageType.MESSAGE_TYPE_REQUEST`.
    pub(super) const TYPE_REQUEST: i32 = 1;
}

/// An `RpcMessage` carrying one request.
fn request(id: u32, params: rpc::Params) -> Vec<u8> {
    rpc::RpcMessage {
        kind: rpc::TYPE_REQUEST,
        body: Some(rpc::Body::Request(rpc::Request {
            id,
            params: Some(params),
        })),
    }
    .encode_to_vec()
}

/// The keep-alive packet: a bare capabilities request with id 0.
fn keepalive_packet() -> Vec<u8> {
    rpc::Request {
        id: 0,
        params: Some(rpc::Params::CapabilitiesGet(rpc::Empty {})),
    }
    .encode_to_vec()
}

/// The model part of an `OHD_<model>_<serial>` name.
fn model(name: &str) -> String {
    let parts: Vec<&str> = name.split('_').collect();
    match parts.as_slice() {
        [_, model, _, ..] => (*model).to_string(),
        _ => "unknown".to_string(),
    }
}

/// The factory registered as `thehandy-v3`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(TheHandyV3)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

struct TheHandyV3;

/// Writes a request and waits (bounded) for the next reply, which is not interpreted.
async fn exchange(
    hardware: &Arc<dyn Hardware>,
    events: &mut tokio::sync::broadcast::Receiver<HardwareEvent>,
    data: Vec<u8>,
) -> Result<(), DeviceError> {
    hardware.write(Endpoint::Tx, &data, false).await?;
    let deadline = tokio::time::Instant::now() + REPLY_TIMEOUT;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => {
                tracing::debug!("thehandy-v3: no reply during initialisation");
                return Ok(());
            }
            Ok(Ok(HardwareEvent::Notification { data, .. })) => {
                tracing::debug!(reply = ?data, "thehandy-v3: reply during initialisation");
                return Ok(());
            }
            Ok(Err(RecvError::Lagged(_))) => {}
            Ok(Ok(HardwareEvent::Disconnected)) | Ok(Err(RecvError::Closed)) => {
                return Err(DeviceError::Disconnected(
                    "thehandy-v3 device left during initialisation".to_string(),
                ))
            }
        }
    }
}

#[async_trait]
impl ProtocolFactory for TheHandyV3 {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn identify(&self, hardware: &Arc<dyn Hardware>) -> Result<Identified, DeviceError> {
        Ok(Identified::new(NAME, Some(model(hardware.name()))))
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        _definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let mut events = hardware.events();
        hardware.subscribe(Endpoint::Rx).await?;
        exchange(
            hardware,
            &mut events,
            request(1, rpc::Params::BatteryGet(rpc::Empty {})),
        )
        .await?;
        exchange(
            hardware,
            &mut events,
            request(2, rpc::Params::CapabilitiesGet(rpc::Empty {})),
        )
        .await?;
        Ok(Arc::new(TheHandyV3Handler {
            next_id: Mutex::new(1),
        }))
    }
}

struct TheHandyV3Handler {
    next_id: Mutex<u32>,
}

impl TheHandyV3Handler {
    fn id(&self) -> u32 {
        let mut next = self.next_id.lock();
        let id = *next;
        *next = next.wrapping_add(1);
        id
    }
}

/// A 0–100 value as a 0.0–1.0 fraction.
fn fraction(value: i32) -> Result<f32, DeviceError> {
    if !(0..=100).contains(&value) {
        return Err(DeviceError::protocol(
            NAME,
            format!("value {value} is outside 0-100"),
        ));
    }
    // exact: both operands are small integers
    Ok(f32::from(u8::try_from(value).unwrap_or(0)) / 100.0)
}

impl ProtocolHandler for TheHandyV3Handler {
    fn output(&self, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        let params = match a.kind {
            OutputType::HwPositionWithDuration => rpc::Params::HdspXpTSet(rpc::HdspXpTSet {
                xp: fraction(a.value)?,
                t: a.duration.unwrap_or(0),
                stop_on_target: true,
            }),
            OutputType::Vibrate if a.value == 0 => rpc::Params::HvpStop(rpc::Empty {}),
            OutputType::Vibrate => rpc::Params::HvpSet(rpc::HvpSet {
                amplitude: fraction(a.value)?,
                frequency: 100,
                position: 0.0,
            }),
            _ => return Err(unsupported(NAME, a)),
        };
        Ok(vec![HwCommand::write_with_response(
            Endpoint::Tx,
            request(self.id(), params),
            mask(a.feature),
        )])
    }

    fn keepalive(&self) -> KeepAlive {
        KeepAlive::FixedIfRequired {
            endpoint: Endpoint::Tx,
            data: keepalive_packet(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::SimOp;

    #[test]
    fn model_from_name() {
        assert_eq!(model("OHD_hw4_0123"), "hw4");
        assert_eq!(model("OHD_hw1_a_b"), "hw1");
        assert_eq!(model("OHD_hw1"), "unknown");
    }

    #[tokio::test]
    async fn handshake_then_commands() {
        let d = def(&[
            (0, &[(OutputType::HwPositionWithDuration, 0, 100)], false),
            (1, &[(OutputType::Vibrate, 0, 100)], false),
        ]);
        let (sim, hw) = connect(spec("OHD_hw1_9f3a", &[Endpoint::Tx, Endpoint::Rx])).await;
        let f = factory();
        assert_eq!(
            f.identify(&hw)
                .await
                .unwrap()
                .identification
                .identifier
                .as_deref(),
            Some("hw1")
        );
        let task = {
            let (f, hw, d) = (f.clone(), hw.clone(), d.clone());
            tokio::spawn(async move { f.initialize(&hw, &d).await })
        };
        assert_eq!(
            next(&sim).await,
            Some(SimOp::Subscribe {
                endpoint: Endpoint::Rx
            })
        );
        // RpcMessage{type 1, Request{id 1, RequestBatteryGet}}
        assert_eq!(
            next(&sim).await,
            Some(w(
                Endpoint::Tx,
                &[0x08, 0x01, 0x12, 0x05, 0x10, 0x01, 0xb2, 0x2c, 0x00],
                false
            ))
        );
        sim.notify(Endpoint::Rx, &[0x08, 0x03]);
        // RpcMessage{type 1, Request{id 2, RequestCapabilitiesGet}}
        assert_eq!(
            next(&sim).await,
            Some(w(
                Endpoint::Tx,
                &[0x08, 0x01, 0x12, 0x05, 0x10, 0x02, 0xca, 0x2c, 0x00],
                false
            ))
        );
        sim.notify(Endpoint::Rx, &[0x08, 0x03]);
        let h = task.await.unwrap().unwrap();

        // id 1, HdspXpTSet{xp 0.5, t 500, stop_on_target}
        let mut set = vec![0x08, 0x01, 0x12, 0x0f, 0x10, 0x01, 0xc2, 0x2e, 0x0a, 0x0d];
        set.extend_from_slice(&0.5f32.to_le_bytes());
        set.extend_from_slice(&[0x10, 0xf4, 0x03, 0x18, 0x01]);
        assert_eq!(
            writes(&h.output(&mv(0, 50, 500)).unwrap()),
            [(Endpoint::Tx, set, true)]
        );
        // id 2, HvpSet{amplitude 1.0, frequency 100}
        let mut vibe = vec![0x08, 0x01, 0x12, 0x0c, 0x10, 0x02, 0xa2, 0x38, 0x07, 0x0d];
        vibe.extend_from_slice(&1.0f32.to_le_bytes());
        vibe.extend_from_slice(&[0x10, 0x64]);
        assert_eq!(
            writes(&h.output(&act(1, OutputType::Vibrate, 100)).unwrap()),
            [(Endpoint::Tx, vibe, true)]
        );
        // id 3, HvpStop
        assert_eq!(
            bytes(&h.output(&act(1, OutputType::Vibrate, 0)).unwrap()),
            [vec![0x08, 0x01, 0x12, 0x05, 0x10, 0x03, 0xaa, 0x38, 0x00]]
        );
        assert!(h.output(&act(1, OutputType::Vibrate, 101)).is_err());
        assert_eq!(
            h.keepalive(),
            KeepAlive::FixedIfRequired {
                endpoint: Endpoint::Tx,
                data: vec![0xca, 0x2c, 0x00],
            }
        );
    }

    #[tokio::test]
    async fn silent_device_still_initialises() {
        let d = def(&[(0, &[(OutputType::HwPositionWithDuration, 0, 100)], false)]);
        let (sim, hw) = connect(spec("OHD_hw4_1", &[Endpoint::Tx, Endpoint::Rx])).await;
        let h = init(&*factory(), &hw, &d).await;
        assert_eq!(sim.take_ops().len(), 3);
        assert_eq!(bytes(&h.output(&mv(0, 0, 0)).unwrap()).len(), 1);
    }
}
