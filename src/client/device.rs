//! [`ClientDevice`]: a device announced by the server, and the commands a client sends to it.
//!
//! Commands are expressed in the v4 feature model. On a v3 server they are converted to the
//! legacy messages through the device's [`LegacyView`] (the same index spaces the server
//! advertised): `ScalarCmd` for scalar outputs, `RotateCmd` for bidirectional rotators,
//! `LinearCmd` for position-with-duration outputs and `SensorReadCmd` for battery reads.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use crate::core::legacy::LegacyView;
use crate::core::messages::{
    ClientMessage, DeviceFeature, DeviceInfo, InputReadingValue, LinearSub, OutputCommand,
    RotateSub, ScalarSub, ServerMessage,
};
use crate::core::types::{InputCommand, InputType, OutputType, SpecVersion};
use crate::error::{DeviceError, Error, ProtocolError};

use super::{outcome, Done, Shared};

/// Below this, a scaled float counts as zero steps (`devices.md` §5, client rule).
const ZERO_STEP_EPSILON: f64 = 0.000_001;

/// A device known to a [`Client`](super::Client).
///
/// Cheap to clone. A `ClientDevice` does not keep the connection open: once the client is
/// disconnected (or its last clone dropped), commands fail with
/// [`TransportError::Closed`](crate::error::TransportError::Closed).
#[derive(Clone)]
pub struct ClientDevice {
    info: Arc<DeviceInfo>,
    shared: Arc<Shared>,
}

impl fmt::Debug for ClientDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientDevice")
            .field("index", &self.info.index)
            .field("name", &self.info.name)
            .finish()
    }
}

/// A legacy (v3) output sub-command produced from one v4 output command.
enum LegacyOutput {
    Scalar(ScalarSub),
    Rotate(RotateSub),
    Linear(LinearSub),
}

impl ClientDevice {
    pub(crate) fn new(info: Arc<DeviceInfo>, shared: Arc<Shared>) -> ClientDevice {
        ClientDevice { info, shared }
    }

    /// The device index assigned by the server.
    pub fn index(&self) -> u32 {
        self.info.index
    }

    /// The device name from the server's configuration.
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// The display name the user gave the device, if any.
    pub fn display_name(&self) -> Option<&str> {
        self.info.display_name.as_deref()
    }

    /// The full description: features with their outputs and inputs.
    ///
    /// For a v3 server the features were synthesised from the legacy attribute lists; feature
    /// indexes then follow the `ScalarCmd` list, then `LinearCmd`, then `SensorReadCmd`.
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// Sends one output command to one feature, in steps (see the feature's advertised range).
    ///
    /// The command is checked against the advertised features first (unknown feature, output
    /// type not offered, value or duration out of range give a [`DeviceError`]). On a v3 server
    /// it is converted to `ScalarCmd`, `RotateCmd` or `LinearCmd`.
    pub async fn output(&self, feature_index: u32, command: OutputCommand) -> Result<(), Error> {
        self.send_outputs(&[(feature_index, command)]).await
    }

    /// Sets every `Vibrate` output to `level` (0.0 ..= 1.0).
    pub async fn vibrate(&self, level: f64) -> Result<(), Error> {
        self.scalar_all(OutputType::Vibrate, level).await
    }

    /// Sets every `Rotate` output to `speed` (-1.0 ..= 1.0). The sign is the direction
    /// (positive = clockwise) and is only accepted by bidirectional rotators.
    pub async fn rotate(&self, speed: f64) -> Result<(), Error> {
        self.scalar_all(OutputType::Rotate, speed).await
    }

    /// Sets every `Oscillate` output to `level` (0.0 ..= 1.0).
    pub async fn oscillate(&self, level: f64) -> Result<(), Error> {
        self.scalar_all(OutputType::Oscillate, level).await
    }

    /// Sets every `Constrict` output to `level` (0.0 ..= 1.0).
    pub async fn constrict(&self, level: f64) -> Result<(), Error> {
        self.scalar_all(OutputType::Constrict, level).await
    }

    /// Moves to `position` (0.0 ..= 1.0) over `duration_ms`.
    ///
    /// Drives every `HwPositionWithDuration` output; a device without any is driven through its
    /// `Position` outputs instead (which move as fast as they can and ignore the duration).
    pub async fn position(&self, position: f64, duration_ms: u32) -> Result<(), Error> {
        let timed = self.features_with(OutputType::HwPositionWithDuration);
        let (kind, features) = if timed.is_empty() {
            (
                OutputType::Position,
                self.features_with(OutputType::Position),
            )
        } else {
            (OutputType::HwPositionWithDuration, timed)
        };
        if features.is_empty() {
            return Err(not_supported(&self.info, "position outputs"));
        }
        let mut commands = Vec::with_capacity(features.len());
        for (feature_index, range) in features {
            let value = float_to_steps(position, range, kind)?;
            let duration = (kind == OutputType::HwPositionWithDuration).then_some(duration_ms);
            commands.push((
                feature_index,
                OutputCommand {
                    kind,
                    value,
                    duration,
                },
            ));
        }
        self.send_outputs(&commands).await
    }

    /// Reads the battery level, 0.0 ..= 1.0, from the first feature with a readable `Battery`
    /// input (v4 `InputCmd`, or v3 `SensorReadCmd`).
    pub async fn battery(&self) -> Result<f64, Error> {
        let feature = self
            .info
            .features
            .iter()
            .find(|f| {
                f.input(InputType::Battery)
                    .is_some_and(|i| i.commands.contains(&InputCommand::Read))
            })
            .ok_or_else(|| not_supported(&self.info, "battery input"))?;
        match self.read_input(feature.index, InputType::Battery).await? {
            InputReadingValue::Battery(percent) => Ok(f64::from(percent.min(100)) / 100.0),
            other => Err(ProtocolError::Message(format!(
                "battery read answered with a {} reading",
                other.input_type()
            ))
            .into()),
        }
    }

    /// Reads one input once.
    ///
    /// On a v3 server only `Battery` inputs can be read (`SensorReadCmd`).
    pub async fn read_input(
        &self,
        feature_index: u32,
        kind: InputType,
    ) -> Result<InputReadingValue, Error> {
        outcome(|done| self.read_input_then(feature_index, kind, done)).await
    }

    /// [`ClientDevice::read_input`] without waiting: the request is sent (or refused) before
    /// this returns, and `done` gets the reading.
    pub fn read_input_then(
        &self,
        feature_index: u32,
        kind: InputType,
        done: Done<InputReadingValue>,
    ) {
        if let Err(e) = self.check_input(feature_index, kind, InputCommand::Read) {
            return done(Err(e));
        }
        let device_index = self.info.index;
        if self.shared.version >= SpecVersion::V4 {
            return self.shared.request_with(
                |id| ClientMessage::InputCmd {
                    id,
                    device_index,
                    feature_index,
                    input_type: kind,
                    command: InputCommand::Read,
                },
                Box::new(move |reply| {
                    done(match reply {
                        Ok(ServerMessage::InputReading { reading, .. }) => Ok(reading),
                        Ok(other) => Err(unexpected_reply("InputCmd", &other)),
                        Err(e) => Err(e),
                    })
                }),
            );
        }
        let view = LegacyView::from_features(&self.info.features);
        let Some((sensor_index, sensor)) = view
            .sensor_read
            .iter()
            .enumerate()
            .find(|(_, s)| s.feature_index == feature_index && s.kind == kind)
        else {
            return done(Err(not_supported(
                &self.info,
                &format!("reading {kind} on a v3 server"),
            )));
        };
        let sensor_index = u32::try_from(sensor_index).unwrap_or(u32::MAX);
        let full_scale = sensor.ranges.first().map_or(100, |r| r.1);
        self.shared.request_with(
            |id| ClientMessage::SensorReadCmd {
                id,
                device_index,
                sensor_index,
                sensor_type: kind.wire_name().to_string(),
            },
            Box::new(move |reply| {
                done(match reply {
                    Ok(ServerMessage::SensorReading { data, .. }) => {
                        data.first().copied().map_or_else(
                            || {
                                Err(ProtocolError::Message(
                                    "SensorReading carries no data".to_string(),
                                )
                                .into())
                            },
                            |raw| Ok(InputReadingValue::Battery(battery_percent(raw, full_scale))),
                        )
                    }
                    Ok(other) => Err(unexpected_reply("SensorReadCmd", &other)),
                    Err(e) => Err(e),
                })
            }),
        );
    }

    /// Subscribes to an input; readings then arrive as
    /// [`ClientEvent::InputReading`](super::ClientEvent::InputReading). Spec v4 only.
    pub async fn subscribe(&self, feature_index: u32, kind: InputType) -> Result<(), Error> {
        self.input_subscription(feature_index, kind, InputCommand::Subscribe)
            .await
    }

    /// Ends a subscription started with [`subscribe`](Self::subscribe). Spec v4 only.
    pub async fn unsubscribe(&self, feature_index: u32, kind: InputType) -> Result<(), Error> {
        self.input_subscription(feature_index, kind, InputCommand::Unsubscribe)
            .await
    }

    /// Stops every output of the device and ends its input subscriptions (v4 `StopCmd`, v3
    /// `StopDeviceCmd`).
    pub async fn stop(&self) -> Result<(), Error> {
        outcome(|done| self.stop_then(true, true, done)).await
    }

    /// Stops the device's outputs, its input subscriptions, or both, without waiting.
    ///
    /// A spec v3 server has no input subscriptions and only stops everything
    /// (`StopDeviceCmd`): there, stopping only inputs does nothing.
    pub fn stop_then(&self, inputs: bool, outputs: bool, done: Done<()>) {
        let device_index = self.info.index;
        if self.shared.version >= SpecVersion::V4 {
            self.shared.start_ok(
                "StopCmd",
                |id| ClientMessage::StopCmd {
                    id,
                    device_index: Some(device_index),
                    feature_index: None,
                    inputs,
                    outputs,
                },
                done,
            );
        } else if outputs {
            self.shared.start_ok(
                "StopDeviceCmd",
                |id| ClientMessage::StopDeviceCmd { id, device_index },
                done,
            );
        } else {
            done(Ok(()));
        }
    }

    async fn input_subscription(
        &self,
        feature_index: u32,
        kind: InputType,
        command: InputCommand,
    ) -> Result<(), Error> {
        outcome(|done| self.input_subscription_then(feature_index, kind, command, done)).await
    }

    /// Starts or ends an input subscription without waiting (`command` is `Subscribe` or
    /// `Unsubscribe`). Spec v4 only.
    pub fn input_subscription_then(
        &self,
        feature_index: u32,
        kind: InputType,
        command: InputCommand,
        done: Done<()>,
    ) {
        if let Err(e) = self.check_input(feature_index, kind, command) {
            return done(Err(e));
        }
        if self.shared.version < SpecVersion::V4 {
            return done(Err(not_supported(
                &self.info,
                "input subscriptions on a server older than spec v4",
            )));
        }
        let device_index = self.info.index;
        self.shared.start_ok(
            "InputCmd",
            |id| ClientMessage::InputCmd {
                id,
                device_index,
                feature_index,
                input_type: kind,
                command,
            },
            done,
        );
    }

    fn check_input(
        &self,
        feature_index: u32,
        kind: InputType,
        command: InputCommand,
    ) -> Result<(), Error> {
        let feature = self.feature(feature_index)?;
        let input = feature.input(kind).ok_or_else(|| {
            not_supported(
                &self.info,
                &format!("a {kind} input on feature {feature_index}"),
            )
        })?;
        let needed = match command {
            InputCommand::Unsubscribe => InputCommand::Subscribe,
            other => other,
        };
        if input.commands.contains(&needed) {
            Ok(())
        } else {
            Err(not_supported(
                &self.info,
                &format!(
                    "{} on the {kind} input of feature {feature_index}",
                    command.wire_name()
                ),
            ))
        }
    }

    fn feature(&self, feature_index: u32) -> Result<&DeviceFeature, Error> {
        self.info.feature(feature_index).ok_or_else(|| {
            DeviceError::NoFeature {
                device: self.info.index,
                feature: feature_index,
            }
            .into()
        })
    }

    /// The features offering `kind`, with the advertised value range.
    fn features_with(&self, kind: OutputType) -> Vec<(u32, (i32, i32))> {
        self.info
            .features
            .iter()
            .filter_map(|f| f.output(kind).map(|o| (f.index, o.value)))
            .collect()
    }

    async fn scalar_all(&self, kind: OutputType, level: f64) -> Result<(), Error> {
        let features = self.features_with(kind);
        if features.is_empty() {
            return Err(not_supported(&self.info, &format!("{kind} outputs")));
        }
        let mut commands = Vec::with_capacity(features.len());
        for (feature_index, range) in features {
            let value = float_to_steps(level, range, kind)?;
            commands.push((
                feature_index,
                OutputCommand {
                    kind,
                    value,
                    duration: None,
                },
            ));
        }
        self.send_outputs(&commands).await
    }

    /// Checks one command against the advertised features.
    fn check_output(&self, feature_index: u32, command: &OutputCommand) -> Result<(), Error> {
        let feature = self.feature(feature_index)?;
        let output = feature.output(command.kind).ok_or_else(|| {
            not_supported(
                &self.info,
                &format!("a {} output on feature {feature_index}", command.kind),
            )
        })?;
        let (lo, hi) = output.value;
        if command.value < lo || command.value > hi {
            return Err(DeviceError::OutOfRange(format!(
                "{} value {} is outside [{lo}, {hi}] on device {} feature {feature_index}",
                command.kind, command.value, self.info.index
            ))
            .into());
        }
        if command.kind == OutputType::HwPositionWithDuration {
            let duration = command.duration.ok_or_else(|| {
                Error::from(ProtocolError::Message(
                    "HwPositionWithDuration needs a duration".to_string(),
                ))
            })?;
            if let Some((dlo, dhi)) = output.duration {
                if duration < dlo || duration > dhi {
                    return Err(DeviceError::OutOfRange(format!(
                        "duration {duration} ms is outside [{dlo}, {dhi}] on device {} feature \
                         {feature_index}",
                        self.info.index
                    ))
                    .into());
                }
            }
        }
        Ok(())
    }

    /// Builds the messages for output commands after checking them: one `OutputCmd` each on
    /// v4, at most one `ScalarCmd`, `RotateCmd` and `LinearCmd` on v3.
    fn output_messages(
        &self,
        commands: &[(u32, OutputCommand)],
    ) -> Result<Vec<MessageBuilder>, Error> {
        for (feature_index, command) in commands {
            self.check_output(*feature_index, command)?;
        }
        let device_index = self.info.index;
        let mut messages: Vec<MessageBuilder> = Vec::new();
        if self.shared.version >= SpecVersion::V4 {
            for &(feature_index, command) in commands {
                messages.push(Box::new(move |id| ClientMessage::OutputCmd {
                    id,
                    device_index,
                    feature_index,
                    command,
                }));
            }
            return Ok(messages);
        }
        let view = LegacyView::from_features(&self.info.features);
        let mut scalars = Vec::new();
        let mut rotations = Vec::new();
        let mut vectors = Vec::new();
        for &(feature_index, command) in commands {
            match to_legacy(&view, feature_index, command, &self.info)? {
                LegacyOutput::Scalar(s) => scalars.push(s),
                LegacyOutput::Rotate(r) => rotations.push(r),
                LegacyOutput::Linear(l) => vectors.push(l),
            }
        }
        if !scalars.is_empty() {
            messages.push(Box::new(move |id| ClientMessage::ScalarCmd {
                id,
                device_index,
                scalars,
            }));
        }
        if !rotations.is_empty() {
            messages.push(Box::new(move |id| ClientMessage::RotateCmd {
                id,
                device_index,
                rotations,
            }));
        }
        if !vectors.is_empty() {
            messages.push(Box::new(move |id| ClientMessage::LinearCmd {
                id,
                device_index,
                vectors,
            }));
        }
        Ok(messages)
    }

    /// Sends output commands and waits until the server acknowledged all of them.
    async fn send_outputs(&self, commands: &[(u32, OutputCommand)]) -> Result<(), Error> {
        let requests = self
            .output_messages(commands)?
            .into_iter()
            .map(|build| self.shared.request_ok(build));
        futures::future::try_join_all(requests).await?;
        Ok(())
    }

    /// Resolves an output request into checked per-feature commands: one feature, or (with
    /// `feature_index` `None`) every feature offering `kind`. A level is mapped onto each
    /// feature's step range; steps are used as given.
    pub fn output_commands(
        &self,
        feature_index: Option<u32>,
        kind: OutputType,
        value: OutputValue,
        duration_ms: Option<u32>,
    ) -> Result<Vec<(u32, OutputCommand)>, Error> {
        let features: Vec<(u32, (i32, i32))> = match feature_index {
            Some(index) => {
                let feature = self.feature(index)?;
                let output = feature.output(kind).ok_or_else(|| {
                    not_supported(&self.info, &format!("a {kind} output on feature {index}"))
                })?;
                vec![(index, output.value)]
            }
            None => {
                let all = self.features_with(kind);
                if all.is_empty() {
                    return Err(not_supported(&self.info, &format!("{kind} outputs")));
                }
                all
            }
        };
        let duration = if kind == OutputType::HwPositionWithDuration {
            Some(duration_ms.unwrap_or(0))
        } else {
            None
        };
        let mut commands = Vec::with_capacity(features.len());
        for (index, range) in features {
            let value = match value {
                OutputValue::Level(level) => float_to_steps(level, range, kind)?,
                OutputValue::Steps(steps) => steps,
            };
            let command = OutputCommand {
                kind,
                value,
                duration,
            };
            self.check_output(index, &command)?;
            commands.push((index, command));
        }
        Ok(commands)
    }

    /// Sends checked output commands (from [`ClientDevice::output_commands`]) without waiting.
    /// `done` runs exactly once: with `Ok` when the server acknowledged every message, or with
    /// the first error. Never blocks; the messages are queued to the server in order before
    /// this returns.
    pub fn start_output(&self, commands: &[(u32, OutputCommand)], done: OutputDone) {
        let messages = match self.output_messages(commands) {
            Ok(m) if !m.is_empty() => m,
            Ok(_) => return done(Ok(())),
            Err(e) => return done(Err(e)),
        };
        struct Join {
            remaining: usize,
            done: Option<OutputDone>,
        }
        let join = Arc::new(parking_lot::Mutex::new(Join {
            remaining: messages.len(),
            done: Some(done),
        }));
        let name = "output command";
        for build in messages {
            let join = Arc::clone(&join);
            self.shared.request_with(
                build,
                Box::new(move |reply| {
                    let outcome = match reply {
                        Ok(ServerMessage::Ok { .. }) => Ok(()),
                        Ok(other) => Err(unexpected_reply(name, &other)),
                        Err(e) => Err(e),
                    };
                    let finish = {
                        let mut j = join.lock();
                        j.remaining = j.remaining.saturating_sub(1);
                        if outcome.is_err() || j.remaining == 0 {
                            j.done.take().map(|d| (d, outcome))
                        } else {
                            None
                        }
                    };
                    if let Some((done, outcome)) = finish {
                        done(outcome);
                    }
                }),
            );
        }
    }
}

/// Called once with the outcome of [`ClientDevice::start_output`].
pub type OutputDone = Box<dyn FnOnce(Result<(), Error>) + Send>;

/// Builds a client message for a fresh request Id.
type MessageBuilder = Box<dyn FnOnce(u32) -> ClientMessage + Send>;

/// How an output value is given to [`ClientDevice::output_commands`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OutputValue {
    /// A level from 0.0 to 1.0 (-1.0 to 1.0 on signed ranges), mapped onto the step range.
    Level(f64),
    /// A step value used as is (checked against the range).
    Steps(i32),
}

fn not_supported(info: &DeviceInfo, what: &str) -> Error {
    DeviceError::NotSupported(format!(
        "device {} ({}) has no {what}",
        info.index, info.name
    ))
    .into()
}

pub(super) fn unexpected_reply(request: &str, reply: &ServerMessage) -> Error {
    ProtocolError::Message(format!("unexpected reply to {request}: {reply:?}")).into()
}

/// Converts a client-side float into steps for an output with the advertised range `[lo, hi]`
/// (`devices.md` §5, client rule): `x = f · S`, then `ceil(x)` if `x > 0.000001`, else
/// `floor(x)`; the sign of `f` is kept for signed ranges.
pub(crate) fn float_to_steps(
    level: f64,
    range: (i32, i32),
    kind: OutputType,
) -> Result<i32, Error> {
    let (lo, hi) = range;
    let min = if lo < 0 { -1.0 } else { 0.0 };
    if !level.is_finite() || level < min || level > 1.0 {
        return Err(
            DeviceError::OutOfRange(format!("{kind} level {level} is outside [{min}, 1]")).into(),
        );
    }
    let x = level.abs() * f64::from(hi);
    let magnitude = if x > ZERO_STEP_EPSILON {
        x.ceil()
    } else {
        x.floor()
    };
    // `magnitude` lies in 0 ..= hi, so the conversion is exact.
    let steps = magnitude as i32;
    Ok(if level < 0.0 { -steps } else { steps })
}

/// Converts a v3 battery sensor value to percent.
fn battery_percent(raw: i32, full_scale: i32) -> u8 {
    let percent = if full_scale > 0 && full_scale != 100 {
        (f64::from(raw) * 100.0 / f64::from(full_scale)).round() as i64
    } else {
        i64::from(raw)
    };
    u8::try_from(percent.clamp(0, 100)).unwrap_or(100)
}

/// How a server turns a legacy float into steps.
#[derive(Clone, Copy)]
enum ServerRule {
    /// `ceil(S · f)` (scalar and rotate commands).
    Ceil,
    /// `trunc(S · f)` (`LinearCmd`).
    Trunc,
}

impl ServerRule {
    fn apply(self, steps: u32, f: f64) -> f64 {
        let x = f64::from(steps) * f;
        match self {
            ServerRule::Ceil => x.ceil(),
            ServerRule::Trunc => x.trunc(),
        }
    }
}

/// The float a v3 server turns back into exactly `value` steps out of `steps` under `rule`.
///
/// `value / steps` is used when it round-trips; float artefacts (`100 · 0.07` is slightly above
/// 7, `100 · 0.29` slightly below 29) are corrected by nudging it by a few units in the last
/// place, and as a last resort by half a step.
fn steps_to_float(value: u32, steps: u32, rule: ServerRule) -> f64 {
    if value == 0 || steps == 0 {
        return 0.0;
    }
    let target = f64::from(value);
    let base = (target / f64::from(steps)).min(1.0);
    let mut f = base;
    for _ in 0..16 {
        if rule.apply(steps, f) == target {
            return f;
        }
        let bits = f.to_bits();
        f = match rule {
            ServerRule::Ceil => f64::from_bits(bits.saturating_sub(1)),
            ServerRule::Trunc => f64::from_bits(bits.saturating_add(1)).min(1.0),
        };
    }
    match rule {
        ServerRule::Ceil => (target - 0.5) / f64::from(steps),
        ServerRule::Trunc => ((target + 0.5) / f64::from(steps)).min(1.0),
    }
}

fn non_negative(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Converts one (already range-checked) v4 output command into a legacy sub-command.
fn to_legacy(
    view: &LegacyView,
    feature_index: u32,
    command: OutputCommand,
    info: &DeviceInfo,
) -> Result<LegacyOutput, Error> {
    let missing = || {
        not_supported(
            info,
            &format!(
                "legacy index for {} on feature {feature_index}",
                command.kind
            ),
        )
    };
    match command.kind {
        OutputType::HwPositionWithDuration => {
            let (index, entry) = view
                .linear
                .iter()
                .enumerate()
                .find(|(_, e)| e.feature_index == feature_index)
                .ok_or_else(missing)?;
            Ok(LegacyOutput::Linear(LinearSub {
                index: to_u32(index),
                duration: command.duration.unwrap_or(0),
                position: steps_to_float(
                    non_negative(command.value),
                    entry.step_count,
                    ServerRule::Trunc,
                ),
            }))
        }
        OutputType::Rotate if view.rotate.iter().any(|e| e.feature_index == feature_index) => {
            let (index, entry) = view
                .rotate
                .iter()
                .enumerate()
                .find(|(_, e)| e.feature_index == feature_index)
                .ok_or_else(missing)?;
            Ok(LegacyOutput::Rotate(RotateSub {
                index: to_u32(index),
                speed: steps_to_float(
                    command.value.unsigned_abs(),
                    entry.step_count,
                    ServerRule::Ceil,
                ),
                clockwise: command.value >= 0,
            }))
        }
        kind => {
            let (index, entry) = view
                .scalar
                .iter()
                .enumerate()
                .find(|(_, e)| e.feature_index == feature_index && e.kind == kind)
                .ok_or_else(missing)?;
            if command.value < 0 {
                return Err(DeviceError::OutOfRange(format!(
                    "{kind} value {} cannot be negative on a v3 server",
                    command.value
                ))
                .into());
            }
            Ok(LegacyOutput::Scalar(ScalarSub {
                index: to_u32(index),
                scalar: steps_to_float(
                    non_negative(command.value),
                    entry.step_count,
                    ServerRule::Ceil,
                ),
                actuator: kind.wire_name().to_string(),
            }))
        }
    }
}

/// Maps a v3 `SensorReading` event (Id 0) onto the v4 reading model, if the sensor is known.
pub(super) fn legacy_reading(
    info: &DeviceInfo,
    sensor_index: u32,
    sensor_type: &str,
    data: &[i32],
) -> Option<(u32, InputReadingValue)> {
    let view = LegacyView::from_features(&info.features);
    let sensor = view.sensor_read.get(usize::try_from(sensor_index).ok()?)?;
    let raw = *data.first()?;
    match InputType::from_wire(sensor_type)? {
        InputType::Battery => {
            let full_scale = sensor.ranges.first().map_or(100, |r| r.1);
            Some((
                sensor.feature_index,
                InputReadingValue::Battery(battery_percent(raw, full_scale)),
            ))
        }
        InputType::Rssi => Some((
            sensor.feature_index,
            InputReadingValue::Rssi(i8::try_from(raw.clamp(-128, 127)).unwrap_or(i8::MIN)),
        )),
        InputType::Button => Some((
            sensor.feature_index,
            InputReadingValue::Button(u8::try_from(raw.clamp(0, 255)).unwrap_or(0)),
        )),
        InputType::Pressure => Some((
            sensor.feature_index,
            InputReadingValue::Pressure(u32::try_from(raw).unwrap_or(0)),
        )),
        InputType::Depth | InputType::Position => None,
    }
}

/// Differences between a known device set and a new list: `(removed, added)`.
pub(super) fn diff_devices(
    known: &BTreeMap<u32, Arc<DeviceInfo>>,
    new: &[DeviceInfo],
) -> (Vec<u32>, Vec<DeviceInfo>) {
    // a set, so that a long list is diffed in n log n rather than n squared
    let listed: BTreeSet<u32> = new.iter().map(|d| d.index).collect();
    let mut removed: Vec<u32> = known
        .keys()
        .filter(|index| !listed.contains(index))
        .copied()
        .collect();
    let mut added = Vec::new();
    for device in new {
        match known.get(&device.index) {
            Some(old) if **old == *device => {}
            Some(_) => {
                // Same index, different device: report it as gone and back.
                removed.push(device.index);
                added.push(device.clone());
            }
            None => added.push(device.clone()),
        }
    }
    (removed, added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_rule_steps() {
        let v = OutputType::Vibrate;
        assert_eq!(float_to_steps(0.5, (0, 20), v).unwrap(), 10);
        assert_eq!(float_to_steps(0.01, (0, 20), v).unwrap(), 1);
        assert_eq!(float_to_steps(0.000_000_01, (0, 20), v).unwrap(), 0);
        assert_eq!(float_to_steps(1.0, (0, 20), v).unwrap(), 20);
        assert_eq!(float_to_steps(0.0, (0, 20), v).unwrap(), 0);
        assert!(float_to_steps(1.01, (0, 20), v).is_err());
        assert!(float_to_steps(-0.1, (0, 20), v).is_err());
        assert!(float_to_steps(f64::NAN, (0, 20), v).is_err());
        let r = OutputType::Rotate;
        assert_eq!(float_to_steps(-0.5, (-20, 20), r).unwrap(), -10);
        assert_eq!(float_to_steps(-0.01, (-20, 20), r).unwrap(), -1);
        assert!(float_to_steps(-1.5, (-20, 20), r).is_err());
    }

    #[test]
    fn legacy_floats_round_trip() {
        for steps in [1u32, 3, 7, 20, 100, 127, 1000] {
            for value in 0..=steps {
                let f = steps_to_float(value, steps, ServerRule::Ceil);
                assert!((0.0..=1.0).contains(&f));
                let back = if f < 0.000_001 {
                    0.0
                } else {
                    (f64::from(steps) * f).ceil()
                };
                assert_eq!(back, f64::from(value), "ceil {value}/{steps}");
                let f = steps_to_float(value, steps, ServerRule::Trunc);
                assert!((0.0..=1.0).contains(&f));
                assert_eq!(
                    (f64::from(steps) * f).trunc(),
                    f64::from(value),
                    "trunc {value}/{steps}"
                );
            }
        }
        assert_eq!(steps_to_float(10, 20, ServerRule::Ceil), 0.5);
    }

    #[test]
    fn battery_scaling() {
        assert_eq!(battery_percent(85, 100), 85);
        assert_eq!(battery_percent(5, 10), 50);
        assert_eq!(battery_percent(150, 100), 100);
        assert_eq!(battery_percent(-3, 100), 0);
    }
}
