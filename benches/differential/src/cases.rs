//! The cases of a run: one per device definition of an official device-configuration file (the
//! protocol's defaults and each configuration), with the device identity a real toy of that
//! definition presents (bus, name, manufacturer data, services, endpoints) and its features.

use serde_json::Value;

/// Which official file a case comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileVersion {
    /// `buttplug-device-config-v4.json`.
    V4,
    /// `buttplug-device-config-v5.json`.
    V5,
}

impl FileVersion {
    /// The file name in the device-config folder.
    pub fn file_name(self) -> &'static str {
        match self {
            FileVersion::V4 => "buttplug-device-config-v4.json",
            FileVersion::V5 => "buttplug-device-config-v5.json",
        }
    }

    /// Short label for the output.
    pub fn label(self) -> &'static str {
        match self {
            FileVersion::V4 => "v4",
            FileVersion::V5 => "v5",
        }
    }
}

/// The bus a case's toy presents itself on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bus {
    /// Bluetooth LE advertisement.
    Btle {
        /// Advertised name.
        name: String,
        /// Manufacturer data (company, bytes).
        manufacturer_data: Option<(u16, Vec<u8>)>,
        /// Advertised service UUIDs.
        advertised_services: Vec<String>,
        /// The characteristic UUIDs (lower case) the toy has: those of its protocol's services.
        characteristics: Vec<String>,
    },
    /// A serial port.
    Serial {
        /// Port name.
        port: String,
    },
    /// A HID device.
    Hid {
        /// Vendor id.
        vid: u16,
        /// Product id.
        pid: u16,
    },
    /// A USB device.
    Usb {
        /// Vendor id.
        vid: u16,
        /// Product id.
        pid: u16,
    },
}

impl Bus {
    /// The name the toy presents (BLE name, port, or `vid:pid`).
    pub fn name(&self) -> String {
        match self {
            Bus::Btle { name, .. } => name.clone(),
            Bus::Serial { port } => port.clone(),
            Bus::Hid { vid, pid } | Bus::Usb { vid, pid } => format!("{vid:04x}:{pid:04x}"),
        }
    }
}

/// One output of a feature: its type (snake case, as in the file) and step range.
#[derive(Debug, Clone)]
pub struct Output {
    /// `vibrate`, `rotate`, `hw_position_with_duration`, ...
    pub kind: String,
    /// Lowest step.
    pub min: i64,
    /// Highest step.
    pub max: i64,
    /// Duration range in ms (`hw_position_with_duration` only).
    pub duration: Option<(i64, i64)>,
}

/// One input of a feature: its type and the commands it accepts.
#[derive(Debug, Clone)]
pub struct Input {
    /// `battery`, `pressure`, ...
    pub kind: String,
    /// `Read`, `Subscribe` (as in the file).
    pub commands: Vec<String>,
}

/// One feature of a definition.
#[derive(Debug, Clone)]
pub struct Feature {
    /// Feature index.
    pub index: u32,
    /// Outputs.
    pub outputs: Vec<Output>,
    /// Inputs.
    pub inputs: Vec<Input>,
}

/// One device definition to compare.
#[derive(Debug, Clone)]
pub struct Case {
    /// Source file.
    pub file: FileVersion,
    /// Protocol name.
    pub protocol: String,
    /// Definition name.
    pub name: String,
    /// The configuration's identifier (`None` for the protocol's defaults).
    pub identifier: Option<String>,
    /// The identity the toy presents, or why none can be built.
    pub bus: Result<Bus, String>,
    /// Endpoint names (lower case) the toy exposes.
    pub endpoints: Vec<String>,
    /// Features.
    pub features: Vec<Feature>,
}

impl Case {
    /// `v5 lovense "Lovense Hush" [Z]`.
    pub fn label(&self) -> String {
        match &self.identifier {
            Some(id) => format!(
                "{} {} {:?} [{id}]",
                self.file.label(),
                self.protocol,
                self.name
            ),
            None => format!("{} {} {:?}", self.file.label(), self.protocol, self.name),
        }
    }
}

/// Protocols whose identification asks the toy (the identifier comes from its answers, not
/// from its name): the toy presents a name of the protocol's specifier and the harness scripts
/// the answers for the configuration's identifier.
pub const IDENTIFY_BY_ANSWER: &[&str] = &["lovense", "satisfyer"];

/// The model number a Satisfyer presents (in its advertisement's manufacturer data and in its
/// model characteristic) for a configuration identifier such as "10005": the number as four
/// big-endian bytes.
pub fn satisfyer_model(identifier: &str) -> Option<[u8; 4]> {
    identifier.parse::<u32>().ok().map(u32::to_be_bytes)
}

fn range(v: &Value) -> Option<(i64, i64)> {
    let a = v.as_array()?;
    Some((a.first()?.as_i64()?, a.get(1)?.as_i64()?))
}

fn parse_features(def: &Value) -> Vec<Feature> {
    let mut out = Vec::new();
    for (n, f) in def["features"].as_array().into_iter().flatten().enumerate() {
        let index = f["index"]
            .as_u64()
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or(n as u32);
        let mut outputs = Vec::new();
        if let Some(o) = f["output"].as_object() {
            for (kind, v) in o {
                let (min, max) = range(&v["value"]).unwrap_or((0, 0));
                outputs.push(Output {
                    kind: kind.clone(),
                    min,
                    max,
                    duration: range(&v["duration"]),
                });
            }
        }
        let mut inputs = Vec::new();
        if let Some(i) = f["input"].as_object() {
            for (kind, v) in i {
                let commands = v["command"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c.as_str().map(str::to_string))
                    .collect();
                inputs.push(Input {
                    kind: kind.clone(),
                    commands,
                });
            }
        }
        out.push(Feature {
            index,
            outputs,
            inputs,
        });
    }
    out
}

/// A concrete name for a configured BLE name (a trailing `*` is a prefix wildcard).
fn concrete_name(pattern: &str) -> String {
    match pattern.strip_suffix('*') {
        Some(prefix) => format!("{prefix}1"),
        None => pattern.to_string(),
    }
}

fn name_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

fn hex_or_number(v: &Value) -> Option<u16> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(s) => u16::from_str_radix(s.trim_start_matches("0x"), 16).ok(),
        _ => None,
    }
}

/// The bus identity and endpoints for a protocol's communication list and an identifier.
fn identity(
    protocol: &str,
    comm: &Value,
    identifier: Option<&str>,
) -> (Result<Bus, String>, Vec<String>) {
    let both = vec!["rx".to_string(), "tx".to_string()];
    let mut other_buses = Vec::new();
    for c in comm.as_array().into_iter().flatten() {
        let Some((bus, spec)) = c.as_object().and_then(|o| o.iter().next()) else {
            continue;
        };
        match bus.as_str() {
            "btle" => {
                let names: Vec<&str> = spec["names"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let by_name = !IDENTIFY_BY_ANSWER.contains(&protocol);
                let name = match identifier {
                    // a Umove's model is the third and fourth characters of its name
                    // (`UMVxB…` → `Vx`)
                    Some(id) if protocol == "umove" => {
                        match names.iter().find(|n| n.get(2..4) == Some(id)) {
                            Some(n) => concrete_name(n),
                            None => {
                                return (
                                    Err(format!("no umove name carries the model {id:?}")),
                                    Vec::new(),
                                )
                            }
                        }
                    }
                    // the generic identification uses the advertised name as identifier
                    Some(id) if by_name => {
                        if !names.iter().any(|p| name_matches(p, id)) {
                            // a configuration whose identifier no configured name matches
                            return (
                                Err(format!(
                                    "identifier {id:?} matches none of the protocol's names"
                                )),
                                Vec::new(),
                            );
                        }
                        id.to_string()
                    }
                    _ => match names.iter().find(|n| !n.ends_with('*')).or(names.first()) {
                        Some(n) => concrete_name(n),
                        None => String::new(),
                    },
                };
                let manufacturer_data = spec["manufacturer_data"]
                    .as_array()
                    .and_then(|a| a.first())
                    .and_then(|m| {
                        let company = hex_or_number(&m["company"])?;
                        let data = m["data"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                            .collect();
                        Some((company, data))
                    });
                // a Satisfyer advertises its model number after the company id
                let manufacturer_data = match (protocol, identifier.and_then(satisfyer_model)) {
                    ("satisfyer", Some(model)) => {
                        manufacturer_data.map(|(c, _)| (c, model.to_vec()))
                    }
                    _ => manufacturer_data,
                };
                if name.is_empty() && manufacturer_data.is_none() {
                    return (
                        Err("a Bluetooth specifier without names".into()),
                        Vec::new(),
                    );
                }
                let advertised_services = spec["advertised_services"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_str().map(str::to_lowercase))
                    .collect();
                let mut endpoints: Vec<String> = spec["services"]
                    .as_object()
                    .into_iter()
                    .flat_map(|s| s.values())
                    .filter_map(Value::as_object)
                    .flat_map(|chars| chars.keys().cloned())
                    .collect();
                endpoints.sort();
                endpoints.dedup();
                let mut characteristics: Vec<String> = spec["services"]
                    .as_object()
                    .into_iter()
                    .flat_map(|s| s.values())
                    .filter_map(Value::as_object)
                    .flat_map(|chars| chars.values())
                    .filter_map(|u| u.as_str().map(str::to_lowercase))
                    .collect();
                characteristics.sort();
                characteristics.dedup();
                return (
                    Ok(Bus::Btle {
                        name,
                        manufacturer_data,
                        advertised_services,
                        characteristics,
                    }),
                    endpoints,
                );
            }
            "serial" => {
                let port = spec["port"]
                    .as_str()
                    .or_else(|| spec["ports"].as_array().and_then(|a| a.first()?.as_str()))
                    .unwrap_or("default")
                    .to_string();
                if port == "default" {
                    // several protocols claim the placeholder port; a real toy is bound to its
                    // protocol by the user's configuration, which neither side is given here
                    return (
                        Err("serial port \"default\" is shared by several protocols (bound by user configuration)".into()),
                        Vec::new(),
                    );
                }
                return (Ok(Bus::Serial { port }), both);
            }
            "hid" | "usb" => {
                let pair = if spec.is_array() {
                    spec.as_array().and_then(|a| a.first()).cloned()
                } else {
                    Some(spec.clone())
                };
                let ids = pair.and_then(|p| {
                    Some((
                        hex_or_number(&p["vendor_id"])?,
                        hex_or_number(&p["product_id"])?,
                    ))
                });
                let Some((vid, pid)) = ids else {
                    return (Err(format!("unreadable {bus} specifier")), Vec::new());
                };
                let b = if bus == "hid" {
                    Bus::Hid { vid, pid }
                } else {
                    Bus::Usb { vid, pid }
                };
                return (Ok(b), both);
            }
            other => other_buses.push(other.to_string()),
        }
    }
    (
        Err(format!(
            "bus {} is not driven by the harness (no recording device for it)",
            if other_buses.is_empty() {
                "none".to_string()
            } else {
                other_buses.join("/")
            }
        )),
        Vec::new(),
    )
}

/// Every definition of one official file.
pub fn load(file: FileVersion, json: &Value) -> Vec<Case> {
    let mut cases = Vec::new();
    let Some(protocols) = json["protocols"].as_object() else {
        return cases;
    };
    for (protocol, p) in protocols {
        let comm = &p["communication"];
        let defaults = &p["defaults"];
        if defaults.is_object() {
            let (bus, endpoints) = identity(protocol, comm, None);
            cases.push(Case {
                file,
                protocol: protocol.clone(),
                name: defaults["name"].as_str().unwrap_or_default().to_string(),
                identifier: None,
                bus,
                endpoints,
                features: parse_features(defaults),
            });
        }
        for config in p["configurations"].as_array().into_iter().flatten() {
            let identifier = config["identifier"]
                .as_array()
                .and_then(|a| a.first())
                .and_then(Value::as_str)
                .map(str::to_string);
            let (bus, endpoints) = identity(protocol, comm, identifier.as_deref());
            // a configuration without features of its own takes the defaults'
            let features = if config["features"].is_array() {
                parse_features(config)
            } else {
                parse_features(defaults)
            };
            cases.push(Case {
                file,
                protocol: protocol.clone(),
                name: config["name"]
                    .as_str()
                    .or(defaults["name"].as_str())
                    .unwrap_or_default()
                    .to_string(),
                identifier,
                bus,
                endpoints,
                features,
            });
        }
    }
    cases
}
