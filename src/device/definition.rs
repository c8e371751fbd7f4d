//! Resolved device definitions: what the configuration says a device is (name, features, ranges,
//! user settings), and the value maths that turns client steps and legacy floats into device
//! values (`devices.md` §2.1, §3.1, §5).

use crate::core::messages::{DeviceFeature, FeatureInput, FeatureOutput};
use crate::core::types::{InputCommand, InputType, OutputType};
use crate::error::DeviceError;

/// One output of a feature with its configured and user ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSettings {
    /// Output type.
    pub kind: OutputType,
    /// Range from the base configuration `[lo, hi]`; only the sign of `lo` matters.
    pub base_range: (i32, i32),
    /// User sub-range of `[0, base hi]`, if set.
    pub user_range: Option<(u32, u32)>,
    /// Configured duration range (position-with-duration only).
    pub base_duration: Option<(u32, u32)>,
    /// User duration range.
    pub user_duration: Option<(u32, u32)>,
    /// Hidden from clients and refused.
    pub disabled: bool,
    /// Mirror positions (`position`, `hw_position_with_duration`).
    pub reverse: bool,
}

/// How a legacy float becomes a step (`devices.md` §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatRule {
    /// Value outputs: reject outside [0,1], clamp < 1e-6 to 0, `ceil(S·f)`.
    Value,
    /// v3 `ScalarCmd` Position: `ceil(S·f)`, no small-value clamp.
    Position,
    /// `LinearCmd`: `trunc(S·f)`.
    Linear,
}

impl OutputSettings {
    /// Plain settings for a base output with no user changes.
    pub fn new(kind: OutputType, base_range: (i32, i32)) -> OutputSettings {
        OutputSettings {
            kind,
            base_range,
            user_range: None,
            base_duration: None,
            user_duration: None,
            disabled: false,
            reverse: false,
        }
    }

    /// The configured maximum (never negative).
    pub fn base_max(&self) -> u32 {
        u32::try_from(self.base_range.1.max(0)).unwrap_or(0)
    }

    /// Step count `S`: the width of the user range if set, else the configured maximum.
    pub fn step_count(&self) -> u32 {
        match self.user_range {
            Some((lo, hi)) => hi.saturating_sub(lo),
            None => self.base_max(),
        }
    }

    /// True when the configured lower bound is negative (bidirectional output).
    pub fn signed(&self) -> bool {
        self.base_range.0 < 0
    }

    /// The device-side range `[L, H]`: the user range, else `[0, configured max]`.
    fn device_range(&self) -> (i64, i64) {
        match self.user_range {
            Some((lo, hi)) => (i64::from(lo), i64::from(hi)),
            None => (0, i64::from(self.base_max())),
        }
    }

    /// The duration range clients see.
    pub fn advertised_duration(&self) -> Option<(u32, u32)> {
        if self.kind != OutputType::HwPositionWithDuration {
            return None;
        }
        match (self.user_duration, self.base_duration) {
            (Some((lo, hi)), _) => Some((lo, hi)),
            (None, Some((lo, hi))) => Some((lo.min(hi), hi)),
            (None, None) => Some((0, 100_000)),
        }
    }

    /// What clients see for this output.
    pub fn advertised(&self) -> FeatureOutput {
        let s = i32::try_from(self.step_count()).unwrap_or(i32::MAX);
        FeatureOutput {
            kind: self.kind,
            value: (if self.signed() { -s } else { 0 }, s),
            duration: self.advertised_duration(),
        }
    }

    /// Converts a client step value into the device value (`devices.md` §3.1 step 6), checking
    /// it against the advertised range (our fix of the reference's missing sign check).
    pub fn device_value(&self, step: i32) -> Result<i32, DeviceError> {
        let adv = self.advertised();
        if step < adv.value.0 || step > adv.value.1 {
            return Err(DeviceError::OutOfRange(format!(
                "{} value {step} is outside the range [{}, {}]",
                self.kind, adv.value.0, adv.value.1
            )));
        }
        let (lo, hi) = self.device_range();
        let v = i64::from(step);
        let out = match self.kind {
            OutputType::Position => {
                if v < 0 || lo + v > hi {
                    return Err(self.range_error(step));
                }
                if self.reverse {
                    hi - v
                } else {
                    lo + v
                }
            }
            OutputType::HwPositionWithDuration => {
                if v == 0 {
                    0
                } else {
                    if v < 0 || lo + v > hi {
                        return Err(self.range_error(step));
                    }
                    if self.reverse {
                        hi - v
                    } else {
                        lo + v
                    }
                }
            }
            _ => {
                if v == 0 {
                    0
                } else {
                    let n = v.abs();
                    if lo + n > hi {
                        return Err(self.range_error(step));
                    }
                    v.signum() * (lo + n)
                }
            }
        };
        i32::try_from(out).map_err(|_| self.range_error(step))
    }

    /// Checks a duration against the advertised duration range.
    pub fn check_duration(&self, duration: u32) -> Result<u32, DeviceError> {
        match self.advertised_duration() {
            Some((lo, hi)) if duration < lo || duration > hi => Err(DeviceError::OutOfRange(
                format!("duration {duration} ms is outside the range [{lo}, {hi}]"),
            )),
            _ => Ok(duration),
        }
    }

    fn range_error(&self, step: i32) -> DeviceError {
        DeviceError::OutOfRange(format!(
            "{} value {step} does not fit the device range",
            self.kind
        ))
    }

    /// Converts a legacy float (0.0–1.0) into a client step (`devices.md` §5).
    pub fn float_to_step(&self, f: f64, rule: FloatRule) -> Result<i32, DeviceError> {
        if !f.is_finite() || !(0.0..=1.0).contains(&f) {
            return Err(DeviceError::OutOfRange(format!(
                "value {f} is outside 0.0 to 1.0"
            )));
        }
        let s = f64::from(self.step_count());
        let step = match rule {
            FloatRule::Value => {
                if f < 0.000_001 {
                    0.0
                } else {
                    (s * f).ceil()
                }
            }
            FloatRule::Position => (s * f).ceil(),
            FloatRule::Linear => (s * f).trunc(),
        };
        // step is within 0..=S by construction, S fits i32 in every real configuration
        Ok(step.clamp(0.0, f64::from(i32::MAX)) as i32)
    }
}

/// One feature of a resolved device definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureDefinition {
    /// Feature index.
    pub index: u32,
    /// Stable feature id (UUID string).
    pub id: String,
    /// Id of the base feature this one was derived from.
    pub base_id: Option<String>,
    /// Description (`""` when none).
    pub description: String,
    /// Outputs (including disabled ones), in [`OutputType::ALL`] order.
    pub outputs: Vec<OutputSettings>,
    /// Inputs.
    pub inputs: Vec<FeatureInput>,
}

impl FeatureDefinition {
    /// The output of the given type.
    pub fn output(&self, kind: OutputType) -> Option<&OutputSettings> {
        self.outputs.iter().find(|o| o.kind == kind)
    }

    /// The input of the given type.
    pub fn input(&self, kind: InputType) -> Option<&FeatureInput> {
        self.inputs.iter().find(|i| i.kind == kind)
    }

    /// The output type a stop uses: the first non-position output in stop order, if any.
    /// Disabled outputs are still stopped: safety first.
    pub fn stop_output(&self) -> Option<OutputType> {
        OutputType::ALL
            .into_iter()
            .filter(|t| !t.is_position())
            .find(|t| self.output(*t).is_some())
    }

    /// True when some input of this feature allows `Subscribe`.
    pub fn has_subscribable_input(&self) -> bool {
        self.inputs
            .iter()
            .any(|i| i.commands.contains(&InputCommand::Subscribe))
    }

    /// What clients see: disabled outputs removed; `None` when nothing is left to show.
    pub fn advertised(&self) -> Option<DeviceFeature> {
        if self.outputs.is_empty() && self.inputs.is_empty() {
            return None;
        }
        Some(DeviceFeature {
            index: self.index,
            description: self.description.clone(),
            outputs: self
                .outputs
                .iter()
                .filter(|o| !o.disabled)
                .map(OutputSettings::advertised)
                .collect(),
            inputs: self.inputs.clone(),
        })
    }
}

/// Per-device settings from the user configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserDeviceSettings {
    /// `DeviceDisplayName`.
    pub display_name: Option<String>,
    /// Reserved / allocated device index.
    pub index: Option<u32>,
    /// Allow-list flag.
    pub allow: bool,
    /// Deny-list flag.
    pub deny: bool,
    /// Gap override in ms.
    pub message_gap_ms: Option<u32>,
}

/// A device definition: a base `defaults`/`configurations` entry, or a per-device definition
/// derived from one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceDefinition {
    /// Identifiers this definition applies to (empty for `defaults`).
    pub identifiers: Vec<String>,
    /// `DeviceName`.
    pub name: String,
    /// Stable id (UUID string).
    pub id: String,
    /// Id of the definition this one refines.
    pub base_id: Option<String>,
    /// Protocol sub-implementation selector.
    pub protocol_variant: Option<String>,
    /// Configured write gap in ms.
    pub message_gap_ms: Option<u32>,
    /// Features, ascending by index.
    pub features: Vec<FeatureDefinition>,
    /// User settings.
    pub user: UserDeviceSettings,
}

impl DeviceDefinition {
    /// The feature with the given index.
    pub fn feature(&self, index: u32) -> Option<&FeatureDefinition> {
        self.features.iter().find(|f| f.index == index)
    }

    /// The effective message gap: user override, else configured gap.
    pub fn effective_gap_ms(&self) -> Option<u32> {
        self.user.message_gap_ms.or(self.message_gap_ms)
    }

    /// Features as clients see them.
    pub fn advertised_features(&self) -> Vec<DeviceFeature> {
        self.features
            .iter()
            .filter_map(FeatureDefinition::advertised)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(kind: OutputType, lo: i32, hi: i32) -> OutputSettings {
        OutputSettings::new(kind, (lo, hi))
    }

    #[test]
    fn float_conversion_matches_reference_artefacts() {
        let v = out(OutputType::Vibrate, 0, 20);
        assert_eq!(v.float_to_step(0.5, FloatRule::Value).unwrap(), 10);
        assert_eq!(v.float_to_step(0.01, FloatRule::Value).unwrap(), 1);
        assert_eq!(v.float_to_step(0.0000005, FloatRule::Value).unwrap(), 0);
        assert_eq!(v.float_to_step(1.0, FloatRule::Value).unwrap(), 20);
        assert!(v.float_to_step(1.5, FloatRule::Value).is_err());
        assert!(v.float_to_step(f64::NAN, FloatRule::Value).is_err());
        let h = out(OutputType::Vibrate, 0, 100);
        for (f, s) in [(0.07, 8), (0.14, 15), (0.28, 29), (0.55, 56), (0.56, 57)] {
            assert_eq!(h.float_to_step(f, FloatRule::Value).unwrap(), s, "{f}");
        }
        let a = out(OutputType::Vibrate, 0, 127);
        assert_eq!(a.float_to_step(0.5, FloatRule::Value).unwrap(), 64);
        let l = out(OutputType::HwPositionWithDuration, 0, 100);
        assert_eq!(l.float_to_step(0.51, FloatRule::Linear).unwrap(), 51);
    }

    #[test]
    fn device_values_with_user_range_and_sign() {
        let mut v = out(OutputType::Vibrate, 0, 20);
        v.user_range = Some((5, 15));
        assert_eq!(v.advertised().value, (0, 10));
        assert_eq!(v.device_value(0).unwrap(), 0);
        assert_eq!(v.device_value(3).unwrap(), 8);
        assert!(v.device_value(11).is_err());
        assert!(v.device_value(-1).is_err());

        let r = out(OutputType::Rotate, -20, 20);
        assert_eq!(r.advertised().value, (-20, 20));
        assert_eq!(r.device_value(-7).unwrap(), -7);
        let one_way = out(OutputType::Rotate, 0, 20);
        assert!(one_way.device_value(-5).is_err());

        let mut p = out(OutputType::Position, 0, 100);
        assert_eq!(p.device_value(0).unwrap(), 0);
        p.user_range = Some((10, 90));
        p.reverse = true;
        assert_eq!(p.device_value(0).unwrap(), 90);
        assert_eq!(p.device_value(80).unwrap(), 10);

        let mut h = out(OutputType::HwPositionWithDuration, 0, 100);
        h.base_duration = Some((0, 100_000));
        assert_eq!(h.device_value(0).unwrap(), 0);
        assert!(h.check_duration(100_001).is_err());
        assert_eq!(h.check_duration(350).unwrap(), 350);
    }
}
