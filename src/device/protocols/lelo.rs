//! Lelo toys.
//!
//! * `lelo-f1s`: subscribes `rx` at connection (the toy wants its power button pressed before it
//!   obeys); both motors travel in one packet `[0x01, motor 1, motor 2]`.
//! * `lelo-f1sv2`: same packet, written with response, after a pairing handshake on the
//!   `whitelist` characteristic (see below). A variant without `whitelist` pairs on `generic0`
//!   and then speaks the Harmony packets.
//! * `lelo-harmony`: pairing handshake on `whitelist`, then one packet per motor
//!   `[0x0A, 0x12, motor + 1, 0x08, 0, 0, 0, 0, speed, 0]`.
//!
//! Pairing: subscribe the security characteristic; an all-zero notification means "press the
//! power button"; a status `[0x01, 0...]` means paired; anything else is the toy's password,
//! which is written back (with response) while unsubscribed, then the characteristic is
//! subscribed again.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::broadcast::error::RecvError;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    HwCommand, KeepAlive, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{byte, mask, unsupported, AllFeatures, PerFeature};
use crate::error::DeviceError;
use crate::hwmgr::{Hardware, HardwareEvent};

const F1S: &str = "lelo-f1s";
const F1SV2: &str = "lelo-f1sv2";
const HARMONY: &str = "lelo-harmony";
/// How long pairing waits for the user to press the power button.
const PAIRING_TIMEOUT: Duration = Duration::from_secs(120);

/// The factory registered as `lelo-f1s`.
fn f1s_factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(AllFeatures {
        name: F1S,
        encode: encode_f1s,
        init: Some(subscribe_rx),
        keepalive: KeepAlive::RepeatLastIfRequired,
    })
}

/// The factory registered as `lelo-f1sv2`.
fn f1sv2_factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(LeloF1sV2)
}

/// The factory registered as `lelo-harmony`.
fn harmony_factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(LeloHarmony)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![f1s_factory(), f1sv2_factory(), harmony_factory()]
}

fn subscribe_rx(_: &DeviceDefinition) -> Vec<HwCommand> {
    vec![HwCommand::Subscribe {
        endpoint: Endpoint::Rx,
    }]
}

fn f1s_packet(values: &[i32], protocol: &str) -> Result<Vec<u8>, DeviceError> {
    let v = |i: usize| byte(protocol, values.get(i).copied().unwrap_or(0));
    Ok(vec![0x01, v(0)?, v(1)?])
}

fn encode_f1s(values: &[i32], _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        f1s_packet(values, F1S)?,
        0,
    )])
}

fn encode_f1sv2(values: &[i32], _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        f1s_packet(values, F1SV2)?,
        0,
    )])
}

fn encode_harmony(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if !matches!(a.kind, OutputType::Vibrate | OutputType::Rotate) {
        return Err(unsupported(HARMONY, a));
    }
    let motor = u8::try_from(a.feature)
        .ok()
        .and_then(|f| f.checked_add(1))
        .ok_or_else(|| unsupported(HARMONY, a))?;
    let speed = byte(
        HARMONY,
        i32::try_from(a.value.unsigned_abs()).unwrap_or(i32::MAX),
    )?;
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        vec![0x0a, 0x12, motor, 0x08, 0, 0, 0, 0, speed, 0],
        mask(a.feature),
    )])
}

/// What a security notification says.
#[derive(Debug, PartialEq, Eq)]
enum Security {
    /// Not paired: the user has to press the power button.
    Waiting,
    /// Paired.
    Paired,
    /// The toy's password, to be written back.
    Password(Vec<u8>),
}

/// Harmony rule: all zero → waiting; `0x01` then zeros → paired.
fn harmony_status(data: &[u8]) -> Security {
    match data.split_first() {
        _ if data.iter().all(|b| *b == 0) => Security::Waiting,
        Some((1, rest)) if rest.iter().all(|b| *b == 0) => Security::Paired,
        _ => Security::Password(data.to_vec()),
    }
}

/// F1s V2 rule: exactly eight bytes of status.
fn f1sv2_status(data: &[u8]) -> Security {
    if data == [0u8; 8] {
        Security::Waiting
    } else if data == [1u8, 0, 0, 0, 0, 0, 0, 0] {
        Security::Paired
    } else {
        Security::Password(data.to_vec())
    }
}

async fn pair(
    hardware: &Arc<dyn Hardware>,
    endpoint: Endpoint,
    status: fn(&[u8]) -> Security,
    protocol: &str,
) -> Result<(), DeviceError> {
    let mut events = hardware.events();
    hardware.subscribe(endpoint).await?;
    let deadline = tokio::time::Instant::now() + PAIRING_TIMEOUT;
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .map_err(|_| {
                DeviceError::Timeout(format!(
                    "{protocol}: not paired; press the toy's power button while connecting"
                ))
            })?;
        match event {
            Ok(HardwareEvent::Notification { endpoint: e, data }) if e == endpoint => {
                match status(&data) {
                    Security::Waiting => {
                        tracing::info!("{protocol}: not paired yet, press the toy's power button")
                    }
                    Security::Paired => return Ok(()),
                    Security::Password(password) => {
                        hardware.unsubscribe(endpoint).await?;
                        hardware.write(endpoint, &password, true).await?;
                        hardware.subscribe(endpoint).await?;
                    }
                }
            }
            Ok(HardwareEvent::Notification { .. }) | Err(RecvError::Lagged(_)) => {}
            Ok(HardwareEvent::Disconnected) | Err(RecvError::Closed) => {
                return Err(DeviceError::protocol(
                    protocol,
                    "the toy left during the pairing handshake",
                ))
            }
        }
    }
}

struct LeloF1sV2;

#[async_trait]
impl ProtocolFactory for LeloF1sV2 {
    fn name(&self) -> &'static str {
        F1SV2
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        if hardware.endpoints().contains(&Endpoint::Whitelist) {
            pair(hardware, Endpoint::Whitelist, f1sv2_status, F1SV2).await?;
            AllFeatures::new(F1SV2, encode_f1sv2)
                .initialize(hardware, definition)
                .await
        } else {
            pair(hardware, Endpoint::Generic(0), f1sv2_status, F1SV2).await?;
            PerFeature::new(F1SV2, encode_harmony)
                .initialize(hardware, definition)
                .await
        }
    }
}

struct LeloHarmony;

#[async_trait]
impl ProtocolFactory for LeloHarmony {
    fn name(&self) -> &'static str {
        HARMONY
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        pair(hardware, Endpoint::Whitelist, harmony_status, HARMONY).await?;
        PerFeature::new(HARMONY, encode_harmony)
            .initialize(hardware, definition)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::SimOp;
    use OutputType::*;

    fn two_vibes() -> DeviceDefinition {
        def(&[
            (0, &[(Vibrate, 0, 100)], false),
            (1, &[(Vibrate, 0, 100)], false),
        ])
    }

    #[test]
    fn statuses() {
        assert_eq!(harmony_status(&[0]), Security::Waiting);
        assert_eq!(harmony_status(&[1]), Security::Paired);
        assert_eq!(
            harmony_status(&[1, 2, 3]),
            Security::Password(vec![1, 2, 3])
        );
        assert_eq!(f1sv2_status(&[0; 8]), Security::Waiting);
        assert_eq!(f1sv2_status(&[1, 0, 0, 0, 0, 0, 0, 0]), Security::Paired);
        assert_eq!(f1sv2_status(&[1]), Security::Password(vec![1]));
    }

    #[tokio::test]
    async fn f1s() {
        let (sim, hw) = connect(spec("F1s", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = init(&*f1s_factory(), &hw, &two_vibes()).await;
        assert_eq!(
            next(&sim).await,
            Some(SimOp::Subscribe {
                endpoint: Endpoint::Rx
            })
        );
        let e = |a: &[_]| writes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(0, Vibrate, 50)]),
            [(Endpoint::Tx, vec![1, 0x32, 0], false)]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 75), act(1, Vibrate, 50)]),
            [(Endpoint::Tx, vec![1, 0x4b, 0x32], false)]
        );
    }

    async fn paired(
        factory: Arc<dyn ProtocolFactory>,
        name: &str,
        endpoints: &[Endpoint],
        first: &[u8],
        done: &[u8],
        definition: DeviceDefinition,
    ) -> Arc<dyn ProtocolHandler> {
        let (sim, hw) = connect(spec(name, endpoints)).await;
        let task = tokio::spawn(async move { factory.initialize(&hw, &definition).await });
        let sub = SimOp::Subscribe {
            endpoint: Endpoint::Whitelist,
        };
        assert_eq!(next(&sim).await, Some(sub.clone()));
        sim.notify(Endpoint::Whitelist, first);
        sim.notify(Endpoint::Whitelist, &[1, 2, 3, 4, 5, 6, 8]);
        assert_eq!(
            next(&sim).await,
            Some(SimOp::Unsubscribe {
                endpoint: Endpoint::Whitelist
            })
        );
        assert_eq!(
            next(&sim).await,
            Some(w(Endpoint::Whitelist, &[1, 2, 3, 4, 5, 6, 8], true))
        );
        assert_eq!(next(&sim).await, Some(sub));
        sim.notify(Endpoint::Whitelist, done);
        task.await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn f1sv2() {
        let h = paired(
            f1sv2_factory(),
            "F1SV2A",
            &[
                Endpoint::Generic(0),
                Endpoint::Rx,
                Endpoint::Tx,
                Endpoint::TxVibrate,
                Endpoint::Whitelist,
            ],
            &[0; 8],
            &[1, 0, 0, 0, 0, 0, 0, 0],
            two_vibes(),
        )
        .await;
        let e = |a: &[_]| writes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(0, Vibrate, 50)]),
            [(Endpoint::Tx, vec![1, 0x32, 0], true)]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 0), act(1, Vibrate, 0)]),
            [(Endpoint::Tx, vec![1, 0, 0], true)]
        );
    }

    #[tokio::test]
    async fn harmony() {
        let ida = def(&[
            (0, &[(Vibrate, 0, 100)], false),
            (1, &[(Rotate, 0, 100)], false),
        ]);
        let h = paired(
            harmony_factory(),
            "IdaWave",
            &[Endpoint::Command, Endpoint::Tx, Endpoint::Whitelist],
            &[0],
            &[1],
            ida,
        )
        .await;
        let e = |a: &[_]| bytes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(0, Vibrate, 50)]),
            [vec![0x0a, 0x12, 1, 8, 0, 0, 0, 0, 0x32, 0]]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 75), act(1, Rotate, 50)]),
            [
                vec![0x0a, 0x12, 1, 8, 0, 0, 0, 0, 0x4b, 0],
                vec![0x0a, 0x12, 2, 8, 0, 0, 0, 0, 0x32, 0]
            ]
        );
    }
}
