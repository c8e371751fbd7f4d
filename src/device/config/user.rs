//! The user configuration file (`device-config.md` §3): parsing into plain records, applying a
//! per-device entry to its base definition (§3.2), and writing the current state back.
//!
//! Invalid JSON, a bad version or a wrongly shaped container fails the whole file; a bad entry
//! inside a container is dropped with a warning.

use serde_json::{json, Value};

use super::manager::DeviceIdentifier;
use super::official::{
    self, as_array, as_obj, check_keys, invalid, parse_range_u32, parse_uuid, DefinitionKind, Obj,
};
use super::specifier::CommSpecifier;
use crate::core::types::OutputType;
use crate::device::definition::{DeviceDefinition, FeatureDefinition, UserDeviceSettings};
use crate::error::ConfigError;

/// A simulated device listed in a v5 user file (`user_configs.simulated_devices`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedDevice {
    /// Identifier the simulated device announces (matched against `simulated` specifiers).
    pub identifier: String,
    /// Stable address of the simulated device.
    pub address: String,
    /// Optional display name.
    pub display_name: Option<String>,
}

/// `user_configs.protocols.<name>`.
#[derive(Debug, Clone, Default)]
pub(crate) struct UserProtocol {
    pub name: String,
    pub communication: Vec<CommSpecifier>,
    pub configurations: Vec<DeviceDefinition>,
}

/// User overrides for one output type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct OutputOverride {
    pub value: Option<(u32, u32)>,
    pub duration: Option<(u32, u32)>,
    pub disabled: bool,
    pub reverse: bool,
}

/// One `config.features[]` entry.
#[derive(Debug, Clone)]
pub(crate) struct UserFeature {
    pub id: String,
    pub base_id: String,
    /// `None` when the entry has no `output` key (base outputs unchanged).
    pub outputs: Option<Vec<(OutputType, OutputOverride)>>,
}

/// One `user_configs.devices[]` entry.
#[derive(Debug, Clone)]
pub(crate) struct UserDeviceEntry {
    pub identifier: DeviceIdentifier,
    pub id: String,
    pub base_id: String,
    pub features: Vec<UserFeature>,
    pub settings: UserDeviceSettings,
}

/// A parsed user file.
#[derive(Debug, Clone, Default)]
pub(crate) struct UserFile {
    pub protocols: Vec<UserProtocol>,
    pub devices: Vec<UserDeviceEntry>,
    pub simulated: Vec<SimulatedDevice>,
}

/// Parses a user file. `known_protocol` says whether the base database has a protocol.
pub(crate) fn parse_user(
    bytes: &[u8],
    known_protocol: &dyn Fn(&str) -> bool,
) -> Result<UserFile, ConfigError> {
    let root = official::parse_root(bytes)?;
    official::parse_version(&root)?;
    check_keys(
        &root,
        &["version", "user_configs", "protocols"],
        "top level",
    )?;
    if root.contains_key("protocols") {
        tracing::warn!("user configuration: top-level `protocols` ignored (base protocols cannot be replaced by a user file)");
    }
    let mut file = UserFile::default();
    let Some(uc) = root.get("user_configs") else {
        return Ok(file);
    };
    if uc.is_null() {
        return Ok(file);
    }
    let uc = as_obj(uc, "user_configs")?;
    for key in uc.keys() {
        if !matches!(key.as_str(), "protocols" | "devices" | "simulated_devices") {
            tracing::warn!("user configuration: unknown field `user_configs.{key}` ignored");
        }
    }
    if let Some(p) = uc.get("protocols").filter(|v| !v.is_null()) {
        for (name, entry) in as_obj(p, "user_configs.protocols")? {
            let path = format!("user_configs.protocols.{name}");
            if !known_protocol(name) {
                tracing::warn!(
                    "{path}: unknown protocol `{name}`; entry dropped (a protocol needs code)"
                );
                continue;
            }
            let o = as_obj(entry, &path)?;
            file.protocols.push(parse_user_protocol(name, o, &path));
        }
    }
    if let Some(d) = uc.get("devices").filter(|v| !v.is_null()) {
        for (i, entry) in as_array(d, "user_configs.devices")?.iter().enumerate() {
            let path = format!("user_configs.devices[{i}]");
            match parse_device_entry(entry, &path) {
                Ok(e) => file.devices.push(e),
                Err(e) => tracing::warn!("user configuration: entry dropped: {e}"),
            }
        }
    }
    if let Some(s) = uc.get("simulated_devices").filter(|v| !v.is_null()) {
        for (i, entry) in as_array(s, "user_configs.simulated_devices")?
            .iter()
            .enumerate()
        {
            let path = format!("user_configs.simulated_devices[{i}]");
            match parse_simulated(entry, &path) {
                Ok(sd) => file.simulated.push(sd),
                Err(e) => tracing::warn!("user configuration: entry dropped: {e}"),
            }
        }
    }
    Ok(file)
}

fn parse_user_protocol(name: &str, o: &Obj, path: &str) -> UserProtocol {
    let mut proto = UserProtocol {
        name: name.to_string(),
        ..UserProtocol::default()
    };
    for key in o.keys() {
        if !matches!(key.as_str(), "communication" | "configurations" | "devices") {
            tracing::warn!("{path}: unknown field `{key}` ignored");
        }
    }
    match o
        .get("communication")
        .map(|c| as_array(c, &format!("{path}.communication")))
    {
        None => {}
        Some(Err(e)) => tracing::warn!("user configuration: {e}; ignored"),
        Some(Ok(list)) => {
            for (i, item) in list.iter().enumerate() {
                match official::parse_specifier(item, &format!("{path}.communication[{i}]")) {
                    Ok(Some(s)) => proto.communication.push(s),
                    Ok(None) => {}
                    Err(e) => tracing::warn!("user configuration: specifier dropped: {e}"),
                }
            }
        }
    }
    // The loader's placement is `configurations`; the schema's is `devices.configurations`.
    let mut lists: Vec<(String, &Value)> = Vec::new();
    if let Some(c) = o.get("configurations") {
        lists.push((format!("{path}.configurations"), c));
    }
    if let Some(d) = o.get("devices") {
        match d.as_object() {
            Some(d) => {
                if let Some(c) = d.get("configurations") {
                    lists.push((format!("{path}.devices.configurations"), c));
                }
            }
            None => tracing::warn!("{path}.devices: must be an object; ignored"),
        }
    }
    for (lpath, list) in lists {
        let Some(list) = list.as_array() else {
            tracing::warn!("{lpath}: must be an array; ignored");
            continue;
        };
        for (i, item) in list.iter().enumerate() {
            match official::parse_definition(
                item,
                &format!("{lpath}[{i}]"),
                DefinitionKind::Configuration,
                None,
            ) {
                Ok(d) => proto.configurations.push(d),
                Err(e) => tracing::warn!("user configuration: configuration dropped: {e}"),
            }
        }
    }
    proto
}

fn parse_simulated(v: &Value, path: &str) -> Result<SimulatedDevice, ConfigError> {
    let o = as_obj(v, path)?;
    check_keys(o, &["identifier", "address", "display_name"], path)?;
    Ok(SimulatedDevice {
        identifier: official::req_str(o, "identifier", path)?.to_string(),
        address: official::req_str(o, "address", path)?.to_string(),
        display_name: opt_string(o, "display_name", path)?,
    })
}

fn opt_string(o: &Obj, key: &str, path: &str) -> Result<Option<String>, ConfigError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(&format!("{path}.{key}"), "must be a string")),
    }
}

fn opt_bool(o: &Obj, key: &str, path: &str) -> Result<bool, ConfigError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(invalid(&format!("{path}.{key}"), "must be a boolean")),
    }
}

fn parse_device_entry(v: &Value, path: &str) -> Result<UserDeviceEntry, ConfigError> {
    let o = as_obj(v, path)?;
    check_keys(o, &["identifier", "config"], path)?;
    let ipath = format!("{path}.identifier");
    let io = as_obj(
        o.get("identifier")
            .ok_or_else(|| invalid(path, "missing `identifier`"))?,
        &ipath,
    )?;
    check_keys(io, &["address", "protocol", "identifier"], &ipath)?;
    let identifier = DeviceIdentifier {
        address: official::req_str(io, "address", &ipath)?.to_string(),
        protocol: official::req_str(io, "protocol", &ipath)?.to_string(),
        identifier: opt_string(io, "identifier", &ipath)?,
    };
    let cpath = format!("{path}.config");
    let co = as_obj(
        o.get("config")
            .ok_or_else(|| invalid(path, "missing `config`"))?,
        &cpath,
    )?;
    check_keys(
        co,
        &["name", "id", "base_id", "features", "user_config"],
        &cpath,
    )?;
    let id = parse_uuid(
        co.get("id")
            .ok_or_else(|| invalid(&cpath, "missing `id`"))?,
        &format!("{cpath}.id"),
    )?;
    let base_id = parse_uuid(
        co.get("base_id")
            .ok_or_else(|| invalid(&cpath, "missing `base_id`"))?,
        &format!("{cpath}.base_id"),
    )?;
    let fpath = format!("{cpath}.features");
    let mut features = Vec::new();
    if let Some(f) = co.get("features") {
        for (i, item) in as_array(f, &fpath)?.iter().enumerate() {
            features.push(parse_user_feature(item, &format!("{fpath}[{i}]"))?);
        }
    }
    let upath = format!("{cpath}.user_config");
    let uo = as_obj(
        co.get("user_config")
            .ok_or_else(|| invalid(&cpath, "missing `user_config`"))?,
        &upath,
    )?;
    check_keys(
        uo,
        &["allow", "deny", "index", "display_name", "message_gap_ms"],
        &upath,
    )?;
    let index = official::as_u32(
        uo.get("index")
            .ok_or_else(|| invalid(&upath, "missing `index`"))?,
        &format!("{upath}.index"),
    )?;
    let message_gap_ms = match uo.get("message_gap_ms") {
        None | Some(Value::Null) => None,
        Some(g) => Some(official::as_u32(g, &format!("{upath}.message_gap_ms"))?),
    };
    let settings = UserDeviceSettings {
        display_name: opt_string(uo, "display_name", &upath)?,
        index: Some(index),
        allow: opt_bool(uo, "allow", &upath)?,
        deny: opt_bool(uo, "deny", &upath)?,
        message_gap_ms,
    };
    Ok(UserDeviceEntry {
        identifier,
        id,
        base_id,
        features,
        settings,
    })
}

fn parse_user_feature(v: &Value, path: &str) -> Result<UserFeature, ConfigError> {
    let o = as_obj(v, path)?;
    check_keys(
        o,
        &["id", "base_id", "description", "output", "index"],
        path,
    )?;
    let id = parse_uuid(
        o.get("id").ok_or_else(|| invalid(path, "missing `id`"))?,
        &format!("{path}.id"),
    )?;
    let base_id = parse_uuid(
        o.get("base_id")
            .ok_or_else(|| invalid(path, "missing `base_id`"))?,
        &format!("{path}.base_id"),
    )?;
    let outputs = match o.get("output") {
        None | Some(Value::Null) => None,
        Some(out) => {
            let opath = format!("{path}.output");
            let mut list = Vec::new();
            for (key, props) in as_obj(out, &opath)? {
                let kind = OutputType::from_config(key)
                    .ok_or_else(|| invalid(&opath, format!("unknown output type `{key}`")))?;
                let ppath = format!("{opath}.{key}");
                let po = as_obj(props, &ppath)?;
                check_keys(po, &["value", "duration", "disabled", "reverse"], &ppath)?;
                let value = match po.get("value") {
                    None | Some(Value::Null) => None,
                    Some(r) => Some(parse_range_u32(r, &format!("{ppath}.value"))?),
                };
                let duration = match po.get("duration") {
                    None | Some(Value::Null) => None,
                    Some(r) => Some(parse_range_u32(r, &format!("{ppath}.duration"))?),
                };
                list.push((
                    kind,
                    OutputOverride {
                        value,
                        duration,
                        disabled: opt_bool(po, "disabled", &ppath)?,
                        reverse: opt_bool(po, "reverse", &ppath)?,
                    },
                ));
            }
            Some(list)
        }
    };
    Ok(UserFeature {
        id,
        base_id,
        outputs,
    })
}

/// Builds the per-device definition of a user entry on top of its base definition (§3.2).
/// `Err` explains why the entry does not fit this base.
pub(crate) fn apply_entry(
    base: &DeviceDefinition,
    entry: &UserDeviceEntry,
) -> Result<DeviceDefinition, String> {
    if entry.features.len() != base.features.len() {
        return Err(format!(
            "{} user features for {} base features of `{}`",
            entry.features.len(),
            base.features.len(),
            base.name
        ));
    }
    let mut used = vec![false; base.features.len()];
    let mut features = Vec::with_capacity(base.features.len());
    for uf in &entry.features {
        let slot = base
            .features
            .iter()
            .zip(used.iter_mut())
            .find(|(bf, u)| !**u && bf.id == uf.base_id);
        let Some((bf, u)) = slot else {
            return Err(format!(
                "feature base_id {} matches no (unused) feature of `{}`",
                uf.base_id, base.name
            ));
        };
        *u = true;
        let mut outputs = bf.outputs.clone();
        if let Some(list) = &uf.outputs {
            for (kind, ov) in list {
                let Some(out) = outputs.iter_mut().find(|o| o.kind == *kind) else {
                    return Err(format!(
                        "feature {}: output `{}` is not in the base feature",
                        bf.index,
                        kind.config_name()
                    ));
                };
                if let Some((lo, hi)) = ov.value {
                    let max = out.base_max();
                    if hi > max {
                        return Err(format!(
                            "feature {}: user range [{lo}, {hi}] for `{}` exceeds the base range [0, {max}]",
                            bf.index,
                            kind.config_name()
                        ));
                    }
                    out.user_range = Some((lo, hi));
                }
                if let Some((lo, hi)) = ov.duration {
                    if *kind != OutputType::HwPositionWithDuration {
                        return Err(format!(
                            "feature {}: `duration` is only valid for hw_position_with_duration",
                            bf.index
                        ));
                    }
                    let max = out.base_duration.map_or(100_000, |(_, h)| h);
                    if hi > max {
                        return Err(format!(
                            "feature {}: user duration [{lo}, {hi}] exceeds the base duration maximum {max}",
                            bf.index
                        ));
                    }
                    out.user_duration = Some((lo, hi));
                }
                out.disabled = ov.disabled;
                out.reverse = ov.reverse && kind.is_position();
            }
        }
        features.push(FeatureDefinition {
            index: bf.index,
            id: uf.id.clone(),
            base_id: Some(uf.base_id.clone()),
            description: bf.description.clone(),
            outputs,
            inputs: bf.inputs.clone(),
        });
    }
    features.sort_by_key(|f| f.index);
    Ok(DeviceDefinition {
        identifiers: entry.identifier.identifier.iter().cloned().collect(),
        name: base.name.clone(),
        id: entry.id.clone(),
        base_id: Some(entry.base_id.clone()),
        protocol_variant: base.protocol_variant.clone(),
        message_gap_ms: base.message_gap_ms,
        features,
        user: entry.settings.clone(),
    })
}

/// A per-device definition as a `user_configs.devices[]` entry.
pub(crate) fn device_entry_to_json(id: &DeviceIdentifier, def: &DeviceDefinition) -> Value {
    let mut ident = Obj::new();
    ident.insert("address".into(), json!(id.address));
    ident.insert("protocol".into(), json!(id.protocol));
    if let Some(i) = &id.identifier {
        ident.insert("identifier".into(), json!(i));
    }
    let features: Vec<Value> = def
        .features
        .iter()
        .map(|f| {
            let mut fo = Obj::new();
            fo.insert("id".into(), json!(f.id));
            fo.insert(
                "base_id".into(),
                json!(f.base_id.clone().unwrap_or_else(|| f.id.clone())),
            );
            let mut out = Obj::new();
            for o in &f.outputs {
                let mut p = Obj::new();
                if let Some((lo, hi)) = o.user_range {
                    p.insert("value".into(), json!([lo, hi]));
                }
                if let Some((lo, hi)) = o.user_duration {
                    p.insert("duration".into(), json!([lo, hi]));
                }
                if o.disabled {
                    p.insert("disabled".into(), json!(true));
                }
                if o.reverse {
                    p.insert("reverse".into(), json!(true));
                }
                if !p.is_empty() {
                    out.insert(o.kind.config_name().into(), Value::Object(p));
                }
            }
            if !out.is_empty() {
                fo.insert("output".into(), Value::Object(out));
            }
            Value::Object(fo)
        })
        .collect();
    let mut uc = Obj::new();
    uc.insert("allow".into(), json!(def.user.allow));
    uc.insert("deny".into(), json!(def.user.deny));
    uc.insert("index".into(), json!(def.user.index.unwrap_or_default()));
    if let Some(n) = &def.user.display_name {
        uc.insert("display_name".into(), json!(n));
    }
    if let Some(g) = def.user.message_gap_ms {
        uc.insert("message_gap_ms".into(), json!(g));
    }
    let mut config = Obj::new();
    config.insert("name".into(), json!(def.name));
    config.insert("id".into(), json!(def.id));
    config.insert(
        "base_id".into(),
        json!(def.base_id.clone().unwrap_or_else(|| def.id.clone())),
    );
    config.insert("features".into(), Value::Array(features));
    config.insert("user_config".into(), Value::Object(uc));
    json!({"identifier": ident, "config": config})
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::core::types::OutputType;
    use crate::device::config::test_support::{
        acme_features, device_entry, ident, manager, plain_uc, user_doc, U,
    };
    use crate::device::config::CommSpecifier;

    #[test]
    fn user_ranges_disabled_and_reverse_are_applied() {
        let m = manager();
        let doc = user_doc(json!([
            device_entry(
                "d1",
                "acme",
                None,
                U[0],
                acme_features(
                    json!({"vibrate": {"value": [5, 15], "disabled": true}, "rotate": {"value": [0, 10], "reverse": true}})
                ),
                json!({"allow": false, "deny": false, "index": 4, "display_name": "Mine"})
            ),
            // position outputs of a configuration (user entry based on a configuration id)
            device_entry(
                "d2",
                "acme",
                Some("A2"),
                U[4],
                json!([{"id": "bbbbbbbb-0000-4000-8000-000000000001", "base_id": U[5],
                        "output": {"hw_position_with_duration": {"value": [10, 90], "duration": [100, 4000], "reverse": true}}}]),
                json!({"allow": false, "deny": false, "index": 5, "message_gap_ms": 12})
            ),
        ]));
        m.load_user_json(&doc).unwrap();
        let d1 = m.resolve(&ident("d1", "acme", None)).unwrap();
        assert_eq!(d1.id, "11111111-2222-4333-8444-555555555555");
        assert_eq!(d1.base_id.as_deref(), Some(U[0]));
        assert_eq!(d1.name, "Acme Device");
        assert_eq!(d1.user.display_name.as_deref(), Some("Mine"));
        assert_eq!(d1.user.index, Some(4));
        // the base gap is kept when the user sets none
        assert_eq!(d1.effective_gap_ms(), Some(30));
        let f0 = d1.feature(0).unwrap();
        assert_eq!(f0.base_id.as_deref(), Some(U[1]));
        assert_eq!(f0.description, "Head");
        let vib = f0.output(OutputType::Vibrate).unwrap();
        assert_eq!(vib.user_range, Some((5, 15)));
        assert!(vib.disabled);
        assert!(!vib.reverse);
        let rot = f0.output(OutputType::Rotate).unwrap();
        assert_eq!(rot.user_range, Some((0, 10)));
        assert_eq!(rot.base_range, (-20, 20));
        // reverse only applies to position types
        assert!(!rot.reverse);
        assert!(!rot.disabled);
        // disabled output hidden from clients
        assert_eq!(f0.advertised().unwrap().outputs.len(), 1);
        // inputs come from the base
        assert_eq!(d1.feature(1).unwrap().inputs.len(), 1);

        let d2 = m.resolve(&ident("d2", "acme", Some("A2"))).unwrap();
        assert_eq!(d2.name, "Acme Two");
        assert_eq!(d2.effective_gap_ms(), Some(12));
        assert_eq!(d2.message_gap_ms, Some(30));
        let hw = d2
            .feature(0)
            .unwrap()
            .output(OutputType::HwPositionWithDuration)
            .unwrap();
        assert_eq!(hw.user_range, Some((10, 90)));
        assert_eq!(hw.user_duration, Some((100, 4000)));
        assert!(hw.reverse);
        let pos = d2.feature(0).unwrap().output(OutputType::Position).unwrap();
        assert_eq!(pos.user_range, None);
        assert!(!pos.reverse);
    }

    #[test]
    fn invalid_user_entries_are_dropped_not_fatal() {
        let m = manager();
        let entries = json!([
            // user range beyond the base maximum
            device_entry(
                "e1",
                "acme",
                None,
                U[0],
                acme_features(json!({"vibrate": {"value": [0, 21]}})),
                plain_uc(0)
            ),
            // output type not in the base feature
            device_entry(
                "e2",
                "acme",
                None,
                U[0],
                acme_features(json!({"oscillate": {"value": [0, 1]}})),
                plain_uc(1)
            ),
            // feature count mismatch
            device_entry(
                "e3",
                "acme",
                None,
                U[0],
                json!([{"id": U[11], "base_id": U[1]}]),
                plain_uc(2)
            ),
            // unknown base definition
            device_entry(
                "e4",
                "acme",
                None,
                U[11],
                acme_features(Value::Null),
                plain_uc(3)
            ),
            // negative user range
            device_entry(
                "e5",
                "acme",
                None,
                U[0],
                acme_features(json!({"vibrate": {"value": [-1, 5]}})),
                plain_uc(4)
            ),
            // missing index
            device_entry(
                "e6",
                "acme",
                None,
                U[0],
                acme_features(Value::Null),
                json!({"allow": false, "deny": false})
            ),
            // base feature ids that do not match
            device_entry(
                "e7",
                "acme",
                None,
                U[0],
                json!([{"id": U[11], "base_id": U[1]}, {"id": U[10], "base_id": U[1]}]),
                plain_uc(6)
            ),
            // not an object
            "garbage",
            // valid
            device_entry(
                "ok",
                "acme",
                None,
                U[0],
                acme_features(Value::Null),
                plain_uc(7)
            ),
        ]);
        m.load_user_json(&user_doc(entries)).unwrap();
        for a in ["e1", "e2", "e3", "e4", "e5", "e6", "e7"] {
            assert!(
                m.user_device(&ident(a, "acme", None)).is_none(),
                "{a} should be dropped"
            );
        }
        assert_eq!(
            m.user_device(&ident("ok", "acme", None))
                .unwrap()
                .user
                .index,
            Some(7)
        );
        // dropped entries reserve nothing: a new device gets 0
        assert_eq!(
            m.resolve(&ident("fresh", "acme", None)).unwrap().user.index,
            Some(0)
        );
        // invalid JSON and wrongly shaped containers fail the file
        assert!(m.load_user_json(b"{not json").is_err());
        assert!(m
            .load_user_json(
                br#"{"version": {"major": 4, "minor": 0}, "user_configs": {"devices": {}}}"#
            )
            .is_err());
        assert!(m.load_user_json(br#"{"user_configs": {}}"#).is_err());
        // a version-only file changes nothing
        m.load_user_json(br#"{"version": {"major": 4, "minor": 0}}"#)
            .unwrap();
    }

    #[test]
    fn user_protocols_add_specifiers_and_configurations() {
        let m = manager();
        let doc = json!({
            "version": {"major": 4, "minor": 1},
            "user_configs": {"protocols": {
                "other": {
                    "communication": [{"serial": {"port": "COM7", "baud_rate": 9600, "data_bits": 8, "parity": "N", "stop_bits": 1}},
                                      {"websocket": {"name": "OtherWs"}}, {"bogus": {}}],
                    "configurations": [{"identifier": ["O1"], "name": "Other One (mine)", "id": U[11],
                                        "features": [{"index": 0, "id": U[10], "output": {"vibrate": {"value": [0, 3]}}}]}]
                },
                "acme": {"devices": {"configurations": [{"identifier": ["NEW"], "name": "Acme New", "id": U[9]}]}},
                "unknown-protocol": {"communication": [{"websocket": {"name": "x"}}]}
            }}
        });
        m.load_user_json(doc.to_string().as_bytes()).unwrap();
        assert_eq!(m.user_specifiers("other").len(), 2);
        assert!(m.user_specifiers("unknown-protocol").is_empty());
        let c = m.candidates(
            &CommSpecifier::Websocket {
                name: "OtherWs".into(),
            },
            &|_| true,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].protocol, "other");
        // user specifiers first, then base
        assert_eq!(c[0].specifiers.len(), 4);
        assert!(matches!(c[0].specifiers[0], CommSpecifier::Serial(_)));
        assert!(matches!(c[0].specifiers[2], CommSpecifier::Btle(_)));
        // user configuration wins over the base one with the same key; no inheritance
        let d = m.resolve(&ident("x", "other", Some("O1"))).unwrap();
        assert_eq!(d.name, "Other One (mine)");
        assert_eq!(d.base_id.as_deref(), Some(U[11]));
        assert_eq!(
            d.features[0]
                .output(OutputType::Vibrate)
                .unwrap()
                .base_range,
            (0, 3)
        );
        // the schema's placement is tolerated; user configurations have no defaults to inherit
        let n = m.resolve(&ident("y", "acme", Some("NEW"))).unwrap();
        assert_eq!(n.name, "Acme New");
        assert!(n.features.is_empty());
        assert_eq!(n.protocol_variant, None);
    }
}
