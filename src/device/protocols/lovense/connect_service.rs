//! Lovense Connect service: Lovense toys paired with the Lovense Connect app, driven through the
//! app's local HTTP API instead of Bluetooth.
//!
//! The protocol writes the path and query of an HTTP GET request, as ASCII text without a
//! leading `/`, on `tx`; the comm manager's hardware requests `{service base URL}/{text}`. The
//! hardware address is the app's toy id and every request names it as `t=<id>`
//! (percent-encoded):
//!
//! * vibrate: `Vibrate?v=<level>&t=<id>` when the toy has one vibrator, else
//!   `Vibrate<feature index + 1>?v=<level>&t=<id>`;
//! * oscillate: `Thrusting?v=<level>&t=<id>` on toys that also vibrate (Gravity) and on the
//!   Solace; on toys whose only motion is oscillation (Sex Machine) the oscillators are driven
//!   like vibrators, with `Vibrate` commands;
//! * constrict: `AirAuto?v=<level>&t=<id>` (Max, 0–3);
//! * rotate with a signed range (Nora, Ridge): `Rotate?v=<speed>&t=<id>`, preceded by
//!   `RotateChange?t=<id>` when the direction differs from the one last set (the toy starts
//!   clockwise; a zero speed keeps the direction);
//! * rotate with an unsigned range (Flexer's fingering motor): `Fingering?v=<level>&t=<id>`.
//!
//! Initialisation writes nothing, except for the Solace (hardware name `Solace`, in any case,
//! or identifier `Solace`): `Depth?v=3&t=<id>` fixes its stroke depth.
//!
//! A battery read reads one byte from `rx`: the level the comm manager last learnt from the
//! app's toy list.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::messages::InputReadingValue;
use crate::core::types::{Endpoint, InputCommand, InputType, OutputType};
use crate::device::definition::{DeviceDefinition, FeatureDefinition};
use crate::device::protocol::{
    default_input, feature_bit, HwCommand, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::unsupported;
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "lovense-connect-service";
/// Stroke depth the Solace is set to at initialisation.
const SOLACE_DEPTH: u32 = 3;
/// How long a battery read may take.
const BATTERY_TIMEOUT: Duration = Duration::from_secs(2);

/// The factory registered as `lovense-connect-service`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(LovenseConnect)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

/// Percent-encodes a query value (unreserved characters pass through).
fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

struct LovenseConnect;

#[async_trait]
impl ProtocolFactory for LovenseConnect {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let toy = encode_query(hardware.address());
        let count = |t: OutputType| {
            definition
                .features
                .iter()
                .filter(|f| f.output(t).is_some())
                .count()
        };
        let solace = hardware.name().eq_ignore_ascii_case("solace")
            || definition.identifiers.iter().any(|i| i == "Solace");
        let vibrate = count(OutputType::Vibrate);
        let oscillate = count(OutputType::Oscillate);
        let (vibrators, thrusting) = if solace {
            (vibrate, true)
        } else if vibrate == 0 {
            (oscillate, false)
        } else {
            (vibrate, oscillate > 0)
        };
        let fingering = definition
            .features
            .iter()
            .filter(|f| f.output(OutputType::Rotate).is_some_and(|o| !o.signed()))
            .map(|f| f.index)
            .collect();
        if solace {
            let depth = format!("Depth?v={SOLACE_DEPTH}&t={toy}");
            hardware
                .write(Endpoint::Tx, depth.as_bytes(), false)
                .await?;
        }
        Ok(Arc::new(ConnectHandler {
            toy,
            vibrators,
            thrusting,
            fingering,
            clockwise: Mutex::new(true),
        }))
    }
}

struct ConnectHandler {
    /// The toy id, percent-encoded.
    toy: String,
    /// Features driven by `Vibrate` commands.
    vibrators: usize,
    /// Oscillation is sent as `Thrusting` (else it is driven like vibration).
    thrusting: bool,
    /// Features whose rotate output is the unsigned fingering motion.
    fingering: Vec<u32>,
    /// Rotation direction the toy is believed to have.
    clockwise: Mutex<bool>,
}

impl ConnectHandler {
    fn request(&self, feature: u32, command: String) -> HwCommand {
        HwCommand::write(Endpoint::Tx, command.into_bytes(), feature_bit(feature))
    }

    fn level(action: &OutputAction) -> Result<u32, DeviceError> {
        u32::try_from(action.value).map_err(|_| {
            DeviceError::protocol(
                NAME,
                format!("{} does not take negative values", action.kind),
            )
        })
    }

    fn vibrate(&self, action: &OutputAction) -> Result<HwCommand, DeviceError> {
        let v = Self::level(action)?;
        let command = if self.vibrators <= 1 {
            format!("Vibrate?v={v}&t={}", self.toy)
        } else {
            format!(
                "Vibrate{}?v={v}&t={}",
                action.feature.saturating_add(1),
                self.toy
            )
        };
        Ok(self.request(action.feature, command))
    }

    fn rotate(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        if self.fingering.contains(&action.feature) {
            let v = Self::level(action)?;
            return Ok(vec![self.request(
                action.feature,
                format!("Fingering?v={v}&t={}", self.toy),
            )]);
        }
        let mut clockwise = self.clockwise.lock();
        let wanted = action.value >= 0;
        let mut out = Vec::new();
        if action.value != 0 && wanted != *clockwise {
            // a toggle: never coalesced with anything (mask 0)
            out.push(HwCommand::write(
                Endpoint::Tx,
                format!("RotateChange?t={}", self.toy).into_bytes(),
                0,
            ));
            *clockwise = wanted;
        }
        out.push(self.request(
            action.feature,
            format!("Rotate?v={}&t={}", action.value.unsigned_abs(), self.toy),
        ));
        Ok(out)
    }
}

#[async_trait]
impl ProtocolHandler for ConnectHandler {
    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        match action.kind {
            OutputType::Vibrate => Ok(vec![self.vibrate(action)?]),
            OutputType::Oscillate if self.thrusting => {
                let v = Self::level(action)?;
                Ok(vec![self.request(
                    action.feature,
                    format!("Thrusting?v={v}&t={}", self.toy),
                )])
            }
            OutputType::Oscillate => Ok(vec![self.vibrate(action)?]),
            OutputType::Constrict => {
                let v = Self::level(action)?;
                Ok(vec![self.request(
                    action.feature,
                    format!("AirAuto?v={v}&t={}", self.toy),
                )])
            }
            OutputType::Rotate => self.rotate(action),
            _ => Err(unsupported(NAME, action)),
        }
    }

    async fn input(
        &self,
        hardware: &Arc<dyn Hardware>,
        feature: &FeatureDefinition,
        kind: InputType,
        command: InputCommand,
    ) -> Result<Option<InputReadingValue>, DeviceError> {
        match (kind, command) {
            (InputType::Battery, InputCommand::Read) => {
                let data = hardware.read(Endpoint::Rx, 1, BATTERY_TIMEOUT).await?;
                let level = data.first().copied().ok_or_else(|| {
                    DeviceError::protocol(NAME, "empty battery reading".to_string())
                })?;
                Ok(Some(InputReadingValue::Battery(level.min(100))))
            }
            _ => default_input(hardware, feature, kind, command).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::{SimDeviceSpec, SimHardware};
    use OutputType::*;

    fn toy(name: &str) -> SimDeviceSpec {
        let mut s = spec(name, &[Endpoint::Tx, Endpoint::Rx]);
        s.address = Some("c44f33a1b2".to_string());
        s
    }

    async fn handler(
        name: &str,
        definition: DeviceDefinition,
    ) -> (
        Arc<SimHardware>,
        Arc<dyn Hardware>,
        Arc<dyn ProtocolHandler>,
    ) {
        let (sim, hw) = connect(toy(name)).await;
        let h = init(&*factory(), &hw, &definition).await;
        (sim, hw, h)
    }

    fn text(h: &Arc<dyn ProtocolHandler>, actions: &[OutputAction]) -> Vec<String> {
        bytes(&h.outputs(actions).unwrap())
            .into_iter()
            .map(|b| String::from_utf8(b).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn single_vibrator_and_battery() {
        let d = def_with(
            &["Lush"],
            &[(0, &[(Vibrate, 0, 20)], false), (1, &[], true)],
        );
        let (sim, hw, h) = handler("Lush", d.clone()).await;
        // nothing written at initialisation
        assert!(sim.take_ops().is_empty());
        let cmds = h.outputs(&[act(0, Vibrate, 10)]).unwrap();
        assert_eq!(
            writes(&cmds),
            [(Endpoint::Tx, b"Vibrate?v=10&t=c44f33a1b2".to_vec(), false)]
        );
        assert_eq!(
            text(&h, &[act(0, Vibrate, 0)]),
            ["Vibrate?v=0&t=c44f33a1b2"]
        );
        assert!(h.outputs(&[act(0, Vibrate, -1)]).is_err());
        assert!(h.outputs(&[act(0, Position, 1)]).is_err());

        sim.queue_read(Endpoint::Rx, &[77]);
        let battery = d.features[1].clone();
        assert_eq!(
            h.input(&hw, &battery, InputType::Battery, InputCommand::Read)
                .await
                .unwrap(),
            Some(InputReadingValue::Battery(77))
        );
    }

    #[tokio::test]
    async fn dual_vibrators_and_air() {
        let edge = def(&[
            (0, &[(Vibrate, 0, 20)], false),
            (1, &[(Vibrate, 0, 20)], false),
            (2, &[], true),
        ]);
        let (_, _, h) = handler("Edge", edge).await;
        assert_eq!(
            text(&h, &[act(0, Vibrate, 5), act(1, Vibrate, 20)]),
            ["Vibrate1?v=5&t=c44f33a1b2", "Vibrate2?v=20&t=c44f33a1b2"]
        );

        let max = def(&[
            (0, &[(Vibrate, 0, 20)], false),
            (1, &[(Constrict, 0, 3)], false),
            (2, &[], true),
        ]);
        let (_, _, h) = handler("Max", max).await;
        assert_eq!(
            text(&h, &[act(0, Vibrate, 7), act(1, Constrict, 3)]),
            ["Vibrate?v=7&t=c44f33a1b2", "AirAuto?v=3&t=c44f33a1b2"]
        );
    }

    #[tokio::test]
    async fn oscillation() {
        let gravity = def(&[
            (0, &[(Vibrate, 0, 20)], false),
            (1, &[(Oscillate, 0, 20)], false),
            (2, &[], true),
        ]);
        let (_, _, h) = handler("Gravity", gravity).await;
        assert_eq!(
            text(&h, &[act(0, Vibrate, 4), act(1, Oscillate, 9)]),
            ["Vibrate?v=4&t=c44f33a1b2", "Thrusting?v=9&t=c44f33a1b2"]
        );

        let machine = def(&[(0, &[(Oscillate, 0, 20)], false), (1, &[], true)]);
        let (_, _, h) = handler("XMachine", machine).await;
        assert_eq!(
            text(&h, &[act(0, Oscillate, 12)]),
            ["Vibrate?v=12&t=c44f33a1b2"]
        );

        let solace = def_with(
            &["Solace"],
            &[(0, &[(Oscillate, 0, 20)], false), (1, &[], true)],
        );
        let (sim, _, h) = handler("Solace", solace).await;
        assert_eq!(
            sim.take_writes(),
            [(Endpoint::Tx, b"Depth?v=3&t=c44f33a1b2".to_vec())]
        );
        assert_eq!(
            text(&h, &[act(0, Oscillate, 15)]),
            ["Thrusting?v=15&t=c44f33a1b2"]
        );
    }

    #[tokio::test]
    async fn rotation_and_fingering() {
        let nora = def(&[
            (0, &[(Vibrate, 0, 20)], false),
            (1, &[(Rotate, -20, 20)], false),
            (2, &[], true),
        ]);
        let (_, _, h) = handler("Nora", nora).await;
        assert_eq!(
            text(&h, &[act(1, Rotate, 10)]),
            ["Rotate?v=10&t=c44f33a1b2"]
        );
        let cmds = h.outputs(&[act(1, Rotate, -20)]).unwrap();
        assert_eq!(
            bytes(&cmds),
            [
                b"RotateChange?t=c44f33a1b2".to_vec(),
                b"Rotate?v=20&t=c44f33a1b2".to_vec()
            ]
        );
        assert!(matches!(cmds[0], HwCommand::Write { features: 0, .. }));
        assert_eq!(text(&h, &[act(1, Rotate, 0)]), ["Rotate?v=0&t=c44f33a1b2"]);
        assert_eq!(text(&h, &[act(1, Rotate, -5)]), ["Rotate?v=5&t=c44f33a1b2"]);
        assert_eq!(
            text(&h, &[act(1, Rotate, 5)]),
            ["RotateChange?t=c44f33a1b2", "Rotate?v=5&t=c44f33a1b2"]
        );

        let flexer = def(&[
            (0, &[(Vibrate, 0, 20)], false),
            (1, &[(Rotate, 0, 20)], false),
            (2, &[], true),
        ]);
        let (_, _, h) = handler("Flexer", flexer).await;
        assert_eq!(
            text(&h, &[act(0, Vibrate, 3), act(1, Rotate, 6)]),
            ["Vibrate?v=3&t=c44f33a1b2", "Fingering?v=6&t=c44f33a1b2"]
        );
    }

    #[test]
    fn toy_ids_are_encoded() {
        assert_eq!(encode_query("ab12-_.~"), "ab12-_.~");
        assert_eq!(encode_query("a b&c"), "a%20b%26c");
    }
}
