//! Reading and writing the official device configuration JSON format (major versions 4 and 5,
//! `device-config.md` §2–§3). Parsing walks a `serde_json::Value` so that every error can name
//! the protocol and the field it is about.

use std::fmt::Display;

use serde_json::{json, Map, Value};

use super::manager::ProtocolDefinition;
use super::specifier::{
    BleService, BtleSpecifier, CommSpecifier, ManufacturerData, SerialSpecifier, VidPid,
};
use crate::core::messages::FeatureInput;
use crate::core::types::{Endpoint, InputCommand, InputType, OutputType};
use crate::device::definition::{
    DeviceDefinition, FeatureDefinition, OutputSettings, UserDeviceSettings,
};
use crate::error::ConfigError;

/// A JSON object.
pub(crate) type Obj = Map<String, Value>;

/// Builds a [`ConfigError::Invalid`] naming the place in the file.
pub(crate) fn invalid(path: &str, msg: impl Display) -> ConfigError {
    ConfigError::Invalid(format!("{path}: {msg}"))
}

/// Parses bytes as JSON whose top level is an object.
pub(crate) fn parse_root(bytes: &[u8]) -> Result<Obj, ConfigError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ConfigError::Invalid(format!("not valid JSON: {e}")))?;
    match value {
        Value::Object(o) => Ok(o),
        _ => Err(ConfigError::Invalid(
            "the top level must be a JSON object".to_string(),
        )),
    }
}

/// Reads and checks `version` (`{"major": 4|5, "minor": N}`).
pub(crate) fn parse_version(root: &Obj) -> Result<(u32, u32), ConfigError> {
    let v = root
        .get("version")
        .ok_or_else(|| invalid("top level", "missing `version`"))?;
    let o = as_obj(v, "version")?;
    check_keys(o, &["major", "minor"], "version")?;
    let major = o
        .get("major")
        .ok_or_else(|| invalid("version", "missing `major`"))?;
    let major = major
        .as_u64()
        .ok_or_else(|| invalid("version.major", "must be a non-negative integer"))?;
    let major = u32::try_from(major).unwrap_or(u32::MAX);
    if major != 4 && major != 5 {
        return Err(ConfigError::Version(major));
    }
    let minor = match o.get("minor") {
        None => 0,
        Some(m) => {
            let m = m
                .as_u64()
                .ok_or_else(|| invalid("version.minor", "must be a non-negative integer"))?;
            u32::try_from(m).map_err(|_| invalid("version.minor", "too large"))?
        }
    };
    Ok((major, minor))
}

/// Parses a complete base file: version and protocols, in file order.
pub(crate) fn parse_base(
    bytes: &[u8],
) -> Result<((u32, u32), Vec<ProtocolDefinition>), ConfigError> {
    let root = parse_root(bytes)?;
    let version = parse_version(&root)?;
    check_keys(
        &root,
        &["version", "protocols", "user_configs"],
        "top level",
    )?;
    if root.contains_key("user_configs") {
        tracing::warn!("base device configuration contains `user_configs`; ignored (load it as a user configuration)");
    }
    let protocols = match root.get("protocols") {
        None => Vec::new(),
        Some(p) => {
            let p = as_obj(p, "protocols")?;
            let mut out = Vec::with_capacity(p.len());
            for (name, entry) in p {
                out.push(parse_protocol(name, entry)?);
            }
            out
        }
    };
    Ok((version, protocols))
}

fn parse_protocol(name: &str, entry: &Value) -> Result<ProtocolDefinition, ConfigError> {
    let path = format!("protocol `{name}`");
    let o = as_obj(entry, &path)?;
    for key in o.keys() {
        if !matches!(
            key.as_str(),
            "communication" | "defaults" | "configurations" | "configuration"
        ) {
            tracing::warn!("{path}: unknown field `{key}` ignored");
        }
    }
    let mut communication = Vec::new();
    if let Some(c) = o.get("communication") {
        let list = as_array(c, &format!("{path}.communication"))?;
        for (i, item) in list.iter().enumerate() {
            if let Some(spec) = parse_specifier(item, &format!("{path}.communication[{i}]"))? {
                communication.push(spec);
            }
        }
    }
    let defaults = match o.get("defaults") {
        None | Some(Value::Null) => None,
        Some(d) => Some(parse_definition(
            d,
            &format!("{path}.defaults"),
            DefinitionKind::Defaults,
            None,
        )?),
    };
    let mut configurations = Vec::new();
    // The v4 database has one entry (`sexverse-v5`) that spells the list `configuration`; it
    // is accepted deliberately as a synonym, read after the correctly spelled list.
    for key in ["configurations", "configuration"] {
        let Some(list) = o.get(key) else { continue };
        if key == "configuration" {
            tracing::debug!("{path}: reading misspelled list `configuration` as `configurations`");
        }
        let list = as_array(list, &format!("{path}.{key}"))?;
        for (i, item) in list.iter().enumerate() {
            configurations.push(parse_definition(
                item,
                &format!("{path}.{key}[{i}]"),
                DefinitionKind::Configuration,
                defaults.as_ref(),
            )?);
        }
    }
    Ok(ProtocolDefinition {
        name: name.to_string(),
        communication,
        defaults,
        configurations,
    })
}

/// Which kind of definition object is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefinitionKind {
    /// A protocol's `defaults`.
    Defaults,
    /// An entry of `configurations` (base or user).
    Configuration,
}

/// Parses a definition. For base configurations `inherit` is the protocol's defaults, whose
/// `protocol_variant`, `message_gap_ms` and `features` (as a whole) fill absent fields.
pub(crate) fn parse_definition(
    v: &Value,
    path: &str,
    kind: DefinitionKind,
    inherit: Option<&DeviceDefinition>,
) -> Result<DeviceDefinition, ConfigError> {
    let o = as_obj(v, path)?;
    check_keys(
        o,
        &[
            "identifier",
            "name",
            "id",
            "protocol_variant",
            "message_gap_ms",
            "features",
        ],
        path,
    )?;
    let identifiers = match (kind, o.get("identifier")) {
        (DefinitionKind::Configuration, None) => {
            return Err(invalid(path, "missing `identifier`"));
        }
        (DefinitionKind::Configuration, Some(i)) => {
            let list = string_list(i, &format!("{path}.identifier"))?;
            if list.is_empty() {
                return Err(invalid(&format!("{path}.identifier"), "must not be empty"));
            }
            list
        }
        (DefinitionKind::Defaults, Some(_)) => {
            tracing::warn!("{path}: `identifier` in defaults ignored");
            Vec::new()
        }
        (DefinitionKind::Defaults, None) => Vec::new(),
    };
    let name = req_str(o, "name", path)?.to_string();
    let id = parse_uuid(
        o.get("id").ok_or_else(|| invalid(path, "missing `id`"))?,
        &format!("{path}.id"),
    )?;
    let protocol_variant = match o.get("protocol_variant") {
        None => inherit.and_then(|d| d.protocol_variant.clone()),
        Some(p) => Some(
            p.as_str()
                .ok_or_else(|| invalid(&format!("{path}.protocol_variant"), "must be a string"))?
                .to_string(),
        ),
    };
    let message_gap_ms = match o.get("message_gap_ms") {
        None => inherit.and_then(|d| d.message_gap_ms),
        Some(g) => Some(as_u32(g, &format!("{path}.message_gap_ms"))?),
    };
    let features = match o.get("features") {
        None => inherit.map(|d| d.features.clone()).unwrap_or_default(),
        Some(f) => parse_features(f, &format!("{path}.features"))?,
    };
    Ok(DeviceDefinition {
        identifiers,
        name,
        id,
        base_id: None,
        protocol_variant,
        message_gap_ms,
        features,
        user: UserDeviceSettings::default(),
    })
}

/// Parses a bus specifier object (exactly one key). `Ok(None)` for a marker bus written with
/// `"exists": false`.
pub(crate) fn parse_specifier(v: &Value, path: &str) -> Result<Option<CommSpecifier>, ConfigError> {
    let o = as_obj(v, path)?;
    let mut it = o.iter();
    let (Some((bus, body)), None) = (it.next(), it.next()) else {
        return Err(invalid(path, "a specifier must have exactly one bus key"));
    };
    let path = format!("{path}.{bus}");
    let path = path.as_str();
    let body = as_obj(body, path)?;
    let spec = match bus.as_str() {
        "btle" => {
            check_keys(
                body,
                &[
                    "names",
                    "services",
                    "manufacturer_data",
                    "advertised_services",
                ],
                path,
            )?;
            let names = string_list(
                body.get("names")
                    .ok_or_else(|| invalid(path, "missing `names`"))?,
                &format!("{path}.names"),
            )?;
            let mut services = Vec::new();
            if let Some(s) = body.get("services") {
                let spath = format!("{path}.services");
                for (uuid, chars) in as_obj(s, &spath)? {
                    let uuid = check_uuid(uuid, &format!("{spath} key"))?;
                    let cpath = format!("{spath}.{uuid}");
                    let mut characteristics = Vec::new();
                    for (endpoint, cuuid) in as_obj(chars, &cpath)? {
                        let e: Endpoint = endpoint.parse().map_err(|m| invalid(&cpath, m))?;
                        let c = parse_uuid(cuuid, &format!("{cpath}.{endpoint}"))?;
                        characteristics.push((e, c));
                    }
                    services.push(BleService {
                        uuid,
                        characteristics,
                    });
                }
            }
            let mut manufacturer_data = Vec::new();
            if let Some(m) = body.get("manufacturer_data") {
                let mpath = format!("{path}.manufacturer_data");
                for (i, item) in as_array(m, &mpath)?.iter().enumerate() {
                    let ipath = format!("{mpath}[{i}]");
                    let io = as_obj(item, &ipath)?;
                    check_keys(io, &["company", "data", "expected_length"], &ipath)?;
                    let company = as_u16(
                        io.get("company")
                            .ok_or_else(|| invalid(&ipath, "missing `company`"))?,
                        &format!("{ipath}.company"),
                    )?;
                    let data = match io.get("data") {
                        None | Some(Value::Null) => None,
                        Some(d) => {
                            let dpath = format!("{ipath}.data");
                            let mut bytes = Vec::new();
                            for b in as_array(d, &dpath)? {
                                bytes.push(as_u8(b, &dpath)?);
                            }
                            Some(bytes)
                        }
                    };
                    manufacturer_data.push(ManufacturerData { company, data });
                }
            }
            let mut advertised_services = Vec::new();
            if let Some(a) = body.get("advertised_services") {
                let apath = format!("{path}.advertised_services");
                for item in as_array(a, &apath)? {
                    advertised_services.push(parse_uuid(item, &apath)?);
                }
            }
            CommSpecifier::Btle(BtleSpecifier {
                names,
                manufacturer_data,
                advertised_services,
                services,
            })
        }
        "serial" => {
            check_keys(
                body,
                &["port", "baud_rate", "data_bits", "parity", "stop_bits"],
                path,
            )?;
            let field = |k: &str| {
                body.get(k)
                    .ok_or_else(|| invalid(path, format!("missing `{k}`")))
            };
            let parity_str = field("parity")?
                .as_str()
                .ok_or_else(|| invalid(&format!("{path}.parity"), "must be a string"))?;
            let mut chars = parity_str.chars();
            let parity = match (chars.next(), chars.next()) {
                (Some(c), None) => c,
                _ => {
                    return Err(invalid(
                        &format!("{path}.parity"),
                        format!("must be one letter, got {parity_str:?}"),
                    ))
                }
            };
            CommSpecifier::Serial(SerialSpecifier {
                port: req_str(body, "port", path)?.to_string(),
                baud_rate: as_u32(field("baud_rate")?, &format!("{path}.baud_rate"))?,
                data_bits: as_u8(field("data_bits")?, &format!("{path}.data_bits"))?,
                parity,
                stop_bits: as_u8(field("stop_bits")?, &format!("{path}.stop_bits"))?,
            })
        }
        "usb" | "hid" => {
            check_keys(body, &["pairs"], path)?;
            let ppath = format!("{path}.pairs");
            let list = as_array(
                body.get("pairs")
                    .ok_or_else(|| invalid(path, "missing `pairs`"))?,
                &ppath,
            )?;
            if list.is_empty() {
                return Err(invalid(&ppath, "must not be empty"));
            }
            let mut pairs = Vec::with_capacity(list.len());
            for (i, item) in list.iter().enumerate() {
                let ipath = format!("{ppath}[{i}]");
                let io = as_obj(item, &ipath)?;
                check_keys(io, &["vendor_id", "product_id"], &ipath)?;
                let get = |k: &str| {
                    io.get(k)
                        .ok_or_else(|| invalid(&ipath, format!("missing `{k}`")))
                        .and_then(|v| as_u16(v, &format!("{ipath}.{k}")))
                };
                pairs.push(VidPid {
                    vendor_id: get("vendor_id")?,
                    product_id: get("product_id")?,
                });
            }
            if bus == "usb" {
                CommSpecifier::Usb(pairs)
            } else {
                CommSpecifier::Hid(pairs)
            }
        }
        "xinput" | "lovense_connect_service" | "sdl-gamepad" => {
            check_keys(body, &["exists"], path)?;
            let exists = match body.get("exists") {
                None => true,
                Some(e) => e
                    .as_bool()
                    .ok_or_else(|| invalid(&format!("{path}.exists"), "must be a boolean"))?,
            };
            if !exists {
                return Ok(None);
            }
            match bus.as_str() {
                "xinput" => CommSpecifier::XInput,
                "sdl-gamepad" => CommSpecifier::SdlGamepad,
                _ => CommSpecifier::LovenseConnectService,
            }
        }
        "websocket" => {
            check_keys(body, &["name"], path)?;
            CommSpecifier::Websocket {
                name: req_str(body, "name", path)?.to_string(),
            }
        }
        "simulated" => {
            check_keys(body, &["names"], path)?;
            CommSpecifier::Simulated {
                names: string_list(
                    body.get("names")
                        .ok_or_else(|| invalid(path, "missing `names`"))?,
                    &format!("{path}.names"),
                )?,
            }
        }
        other => return Err(invalid(path, format!("unknown bus kind `{other}`"))),
    };
    Ok(Some(spec))
}

/// Parses a base feature list; the result is sorted by index (duplicates rejected).
pub(crate) fn parse_features(v: &Value, path: &str) -> Result<Vec<FeatureDefinition>, ConfigError> {
    let list = as_array(v, path)?;
    let mut features = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        features.push(parse_feature(item, &format!("{path}[{i}]"))?);
    }
    features.sort_by_key(|f| f.index);
    if let Some(w) = features
        .windows(2)
        .find(|w| matches!(w, [a, b] if a.index == b.index))
    {
        let index = w.first().map(|f| f.index).unwrap_or_default();
        return Err(invalid(path, format!("duplicate feature index {index}")));
    }
    Ok(features)
}

fn parse_feature(v: &Value, path: &str) -> Result<FeatureDefinition, ConfigError> {
    let o = as_obj(v, path)?;
    check_keys(
        o,
        &[
            "index",
            "id",
            "description",
            "output",
            "input",
            "feature_settings",
        ],
        path,
    )?;
    let index = as_u32(
        o.get("index")
            .ok_or_else(|| invalid(path, "missing `index`"))?,
        &format!("{path}.index"),
    )?;
    let id = parse_uuid(
        o.get("id").ok_or_else(|| invalid(path, "missing `id`"))?,
        &format!("{path}.id"),
    )?;
    let description = match o.get("description") {
        None | Some(Value::Null) => String::new(),
        Some(d) => d
            .as_str()
            .ok_or_else(|| invalid(&format!("{path}.description"), "must be a string"))?
            .to_string(),
    };
    let mut outputs = Vec::new();
    if let Some(out) = o.get("output") {
        let opath = format!("{path}.output");
        for (key, props) in as_obj(out, &opath)? {
            let kind = OutputType::from_config(key)
                .ok_or_else(|| invalid(&opath, format!("unknown output type `{key}`")))?;
            outputs.push(parse_output(kind, props, &format!("{opath}.{key}"))?);
        }
    }
    sort_outputs(&mut outputs);
    let mut inputs = Vec::new();
    if let Some(inp) = o.get("input") {
        let ipath = format!("{path}.input");
        for (key, props) in as_obj(inp, &ipath)? {
            let kind = InputType::from_config(key)
                .ok_or_else(|| invalid(&ipath, format!("unknown input type `{key}`")))?;
            inputs.push(parse_input(kind, props, &format!("{ipath}.{key}"))?);
        }
    }
    sort_inputs(&mut inputs);
    if let Some(fs) = o.get("feature_settings") {
        let fpath = format!("{path}.feature_settings");
        let fo = as_obj(fs, &fpath)?;
        check_keys(fo, &["alt_protocol_index"], &fpath)?;
        if let Some(a) = fo.get("alt_protocol_index") {
            // carried by the reference but unused by any server code
            as_u32(a, &format!("{fpath}.alt_protocol_index"))?;
        }
    }
    Ok(FeatureDefinition {
        index,
        id,
        base_id: None,
        description,
        outputs,
        inputs,
    })
}

/// Sorts outputs into [`OutputType::ALL`] order.
pub(crate) fn sort_outputs(outputs: &mut [OutputSettings]) {
    outputs.sort_by_key(|o| output_rank(o.kind));
}

/// Sorts inputs into [`InputType::ALL`] order.
pub(crate) fn sort_inputs(inputs: &mut [FeatureInput]) {
    inputs.sort_by_key(|i| InputType::ALL.iter().position(|t| *t == i.kind));
}

fn output_rank(kind: OutputType) -> usize {
    OutputType::ALL
        .iter()
        .position(|t| *t == kind)
        .unwrap_or(usize::MAX)
}

fn parse_output(kind: OutputType, v: &Value, path: &str) -> Result<OutputSettings, ConfigError> {
    let o = as_obj(v, path)?;
    if kind == OutputType::HwPositionWithDuration {
        check_keys(o, &["value", "duration", "description"], path)?;
    } else {
        check_keys(o, &["value", "description"], path)?;
    }
    let value = parse_range_i32(
        o.get("value")
            .ok_or_else(|| invalid(path, "missing `value`"))?,
        &format!("{path}.value"),
    )?;
    let mut settings = OutputSettings::new(kind, value);
    if let Some(d) = o.get("duration") {
        settings.base_duration = Some(parse_range_u32(d, &format!("{path}.duration"))?);
    }
    if let Some(d) = o.get("description") {
        // v5 allows a label on an output; the model has no place for it
        d.as_str()
            .ok_or_else(|| invalid(&format!("{path}.description"), "must be a string"))?;
    }
    Ok(settings)
}

fn parse_input(kind: InputType, v: &Value, path: &str) -> Result<FeatureInput, ConfigError> {
    let o = as_obj(v, path)?;
    check_keys(o, &["value", "command"], path)?;
    let vpath = format!("{path}.value");
    let mut value = Vec::new();
    for (i, r) in as_array(
        o.get("value")
            .ok_or_else(|| invalid(path, "missing `value`"))?,
        &vpath,
    )?
    .iter()
    .enumerate()
    {
        value.push(parse_range_i32(r, &format!("{vpath}[{i}]"))?);
    }
    let cpath = format!("{path}.command");
    let mut commands = Vec::new();
    for c in as_array(
        o.get("command")
            .ok_or_else(|| invalid(path, "missing `command`"))?,
        &cpath,
    )? {
        let s = c
            .as_str()
            .ok_or_else(|| invalid(&cpath, "commands must be strings"))?;
        commands.push(
            InputCommand::from_wire(s)
                .ok_or_else(|| invalid(&cpath, format!("unknown input command `{s}`")))?,
        );
    }
    commands.sort();
    commands.dedup();
    Ok(FeatureInput {
        kind,
        value,
        commands,
    })
}

// ---------------------------------------------------------------------------------------------
// Small typed accessors.

/// The value as an object.
pub(crate) fn as_obj<'a>(v: &'a Value, path: &str) -> Result<&'a Obj, ConfigError> {
    v.as_object()
        .ok_or_else(|| invalid(path, "must be an object"))
}

/// The value as an array.
pub(crate) fn as_array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, ConfigError> {
    v.as_array()
        .ok_or_else(|| invalid(path, "must be an array"))
}

/// Rejects keys outside `allowed`.
pub(crate) fn check_keys(o: &Obj, allowed: &[&str], path: &str) -> Result<(), ConfigError> {
    match o.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(invalid(path, format!("unknown field `{k}`"))),
        None => Ok(()),
    }
}

/// A required string field.
pub(crate) fn req_str<'a>(o: &'a Obj, key: &str, path: &str) -> Result<&'a str, ConfigError> {
    o.get(key)
        .ok_or_else(|| invalid(path, format!("missing `{key}`")))?
        .as_str()
        .ok_or_else(|| invalid(&format!("{path}.{key}"), "must be a string"))
}

/// A list of strings.
pub(crate) fn string_list(v: &Value, path: &str) -> Result<Vec<String>, ConfigError> {
    as_array(v, path)?
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_string)
                .ok_or_else(|| invalid(path, "items must be strings"))
        })
        .collect()
}

/// An unsigned 32-bit integer.
pub(crate) fn as_u32(v: &Value, path: &str) -> Result<u32, ConfigError> {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            invalid(
                path,
                format!("must be an integer 0..={}, got {v}", u32::MAX),
            )
        })
}

fn as_u16(v: &Value, path: &str) -> Result<u16, ConfigError> {
    v.as_u64()
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| invalid(path, format!("must be an integer 0..=65535, got {v}")))
}

fn as_u8(v: &Value, path: &str) -> Result<u8, ConfigError> {
    v.as_u64()
        .and_then(|n| u8::try_from(n).ok())
        .ok_or_else(|| invalid(path, format!("must be an integer 0..=255, got {v}")))
}

fn as_i32(v: &Value, path: &str) -> Result<i32, ConfigError> {
    v.as_i64()
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| invalid(path, format!("must be a 32-bit integer, got {v}")))
}

fn range_pair<'a>(v: &'a Value, path: &str) -> Result<(&'a Value, &'a Value), ConfigError> {
    match as_array(v, path)?.as_slice() {
        [lo, hi] => Ok((lo, hi)),
        _ => Err(invalid(path, "a range must be an array of two integers")),
    }
}

/// A signed range `[lo, hi]`; empty ranges (`lo > hi`) are rejected.
pub(crate) fn parse_range_i32(v: &Value, path: &str) -> Result<(i32, i32), ConfigError> {
    let (lo, hi) = range_pair(v, path)?;
    let (lo, hi) = (as_i32(lo, path)?, as_i32(hi, path)?);
    if lo > hi {
        return Err(invalid(path, format!("empty range [{lo}, {hi}]")));
    }
    Ok((lo, hi))
}

/// An unsigned range `[lo, hi]`; empty ranges are rejected.
pub(crate) fn parse_range_u32(v: &Value, path: &str) -> Result<(u32, u32), ConfigError> {
    let (lo, hi) = range_pair(v, path)?;
    let (lo, hi) = (as_u32(lo, path)?, as_u32(hi, path)?);
    if lo > hi {
        return Err(invalid(path, format!("empty range [{lo}, {hi}]")));
    }
    Ok((lo, hi))
}

/// True for the canonical 8-4-4-4-12 hex UUID form (either case).
pub(crate) fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Checks a UUID string and returns it in lower case.
pub(crate) fn check_uuid(s: &str, path: &str) -> Result<String, ConfigError> {
    if is_uuid(s) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(invalid(path, format!("not a UUID: {s:?}")))
    }
}

/// A UUID value, returned in lower case.
pub(crate) fn parse_uuid(v: &Value, path: &str) -> Result<String, ConfigError> {
    let s = v
        .as_str()
        .ok_or_else(|| invalid(path, "must be a UUID string"))?;
    check_uuid(s, path)
}

// ---------------------------------------------------------------------------------------------
// Writing.

/// A specifier in the official format.
pub(crate) fn specifier_to_json(spec: &CommSpecifier) -> Value {
    let pairs = |p: &[VidPid]| {
        Value::Array(
            p.iter()
                .map(|p| json!({"vendor_id": p.vendor_id, "product_id": p.product_id}))
                .collect(),
        )
    };
    match spec {
        CommSpecifier::Btle(b) => {
            let mut body = Obj::new();
            body.insert("names".into(), json!(b.names));
            if !b.manufacturer_data.is_empty() {
                let items = b
                    .manufacturer_data
                    .iter()
                    .map(|m| match &m.data {
                        Some(d) => json!({"company": m.company, "data": d}),
                        None => json!({"company": m.company}),
                    })
                    .collect();
                body.insert("manufacturer_data".into(), Value::Array(items));
            }
            if !b.advertised_services.is_empty() {
                body.insert("advertised_services".into(), json!(b.advertised_services));
            }
            let mut services = Obj::new();
            for s in &b.services {
                let mut chars = Obj::new();
                for (e, c) in &s.characteristics {
                    chars.insert(e.name(), Value::String(c.clone()));
                }
                services.insert(s.uuid.clone(), Value::Object(chars));
            }
            body.insert("services".into(), Value::Object(services));
            json!({"btle": body})
        }
        CommSpecifier::Serial(s) => json!({"serial": {
            "port": s.port, "baud_rate": s.baud_rate, "data_bits": s.data_bits,
            "parity": s.parity.to_string(), "stop_bits": s.stop_bits}}),
        CommSpecifier::Usb(p) => json!({"usb": {"pairs": pairs(p)}}),
        CommSpecifier::Hid(p) => json!({"hid": {"pairs": pairs(p)}}),
        CommSpecifier::XInput => json!({"xinput": {"exists": true}}),
        CommSpecifier::LovenseConnectService => {
            json!({"lovense_connect_service": {"exists": true}})
        }
        CommSpecifier::Websocket { name } => json!({"websocket": {"name": name}}),
        CommSpecifier::Simulated { names } => json!({"simulated": {"names": names}}),
        CommSpecifier::SdlGamepad => json!({"sdl-gamepad": {"exists": true}}),
    }
}

/// A base feature in the official format.
pub(crate) fn feature_to_json(f: &FeatureDefinition) -> Value {
    let mut o = Obj::new();
    o.insert("index".into(), json!(f.index));
    o.insert("id".into(), json!(f.id));
    if !f.description.is_empty() {
        o.insert("description".into(), json!(f.description));
    }
    if !f.outputs.is_empty() {
        let mut out = Obj::new();
        for s in &f.outputs {
            let mut p = Obj::new();
            p.insert("value".into(), json!([s.base_range.0, s.base_range.1]));
            if let Some((lo, hi)) = s.base_duration {
                p.insert("duration".into(), json!([lo, hi]));
            }
            out.insert(s.kind.config_name().into(), Value::Object(p));
        }
        o.insert("output".into(), Value::Object(out));
    }
    if !f.inputs.is_empty() {
        let mut inp = Obj::new();
        for i in &f.inputs {
            let value: Vec<Value> = i.value.iter().map(|(lo, hi)| json!([lo, hi])).collect();
            let command: Vec<&str> = i.commands.iter().map(|c| c.wire_name()).collect();
            inp.insert(
                i.kind.config_name().into(),
                json!({"value": value, "command": command}),
            );
        }
        o.insert("input".into(), Value::Object(inp));
    }
    Value::Object(o)
}

/// A configuration entry in the official format (no inheritance: every field written).
pub(crate) fn configuration_to_json(d: &DeviceDefinition) -> Value {
    let mut o = Obj::new();
    o.insert("identifier".into(), json!(d.identifiers));
    o.insert("name".into(), json!(d.name));
    o.insert("id".into(), json!(d.id));
    if let Some(v) = &d.protocol_variant {
        o.insert("protocol_variant".into(), json!(v));
    }
    if let Some(g) = d.message_gap_ms {
        o.insert("message_gap_ms".into(), json!(g));
    }
    o.insert(
        "features".into(),
        Value::Array(d.features.iter().map(feature_to_json).collect()),
    );
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::config::test_support::{base_doc, manager};
    use crate::device::config::DeviceConfigManager;

    fn spec(v: Value) -> Result<Option<CommSpecifier>, ConfigError> {
        parse_specifier(&v, "test")
    }

    #[test]
    fn specifiers_round_trip_through_json() {
        let inputs = [
            json!({"btle": {"names": ["A*"], "manufacturer_data": [{"company": 5, "data": [1, 2]}, {"company": 6}],
                "advertised_services": ["0000aa00-0000-1000-8000-00805f9b34fb"],
                "services": {"0000AA00-0000-1000-8000-00805f9b34fb": {"tx": "0000aa01-0000-1000-8000-00805f9b34fb"}}}}),
            json!({"serial": {"port": "COM7", "baud_rate": 115200, "data_bits": 8, "parity": "N", "stop_bits": 1}}),
            json!({"usb": {"pairs": [{"vendor_id": 1, "product_id": 2}]}}),
            json!({"hid": {"pairs": [{"vendor_id": 3, "product_id": 4}]}}),
            json!({"xinput": {"exists": true}}),
            json!({"lovense_connect_service": {"exists": true}}),
            json!({"sdl-gamepad": {"exists": true}}),
            json!({"websocket": {"name": "LVSDevice"}}),
            json!({"simulated": {"names": ["simulated-1vibe"]}}),
        ];
        for v in inputs {
            let s = spec(v.clone()).unwrap().unwrap();
            let back = specifier_to_json(&s);
            assert_eq!(spec(back).unwrap().unwrap(), s, "{v}");
        }
        // service UUIDs are normalised to lower case
        let Some(CommSpecifier::Btle(b)) = spec(json!({"btle": {"names": ["x"],
            "services": {"0000AA00-0000-1000-8000-00805F9B34FB": {"rx": "0000AA01-0000-1000-8000-00805F9B34FB"}}}})).unwrap()
        else {
            panic!("not btle")
        };
        assert_eq!(b.services[0].uuid, "0000aa00-0000-1000-8000-00805f9b34fb");
        assert_eq!(
            b.services[0].characteristics[0].1,
            "0000aa01-0000-1000-8000-00805f9b34fb"
        );
        assert_eq!(spec(json!({"xinput": {"exists": false}})).unwrap(), None);
    }

    #[test]
    fn bad_specifiers_are_named() {
        for (v, needle) in [
            (json!({"btle": {"services": {}}}), "missing `names`"),
            (json!({"bluetooth": {}}), "unknown bus kind"),
            (json!({"btle": {"names": []}, "serial": {}}), "exactly one"),
            (
                json!({"serial": {"port": "x", "baud_rate": 1, "data_bits": 8, "parity": "NN", "stop_bits": 1}}),
                "one letter",
            ),
            (
                json!({"usb": {"pairs": [{"vendor_id": 70000, "product_id": 1}]}}),
                "vendor_id",
            ),
            (
                json!({"btle": {"names": ["x"], "services": {"zz": {}}}}),
                "not a UUID",
            ),
            (
                json!({"btle": {"names": ["x"], "services": {"0000aa00-0000-1000-8000-00805f9b34fb": {"txx": "0000aa00-0000-1000-8000-00805f9b34fb"}}}}),
                "endpoint",
            ),
        ] {
            let e = spec(v).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
    }

    #[test]
    fn uuid_check() {
        assert!(is_uuid("5c1195a5-a2e4-4643-bd47-8cb3a1e067f4"));
        assert!(!is_uuid("5c1195a5a2e4-4643-bd47-8cb3a1e067f4-"));
        assert!(!is_uuid("5c1195a5-a2e4-4643-bd47-8cb3a1e067fg"));
    }

    #[test]
    fn loads_base_with_inheritance_and_order() {
        let m = manager();
        assert_eq!(m.version(), (4, 7));
        let names: Vec<&str> = m.protocols().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["acme", "other", "lonely"]);
        // acme: defaults + 3, other: defaults + 1 (misspelled list), lonely: 1
        assert_eq!(m.definition_count(), 7);

        let acme = m.protocol("acme").unwrap();
        let defaults = acme.defaults.as_ref().unwrap();
        assert!(defaults.identifiers.is_empty());
        // features sorted by index; outputs in OutputType::ALL order; commands deduplicated
        assert_eq!(defaults.features[0].index, 0);
        assert_eq!(defaults.features[0].description, "Head");
        let kinds: Vec<OutputType> = defaults.features[0]
            .outputs
            .iter()
            .map(|o| o.kind)
            .collect();
        assert_eq!(kinds, [OutputType::Vibrate, OutputType::Rotate]);
        assert_eq!(
            defaults.features[0]
                .output(OutputType::Rotate)
                .unwrap()
                .base_range,
            (-20, 20)
        );
        let battery = defaults.features[1].input(InputType::Battery).unwrap();
        assert_eq!(battery.commands, [InputCommand::Read]);
        assert_eq!(battery.value, [(0, 100)]);

        // configuration without features/variant/gap inherits them as a whole
        let one = &acme.configurations[0];
        assert_eq!(one.identifiers, ["A1", "A1b"]);
        assert_eq!(one.name, "Acme One");
        assert_eq!(one.features, defaults.features);
        assert_eq!(one.protocol_variant.as_deref(), Some("gen1"));
        assert_eq!(one.message_gap_ms, Some(30));
        // configuration with its own features replaces the list; its variant wins; gap inherited
        let two = &acme.configurations[1];
        assert_eq!(two.features.len(), 1);
        let kinds: Vec<OutputType> = two.features[0].outputs.iter().map(|o| o.kind).collect();
        assert_eq!(
            kinds,
            [OutputType::Position, OutputType::HwPositionWithDuration]
        );
        assert_eq!(
            two.features[0]
                .output(OutputType::HwPositionWithDuration)
                .unwrap()
                .base_duration,
            Some((0, 5000))
        );
        assert_eq!(two.protocol_variant.as_deref(), Some("gen2"));
        assert_eq!(two.message_gap_ms, Some(30));
        // misspelled `configuration` accepted deliberately
        let other = m.protocol("other").unwrap();
        assert_eq!(other.configurations.len(), 1);
        assert_eq!(
            other.configurations[0].features,
            other.defaults.as_ref().unwrap().features
        );
        assert_eq!(other.communication.len(), 2);
        // explicit empty feature list stays empty; no defaults
        let lonely = m.protocol("lonely").unwrap();
        assert!(lonely.defaults.is_none());
        assert!(lonely.configurations[0].features.is_empty());
    }

    #[test]
    fn major_versions_other_than_4_and_5_are_rejected() {
        for major in [0u32, 3, 6, 99] {
            let mut doc = base_doc();
            doc["version"]["major"] = json!(major);
            let err = DeviceConfigManager::from_json(doc.to_string().as_bytes()).unwrap_err();
            assert_eq!(err, ConfigError::Version(major));
            let m = manager();
            let user = json!({"version": {"major": major, "minor": 0}}).to_string();
            assert_eq!(
                m.load_user_json(user.as_bytes()).unwrap_err(),
                ConfigError::Version(major)
            );
        }
        let mut doc = base_doc();
        doc["version"]["major"] = json!(5);
        assert_eq!(
            DeviceConfigManager::from_json(doc.to_string().as_bytes())
                .unwrap()
                .version(),
            (5, 7)
        );
        let m = manager();
        m.load_user_json(br#"{"version": {"major": 5, "minor": 3}}"#)
            .unwrap();
        assert!(matches!(
            DeviceConfigManager::from_json(br#"{"protocols": {}}"#),
            Err(ConfigError::Invalid(_))
        ));
    }

    #[test]
    fn errors_name_protocol_and_field() {
        type Edit = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(Edit, &str)> = vec![
            (
                Box::new(|d| {
                    d["protocols"]["acme"]["defaults"]["features"][1]["output"] =
                        json!({"wiggle": {"value": [0, 1]}})
                }),
                "unknown output type `wiggle`",
            ),
            (
                Box::new(|d| {
                    d["protocols"]["acme"]["defaults"]["features"][0]["input"] =
                        json!({"smell": {"value": [[0, 1]], "command": ["Read"]}})
                }),
                "unknown input type `smell`",
            ),
            (
                Box::new(|d| {
                    d["protocols"]["acme"]["configurations"][0]["id"] = json!("not-a-uuid")
                }),
                "configurations[0].id",
            ),
            (
                Box::new(|d| {
                    d["protocols"]["acme"]["defaults"]["features"][1]["output"]["vibrate"]
                        ["value"] = json!([5, 3])
                }),
                "empty range [5, 3]",
            ),
            (
                Box::new(|d| {
                    d["protocols"]["acme"]["defaults"]["features"][0]["input"]["battery"]
                        ["command"] = json!(["Sniff"])
                }),
                "unknown input command `Sniff`",
            ),
            (
                Box::new(|d| {
                    d["protocols"]["other"]["communication"][0] = json!({"carrier-pigeon": {}})
                }),
                "unknown bus kind `carrier-pigeon`",
            ),
            (
                Box::new(|d| d["protocols"]["acme"]["configurations"][1]["colour"] = json!("red")),
                "unknown field `colour`",
            ),
            (
                Box::new(|d| d["protocols"]["acme"]["configurations"][1]["identifier"] = json!([])),
                "must not be empty",
            ),
            (
                Box::new(|d| d["protocols"]["acme"]["defaults"]["features"][0]["index"] = json!(0)),
                "duplicate feature index 0",
            ),
            (
                Box::new(|d| {
                    d["protocols"]["acme"]["defaults"]["features"][1]["output"]["vibrate"]
                        ["duration"] = json!([0, 5])
                }),
                "unknown field `duration`",
            ),
        ];
        for (edit, needle) in cases {
            let mut doc = base_doc();
            edit(&mut doc);
            let err = DeviceConfigManager::from_json(doc.to_string().as_bytes())
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{err:?} should contain {needle:?}");
            assert!(
                err.contains("protocol `"),
                "{err:?} should name the protocol"
            );
        }
        // a negative lower bound is kept as given; a positive one too (only the sign matters)
        let mut doc = base_doc();
        doc["protocols"]["acme"]["defaults"]["features"][1]["output"] =
            json!({"vibrate": {"value": [3, 9]}});
        let m = DeviceConfigManager::from_json(doc.to_string().as_bytes()).unwrap();
        let f = m
            .protocol("acme")
            .unwrap()
            .defaults
            .as_ref()
            .unwrap()
            .feature(0)
            .unwrap();
        assert_eq!(f.output(OutputType::Vibrate).unwrap().base_range, (3, 9));
    }
}
