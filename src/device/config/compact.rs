//! The compact form of the base database used for the built-in copy (`data/builtin-devices.json`,
//! written by `haptix-dbgen`). It is plain JSON made of positional arrays, parsed straight into
//! the model by hand-written serde visitors (no intermediate `Value`).
//!
//! ```text
//! db       = ["haptix-devices/1", [major, minor], [proto, ...]]
//! proto    = [name, [spec, ...], def|null, [def, ...]]          (trailing items may be omitted)
//! spec     = ["b", [name, ...], [service, ...], [[company, [byte, ...]|null], ...], [uuid, ...]]
//!          | ["s", port, baud_rate, data_bits, parity, stop_bits]
//!          | ["u", [[vid, pid], ...]] | ["h", [[vid, pid], ...]]
//!          | ["x"] (xinput) | ["l"] (lovense connect) | ["g"] (sdl gamepad)
//!          | ["w", name] (websocket) | ["m", [name, ...]] (simulated)
//! service  = [uuid, [[endpoint, uuid], ...]]
//! def      = [name, id, [identifier, ...], features|null, variant|null, gap_ms|null]
//!            (features null = the protocol defaults' features; trailing nulls omitted)
//! feature  = [index, id, [output, ...], description, [input, ...]]   (trailing "" / [] omitted)
//! output   = [code, lo, hi] | ["h", lo, hi, duration_lo, duration_hi]
//!            codes v r o c t l s p h = vibrate rotate oscillate constrict temperature led spray
//!            position hw_position_with_duration
//! input    = [code, [[lo, hi], ...], commands]   codes b r p u d x = battery rssi pressure
//!            button depth position; commands a string of R S U (read subscribe unsubscribe)
//! ```
//!
//! Ids are written as 32 hex digits without dashes. BLE service and characteristic UUIDs of the
//! Bluetooth base form `0000XXXX-0000-1000-8000-00805f9b34fb` are written as `XXXX`.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde_json::{json, Value};

use super::manager::ProtocolDefinition;
use super::official::is_uuid;
use super::specifier::{
    BleService, BtleSpecifier, CommSpecifier, ManufacturerData, SerialSpecifier, VidPid,
};
use crate::core::messages::FeatureInput;
use crate::core::types::{Endpoint, InputCommand, InputType, OutputType};
use crate::device::definition::{
    DeviceDefinition, FeatureDefinition, OutputSettings, UserDeviceSettings,
};
use crate::error::ConfigError;

/// Format tag, the first element of the compact document.
pub(crate) const FORMAT: &str = "haptix-devices/1";

const BLE_BASE_PREFIX: &str = "0000";
const BLE_BASE_SUFFIX: &str = "-0000-1000-8000-00805f9b34fb";

// ---------------------------------------------------------------------------------------------
// Encoding.

/// Writes the compact form of a base database.
pub(crate) fn encode(version: (u32, u32), protocols: &[ProtocolDefinition]) -> String {
    let protos: Vec<Value> = protocols.iter().map(encode_protocol).collect();
    let doc = json!([FORMAT, [version.0, version.1], protos]);
    doc.to_string()
}

fn encode_protocol(p: &ProtocolDefinition) -> Value {
    let specs: Vec<Value> = p.communication.iter().map(encode_spec).collect();
    let defaults = p
        .defaults
        .as_ref()
        .map_or(Value::Null, |d| encode_def(d, None));
    let configs: Vec<Value> = p
        .configurations
        .iter()
        .map(|c| encode_def(c, p.defaults.as_ref()))
        .collect();
    let mut items = vec![
        json!(p.name),
        Value::Array(specs),
        defaults,
        Value::Array(configs),
    ];
    trim(&mut items, 1);
    Value::Array(items)
}

/// Drops trailing items that the decoder restores by default, keeping the first `required`
/// items (which the decoder requires even when empty, such as a protocol named "").
fn trim(items: &mut Vec<Value>, required: usize) {
    while let Some(last) = items.last().filter(|_| items.len() > required) {
        let empty = match last {
            Value::Null => true,
            Value::Array(a) => a.is_empty(),
            Value::String(s) => s.is_empty(),
            _ => false,
        };
        if !empty {
            break;
        }
        items.pop();
    }
}

fn short_id(id: &str) -> String {
    id.chars().filter(|c| *c != '-').collect()
}

fn short_ble_uuid(uuid: &str) -> String {
    match uuid
        .strip_prefix(BLE_BASE_PREFIX)
        .and_then(|r| r.strip_suffix(BLE_BASE_SUFFIX))
    {
        Some(short) if short.len() == 4 => short.to_string(),
        _ => short_id(uuid),
    }
}

fn encode_spec(s: &CommSpecifier) -> Value {
    let pairs = |p: &[VidPid]| -> Vec<Value> {
        p.iter()
            .map(|p| json!([p.vendor_id, p.product_id]))
            .collect()
    };
    match s {
        CommSpecifier::Btle(b) => {
            let services: Vec<Value> = b
                .services
                .iter()
                .map(|s| {
                    let chars: Vec<Value> = s
                        .characteristics
                        .iter()
                        .map(|(e, c)| json!([e.name(), short_ble_uuid(c)]))
                        .collect();
                    json!([short_ble_uuid(&s.uuid), chars])
                })
                .collect();
            let mfr: Vec<Value> = b
                .manufacturer_data
                .iter()
                .map(|m| json!([m.company, m.data]))
                .collect();
            let mut items = vec![
                json!("b"),
                json!(b.names),
                Value::Array(services),
                Value::Array(mfr),
                json!(b.advertised_services),
            ];
            trim(&mut items, 1);
            Value::Array(items)
        }
        CommSpecifier::Serial(s) => json!([
            "s",
            s.port,
            s.baud_rate,
            s.data_bits,
            s.parity.to_string(),
            s.stop_bits
        ]),
        CommSpecifier::Usb(p) => json!(["u", pairs(p)]),
        CommSpecifier::Hid(p) => json!(["h", pairs(p)]),
        CommSpecifier::XInput => json!(["x"]),
        CommSpecifier::LovenseConnectService => json!(["l"]),
        CommSpecifier::SdlGamepad => json!(["g"]),
        CommSpecifier::Websocket { name } => json!(["w", name]),
        CommSpecifier::Simulated { names } => json!(["m", names]),
    }
}

fn encode_def(d: &DeviceDefinition, defaults: Option<&DeviceDefinition>) -> Value {
    let features = match defaults {
        Some(def) if def.features == d.features => Value::Null,
        _ => Value::Array(d.features.iter().map(encode_feature).collect()),
    };
    let mut items = vec![
        json!(d.name),
        json!(short_id(&d.id)),
        json!(d.identifiers),
        features,
        json!(d.protocol_variant),
        json!(d.message_gap_ms),
    ];
    // an empty feature list must stay explicit when it differs from the defaults' list
    while items.len() > 3 && items.last().is_some_and(Value::is_null) {
        items.pop();
    }
    if items.len() == 3
        && items
            .last()
            .is_some_and(|v| v.as_array().is_some_and(Vec::is_empty))
    {
        items.pop();
    }
    Value::Array(items)
}

fn output_code(kind: OutputType) -> &'static str {
    match kind {
        OutputType::Vibrate => "v",
        OutputType::Rotate => "r",
        OutputType::Oscillate => "o",
        OutputType::Constrict => "c",
        OutputType::Temperature => "t",
        OutputType::Led => "l",
        OutputType::Spray => "s",
        OutputType::Position => "p",
        OutputType::HwPositionWithDuration => "h",
    }
}

fn output_from_code(code: &str) -> Option<OutputType> {
    OutputType::ALL
        .into_iter()
        .find(|t| output_code(*t) == code)
}

fn input_code(kind: InputType) -> &'static str {
    match kind {
        InputType::Battery => "b",
        InputType::Rssi => "r",
        InputType::Pressure => "p",
        InputType::Button => "u",
        InputType::Depth => "d",
        InputType::Position => "x",
    }
}

fn input_from_code(code: &str) -> Option<InputType> {
    InputType::ALL.into_iter().find(|t| input_code(*t) == code)
}

fn encode_feature(f: &FeatureDefinition) -> Value {
    let outputs: Vec<Value> = f
        .outputs
        .iter()
        .map(|o| {
            let mut v = vec![
                json!(output_code(o.kind)),
                json!(o.base_range.0),
                json!(o.base_range.1),
            ];
            if let Some((lo, hi)) = o.base_duration {
                v.push(json!(lo));
                v.push(json!(hi));
            }
            Value::Array(v)
        })
        .collect();
    let inputs: Vec<Value> = f
        .inputs
        .iter()
        .map(|i| {
            let ranges: Vec<Value> = i.value.iter().map(|(lo, hi)| json!([lo, hi])).collect();
            let commands: String = i
                .commands
                .iter()
                .map(|c| match c {
                    InputCommand::Read => 'R',
                    InputCommand::Subscribe => 'S',
                    InputCommand::Unsubscribe => 'U',
                })
                .collect();
            json!([input_code(i.kind), ranges, commands])
        })
        .collect();
    let mut items = vec![
        json!(f.index),
        json!(short_id(&f.id)),
        Value::Array(outputs),
        json!(f.description),
        Value::Array(inputs),
    ];
    trim(&mut items, 2);
    Value::Array(items)
}

// ---------------------------------------------------------------------------------------------
// Decoding.

/// Parses the compact form into version and protocols (inheritance applied).
pub(crate) fn decode(text: &str) -> Result<((u32, u32), Vec<ProtocolDefinition>), ConfigError> {
    let db: Db = serde_json::from_str(text)
        .map_err(|e| ConfigError::Invalid(format!("compact device database: {e}")))?;
    Ok((db.version, db.protocols))
}

struct Db {
    version: (u32, u32),
    protocols: Vec<ProtocolDefinition>,
}

fn long_id<E: de::Error>(s: &str) -> Result<String, E> {
    let b = s.as_bytes();
    if b.len() != 32 || !b.iter().all(u8::is_ascii_hexdigit) {
        return Err(E::custom(format!("bad compact id {s:?}")));
    }
    let mut out = String::with_capacity(36);
    for (i, part) in [0..8, 8..12, 12..16, 16..20, 20..32]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            out.push('-');
        }
        out.push_str(s.get(part).unwrap_or_default());
    }
    out.make_ascii_lowercase();
    Ok(out)
}

fn long_ble_uuid<E: de::Error>(s: &str) -> Result<String, E> {
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        let out = format!("{BLE_BASE_PREFIX}{s}{BLE_BASE_SUFFIX}").to_ascii_lowercase();
        debug_assert!(is_uuid(&out));
        Ok(out)
    } else {
        long_id(s)
    }
}

fn missing<E: de::Error>(what: &str) -> E {
    E::custom(format!("missing {what}"))
}

/// Implements `Deserialize` for a type through a `visit_seq` function.
macro_rules! seq_deserialize {
    ($ty:ty, $expect:literal, |$seq:ident| $body:block) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expect)
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, mut $seq: A) -> Result<$ty, A::Error> {
                        $body
                    }
                }
                d.deserialize_seq(V)
            }
        }
    };
}

seq_deserialize!(Db, "a compact device database array", |seq| {
    let format: String = seq.next_element()?.ok_or_else(|| missing("format tag"))?;
    if format != FORMAT {
        return Err(de::Error::custom(format!(
            "unknown compact format {format:?} (expected {FORMAT:?})"
        )));
    }
    let version: (u32, u32) = seq.next_element()?.ok_or_else(|| missing("version"))?;
    if version.0 != 4 && version.0 != 5 {
        return Err(de::Error::custom(format!(
            "unsupported major version {}",
            version.0
        )));
    }
    let protos: Vec<Proto> = seq
        .next_element()?
        .ok_or_else(|| missing("protocol list"))?;
    Ok(Db {
        version,
        protocols: protos.into_iter().map(|p| p.0).collect(),
    })
});

struct Proto(ProtocolDefinition);

seq_deserialize!(Proto, "a protocol array", |seq| {
    let name: String = seq
        .next_element()?
        .ok_or_else(|| missing("protocol name"))?;
    let specs: Vec<Spec> = seq.next_element()?.unwrap_or_default();
    let defaults: Option<Def> = seq.next_element()?.flatten();
    let configs: Vec<Def> = seq.next_element()?.unwrap_or_default();
    let defaults = defaults.map(|d| d.def);
    let configurations = configs
        .into_iter()
        .map(|c| {
            let mut def = c.def;
            if c.inherit_features {
                def.features = defaults
                    .as_ref()
                    .map(|d| d.features.clone())
                    .unwrap_or_default();
            }
            def
        })
        .collect();
    Ok(Proto(ProtocolDefinition {
        name,
        communication: specs.into_iter().map(|s| s.0).collect(),
        defaults,
        configurations,
    }))
});

struct Spec(CommSpecifier);

type CompactService = (String, Vec<(String, String)>);

seq_deserialize!(Spec, "a specifier array", |seq| {
    let tag: String = seq.next_element()?.ok_or_else(|| missing("bus tag"))?;
    let spec = match tag.as_str() {
        "b" => {
            let names: Vec<String> = seq.next_element()?.unwrap_or_default();
            let services: Vec<CompactService> = seq.next_element()?.unwrap_or_default();
            let mfr: Vec<(u16, Option<Vec<u8>>)> = seq.next_element()?.unwrap_or_default();
            let adv: Vec<String> = seq.next_element()?.unwrap_or_default();
            let mut out = Vec::with_capacity(services.len());
            for (uuid, chars) in services {
                let mut characteristics = Vec::with_capacity(chars.len());
                for (e, c) in chars {
                    let endpoint: Endpoint = e.parse().map_err(de::Error::custom)?;
                    characteristics.push((endpoint, long_ble_uuid(&c)?));
                }
                out.push(BleService {
                    uuid: long_ble_uuid(&uuid)?,
                    characteristics,
                });
            }
            let mut advertised_services = Vec::with_capacity(adv.len());
            for a in adv {
                if !is_uuid(&a) {
                    return Err(de::Error::custom(format!("bad advertised service {a:?}")));
                }
                advertised_services.push(a.to_ascii_lowercase());
            }
            CommSpecifier::Btle(BtleSpecifier {
                names,
                manufacturer_data: mfr
                    .into_iter()
                    .map(|(company, data)| ManufacturerData { company, data })
                    .collect(),
                advertised_services,
                services: out,
            })
        }
        "s" => {
            let port: String = seq.next_element()?.ok_or_else(|| missing("serial port"))?;
            let baud_rate: u32 = seq.next_element()?.ok_or_else(|| missing("baud rate"))?;
            let data_bits: u8 = seq.next_element()?.ok_or_else(|| missing("data bits"))?;
            let parity: char = seq.next_element()?.ok_or_else(|| missing("parity"))?;
            let stop_bits: u8 = seq.next_element()?.ok_or_else(|| missing("stop bits"))?;
            CommSpecifier::Serial(SerialSpecifier {
                port,
                baud_rate,
                data_bits,
                parity,
                stop_bits,
            })
        }
        "u" | "h" => {
            let pairs: Vec<(u16, u16)> = seq.next_element()?.ok_or_else(|| missing("id pairs"))?;
            let pairs = pairs
                .into_iter()
                .map(|(vendor_id, product_id)| VidPid {
                    vendor_id,
                    product_id,
                })
                .collect();
            if tag == "u" {
                CommSpecifier::Usb(pairs)
            } else {
                CommSpecifier::Hid(pairs)
            }
        }
        "x" => CommSpecifier::XInput,
        "l" => CommSpecifier::LovenseConnectService,
        "g" => CommSpecifier::SdlGamepad,
        "w" => CommSpecifier::Websocket {
            name: seq
                .next_element()?
                .ok_or_else(|| missing("websocket name"))?,
        },
        "m" => CommSpecifier::Simulated {
            names: seq
                .next_element()?
                .ok_or_else(|| missing("simulated names"))?,
        },
        other => return Err(de::Error::custom(format!("unknown bus tag {other:?}"))),
    };
    Ok(Spec(spec))
});

struct Def {
    def: DeviceDefinition,
    inherit_features: bool,
}

seq_deserialize!(Def, "a definition array", |seq| {
    let name: String = seq
        .next_element()?
        .ok_or_else(|| missing("definition name"))?;
    let id: String = seq
        .next_element()?
        .ok_or_else(|| missing("definition id"))?;
    let identifiers: Vec<String> = seq.next_element()?.unwrap_or_default();
    let features: Option<Vec<Feat>> = seq.next_element()?.flatten();
    let protocol_variant: Option<String> = seq.next_element()?.flatten();
    let message_gap_ms: Option<u32> = seq.next_element()?.flatten();
    let inherit_features = features.is_none();
    Ok(Def {
        def: DeviceDefinition {
            identifiers,
            name,
            id: long_id(&id)?,
            base_id: None,
            protocol_variant,
            message_gap_ms,
            features: features
                .unwrap_or_default()
                .into_iter()
                .map(|f| f.0)
                .collect(),
            user: UserDeviceSettings::default(),
        },
        inherit_features,
    })
});

struct Feat(FeatureDefinition);

seq_deserialize!(Feat, "a feature array", |seq| {
    let index: u32 = seq
        .next_element()?
        .ok_or_else(|| missing("feature index"))?;
    let id: String = seq.next_element()?.ok_or_else(|| missing("feature id"))?;
    let outputs: Vec<Out> = seq.next_element()?.unwrap_or_default();
    let description: String = seq.next_element()?.unwrap_or_default();
    let inputs: Vec<In> = seq.next_element()?.unwrap_or_default();
    Ok(Feat(FeatureDefinition {
        index,
        id: long_id(&id)?,
        base_id: None,
        description,
        outputs: outputs.into_iter().map(|o| o.0).collect(),
        inputs: inputs.into_iter().map(|i| i.0).collect(),
    }))
});

struct Out(OutputSettings);

seq_deserialize!(Out, "an output array", |seq| {
    let code: String = seq.next_element()?.ok_or_else(|| missing("output code"))?;
    let kind = output_from_code(&code)
        .ok_or_else(|| de::Error::custom(format!("unknown output code {code:?}")))?;
    let lo: i32 = seq.next_element()?.ok_or_else(|| missing("range start"))?;
    let hi: i32 = seq.next_element()?.ok_or_else(|| missing("range end"))?;
    if lo > hi {
        return Err(de::Error::custom(format!("empty range [{lo}, {hi}]")));
    }
    let mut settings = OutputSettings::new(kind, (lo, hi));
    let dlo: Option<u32> = seq.next_element()?;
    if let Some(dlo) = dlo {
        let dhi: u32 = seq.next_element()?.ok_or_else(|| missing("duration end"))?;
        if dlo > dhi {
            return Err(de::Error::custom(format!("empty duration [{dlo}, {dhi}]")));
        }
        settings.base_duration = Some((dlo, dhi));
    }
    Ok(Out(settings))
});

struct In(FeatureInput);

seq_deserialize!(In, "an input array", |seq| {
    let code: String = seq.next_element()?.ok_or_else(|| missing("input code"))?;
    let kind = input_from_code(&code)
        .ok_or_else(|| de::Error::custom(format!("unknown input code {code:?}")))?;
    let value: Vec<(i32, i32)> = seq.next_element()?.ok_or_else(|| missing("input ranges"))?;
    let commands: String = seq
        .next_element()?
        .ok_or_else(|| missing("input commands"))?;
    let mut list = Vec::with_capacity(commands.len());
    for c in commands.chars() {
        list.push(match c {
            'R' => InputCommand::Read,
            'S' => InputCommand::Subscribe,
            'U' => InputCommand::Unsubscribe,
            other => {
                return Err(de::Error::custom(format!(
                    "unknown input command {other:?}"
                )))
            }
        });
    }
    list.sort();
    list.dedup();
    Ok(In(FeatureInput {
        kind,
        value,
        commands: list,
    }))
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::config::test_support::manager;
    use crate::device::config::DeviceConfigManager;

    #[test]
    fn ids_shorten_and_expand() {
        let id = "5c1195a5-a2e4-4643-bd47-8cb3a1e067f4";
        assert_eq!(long_id::<serde_json::Error>(&short_id(id)).unwrap(), id);
        let ble = "0000fff0-0000-1000-8000-00805f9b34fb";
        assert_eq!(short_ble_uuid(ble), "fff0");
        assert_eq!(long_ble_uuid::<serde_json::Error>("fff0").unwrap(), ble);
        let other = "50300001-0023-4bd4-bbd5-a6920e4c5653";
        assert_eq!(
            long_ble_uuid::<serde_json::Error>(&short_ble_uuid(other)).unwrap(),
            other
        );
        assert!(long_id::<serde_json::Error>("xyz").is_err());
    }

    #[test]
    fn malformed_compact_input_is_an_error() {
        for text in [
            "",
            "[]",
            "{}",
            "[\"haptix-devices/2\",[5,1],[]]",
            "[\"haptix-devices/1\",[6,1],[]]",
            "[\"haptix-devices/1\",[5,1],[[\"p\",[[\"q\"]]]]]",
            "[\"haptix-devices/1\",[5,1],[[\"p\",[],[\"n\",\"zz\"]]]]",
            "[\"haptix-devices/1\",[5,1],[[\"p\",[],[\"n\",\"00000000000000000000000000000000\",[],[[0,\"00000000000000000000000000000000\",[[\"v\",5,1]]]]]]]]",
            "[\"haptix-devices/1\",[5,1],[[\"p\",[],[\"n\",\"00000000000000000000000000000000\",[],[[0,\"00000000000000000000000000000000\",[[\"q\",0,1]]]]]]]]",
            "[\"haptix-devices/1\",[5,1],[[\"p\",[[\"b\",[\"x\"],[[\"fff0\",[[\"nope\",\"fff1\"]]]]]]]]]",
            "[\"haptix-devices/1\",[5,1],[[\"p\",[],null,[],1]]]",
        ] {
            assert!(decode(text).is_err(), "{text}");
        }
        let (v, p) = decode("[\"haptix-devices/1\",[5,1],[[\"p\"]]]").unwrap();
        assert_eq!(v, (5, 1));
        assert_eq!(p.len(), 1);
        assert!(p[0].defaults.is_none());
    }

    #[test]
    fn compact_form_round_trips() {
        let m = manager();
        let compact = m.to_compact_json();
        assert!(
            !compact.contains(' ') || compact.contains("Acme "),
            "no whitespace padding"
        );
        let back = DeviceConfigManager::from_compact_json(&compact).unwrap();
        assert_eq!(back.version(), m.version());
        assert_eq!(back.protocols(), m.protocols());
        assert_eq!(back.to_compact_json(), compact);
    }
}
