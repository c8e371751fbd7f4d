//! Lovense: ASCII commands on `tx`, replies as notifications on `rx`.
//!
//! Identification subscribes `rx` and asks `DeviceType;`; the reply `T:VV:ADDRESS;` gives the
//! model letters `T` (the Flexer with firmware 3 or later becomes `EI-FW3`). Without a reply
//! (six attempts, 500 ms apart) the model comes from a BLE name `LVS-<letters><digits>`, else the
//! protocol defaults apply.
//!
//! The packet family is chosen from the feature layout, like the reference does:
//!
//! * one output feature: `Vibrate:n;` (also for oscillation), `Rotate:n;`, `Air:Level:n;`;
//! * vibrator + rotator (Nora): `Vibrate:n;`, and `Rotate:n;` preceded by `RotateChange;` when
//!   the direction changes;
//! * vibrator + air pump (Max): `Vibrate:n;` and `Air:Level:n;`;
//! * three or more outputs with several vibrators (Flexer, Lapis): one `Mply:a:b:c;` packet with
//!   every output's value;
//! * other two-output toys: `Vibrate1:n;`, `Vibrate2:n;`;
//! * strokers (Solace `H`, Solace Pro `BA`): `Mply:speed:range;`, and for the Solace Pro a
//!   position follower that writes `FSetSite:p;` every 100 ms towards the requested position.
//!
//! Battery reads write `Battery;` and parse the `NN;` (or `sNN;`) reply. The keep-alive packet is
//! `DeviceType;`.

pub(crate) mod connect_service;

use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::broadcast::error::RecvError;

use crate::core::messages::InputReadingValue;
use crate::core::types::{Endpoint, InputCommand, InputType, OutputType};
use crate::device::definition::{DeviceDefinition, FeatureDefinition};
use crate::device::protocol::{
    default_input, feature_bit, FeatureMask, HwCommand, Identified, Initializer, KeepAlive,
    OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::unsupported;
use crate::error::DeviceError;
use crate::hwmgr::{Hardware, HardwareEvent};

const NAME: &str = "lovense";
/// How long one `DeviceType;` query waits for its reply.
const QUERY_TIMEOUT: Duration = Duration::from_millis(500);
/// `DeviceType;` queries before falling back to the BLE name.
const QUERY_ATTEMPTS: u32 = 6;
/// How long a battery query waits for its reply.
const BATTERY_TIMEOUT: Duration = Duration::from_millis(1000);
/// Period of the Solace Pro position follower.
const STROKER_TICK: Duration = Duration::from_millis(100);

/// The Lovense protocol factory.
struct Lovense;

/// Initialises a device with the type its `DeviceType;` reply (or its name) gave.
struct LovenseInit {
    device_type: String,
}

/// The factory registered as `lovense`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(Lovense)
}

/// The protocols of this family (its members' included), for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    let mut list: Vec<Arc<dyn ProtocolFactory>> = vec![factory()];
    list.extend(connect_service::factories());
    list
}

/// Parses a `DeviceType;` reply (`A:11:0082059AD3BD;`) into the model identifier.
fn parse_device_type(data: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(data).ok()?.trim();
    let text = text.strip_suffix(';').unwrap_or(text);
    let mut parts = text.split(':');
    let kind = parts.next()?.trim();
    let version = parts.next()?;
    if kind.is_empty() {
        return None;
    }
    let version: i64 = version.trim().parse().unwrap_or(0);
    if kind == "EI" && version >= 3 {
        return Some("EI-FW3".to_string());
    }
    Some(kind.to_string())
}

/// The model letters of a BLE name `...LVS-<uppercase letters><digit>...`.
fn type_from_name(name: &str) -> Option<String> {
    let mut rest = name;
    while let Some(pos) = rest.find("LVS-") {
        let after = rest.get(pos + 4..)?;
        let letters: String = after
            .chars()
            .take_while(|c| c.is_ascii_uppercase())
            .collect();
        let digit_follows = after
            .get(letters.len()..)
            .and_then(|s| s.chars().next())
            .is_some_and(|c| c.is_ascii_digit());
        if !letters.is_empty() && digit_follows {
            return Some(letters);
        }
        rest = after;
    }
    None
}

/// Parses a battery reply (`85;` or `s85;`).
fn parse_battery(data: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(data).ok()?.trim();
    let text = text.strip_suffix(';')?;
    let text = text.strip_prefix('s').unwrap_or(text);
    let level: u8 = text.parse().ok()?;
    Some(level.min(100))
}

async fn query_device_type(hardware: &Arc<dyn Hardware>) -> Result<Option<String>, DeviceError> {
    let mut events = hardware.events();
    hardware.subscribe(Endpoint::Rx).await?;
    for _ in 0..QUERY_ATTEMPTS {
        hardware.write(Endpoint::Tx, b"DeviceType;", false).await?;
        let deadline = tokio::time::Instant::now() + QUERY_TIMEOUT;
        loop {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Err(_) => break,
                Ok(Ok(HardwareEvent::Notification { endpoint, data })) => {
                    if endpoint != Endpoint::Rx {
                        continue;
                    }
                    if let Some(kind) = parse_device_type(&data) {
                        return Ok(Some(kind));
                    }
                    tracing::debug!(reply = ?data, "lovense: unexpected reply to DeviceType;");
                }
                Ok(Ok(HardwareEvent::Disconnected)) | Ok(Err(RecvError::Closed)) => {
                    return Err(DeviceError::Disconnected(
                        "lovense device left while identifying".to_string(),
                    ))
                }
                Ok(Err(RecvError::Lagged(_))) => {}
            }
        }
    }
    Ok(None)
}

#[async_trait]
impl ProtocolFactory for Lovense {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn identify(&self, hardware: &Arc<dyn Hardware>) -> Result<Identified, DeviceError> {
        let identifier = match query_device_type(hardware).await? {
            Some(kind) => Some(kind),
            None => {
                tracing::warn!(
                    name = hardware.name(),
                    "lovense: no DeviceType reply, trying the BLE name"
                );
                type_from_name(hardware.name())
            }
        };
        Ok(match identifier {
            Some(device_type) => Identified::new(NAME, Some(device_type.clone()))
                .with_initializer(LovenseInit { device_type }),
            None => Identified::new(NAME, None),
        })
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        Ok(build_handler(hardware, definition, None))
    }
}

#[async_trait]
impl Initializer for LovenseInit {
    async fn initialize(
        self: Box<Self>,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        Ok(build_handler(hardware, definition, Some(&self.device_type)))
    }
}

/// The handler of a device of the given type (when identification found one) and definition.
fn build_handler(
    hardware: &Arc<dyn Hardware>,
    definition: &DeviceDefinition,
    device_type: Option<&str>,
) -> Arc<dyn ProtocolHandler> {
    let is_type = |t: &str| device_type == Some(t) || definition.identifiers.iter().any(|i| i == t);
    let layout = Layout::of(definition);
    let kind = if is_type("BA") || is_type("H") {
        Kind::Stroker {
            zero_range_on_stop: is_type("H"),
        }
    } else {
        layout.kind()
    };
    let stroker = if matches!(kind, Kind::Stroker { .. }) && layout.positions > 0 {
        Some(Stroker::start(hardware.clone()))
    } else {
        None
    };
    Arc::new(LovenseHandler {
        kind,
        multi_mask: layout.output_mask,
        multi: Mutex::new(layout.output_slots.iter().map(|f| (*f, 0)).collect()),
        clockwise: Mutex::new(true),
        stroker,
    })
}

/// Feature counts that select the packet family.
struct Layout {
    /// Features with any output, in index order.
    output_slots: Vec<u32>,
    /// Mask of those features.
    output_mask: FeatureMask,
    vibrate_or_oscillate: usize,
    vibrate: usize,
    rotate: usize,
    constrict: usize,
    positions: usize,
}

impl Layout {
    fn of(definition: &DeviceDefinition) -> Layout {
        let with = |t: OutputType| {
            definition
                .features
                .iter()
                .filter(|f| f.output(t).is_some())
                .count()
        };
        let output_slots: Vec<u32> = definition
            .features
            .iter()
            .filter(|f| !f.outputs.is_empty())
            .map(|f| f.index)
            .collect();
        Layout {
            output_mask: output_slots.iter().fold(0, |m, f| m | feature_bit(*f)),
            vibrate_or_oscillate: definition
                .features
                .iter()
                .filter(|f| {
                    f.output(OutputType::Vibrate).is_some()
                        || f.output(OutputType::Oscillate).is_some()
                })
                .count(),
            vibrate: with(OutputType::Vibrate),
            rotate: with(OutputType::Rotate),
            constrict: with(OutputType::Constrict),
            positions: with(OutputType::HwPositionWithDuration),
            output_slots,
        }
    }

    fn kind(&self) -> Kind {
        let outputs = self.output_slots.len();
        if outputs <= 1 {
            Kind::Single
        } else if outputs == 2 && self.vibrate == 1 && self.constrict == 1 {
            Kind::Max
        } else if outputs == 2 && self.vibrate == 1 && self.rotate == 1 {
            Kind::RotateVibrator
        } else if (self.vibrate_or_oscillate == 2 && outputs > 2) || self.vibrate_or_oscillate > 2 {
            Kind::Multi
        } else {
            Kind::Dual
        }
    }
}

/// The packet family of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Single,
    Max,
    RotateVibrator,
    Multi,
    Dual,
    Stroker { zero_range_on_stop: bool },
}

struct LovenseHandler {
    kind: Kind,
    multi_mask: FeatureMask,
    /// `Mply` values by output feature (multi-actuator devices).
    multi: Mutex<Vec<(u32, u32)>>,
    /// Rotation direction the protocol believes the device has.
    clockwise: Mutex<bool>,
    stroker: Option<Arc<Stroker>>,
}

fn text(feature: u32, command: String) -> HwCommand {
    HwCommand::write(Endpoint::Tx, command.into_bytes(), feature_bit(feature))
}

fn speed(action: &OutputAction) -> Result<u32, DeviceError> {
    u32::try_from(action.value).map_err(|_| {
        DeviceError::protocol(
            NAME,
            format!("{} does not take negative values", action.kind),
        )
    })
}

impl LovenseHandler {
    fn rotate(&self, action: &OutputAction) -> Vec<HwCommand> {
        let mut clockwise = self.clockwise.lock();
        let mut out = Vec::new();
        // a speed of 0 has no direction: the remembered one stays (a stop resets it)
        if action.value != 0 {
            let wanted = action.value > 0;
            if wanted != *clockwise {
                // a toggle: never coalesced with anything (mask 0)
                out.push(HwCommand::write(Endpoint::Tx, b"RotateChange;".to_vec(), 0));
            }
            *clockwise = wanted;
        }
        out.push(text(
            action.feature,
            format!("Rotate:{};", action.value.unsigned_abs()),
        ));
        out
    }

    fn multi(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        let value = action.value.unsigned_abs();
        let mut values = self.multi.lock();
        let slot = values
            .iter_mut()
            .find(|(f, _)| *f == action.feature)
            .ok_or_else(|| unsupported(NAME, action))?;
        slot.1 = value;
        let list: Vec<String> = values.iter().map(|(_, v)| v.to_string()).collect();
        Ok(vec![HwCommand::write(
            Endpoint::Tx,
            format!("Mply:{};", list.join(":")).into_bytes(),
            self.multi_mask,
        )])
    }

    fn stroker(
        &self,
        action: &OutputAction,
        zero_range_on_stop: bool,
    ) -> Result<Vec<HwCommand>, DeviceError> {
        match action.kind {
            OutputType::Oscillate => {
                let v = speed(action)?;
                if v == 0 {
                    if let Some(s) = &self.stroker {
                        s.halt();
                    }
                }
                let range = if v == 0 && zero_range_on_stop { 0 } else { 20 };
                Ok(vec![text(action.feature, format!("Mply:{v}:{range};"))])
            }
            OutputType::HwPositionWithDuration => {
                let stroker = self
                    .stroker
                    .as_ref()
                    .ok_or_else(|| unsupported(NAME, action))?;
                stroker.move_to(speed(action)?, action.duration.unwrap_or(0));
                Ok(Vec::new())
            }
            OutputType::Vibrate => Ok(vec![text(
                action.feature,
                format!("Vibrate:{};", speed(action)?),
            )]),
            _ => Err(unsupported(NAME, action)),
        }
    }
}

#[async_trait]
impl ProtocolHandler for LovenseHandler {
    /// A stop also forgets the rotation direction: the toy is taken to turn clockwise again, so
    /// the next counter-clockwise command sends `RotateChange;` (the conformance vector
    /// `lovense_nora`).
    fn stop_outputs(&self, actions: &[OutputAction]) -> Result<Vec<HwCommand>, DeviceError> {
        let out = self.outputs(actions)?;
        *self.clockwise.lock() = true;
        Ok(out)
    }

    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        match (self.kind, action.kind) {
            (Kind::Stroker { zero_range_on_stop }, _) => self.stroker(action, zero_range_on_stop),
            (Kind::Multi, OutputType::Vibrate | OutputType::Oscillate | OutputType::Rotate) => {
                self.multi(action)
            }
            (Kind::Dual, OutputType::Vibrate | OutputType::Oscillate) => Ok(vec![text(
                action.feature,
                format!(
                    "Vibrate{}:{};",
                    action.feature.saturating_add(1),
                    speed(action)?
                ),
            )]),
            (_, OutputType::Vibrate | OutputType::Oscillate) => Ok(vec![text(
                action.feature,
                format!("Vibrate:{};", speed(action)?),
            )]),
            (_, OutputType::Rotate) => Ok(self.rotate(action)),
            (_, OutputType::Constrict) => Ok(vec![text(
                action.feature,
                format!("Air:Level:{};", speed(action)?),
            )]),
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
            (InputType::Battery, InputCommand::Read) => read_battery(hardware)
                .await
                .map(|v| Some(InputReadingValue::Battery(v))),
            _ => default_input(hardware, feature, kind, command).await,
        }
    }

    fn keepalive(&self) -> KeepAlive {
        KeepAlive::FixedIfRequired {
            endpoint: Endpoint::Tx,
            data: b"DeviceType;".to_vec(),
        }
    }
}

async fn read_battery(hardware: &Arc<dyn Hardware>) -> Result<u8, DeviceError> {
    let mut events = hardware.events();
    hardware.write(Endpoint::Tx, b"Battery;", false).await?;
    let deadline = tokio::time::Instant::now() + BATTERY_TIMEOUT;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => {
                return Err(DeviceError::Timeout(
                    "lovense battery query got no reply".to_string(),
                ))
            }
            Ok(Ok(HardwareEvent::Notification { data, .. })) => {
                if let Some(level) = parse_battery(&data) {
                    return Ok(level);
                }
            }
            Ok(Ok(HardwareEvent::Disconnected)) | Ok(Err(RecvError::Closed)) => {
                return Err(DeviceError::Disconnected(
                    "lovense device left during a battery query".to_string(),
                ))
            }
            Ok(Err(RecvError::Lagged(_))) => {}
        }
    }
}

/// Position follower of the Solace Pro: moves towards the goal in 100 ms steps.
struct Stroker {
    motion: Mutex<Motion>,
}

#[derive(Default)]
struct Motion {
    current: i64,
    goal: i64,
    step: i64,
    /// A new goal `(position, duration ms)` not yet planned.
    request: Option<(i64, u32)>,
}

impl Stroker {
    fn start(hardware: Arc<dyn Hardware>) -> Arc<Stroker> {
        let stroker = Arc::new(Stroker {
            motion: Mutex::new(Motion::default()),
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(follow(Arc::downgrade(&stroker), hardware));
        } else {
            tracing::warn!("lovense: no runtime, position moves are disabled");
        }
        stroker
    }

    fn move_to(&self, position: u32, duration_ms: u32) {
        self.motion.lock().request = Some((i64::from(position), duration_ms));
    }

    fn halt(&self) {
        let mut m = self.motion.lock();
        let here = m.current;
        m.request = Some((here, 0));
    }

    /// Advances one tick; returns the position to send, if the toy has to move.
    fn tick(&self) -> Option<i64> {
        let mut m = self.motion.lock();
        // a request for the goal already being followed keeps the plan (as the reference's
        // mover, which re-plans only when the goal changes)
        if let Some((goal, duration)) = m.request.take().filter(|(g, _)| *g != m.goal) {
            m.goal = goal;
            let steps = i64::from((duration / 100).max(1));
            let distance = goal - m.current;
            m.step = distance / steps;
            if m.step == 0 {
                m.step = distance.signum();
            }
        }
        if m.current == m.goal {
            return None;
        }
        let next = m.current + m.step;
        m.current = if m.step < 0 {
            next.max(m.goal)
        } else {
            next.min(m.goal)
        };
        Some(m.current)
    }
}

async fn follow(stroker: Weak<Stroker>, hardware: Arc<dyn Hardware>) {
    loop {
        let Some(s) = stroker.upgrade() else {
            return;
        };
        let position = s.tick();
        drop(s);
        if let Some(p) = position {
            let packet = format!("FSetSite:{p};");
            if hardware
                .write(Endpoint::Tx, packet.as_bytes(), false)
                .await
                .is_err()
            {
                return;
            }
        }
        tokio::time::sleep(STROKER_TICK).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use crate::hwmgr::sim::SimOp;
    use OutputType::*;

    fn encode(h: &Arc<dyn ProtocolHandler>, actions: &[OutputAction]) -> Vec<String> {
        bytes(&h.outputs(actions).unwrap())
            .into_iter()
            .map(|b| String::from_utf8(b).unwrap())
            .collect()
    }

    #[test]
    fn parses_replies_and_names() {
        assert_eq!(
            parse_device_type(b"Z:11:0082059AD3BD;").as_deref(),
            Some("Z")
        );
        assert_eq!(
            parse_device_type(b"EI:02:0082059AD3BD;").as_deref(),
            Some("EI")
        );
        assert_eq!(
            parse_device_type(b"EI:03:0082059AD3BD;").as_deref(),
            Some("EI-FW3")
        );
        assert_eq!(parse_device_type(b"OK;"), None);
        assert_eq!(type_from_name("LVS-Z36").as_deref(), Some("Z"));
        assert_eq!(type_from_name("LVS-DoesntMatter"), None);
        assert_eq!(type_from_name("LVS-Hush"), None);
        assert_eq!(parse_battery(b"100;"), Some(100));
        assert_eq!(parse_battery(b"s85;"), Some(85));
        assert_eq!(parse_battery(b"OK;"), None);
    }

    async fn identified(reply: Option<&[u8]>, name: &str) -> (Arc<SimHardware>, Identified) {
        let (sim, hw) = connect(spec(name, &[Endpoint::Rx, Endpoint::Tx])).await;
        let f = Lovense;
        let task = {
            let hw = hw.clone();
            tokio::spawn(async move {
                let f = f;
                f.identify(&hw).await
            })
        };
        assert_eq!(
            next(&sim).await,
            Some(SimOp::Subscribe {
                endpoint: Endpoint::Rx
            })
        );
        assert_eq!(
            next(&sim).await,
            Some(w(Endpoint::Tx, b"DeviceType;", false))
        );
        if let Some(r) = reply {
            sim.notify(Endpoint::Rx, r);
        }
        (sim, task.await.unwrap().unwrap())
    }

    use crate::hwmgr::sim::SimHardware;

    #[tokio::test]
    async fn identifies_by_device_type_reply() {
        let (_, id) = identified(Some(b"A:11:0082059AD3BD;"), "LVS-DoesntMatter").await;
        assert_eq!(id.identification.identifier.as_deref(), Some("A"));
        assert_eq!(id.identification.protocol, "lovense");
        let (_, id) = identified(Some(b"EI:03:0082059AD3BD;"), "LVS-DoesntMatter").await;
        assert_eq!(id.identification.identifier.as_deref(), Some("EI-FW3"));
    }

    #[tokio::test]
    async fn falls_back_to_the_name() {
        let (sim, id) = identified(None, "LVS-P36").await;
        assert_eq!(id.identification.identifier.as_deref(), Some("P"));
        // six queries in all
        assert_eq!(sim.take_ops().len(), 5);
        assert_eq!(type_from_name("LVS-Edge37"), None);
    }

    #[tokio::test]
    async fn the_identified_type_reaches_initialisation() {
        // a Solace whose type is not among the definition's identifiers (the protocol defaults)
        let defaults = def(&[(0, &[(Oscillate, 0, 20)], false), (1, &[], true)]);
        let (sim, id) = identified(Some(b"H:11:0082059AD3BD;"), "LVS-Unknown").await;
        assert!(id.has_initializer());
        let hw: Arc<dyn Hardware> = sim;
        let h = id.initialize(&Lovense, &hw, &defaults).await.unwrap();
        assert_eq!(encode(&h, &[act(0, Oscillate, 10)]), ["Mply:10:20;"]);
        // without identification the same definition is a plain vibrator
        let h = Lovense.initialize(&hw, &defaults).await.unwrap();
        assert_eq!(encode(&h, &[act(0, Oscillate, 10)]), ["Vibrate:10;"]);
        // no type found: nothing to carry
        let (_, id) = identified(None, "LVS-Unknown").await;
        assert!(!id.has_initializer());
    }

    async fn handler(definition: DeviceDefinition) -> Arc<dyn ProtocolHandler> {
        let (_, hw) = connect(spec("LVS-Test", &[Endpoint::Rx, Endpoint::Tx])).await;
        Lovense.initialize(&hw, &definition).await.unwrap()
    }

    #[tokio::test]
    async fn single_and_dual() {
        let h = handler(def(&[(0, &[(Vibrate, 0, 20)], false), (1, &[], true)])).await;
        assert_eq!(encode(&h, &[act(0, Vibrate, 10)]), ["Vibrate:10;"]);
        assert_eq!(encode(&h, &[act(0, Vibrate, 0)]), ["Vibrate:0;"]);
        let h = handler(def(&[(0, &[(Oscillate, 0, 20)], false), (1, &[], true)])).await;
        assert_eq!(encode(&h, &[act(0, Oscillate, 10)]), ["Vibrate:10;"]);

        let edge = def(&[
            (0, &[(Vibrate, 0, 20)], false),
            (1, &[(Vibrate, 0, 20)], false),
            (2, &[], true),
        ]);
        let h = handler(edge).await;
        assert_eq!(encode(&h, &[act(0, Vibrate, 5)]), ["Vibrate1:5;"]);
        assert_eq!(
            encode(&h, &[act(0, Vibrate, 10), act(1, Vibrate, 10)]),
            ["Vibrate1:10;", "Vibrate2:10;"]
        );
        let spinel = def(&[
            (0, &[(Vibrate, 0, 20)], false),
            (1, &[(Oscillate, 0, 20)], false),
            (2, &[], true),
        ]);
        let h = handler(spinel).await;
        assert_eq!(
            encode(&h, &[act(0, Vibrate, 10), act(1, Oscillate, 10)]),
            ["Vibrate1:10;", "Vibrate2:10;"]
        );
    }

    #[tokio::test]
    async fn nora_rotation_direction() {
        let nora = def(&[
            (0, &[(Vibrate, 0, 20)], false),
            (1, &[(Rotate, -20, 20)], false),
            (2, &[], true),
        ]);
        let h = handler(nora).await;
        assert_eq!(encode(&h, &[act(0, Vibrate, 10)]), ["Vibrate:10;"]);
        let cmds = h.outputs(&[act(1, Rotate, -20)]).unwrap();
        assert_eq!(
            bytes(&cmds),
            [b"RotateChange;".to_vec(), b"Rotate:20;".to_vec()]
        );
        assert!(matches!(cmds[0], HwCommand::Write { features: 0, .. }));
        // a speed of 0 keeps the direction (as the reference does)
        assert_eq!(
            encode(&h, &[act(0, Vibrate, 0), act(1, Rotate, 0)]),
            ["Vibrate:0;", "Rotate:0;"]
        );
        assert_eq!(encode(&h, &[act(1, Rotate, -10)]), ["Rotate:10;"]);
        assert_eq!(encode(&h, &[act(1, Rotate, -15)]), ["Rotate:15;"]);
        assert_eq!(
            encode(&h, &[act(1, Rotate, 15)]),
            ["RotateChange;", "Rotate:15;"]
        );
        // a stop resets it to clockwise
        assert_eq!(
            encode(&h, &[act(1, Rotate, -15)]),
            ["RotateChange;", "Rotate:15;"]
        );
        let stop = h
            .stop_outputs(&[act(0, Vibrate, 0), act(1, Rotate, 0)])
            .unwrap();
        assert_eq!(
            bytes(&stop),
            [b"Vibrate:0;".to_vec(), b"Rotate:0;".to_vec()]
        );
        assert_eq!(
            encode(&h, &[act(1, Rotate, -10)]),
            ["RotateChange;", "Rotate:10;"]
        );
    }

    #[tokio::test]
    async fn max_and_multi() {
        let max = def(&[
            (0, &[(Vibrate, 0, 20)], false),
            (1, &[(Constrict, 0, 3)], false),
            (2, &[], true),
        ]);
        let h = handler(max).await;
        assert_eq!(
            encode(&h, &[act(0, Vibrate, 0), act(1, Constrict, 0)]),
            ["Vibrate:0;", "Air:Level:0;"]
        );
        assert_eq!(encode(&h, &[act(1, Constrict, 2)]), ["Air:Level:2;"]);

        let flexer = def(&[
            (0, &[(Vibrate, 0, 20)], false),
            (1, &[(Vibrate, 0, 20)], false),
            (2, &[(Rotate, 0, 20)], false),
            (3, &[], true),
        ]);
        let h = handler(flexer).await;
        assert_eq!(
            encode(&h, &[act(0, Vibrate, 10), act(1, Vibrate, 10)]),
            ["Mply:10:10:0;"]
        );
        assert_eq!(
            encode(&h, &[act(0, Vibrate, 15), act(2, Rotate, 5)]),
            ["Mply:15:10:5;"]
        );
        assert_eq!(
            encode(
                &h,
                &[act(0, Vibrate, 0), act(1, Vibrate, 0), act(2, Rotate, 0)]
            ),
            ["Mply:0:0:0;"]
        );
    }

    #[tokio::test]
    async fn solace_strokers() {
        let solace = def_with(&["H"], &[(0, &[(Oscillate, 0, 20)], false), (1, &[], true)]);
        let h = handler(solace).await;
        assert_eq!(encode(&h, &[act(0, Oscillate, 10)]), ["Mply:10:20;"]);
        assert_eq!(encode(&h, &[act(0, Oscillate, 0)]), ["Mply:0:0;"]);

        let (sim, hw) = connect(spec("LVS-Test", &[Endpoint::Rx, Endpoint::Tx])).await;
        let pro = def_with(
            &["BA"],
            &[
                (
                    0,
                    &[(HwPositionWithDuration, 0, 100), (Oscillate, 0, 20)],
                    false,
                ),
                (1, &[], true),
            ],
        );
        let h = Lovense.initialize(&hw, &pro).await.unwrap();
        assert_eq!(encode(&h, &[act(0, Oscillate, 0)]), ["Mply:0:20;"]);
        assert!(h.outputs(&[mv(0, 30, 300)]).unwrap().is_empty());
        let mut seen = Vec::new();
        for _ in 0..3 {
            match next(&sim).await {
                Some(SimOp::Write { data, .. }) => seen.push(String::from_utf8(data).unwrap()),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(seen, ["FSetSite:10;", "FSetSite:20;", "FSetSite:30;"]);
    }

    #[tokio::test]
    async fn battery_query() {
        let (sim, hw) = connect(spec("LVS-Test", &[Endpoint::Rx, Endpoint::Tx])).await;
        hw.subscribe(Endpoint::Rx).await.unwrap();
        let _ = sim.take_ops();
        let h = Lovense
            .initialize(
                &hw,
                &def(&[(0, &[(Vibrate, 0, 20)], false), (1, &[], true)]),
            )
            .await
            .unwrap();
        let feature = def(&[(1, &[], true)]).features[0].clone();
        let task = {
            let hw = hw.clone();
            tokio::spawn(async move {
                h.input(&hw, &feature, InputType::Battery, InputCommand::Read)
                    .await
            })
        };
        assert_eq!(next(&sim).await, Some(w(Endpoint::Tx, b"Battery;", false)));
        sim.notify(Endpoint::Rx, b"OK;");
        sim.notify(Endpoint::Rx, b"100;");
        assert_eq!(
            task.await.unwrap().unwrap(),
            Some(InputReadingValue::Battery(100))
        );
    }
}
