//! Legacy (v0–v3) device views derived from v4 features (`devices.md` §4).
//!
//! Every older spec version sees a device through index spaces computed from its v4 features:
//! the v3 `ScalarCmd`, `RotateCmd`, `LinearCmd` and `SensorReadCmd` attribute lists. The v2/v1
//! `VibrateCmd` list is the `Vibrate` subset of the scalar list. [`LegacyView`] holds those lists;
//! the server uses it both to describe a device to an old client and to resolve the per-message
//! indexes of old commands, so both always agree.
//!
//! [`features_from_v3`] goes the other way for the client side: it invents v4 features for a
//! device described by a v3 server, such that the view computed from them gives back the same
//! index spaces.

use super::messages::{DeviceFeature, FeatureInput, FeatureOutput};
use super::types::{InputCommand, InputType, OutputType};

/// Output types that appear in the v3 `ScalarCmd` list, in the order they are listed within one
/// feature.
pub const SCALAR_ORDER: [OutputType; 8] = [
    OutputType::Constrict,
    OutputType::Temperature,
    OutputType::Led,
    OutputType::Oscillate,
    OutputType::Position,
    OutputType::Rotate,
    OutputType::Spray,
    OutputType::Vibrate,
];

/// Default duration range advertised for synthesised `HwPositionWithDuration` outputs.
pub const DEFAULT_DURATION_RANGE: (u32, u32) = (0, 100_000);

/// One entry of a legacy output attribute list (`ScalarCmd`, `RotateCmd` or `LinearCmd`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyEntry {
    /// Index of the v4 feature the entry drives.
    pub feature_index: u32,
    /// The feature's description (`FeatureDescriptor` on the wire).
    pub descriptor: String,
    /// Output type driven: a scalar type for `ScalarCmd`, `Rotate` for `RotateCmd`,
    /// `HwPositionWithDuration` for `LinearCmd`.
    pub kind: OutputType,
    /// Step count `S` (the upper bound of the advertised range).
    pub step_count: u32,
}

/// One entry of the v3 `SensorReadCmd` attribute list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacySensor {
    /// Index of the v4 feature holding the input.
    pub feature_index: u32,
    /// The feature's description (`FeatureDescriptor` on the wire).
    pub descriptor: String,
    /// Input type (only `Battery` is ever derived from features).
    pub kind: InputType,
    /// Ranges of the reading (`SensorRange`).
    pub ranges: Vec<(i32, i32)>,
}

/// The legacy index spaces of one device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LegacyView {
    /// v3 `ScalarCmd` list; position = `ScalarCmd` `Index`.
    pub scalar: Vec<LegacyEntry>,
    /// v3 `RotateCmd` list (bidirectional rotators); position = `RotateCmd` `Index`.
    pub rotate: Vec<LegacyEntry>,
    /// v3 `LinearCmd` list (`HwPositionWithDuration` features); position = `LinearCmd` `Index`.
    pub linear: Vec<LegacyEntry>,
    /// v3 `SensorReadCmd` list (battery inputs that allow `Read`).
    pub sensor_read: Vec<LegacySensor>,
}

fn steps_of(output: &FeatureOutput) -> u32 {
    u32::try_from(output.value.1).unwrap_or(0)
}

impl LegacyView {
    /// Computes the legacy view of a device from its client-facing features.
    ///
    /// `features` must already exclude disabled outputs; they are visited in ascending feature
    /// index order (sorted here if the caller did not). Within one feature, scalar entries follow
    /// [`SCALAR_ORDER`].
    pub fn from_features(features: &[DeviceFeature]) -> LegacyView {
        let sorted = features
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.index <= b.index));
        let mut ordered: Vec<&DeviceFeature> = features.iter().collect();
        if !sorted {
            ordered.sort_by_key(|f| f.index);
        }
        let mut view = LegacyView::default();
        for feature in ordered {
            for kind in SCALAR_ORDER {
                if let Some(output) = feature.output(kind) {
                    view.scalar.push(LegacyEntry {
                        feature_index: feature.index,
                        descriptor: feature.description.clone(),
                        kind,
                        step_count: steps_of(output),
                    });
                }
            }
            if let Some(output) = feature.output(OutputType::Rotate) {
                if output.value.0 < 0 {
                    view.rotate.push(LegacyEntry {
                        feature_index: feature.index,
                        descriptor: feature.description.clone(),
                        kind: OutputType::Rotate,
                        step_count: steps_of(output),
                    });
                }
            }
            if let Some(output) = feature.output(OutputType::HwPositionWithDuration) {
                view.linear.push(LegacyEntry {
                    feature_index: feature.index,
                    descriptor: feature.description.clone(),
                    kind: OutputType::HwPositionWithDuration,
                    step_count: steps_of(output),
                });
            }
            if let Some(input) = feature.input(InputType::Battery) {
                if input.commands.contains(&InputCommand::Read) {
                    view.sensor_read.push(LegacySensor {
                        feature_index: feature.index,
                        descriptor: feature.description.clone(),
                        kind: InputType::Battery,
                        ranges: input.value.clone(),
                    });
                }
            }
        }
        view
    }

    /// The scalar entries of kind `Vibrate`, in order: the v1/v2 `VibrateCmd` index space.
    pub fn vibrators(&self) -> Vec<&LegacyEntry> {
        self.scalar
            .iter()
            .filter(|e| e.kind == OutputType::Vibrate)
            .collect()
    }

    /// True when the v3 view lists a `Battery` sensor (v2 `BatteryLevelCmd` is then offered).
    pub fn has_battery(&self) -> bool {
        self.sensor_read
            .iter()
            .any(|s| s.kind == InputType::Battery)
    }

    /// True when nothing but `StopDeviceCmd` would be offered to a v3 client.
    pub fn is_empty(&self) -> bool {
        self.scalar.is_empty()
            && self.rotate.is_empty()
            && self.linear.is_empty()
            && self.sensor_read.is_empty()
    }
}

fn to_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Synthesises v4-style features from a v3 view decoded from a v3 server, so that
/// `LegacyView::from_features(&features_from_v3(v))` gives back the same index spaces.
///
/// - scalar entry `i` → feature index `i` with that one output, range `[0, S]`, or `[-S, S]` for
///   the k-th `Rotate` scalar when the view's `rotate` list has a k-th entry. A scalar entry of
///   kind `HwPositionWithDuration` (which a v3 server never lists) is treated as `Position` so
///   that it stays in the scalar index space;
/// - linear entry `j` → feature index `scalar.len() + j` with `HwPositionWithDuration`, range
///   `[0, S]`, duration [`DEFAULT_DURATION_RANGE`];
/// - sensor entry `m` → feature index `scalar.len() + linear.len() + m` with its input and the
///   single command `Read`.
///
/// The `feature_index` fields of the view are ignored; descriptors become feature descriptions.
pub fn features_from_v3(view: &LegacyView) -> Vec<DeviceFeature> {
    let mut features =
        Vec::with_capacity(view.scalar.len() + view.linear.len() + view.sensor_read.len());
    let mut rotate_seen = 0usize;
    for entry in &view.scalar {
        let steps = to_i32(entry.step_count);
        let (kind, lo) = match entry.kind {
            OutputType::Rotate => {
                let bidirectional = view.rotate.get(rotate_seen).is_some();
                rotate_seen += 1;
                (OutputType::Rotate, if bidirectional { -steps } else { 0 })
            }
            OutputType::HwPositionWithDuration => (OutputType::Position, 0),
            other => (other, 0),
        };
        features.push(DeviceFeature {
            index: to_u32(features.len()),
            description: entry.descriptor.clone(),
            outputs: vec![FeatureOutput {
                kind,
                value: (lo, steps),
                duration: None,
            }],
            inputs: Vec::new(),
        });
    }
    for entry in &view.linear {
        features.push(DeviceFeature {
            index: to_u32(features.len()),
            description: entry.descriptor.clone(),
            outputs: vec![FeatureOutput {
                kind: OutputType::HwPositionWithDuration,
                value: (0, to_i32(entry.step_count)),
                duration: Some(DEFAULT_DURATION_RANGE),
            }],
            inputs: Vec::new(),
        });
    }
    for sensor in &view.sensor_read {
        features.push(DeviceFeature {
            index: to_u32(features.len()),
            description: sensor.descriptor.clone(),
            outputs: Vec::new(),
            inputs: vec![FeatureInput {
                kind: sensor.kind,
                value: sensor.ranges.clone(),
                commands: vec![InputCommand::Read],
            }],
        });
    }
    features
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn out(kind: OutputType, lo: i32, hi: i32) -> FeatureOutput {
        FeatureOutput {
            kind,
            value: (lo, hi),
            duration: if kind == OutputType::HwPositionWithDuration {
                Some((0, 100_000))
            } else {
                None
            },
        }
    }

    fn feature(index: u32, desc: &str, outputs: Vec<FeatureOutput>) -> DeviceFeature {
        DeviceFeature {
            index,
            description: desc.to_string(),
            outputs,
            inputs: Vec::new(),
        }
    }

    fn battery(index: u32, commands: Vec<InputCommand>) -> DeviceFeature {
        DeviceFeature {
            index,
            description: "Battery".to_string(),
            outputs: Vec::new(),
            inputs: vec![FeatureInput {
                kind: InputType::Battery,
                value: vec![(0, 100)],
                commands,
            }],
        }
    }

    /// The example device of devices.md §2.
    pub(crate) fn example_combo() -> Vec<DeviceFeature> {
        vec![
            feature(0, "Shaft", vec![out(OutputType::Vibrate, 0, 20)]),
            feature(1, "Head", vec![out(OutputType::Rotate, -20, 20)]),
            feature(2, "Pump", vec![out(OutputType::Constrict, 0, 3)]),
            feature(
                3,
                "Stroke",
                vec![out(OutputType::HwPositionWithDuration, 0, 100)],
            ),
            battery(4, vec![InputCommand::Read]),
        ]
    }

    fn entry(feature_index: u32, desc: &str, kind: OutputType, steps: u32) -> LegacyEntry {
        LegacyEntry {
            feature_index,
            descriptor: desc.to_string(),
            kind,
            step_count: steps,
        }
    }

    #[test]
    fn example_device_view() {
        let view = LegacyView::from_features(&example_combo());
        assert_eq!(
            view.scalar,
            vec![
                entry(0, "Shaft", OutputType::Vibrate, 20),
                entry(1, "Head", OutputType::Rotate, 20),
                entry(2, "Pump", OutputType::Constrict, 3),
            ]
        );
        assert_eq!(view.rotate, vec![entry(1, "Head", OutputType::Rotate, 20)]);
        assert_eq!(
            view.linear,
            vec![entry(3, "Stroke", OutputType::HwPositionWithDuration, 100)]
        );
        assert_eq!(
            view.sensor_read,
            vec![LegacySensor {
                feature_index: 4,
                descriptor: "Battery".to_string(),
                kind: InputType::Battery,
                ranges: vec![(0, 100)],
            }]
        );
        let vibs = view.vibrators();
        assert_eq!(vibs.len(), 1);
        assert_eq!(vibs.first().map(|e| e.feature_index), Some(0));
        assert!(view.has_battery());
        assert!(!view.is_empty());
    }

    #[test]
    fn scalar_order_within_one_feature() {
        let f = feature(
            0,
            "Multi",
            vec![
                out(OutputType::Vibrate, 0, 10),
                out(OutputType::Rotate, 0, 5),
                out(OutputType::Oscillate, 0, 6),
                out(OutputType::Constrict, 0, 7),
                out(OutputType::Temperature, -3, 3),
                out(OutputType::Led, 0, 1),
                out(OutputType::Position, 0, 90),
                out(OutputType::Spray, 0, 2),
            ],
        );
        let view = LegacyView::from_features(&[f]);
        let kinds: Vec<OutputType> = view.scalar.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, SCALAR_ORDER.to_vec());
        let steps: Vec<u32> = view.scalar.iter().map(|e| e.step_count).collect();
        assert_eq!(steps, vec![7, 3, 1, 6, 90, 5, 2, 10]);
        // one-way rotation is not in RotateCmd
        assert!(view.rotate.is_empty());
        assert!(view.linear.is_empty());
    }

    #[test]
    fn vibrators_keep_scalar_order_and_skip_other_kinds() {
        let features = vec![
            feature(0, "a", vec![out(OutputType::Constrict, 0, 3)]),
            feature(1, "b", vec![out(OutputType::Vibrate, 0, 20)]),
            feature(2, "c", vec![out(OutputType::Oscillate, 0, 20)]),
            feature(5, "d", vec![out(OutputType::Vibrate, 0, 127)]),
        ];
        let view = LegacyView::from_features(&features);
        let vib: Vec<(u32, u32)> = view
            .vibrators()
            .iter()
            .map(|e| (e.feature_index, e.step_count))
            .collect();
        assert_eq!(vib, vec![(1, 20), (5, 127)]);
    }

    #[test]
    fn unsorted_features_are_visited_in_index_order() {
        let features = vec![
            feature(3, "late", vec![out(OutputType::Vibrate, 0, 4)]),
            feature(1, "early", vec![out(OutputType::Vibrate, 0, 8)]),
        ];
        let view = LegacyView::from_features(&features);
        let idx: Vec<u32> = view.scalar.iter().map(|e| e.feature_index).collect();
        assert_eq!(idx, vec![1, 3]);
    }

    #[test]
    fn battery_without_read_and_other_inputs_are_hidden() {
        let mut pressure = battery(1, vec![InputCommand::Subscribe]);
        if let Some(i) = pressure.inputs.first_mut() {
            i.kind = InputType::Pressure;
        }
        let features = vec![battery(0, vec![InputCommand::Subscribe]), pressure];
        let view = LegacyView::from_features(&features);
        assert!(view.sensor_read.is_empty());
        assert!(!view.has_battery());
        assert!(view.is_empty());
    }

    #[test]
    fn features_from_v3_round_trip_of_example() {
        let view = LegacyView::from_features(&example_combo());
        let synth = features_from_v3(&view);
        assert_eq!(synth.len(), 5);
        let again = LegacyView::from_features(&synth);
        // same index spaces, descriptors, kinds and step counts
        let strip = |v: &[LegacyEntry]| -> Vec<(String, OutputType, u32)> {
            v.iter()
                .map(|e| (e.descriptor.clone(), e.kind, e.step_count))
                .collect()
        };
        assert_eq!(strip(&again.scalar), strip(&view.scalar));
        assert_eq!(strip(&again.rotate), strip(&view.rotate));
        assert_eq!(strip(&again.linear), strip(&view.linear));
        assert_eq!(again.sensor_read.len(), 1);
        assert_eq!(
            again.sensor_read.first().map(|s| s.ranges.clone()),
            Some(vec![(0, 100)])
        );
        // feature layout: scalars first, then linear, then sensors
        assert_eq!(
            synth.get(1).and_then(|f| f.output(OutputType::Rotate)),
            Some(&out(OutputType::Rotate, -20, 20))
        );
        assert_eq!(
            synth
                .get(3)
                .and_then(|f| f.output(OutputType::HwPositionWithDuration)),
            Some(&out(OutputType::HwPositionWithDuration, 0, 100))
        );
        assert_eq!(
            synth
                .get(4)
                .and_then(|f| f.input(InputType::Battery))
                .map(|i| i.commands.clone()),
            Some(vec![InputCommand::Read])
        );
        // a second derivation from synthesised features is a fixed point
        assert_eq!(features_from_v3(&again), synth);
        assert_eq!(LegacyView::from_features(&features_from_v3(&again)), again);
    }

    #[test]
    fn features_from_v3_rotate_pairing() {
        // two Rotate scalars, one RotateCmd entry: only the first becomes bidirectional
        let view = LegacyView {
            scalar: vec![
                entry(0, "r1", OutputType::Rotate, 10),
                entry(1, "v", OutputType::Vibrate, 5),
                entry(2, "r2", OutputType::Rotate, 12),
            ],
            rotate: vec![entry(0, "r1", OutputType::Rotate, 10)],
            linear: Vec::new(),
            sensor_read: Vec::new(),
        };
        let synth = features_from_v3(&view);
        let ranges: Vec<(i32, i32)> = synth
            .iter()
            .filter_map(|f| f.outputs.first().map(|o| o.value))
            .collect();
        assert_eq!(ranges, vec![(-10, 10), (0, 5), (0, 12)]);
        let again = LegacyView::from_features(&synth);
        assert_eq!(again.rotate.len(), 1);
        assert_eq!(again.scalar.len(), 3);
        assert_eq!(again.vibrators().len(), 1);
    }

    #[test]
    fn features_from_v3_keeps_hw_position_scalar_in_scalar_space() {
        let view = LegacyView {
            scalar: vec![entry(0, "p", OutputType::HwPositionWithDuration, 50)],
            ..LegacyView::default()
        };
        let again = LegacyView::from_features(&features_from_v3(&view));
        assert_eq!(again.scalar.len(), 1);
        assert!(again.linear.is_empty());
    }

    #[test]
    fn empty_inputs() {
        let view = LegacyView::from_features(&[]);
        assert!(view.is_empty());
        assert!(features_from_v3(&view).is_empty());
    }
}
