//! A small toolkit to declare simple protocols as data.
//!
//! * [`PerFeature`]: each output action becomes packets on its own (e.g. `[0xF1 + feature, v]`).
//! * [`AllFeatures`]: the protocol packs the current value of every output feature into one
//!   packet; the handler remembers the values and re-encodes the whole state on each action.
//!
//! Both use the generic identification (the hardware name is the identifier) unless given an
//! identify function, and may write setup packets at initialisation.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::messages::InputReadingValue;
use crate::core::types::{Endpoint, InputCommand, InputType};
use crate::device::definition::{DeviceDefinition, FeatureDefinition};
use crate::device::protocol::{
    all_features, feature_bit, HwCommand, Identified, KeepAlive, OutputAction, ProtocolFactory,
    ProtocolHandler,
};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

/// Encodes one action: `(action, definition) → packets`.
pub type ActionEncoder =
    fn(&OutputAction, &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError>;

/// Encodes the whole state: `(values, definition) → packets`. `values[i]` is the current device
/// value of the i-th output feature (features with a non-position output, in index order,
/// see [`AllFeatures`]).
pub type StateEncoder = fn(&[i32], &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError>;

/// Builds the setup packets written during initialisation.
pub type InitEncoder = fn(&DeviceDefinition) -> Vec<HwCommand>;

/// Refuses an output type a protocol does not drive.
pub fn unsupported(protocol: &str, action: &OutputAction) -> DeviceError {
    DeviceError::protocol(
        protocol,
        format!(
            "output {} on feature {} is not supported",
            action.kind, action.feature
        ),
    )
}

/// Converts a device value to a byte, refusing values that do not fit.
pub fn byte(protocol: &str, value: i32) -> Result<u8, DeviceError> {
    u8::try_from(value).map_err(|_| {
        DeviceError::protocol(protocol, format!("value {value} does not fit in a byte"))
    })
}

async fn run_init(
    hardware: &Arc<dyn Hardware>,
    packets: Vec<HwCommand>,
) -> Result<(), DeviceError> {
    for p in packets {
        match p {
            HwCommand::Write {
                endpoint,
                data,
                with_response,
                ..
            } => hardware.write(endpoint, &data, with_response).await?,
            HwCommand::Subscribe { endpoint } => hardware.subscribe(endpoint).await?,
            HwCommand::Unsubscribe { endpoint } => hardware.unsubscribe(endpoint).await?,
        }
    }
    Ok(())
}

/// A protocol whose actions encode independently.
pub struct PerFeature {
    /// Protocol name.
    pub name: &'static str,
    /// Encoder.
    pub encode: ActionEncoder,
    /// Setup packets, if any.
    pub init: Option<InitEncoder>,
    /// Keep-alive strategy.
    pub keepalive: KeepAlive,
}

impl PerFeature {
    /// A protocol with an encoder and the default keep-alive.
    pub fn new(name: &'static str, encode: ActionEncoder) -> Arc<PerFeature> {
        Arc::new(PerFeature {
            name,
            encode,
            init: None,
            keepalive: KeepAlive::RepeatLastIfRequired,
        })
    }
}

struct PerFeatureHandler {
    encode: ActionEncoder,
    definition: DeviceDefinition,
    keepalive: KeepAlive,
}

#[async_trait]
impl ProtocolFactory for PerFeature {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        if let Some(init) = self.init {
            run_init(hardware, init(definition)).await?;
        }
        Ok(Arc::new(PerFeatureHandler {
            encode: self.encode,
            definition: definition.clone(),
            keepalive: self.keepalive.clone(),
        }))
    }
}

impl ProtocolHandler for PerFeatureHandler {
    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        (self.encode)(action, &self.definition)
    }

    fn keepalive(&self) -> KeepAlive {
        self.keepalive.clone()
    }
}

/// A protocol that sends the state of every output feature in one packet.
///
/// The state slots are the features that have at least one non-position output, in feature
/// index order; each slot holds the last device value sent to that feature (0 initially).
pub struct AllFeatures {
    /// Protocol name.
    pub name: &'static str,
    /// Encoder of the whole state.
    pub encode: StateEncoder,
    /// Setup packets, if any.
    pub init: Option<InitEncoder>,
    /// Keep-alive strategy.
    pub keepalive: KeepAlive,
}

impl AllFeatures {
    /// A protocol with a state encoder and the default keep-alive.
    pub fn new(name: &'static str, encode: StateEncoder) -> Arc<AllFeatures> {
        Arc::new(AllFeatures {
            name,
            encode,
            init: None,
            keepalive: KeepAlive::RepeatLastIfRequired,
        })
    }
}

struct AllFeaturesHandler {
    name: &'static str,
    encode: StateEncoder,
    definition: DeviceDefinition,
    slots: Vec<u32>,
    values: Mutex<Vec<i32>>,
    keepalive: KeepAlive,
}

#[async_trait]
impl ProtocolFactory for AllFeatures {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        if let Some(init) = self.init {
            run_init(hardware, init(definition)).await?;
        }
        let slots: Vec<u32> = definition
            .features
            .iter()
            .filter(|f| f.outputs.iter().any(|o| !o.kind.is_position()))
            .map(|f| f.index)
            .collect();
        Ok(Arc::new(AllFeaturesHandler {
            name: self.name,
            encode: self.encode,
            definition: definition.clone(),
            values: Mutex::new(vec![0; slots.len()]),
            slots,
            keepalive: self.keepalive.clone(),
        }))
    }
}

impl AllFeaturesHandler {
    fn apply(&self, values: &mut [i32], action: &OutputAction) -> Result<(), DeviceError> {
        let slot = self
            .slots
            .iter()
            .position(|s| *s == action.feature)
            .ok_or_else(|| {
                DeviceError::protocol(
                    self.name,
                    format!(
                        "feature {} has no output this protocol drives",
                        action.feature
                    ),
                )
            })?;
        if let Some(v) = values.get_mut(slot) {
            *v = action.value;
        }
        Ok(())
    }
}

impl ProtocolHandler for AllFeaturesHandler {
    fn outputs(&self, actions: &[OutputAction]) -> Result<Vec<HwCommand>, DeviceError> {
        let mut values = self.values.lock();
        let mut next = values.clone();
        for a in actions {
            self.apply(&mut next, a)?;
        }
        let packets = (self.encode)(&next, &self.definition)?;
        *values = next;
        let mask = all_features(&self.definition);
        Ok(packets
            .into_iter()
            .map(|p| match p {
                HwCommand::Write {
                    endpoint,
                    data,
                    with_response,
                    ..
                } => HwCommand::Write {
                    endpoint,
                    data,
                    with_response,
                    features: mask,
                },
                other => other,
            })
            .collect())
    }

    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        self.outputs(std::slice::from_ref(action))
    }

    fn keepalive(&self) -> KeepAlive {
        self.keepalive.clone()
    }
}

/// Wraps a protocol so that a batch of actions (a stop of several features, a legacy command
/// for several motors) is encoded one action after another, each action's packets kept: a
/// protocol that packs every motor into one packet then sends one packet per feature, each with
/// the state after that feature's change, as the reference sends a stop or a multi-motor
/// command. Everything else is the wrapped protocol's.
pub struct Sequential {
    inner: Arc<dyn ProtocolFactory>,
    name: &'static str,
}

impl Sequential {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn ProtocolFactory>) -> Arc<Sequential> {
        let name = inner.name();
        Arc::new(Sequential { inner, name })
    }
}

struct SequentialHandler(Arc<dyn ProtocolHandler>);

#[async_trait]
impl ProtocolFactory for Sequential {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn identify(&self, hardware: &Arc<dyn Hardware>) -> Result<Identified, DeviceError> {
        Ok(self
            .inner
            .identify(hardware)
            .await?
            .map_handler(|inner| Arc::new(SequentialHandler(inner))))
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let inner = self.inner.initialize(hardware, definition).await?;
        Ok(Arc::new(SequentialHandler(inner)))
    }
}

#[async_trait]
impl ProtocolHandler for SequentialHandler {
    fn outputs(&self, actions: &[OutputAction]) -> Result<Vec<HwCommand>, DeviceError> {
        let mut out = Vec::new();
        for a in actions {
            out.extend(self.0.outputs(std::slice::from_ref(a))?);
        }
        Ok(out)
    }

    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        self.0.output(action)
    }

    fn stop_outputs(&self, actions: &[OutputAction]) -> Result<Vec<HwCommand>, DeviceError> {
        let mut out = Vec::new();
        for a in actions {
            out.extend(self.0.stop_outputs(std::slice::from_ref(a))?);
        }
        Ok(out)
    }

    async fn input(
        &self,
        hardware: &Arc<dyn Hardware>,
        feature: &FeatureDefinition,
        kind: InputType,
        command: InputCommand,
    ) -> Result<Option<InputReadingValue>, DeviceError> {
        self.0.input(hardware, feature, kind, command).await
    }

    fn notification(&self, endpoint: Endpoint, data: &[u8]) -> Vec<(u32, InputReadingValue)> {
        self.0.notification(endpoint, data)
    }

    fn keepalive(&self) -> KeepAlive {
        self.0.keepalive()
    }

    fn periodic(&self) -> Vec<HwCommand> {
        self.0.periodic()
    }
}

/// What a protocol keeps of the writes a stop encodes (see [`StopWrites`]).
pub type StopRule = fn(Vec<HwCommand>) -> Vec<HwCommand>;

/// Wraps a protocol whose stop sends fewer writes than a command of zeros: the stop's
/// packets, encoded as usual, pass through a [`StopRule`]. The reference sends a stop as one
/// acknowledged batch in which a write replaces every earlier write that shares a command id
/// with it; where a protocol gives all its writes one id, or one action several writes under
/// one id, only the last of them reaches the toy. Everything else is the wrapped protocol's.
pub struct StopWrites {
    inner: Arc<dyn ProtocolFactory>,
    name: &'static str,
    rule: StopRule,
}

impl StopWrites {
    /// Wraps `inner`; its stops keep what `rule` returns.
    pub fn new(inner: Arc<dyn ProtocolFactory>, rule: StopRule) -> Arc<StopWrites> {
        let name = inner.name();
        Arc::new(StopWrites { inner, name, rule })
    }
}

/// A [`StopRule`]: only the last write of the stop (a protocol that gives every write one id).
pub fn last_write_only(commands: Vec<HwCommand>) -> Vec<HwCommand> {
    let last = commands
        .iter()
        .rposition(|c| matches!(c, HwCommand::Write { .. }));
    commands
        .into_iter()
        .enumerate()
        .filter(|(i, c)| !matches!(c, HwCommand::Write { .. }) || Some(*i) == last)
        .map(|(_, c)| c)
        .collect()
}

/// A [`StopRule`]: a write drops every earlier write whose feature mask overlaps its own (the
/// reference's de-duplication of an acknowledged batch, with masks standing for command ids).
pub fn overlapping_writes_replaced(commands: Vec<HwCommand>) -> Vec<HwCommand> {
    let mut out: Vec<HwCommand> = Vec::with_capacity(commands.len());
    for c in commands {
        if let HwCommand::Write { features, .. } = &c {
            out.retain(|q| match q {
                HwCommand::Write { features: f, .. } => f & features == 0,
                _ => true,
            });
        }
        out.push(c);
    }
    out
}

struct StopWritesHandler {
    inner: Arc<dyn ProtocolHandler>,
    rule: StopRule,
}

#[async_trait]
impl ProtocolFactory for StopWrites {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn identify(&self, hardware: &Arc<dyn Hardware>) -> Result<Identified, DeviceError> {
        let rule = self.rule;
        Ok(self
            .inner
            .identify(hardware)
            .await?
            .map_handler(move |inner| Arc::new(StopWritesHandler { inner, rule })))
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let inner = self.inner.initialize(hardware, definition).await?;
        Ok(Arc::new(StopWritesHandler {
            inner,
            rule: self.rule,
        }))
    }
}

#[async_trait]
impl ProtocolHandler for StopWritesHandler {
    fn outputs(&self, actions: &[OutputAction]) -> Result<Vec<HwCommand>, DeviceError> {
        self.inner.outputs(actions)
    }

    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        self.inner.output(action)
    }

    fn stop_outputs(&self, actions: &[OutputAction]) -> Result<Vec<HwCommand>, DeviceError> {
        Ok((self.rule)(self.inner.stop_outputs(actions)?))
    }

    async fn input(
        &self,
        hardware: &Arc<dyn Hardware>,
        feature: &FeatureDefinition,
        kind: InputType,
        command: InputCommand,
    ) -> Result<Option<InputReadingValue>, DeviceError> {
        self.inner.input(hardware, feature, kind, command).await
    }

    fn notification(&self, endpoint: Endpoint, data: &[u8]) -> Vec<(u32, InputReadingValue)> {
        self.inner.notification(endpoint, data)
    }

    fn keepalive(&self) -> KeepAlive {
        self.inner.keepalive()
    }

    fn periodic(&self) -> Vec<HwCommand> {
        self.inner.periodic()
    }
}

/// The mask for a single-feature packet (re-exported for encoders).
pub fn mask(feature: u32) -> u64 {
    feature_bit(feature)
}

/// The standard quiet period for keep-alive strategies that only run when required.
pub const KEEPALIVE_IDLE: Duration = Duration::from_secs(5);
