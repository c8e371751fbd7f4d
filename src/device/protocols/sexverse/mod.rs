//! Sexverse toys.
//!
//! * `sexverse-v1`: every motor in one packet, `23 07 <3·n>` then `(0x80|motor, kind, value)`
//!   per motor and an XOR check byte.
//! * `sexverse-lg389`: vibration and oscillation together in one 10-byte packet.
//! * `sexverse-v2`: `aa 03 01 <motor> 64 <value>` per motor after an `aa 04` greeting.
//! * `sexverse-v4`: `bb 01 <value> 66`; `sexverse-v5`: `aa 03 03 <value> 00 00 00`.

pub(crate) mod v3;
pub(crate) mod v6;

use std::sync::Arc;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, KeepAlive, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::{byte, mask, unsupported, AllFeatures, PerFeature};
use crate::error::DeviceError;

/// The output kind of each state slot (features with a non-position output, by index).
fn slot_kinds(def: &DeviceDefinition) -> Vec<OutputType> {
    def.features
        .iter()
        .filter_map(|f| f.stop_output())
        .collect()
}

fn v1(values: &[i32], def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "sexverse-v1";
    let kinds = slot_kinds(def);
    let too_many = || DeviceError::protocol(NAME, "too many motors for one packet");
    let count = u8::try_from(values.len() * 3).map_err(|_| too_many())?;
    let mut data = vec![0x23, 0x07, count];
    for (i, v) in values.iter().enumerate() {
        let motor = u8::try_from(i + 1).map_err(|_| too_many())?;
        let kind = match kinds.get(i) {
            Some(OutputType::Rotate) => 0x06,
            Some(OutputType::Constrict | OutputType::Oscillate) => 0x04,
            _ => 0x03,
        };
        data.extend_from_slice(&[0x80 | motor, kind, byte(NAME, *v)?]);
    }
    let check = data.iter().fold(0u8, |a, b| a ^ b);
    data.push(check);
    Ok(vec![HwCommand::write(Endpoint::Tx, data, 0)])
}

fn lg389(values: &[i32], def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "sexverse-lg389";
    let kinds = slot_kinds(def);
    let value_of = |kind: OutputType| -> Result<u8, DeviceError> {
        let v = kinds
            .iter()
            .zip(values)
            .find(|(k, _)| **k == kind)
            .map(|(_, v)| *v)
            .unwrap_or(0);
        byte(NAME, v)
    };
    let vibe = value_of(OutputType::Vibrate)?;
    let osc = value_of(OutputType::Oscillate)?;
    // Oscillation runs over the full stroke, anchored at the base.
    let (anchor, range) = if osc == 0 { (0, 0) } else { (1, 4) };
    let data = vec![0xaa, 0x05, vibe, 0x14, anchor, 0x00, range, 0x00, osc, 0x00];
    Ok(vec![HwCommand::write_with_response(Endpoint::Tx, data, 0)])
}

fn v2_init(_def: &DeviceDefinition) -> Vec<HwCommand> {
    vec![HwCommand::write_with_response(
        Endpoint::Tx,
        vec![0xaa, 0x04],
        0,
    )]
}

fn v2(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "sexverse-v2";
    if !matches!(action.kind, OutputType::Vibrate | OutputType::Oscillate) {
        return Err(unsupported(NAME, action));
    }
    let motor = u8::try_from(action.feature)
        .ok()
        .and_then(|f| f.checked_add(1))
        .ok_or_else(|| DeviceError::protocol(NAME, "feature index does not fit a byte"))?;
    let data = vec![0xaa, 0x03, 0x01, motor, 0x64, byte(NAME, action.value)?];
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        data,
        mask(action.feature),
    )])
}

fn v4(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "sexverse-v4";
    if action.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, action));
    }
    let data = vec![0xbb, 0x01, byte(NAME, action.value)?, 0x66];
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        data,
        mask(action.feature),
    )])
}

fn v5(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "sexverse-v5";
    if action.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, action));
    }
    let data = vec![
        0xaa,
        0x03,
        0x03,
        byte(NAME, action.value)?,
        0x00,
        0x00,
        0x00,
    ];
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        data,
        mask(action.feature),
    )])
}

/// The protocols of this family (its members' included), for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    let mut list: Vec<Arc<dyn ProtocolFactory>> = vec![
        AllFeatures::new("sexverse-v1", v1),
        AllFeatures::new("sexverse-lg389", lg389),
        Arc::new(PerFeature {
            name: "sexverse-v2",
            encode: v2,
            init: Some(v2_init),
            keepalive: KeepAlive::RepeatLastIfRequired,
        }),
        PerFeature::new("sexverse-v4", v4),
        PerFeature::new("sexverse-v5", v5),
    ];
    list.extend(v3::factories());
    list.extend(v6::factories());
    list
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_family_is_every_sexverse_protocol() {
        let mut names: Vec<&str> = super::factories().iter().map(|f| f.name()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "sexverse-lg389",
                "sexverse-v1",
                "sexverse-v2",
                "sexverse-v3",
                "sexverse-v4",
                "sexverse-v5",
                "sexverse-v6",
            ]
        );
    }

    use crate::device::protocols::vectors_b::check_vectors;

    #[test]
    fn vectors() {
        check_vectors(&[
            "sexverse_cali",
            "sexverse_heart_protocol",
            "sexverse_lg389_protocol",
            "sexverse_nolan",
            "sexverse_olis",
            "sexverse_rex",
            "vvd_vkini_protocol",
        ]);
    }
}
