//! The protocol unit-test kit: definitions built by hand, simulated hardware connected through
//! the simulated comm manager (`crate::hwmgr::sim`), a registered factory by name, and the
//! writes a handler encodes.
//!
//! A protocol's tests drive its encoder or its handler directly and compare bytes; the
//! conformance vectors (`tests/vectors.rs`) cover the path through the server.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::core::messages::FeatureInput;
use crate::core::types::{Endpoint, InputCommand, InputType, OutputType};
use crate::device::definition::{DeviceDefinition, FeatureDefinition, OutputSettings};
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory, ProtocolHandler};
use crate::hwmgr::sim::{SimCommManager, SimDeviceSpec, SimHardware, SimOp};
use crate::hwmgr::{CommEvent, CommManager, Hardware};

/// One feature for [`def`]: index, outputs `(type, lo, hi)`, battery input.
pub(crate) type FeatureSpec<'a> = (u32, &'a [(OutputType, i32, i32)], bool);

/// A definition with the given features and identifiers.
pub(crate) fn def_with(identifiers: &[&str], features: &[FeatureSpec<'_>]) -> DeviceDefinition {
    DeviceDefinition {
        identifiers: identifiers.iter().map(|s| s.to_string()).collect(),
        name: "Test Device".to_string(),
        id: "00000000-0000-0000-0000-000000000000".to_string(),
        base_id: None,
        protocol_variant: None,
        message_gap_ms: None,
        features: features
            .iter()
            .map(|(index, outputs, battery)| FeatureDefinition {
                index: *index,
                id: format!("feature-{index}"),
                base_id: None,
                description: String::new(),
                outputs: outputs
                    .iter()
                    .map(|(kind, lo, hi)| {
                        let mut o = OutputSettings::new(*kind, (*lo, *hi));
                        if *kind == OutputType::HwPositionWithDuration {
                            o.base_duration = Some((0, 100_000));
                        }
                        o
                    })
                    .collect(),
                inputs: if *battery {
                    vec![FeatureInput {
                        kind: InputType::Battery,
                        value: vec![(0, 100)],
                        commands: vec![InputCommand::Read],
                    }]
                } else {
                    Vec::new()
                },
            })
            .collect(),
        user: Default::default(),
    }
}

/// A definition without identifiers.
pub(crate) fn def(features: &[FeatureSpec<'_>]) -> DeviceDefinition {
    def_with(&[], features)
}

/// An output action.
pub(crate) fn act(feature: u32, kind: OutputType, value: i32) -> OutputAction {
    OutputAction {
        feature,
        kind,
        value,
        duration: None,
    }
}

/// A position-with-duration action.
pub(crate) fn mv(feature: u32, value: i32, duration: u32) -> OutputAction {
    OutputAction {
        feature,
        kind: OutputType::HwPositionWithDuration,
        value,
        duration: Some(duration),
    }
}

/// The bytes of the writes among `cmds`.
pub(crate) fn bytes(cmds: &[HwCommand]) -> Vec<Vec<u8>> {
    cmds.iter()
        .filter_map(|c| match c {
            HwCommand::Write { data, .. } => Some(data.clone()),
            _ => None,
        })
        .collect()
}

/// `(endpoint, bytes, with_response)` of the writes among `cmds`.
pub(crate) fn writes(cmds: &[HwCommand]) -> Vec<(Endpoint, Vec<u8>, bool)> {
    cmds.iter()
        .filter_map(|c| match c {
            HwCommand::Write {
                endpoint,
                data,
                with_response,
                ..
            } => Some((*endpoint, data.clone(), *with_response)),
            _ => None,
        })
        .collect()
}

/// A silent simulated BLE device with the given endpoints.
pub(crate) fn spec(name: &str, endpoints: &[Endpoint]) -> SimDeviceSpec {
    let mut s = SimDeviceSpec::ble_silent(name);
    s.endpoints = Some(endpoints.to_vec());
    s
}

/// Connects a simulated device through the simulated comm manager.
pub(crate) async fn connect(spec: SimDeviceSpec) -> (Arc<SimHardware>, Arc<dyn Hardware>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let manager = SimCommManager::new(tx);
    let sim = manager.add_device(spec);
    manager.start_scanning().await.unwrap();
    let mut connector = match rx.recv().await {
        Some(CommEvent::DeviceFound(c)) => c,
        other => panic!("no device offered: {other:?}"),
    };
    let hw = connector.connect(&[]).await.unwrap();
    (sim, hw)
}

/// The factory registered as `name` among a module's `factories()`.
pub(crate) fn named(
    factories: Vec<Arc<dyn ProtocolFactory>>,
    name: &str,
) -> Arc<dyn ProtocolFactory> {
    factories
        .into_iter()
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("no protocol named {name}"))
}

/// Initialises a device with `factory`.
pub(crate) async fn init(
    factory: &dyn ProtocolFactory,
    hw: &Arc<dyn Hardware>,
    definition: &DeviceDefinition,
) -> Arc<dyn ProtocolHandler> {
    factory.initialize(hw, definition).await.unwrap()
}

/// The next recorded operation (waiting a little).
pub(crate) async fn next(sim: &SimHardware) -> Option<SimOp> {
    sim.next_op(Duration::from_millis(2000)).await
}

/// Shorthand for an expected write operation.
pub(crate) fn w(endpoint: Endpoint, data: &[u8], with_response: bool) -> SimOp {
    SimOp::Write {
        endpoint,
        data: data.to_vec(),
        with_response,
    }
}
