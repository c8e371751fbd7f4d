//! Conversions between the protobuf schema (`haptix.v1`) and the crate's own types.
//!
//! Every `match` here is exhaustive without catch-all arms, so a new variant on either side
//! fails to compile until it is mapped. Unknown enum numbers received from the host become an
//! `HAPTIX_STATUS_ERROR_INVALID_ARGUMENT` failure.

use super::proto;
use super::status::{haptix_status, Failure};
use crate::core::messages::{
    DeviceFeature, DeviceInfo, FeatureInput, FeatureOutput, InputReadingValue,
};
use crate::core::types::{InputCommand, InputType, OutputType};

fn bad_enum(what: &str, value: i32) -> Failure {
    Failure::new(
        haptix_status::ErrorInvalidArgument,
        format!("{value} is not a valid {what}"),
    )
}

/// Output type from the host.
pub(crate) fn output_type_in(value: i32) -> Result<OutputType, Failure> {
    let t = proto::OutputType::try_from(value).map_err(|_| bad_enum("OutputType", value))?;
    Ok(match t {
        proto::OutputType::Unspecified => return Err(bad_enum("OutputType", value)),
        proto::OutputType::Vibrate => OutputType::Vibrate,
        proto::OutputType::Rotate => OutputType::Rotate,
        proto::OutputType::Oscillate => OutputType::Oscillate,
        proto::OutputType::Constrict => OutputType::Constrict,
        proto::OutputType::Temperature => OutputType::Temperature,
        proto::OutputType::Led => OutputType::Led,
        proto::OutputType::Spray => OutputType::Spray,
        proto::OutputType::Position => OutputType::Position,
        proto::OutputType::HwPositionWithDuration => OutputType::HwPositionWithDuration,
    })
}

/// Output type to the host.
pub(crate) fn output_type_out(t: OutputType) -> proto::OutputType {
    match t {
        OutputType::Vibrate => proto::OutputType::Vibrate,
        OutputType::Rotate => proto::OutputType::Rotate,
        OutputType::Oscillate => proto::OutputType::Oscillate,
        OutputType::Constrict => proto::OutputType::Constrict,
        OutputType::Temperature => proto::OutputType::Temperature,
        OutputType::Led => proto::OutputType::Led,
        OutputType::Spray => proto::OutputType::Spray,
        OutputType::Position => proto::OutputType::Position,
        OutputType::HwPositionWithDuration => proto::OutputType::HwPositionWithDuration,
    }
}

/// Input type from the host.
pub(crate) fn input_type_in(value: i32) -> Result<InputType, Failure> {
    let t = proto::InputType::try_from(value).map_err(|_| bad_enum("InputType", value))?;
    Ok(match t {
        proto::InputType::Unspecified => return Err(bad_enum("InputType", value)),
        proto::InputType::Battery => InputType::Battery,
        proto::InputType::Rssi => InputType::Rssi,
        proto::InputType::Pressure => InputType::Pressure,
        proto::InputType::Button => InputType::Button,
        proto::InputType::Depth => InputType::Depth,
        proto::InputType::Position => InputType::Position,
    })
}

/// Input type to the host.
pub(crate) fn input_type_out(t: InputType) -> proto::InputType {
    match t {
        InputType::Battery => proto::InputType::Battery,
        InputType::Rssi => proto::InputType::Rssi,
        InputType::Pressure => proto::InputType::Pressure,
        InputType::Button => proto::InputType::Button,
        InputType::Depth => proto::InputType::Depth,
        InputType::Position => proto::InputType::Position,
    }
}

/// Input command from the host.
pub(crate) fn input_command_in(value: i32) -> Result<InputCommand, Failure> {
    let c = proto::InputCommand::try_from(value).map_err(|_| bad_enum("InputCommand", value))?;
    Ok(match c {
        proto::InputCommand::Unspecified => return Err(bad_enum("InputCommand", value)),
        proto::InputCommand::Read => InputCommand::Read,
        proto::InputCommand::Subscribe => InputCommand::Subscribe,
        proto::InputCommand::Unsubscribe => InputCommand::Unsubscribe,
    })
}

fn input_command_out(c: InputCommand) -> proto::InputCommand {
    match c {
        InputCommand::Read => proto::InputCommand::Read,
        InputCommand::Subscribe => proto::InputCommand::Subscribe,
        InputCommand::Unsubscribe => proto::InputCommand::Unsubscribe,
    }
}

fn range((min, max): (i32, i32)) -> proto::Range {
    proto::Range { min, max }
}

fn clamp_range((min, max): (u32, u32)) -> proto::Range {
    proto::Range {
        min: i32::try_from(min).unwrap_or(i32::MAX),
        max: i32::try_from(max).unwrap_or(i32::MAX),
    }
}

fn output_out(o: &FeatureOutput) -> proto::FeatureOutput {
    proto::FeatureOutput {
        output_type: output_type_out(o.kind) as i32,
        value: Some(range(o.value)),
        duration: o.duration.map(clamp_range),
    }
}

fn input_out(i: &FeatureInput) -> proto::FeatureInput {
    proto::FeatureInput {
        input_type: input_type_out(i.kind) as i32,
        value: i.value.iter().copied().map(range).collect(),
        commands: i
            .commands
            .iter()
            .map(|c| input_command_out(*c) as i32)
            .collect(),
    }
}

fn feature_out(f: &DeviceFeature) -> proto::Feature {
    proto::Feature {
        index: f.index,
        description: f.description.clone(),
        outputs: f.outputs.iter().map(output_out).collect(),
        inputs: f.inputs.iter().map(input_out).collect(),
    }
}

/// A device as the host sees it; `address` is empty when the server does not tell.
pub(crate) fn device_out(d: &DeviceInfo, address: String) -> proto::Device {
    proto::Device {
        address,
        index: d.index,
        name: d.name.clone(),
        display_name: d.display_name.clone().unwrap_or_default(),
        message_timing_gap_ms: d.message_timing_gap,
        features: d.features.iter().map(feature_out).collect(),
    }
}

/// A reading as the host sees it.
pub(crate) fn reading_out(
    device_index: u32,
    feature_index: u32,
    reading: &InputReadingValue,
) -> proto::InputReading {
    proto::InputReading {
        device_index,
        feature_index,
        input_type: input_type_out(reading.input_type()) as i32,
        value: reading.as_i64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip() {
        for t in OutputType::ALL {
            assert_eq!(output_type_in(output_type_out(t) as i32).unwrap(), t);
        }
        for t in InputType::ALL {
            assert_eq!(input_type_in(input_type_out(t) as i32).unwrap(), t);
        }
        assert_eq!(
            output_type_in(0).unwrap_err().status,
            haptix_status::ErrorInvalidArgument
        );
        assert_eq!(
            output_type_in(99).unwrap_err().status,
            haptix_status::ErrorInvalidArgument
        );
        assert!(input_command_in(2).is_ok());
        assert!(input_command_in(-1).is_err());
    }
}
