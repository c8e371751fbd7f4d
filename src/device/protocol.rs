//! The protocol-handler contract: how a protocol identifies a device, initialises it, and turns
//! per-feature output commands into hardware commands.
//!
//! A protocol is registered as a [`ProtocolFactory`] under the name the device configuration uses
//! (`"lovense"`, `"aneros"`, ...). The device manager calls, in order: [`ProtocolFactory::identify`]
//! (may talk to the hardware), which returns an [`Identified`]: the [`Identification`] the
//! definition is looked up with, and, when identification learnt something initialisation
//! needs, an [`Initializer`] carrying it; then [`Identified::initialize`] with the resolved
//! definition, which returns the [`ProtocolHandler`] used for the device's lifetime (through
//! that initialiser, or else [`ProtocolFactory::initialize`] of the identified protocol).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::core::messages::InputReadingValue;
use crate::core::types::{Endpoint, InputCommand, InputType, OutputType};
use crate::device::definition::{DeviceDefinition, FeatureDefinition};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

/// Bitmask of feature indexes a write affects (bit `i` = feature `i`; features ≥ 63 share bit
/// 63). Writes queued in one batching window replace earlier writes that share a bit.
pub type FeatureMask = u64;

/// Mask for one feature index.
pub fn feature_bit(index: u32) -> FeatureMask {
    1u64 << index.min(63)
}

/// Mask covering every feature of a definition (for protocols that pack all motors in one packet).
pub fn all_features(def: &DeviceDefinition) -> FeatureMask {
    def.features
        .iter()
        .fold(0, |mask, f| mask | feature_bit(f.index))
}

/// One operation on the hardware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HwCommand {
    /// Write bytes to an endpoint.
    Write {
        /// Endpoint.
        endpoint: Endpoint,
        /// Bytes.
        data: Vec<u8>,
        /// BLE write-with-response.
        with_response: bool,
        /// Features this write carries state for (coalescing identity).
        features: FeatureMask,
    },
    /// Start notifications.
    Subscribe {
        /// Endpoint.
        endpoint: Endpoint,
    },
    /// Stop notifications.
    Unsubscribe {
        /// Endpoint.
        endpoint: Endpoint,
    },
}

impl HwCommand {
    /// A write without response.
    pub fn write(endpoint: Endpoint, data: Vec<u8>, features: FeatureMask) -> HwCommand {
        HwCommand::Write {
            endpoint,
            data,
            with_response: false,
            features,
        }
    }

    /// A write with response.
    pub fn write_with_response(
        endpoint: Endpoint,
        data: Vec<u8>,
        features: FeatureMask,
    ) -> HwCommand {
        HwCommand::Write {
            endpoint,
            data,
            with_response: true,
            features,
        }
    }
}

/// One output command as a protocol receives it: already validated, in device units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputAction {
    /// Feature index.
    pub feature: u32,
    /// Output type.
    pub kind: OutputType,
    /// Device value (signed for `Rotate`/`Temperature`).
    pub value: i32,
    /// Duration in ms (`HwPositionWithDuration` only).
    pub duration: Option<u32>,
}

/// Keep-alive behaviour of a protocol (`server-architecture.md` §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeepAlive {
    /// Repeat the last written packet after 5 s of inactivity, only when the hardware requires
    /// keep-alive (then the device is also stopped right after connecting).
    RepeatLastIfRequired,
    /// Repeat the last written packet after every quiet period of the given length, always.
    /// The device is stopped right after connecting so a safe packet exists.
    RepeatLastEvery(Duration),
    /// Write a fixed packet after 5 s of inactivity, only when the hardware requires keep-alive.
    FixedIfRequired {
        /// Endpoint.
        endpoint: Endpoint,
        /// Packet.
        data: Vec<u8>,
    },
    /// Re-run the protocol's own periodic packet every period, always (protocols that
    /// resend their state on a timer). The handler's [`ProtocolHandler::periodic`] gives it.
    Periodic(Duration),
}

/// Result of identification: the protocol (possibly a sibling) and the model identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identification {
    /// Protocol name used for the definition lookup.
    pub protocol: String,
    /// Model identifier; `None` selects the protocol's defaults.
    pub identifier: Option<String>,
}

/// Initialises one identified device with what its identification found (returned by
/// [`ProtocolFactory::identify`] inside an [`Identified`]).
#[async_trait]
pub trait Initializer: Send + 'static {
    /// Initialises the device and returns its handler.
    async fn initialize(
        self: Box<Self>,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError>;
}

/// What [`ProtocolFactory::identify`] found.
pub struct Identified {
    /// The protocol (possibly a sibling) and model identifier the definition is looked up with.
    pub identification: Identification,
    /// Initialises the device with state identification found; `None` when the identified
    /// protocol's [`ProtocolFactory::initialize`] needs nothing from identification.
    initializer: Option<Box<dyn Initializer>>,
}

impl std::fmt::Debug for Identified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identified")
            .field("identification", &self.identification)
            .field("initializer", &self.initializer.is_some())
            .finish()
    }
}

impl Identified {
    /// An identification after which the identified protocol's factory initialises the device.
    pub fn new(protocol: impl Into<String>, identifier: Option<String>) -> Identified {
        Identified {
            identification: Identification {
                protocol: protocol.into(),
                identifier,
            },
            initializer: None,
        }
    }

    /// Initialises the device with `initializer` instead of the identified protocol's factory.
    pub fn with_initializer(mut self, initializer: impl Initializer) -> Identified {
        self.initializer = Some(Box::new(initializer));
        self
    }

    /// True when identification returned its own initialiser.
    pub fn has_initializer(&self) -> bool {
        self.initializer.is_some()
    }

    /// Passes the handler the initialiser returns through `wrap` (for protocols that wrap
    /// another one, as the toolkit's wrappers do).
    pub fn map_handler<F>(mut self, wrap: F) -> Identified
    where
        F: FnOnce(Arc<dyn ProtocolHandler>) -> Arc<dyn ProtocolHandler> + Send + 'static,
    {
        if let Some(inner) = self.initializer.take() {
            self.initializer = Some(Box::new(Wrapped { inner, wrap }));
        }
        self
    }

    /// Initialises the device: with the initialiser identification returned, else with
    /// `factory`, the factory of the identified protocol.
    pub async fn initialize(
        self,
        factory: &dyn ProtocolFactory,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        match self.initializer {
            Some(initializer) => initializer.initialize(hardware, definition).await,
            None => factory.initialize(hardware, definition).await,
        }
    }
}

/// An initialiser whose handler is wrapped ([`Identified::map_handler`]).
struct Wrapped<F> {
    inner: Box<dyn Initializer>,
    wrap: F,
}

#[async_trait]
impl<F> Initializer for Wrapped<F>
where
    F: FnOnce(Arc<dyn ProtocolHandler>) -> Arc<dyn ProtocolHandler> + Send + 'static,
{
    async fn initialize(
        self: Box<Self>,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let Wrapped { inner, wrap } = *self;
        Ok(wrap(inner.initialize(hardware, definition).await?))
    }
}

/// Creates handlers for one protocol name.
#[async_trait]
pub trait ProtocolFactory: Send + Sync + 'static {
    /// The protocol name as used in the device configuration.
    fn name(&self) -> &'static str;

    /// Identifies the device. The default uses the hardware name as identifier (the "generic"
    /// identification of the reference). A protocol whose initialisation needs what its
    /// identification found returns it in an [`Initializer`] ([`Identified::with_initializer`]);
    /// a factory keeps no per-device state.
    async fn identify(&self, hardware: &Arc<dyn Hardware>) -> Result<Identified, DeviceError> {
        Ok(Identified::new(
            self.name(),
            Some(hardware.name().to_string()),
        ))
    }

    /// Initialises the device and returns its handler (when identification returned no
    /// initialiser of its own).
    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError>;
}

/// Drives one connected device.
#[async_trait]
pub trait ProtocolHandler: Send + Sync + 'static {
    /// Encodes a batch of output actions (one client message; sorted by feature index). The
    /// default calls [`ProtocolHandler::output`] for each action in order; a write produced for
    /// a later action replaces any earlier write of the batch whose feature mask overlaps it
    /// (so stateful protocols that pack several features into one packet may emit a full-state
    /// packet per action and only the last one is sent). Packets produced for the same action
    /// never replace each other.
    fn outputs(&self, actions: &[OutputAction]) -> Result<Vec<HwCommand>, DeviceError> {
        let mut out: Vec<HwCommand> = Vec::new();
        for action in actions {
            let packets = self.output(action)?;
            for p in &packets {
                if let HwCommand::Write { features, .. } = p {
                    out.retain(|q| match q {
                        HwCommand::Write { features: f, .. } => f & features == 0,
                        _ => true,
                    });
                }
            }
            out.extend(packets);
        }
        Ok(out)
    }

    /// Encodes one output action.
    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError>;

    /// Encodes a stop (`StopCmd`, `StopDeviceCmd`, `StopAllDevices`, and the stop a session end
    /// sends): `actions` set each selected output feature to its stop value. The default encodes
    /// them as [`ProtocolHandler::outputs`] does; a protocol whose stop is not the same as a
    /// command of zeros (writes the reference leaves out of a stop, state a stop resets)
    /// overrides this.
    fn stop_outputs(&self, actions: &[OutputAction]) -> Result<Vec<HwCommand>, DeviceError> {
        self.outputs(actions)
    }

    /// Executes an input command. `Read` returns the reading; `Subscribe`/`Unsubscribe` return
    /// `None`. The default reads the standard BLE battery characteristic for `Battery`, accepts
    /// unsubscribing anything, and refuses the rest.
    async fn input(
        &self,
        hardware: &Arc<dyn Hardware>,
        feature: &FeatureDefinition,
        kind: InputType,
        command: InputCommand,
    ) -> Result<Option<InputReadingValue>, DeviceError> {
        default_input(hardware, feature, kind, command).await
    }

    /// Turns a hardware notification into readings for subscribed inputs
    /// (`(feature index, value)`). The default produces none.
    fn notification(&self, _endpoint: Endpoint, _data: &[u8]) -> Vec<(u32, InputReadingValue)> {
        Vec::new()
    }

    /// Keep-alive behaviour.
    fn keepalive(&self) -> KeepAlive {
        KeepAlive::RepeatLastIfRequired
    }

    /// Packets to write on every tick of a [`KeepAlive::Periodic`] strategy.
    fn periodic(&self) -> Vec<HwCommand> {
        Vec::new()
    }
}

/// The reference's generic input behaviour: battery from `rxblebattery`, unsubscribe is harmless.
pub async fn default_input(
    hardware: &Arc<dyn Hardware>,
    feature: &FeatureDefinition,
    kind: InputType,
    command: InputCommand,
) -> Result<Option<InputReadingValue>, DeviceError> {
    match (kind, command) {
        (_, InputCommand::Unsubscribe) => Ok(None),
        (InputType::Battery, InputCommand::Read)
            if hardware.endpoints().contains(&Endpoint::RxBleBattery) =>
        {
            let data = hardware
                .read(Endpoint::RxBleBattery, 1, Duration::from_secs(2))
                .await?;
            let level = data
                .first()
                .copied()
                .ok_or_else(|| DeviceError::Hardware("empty battery reading".to_string()))?;
            Ok(Some(InputReadingValue::Battery(level.min(100))))
        }
        (InputType::Rssi, InputCommand::Read) => {
            let dbm = hardware.read_rssi().await?;
            let dbm =
                i8::try_from(dbm.clamp(i16::from(i8::MIN), i16::from(i8::MAX))).unwrap_or(i8::MIN);
            Ok(Some(InputReadingValue::Rssi(dbm)))
        }
        _ => Err(DeviceError::NotSupported(format!(
            "feature {} does not support {} {}",
            feature.index,
            kind,
            command.wire_name()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::default_input;
    use crate::core::messages::InputReadingValue;
    use crate::core::types::{Endpoint, InputCommand, InputType, OutputType};
    use crate::device::protocols::testkit::*;

    #[tokio::test]
    async fn rssi_reads_come_from_the_radio() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 9)], false)]);
        let feature = d.features.first().unwrap();
        let (sim, hw) = connect(spec("WB-TDD", &[Endpoint::Tx])).await;
        // a bus without signal strength refuses the read
        assert!(
            default_input(&hw, feature, InputType::Rssi, InputCommand::Read)
                .await
                .is_err()
        );
        sim.set_rssi(Some(-61));
        assert_eq!(
            default_input(&hw, feature, InputType::Rssi, InputCommand::Read)
                .await
                .unwrap(),
            Some(InputReadingValue::Rssi(-61))
        );
        sim.set_rssi(Some(-300));
        assert_eq!(
            default_input(&hw, feature, InputType::Rssi, InputCommand::Read)
                .await
                .unwrap(),
            Some(InputReadingValue::Rssi(i8::MIN))
        );
        sim.disconnect_now();
        assert!(
            default_input(&hw, feature, InputType::Rssi, InputCommand::Read)
                .await
                .is_err()
        );
    }
}
