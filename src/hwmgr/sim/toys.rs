//! The built-in toys of the simulator: what a simulated toy answers, the way the real toy
//! does, when its protocol's identification or initialisation waits for the device, and which
//! advertised names and ids stand for which toy.
//!
//! [`builtin_toy`] picks the responder (a [`ToyResponder`]) from what a device presents: a
//! Lovense toy from its `LVS-<model>` name (the product names and type letters are in
//! `LOVENSE_TYPES`), a Satisfyer from its `SF <model number>` name, the other toys from the
//! tables `BLE_TOYS` (Bluetooth names) and `HID_TOYS` (HID vendor and product ids), each row
//! naming the protocol of the built-in database that handles the toy. Each toy's answer is
//! built below, with what the real toy says and why.
//!
//! Adding a toy:
//! - write its answer: [`Readings`] for a toy that only holds values the server reads, else a
//!   type implementing [`ToyResponder`] (state it keeps, such as a pairing, lives in that type
//!   and so belongs to one device), documented with what the real toy says;
//! - add a variant to [`Toy`] and its arm in `Toy::responder`;
//! - add rows to `BLE_TOYS` or `HID_TOYS` with the names or ids the built-in database lists for
//!   the protocol;
//! - the test `the_toys_are_the_database_s_and_answer_models_it_describes` then checks that the
//!   protocol takes and identifies every name (for a toy that answers with its model, add its
//!   variant to the models that test checks, and the count); add a test of the conversation
//!   below, and name the toy in the docs of [`builtin_toy`] and of the simulator module.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::{Responder, SimBus, ToyResponder, SIMULATED_BATTERY_PERCENT};
use crate::cipher::{aes128_ecb_decrypt, aes128_ecb_encrypt};
use crate::core::types::Endpoint;
use crate::hwmgr::specifier::VidPid;

/// Lovense device-type letters by product name, for the built-in responder.
const LOVENSE_TYPES: &[(&str, &str)] = &[
    // a name that begins with another comes first: names are matched by prefix
    ("Hush", "Z"),
    ("LushAnal", "AN"),
    ("Lush", "S"),
    ("Edge", "P"),
    ("Nora", "A"),
    ("Velvo", "CB"),
    ("Max", "B"),
    ("Domi", "W"),
    ("Ambi", "L"),
    ("Ferri", "X"),
    ("Osci3", "OC"),
    ("Osci", "O"),
    ("Diamo", "R"),
    ("Dolce", "J"),
    ("Hyphy", "EB"),
    ("Gravity", "EA"),
    ("Flexer", "EI"),
    ("Gush2", "EZ"),
    ("Gush", "ED"),
    ("Tenera", "Q"),
    ("SolacePro", "BA"),
    ("Solace", "H"),
    ("Calor", "T"),
    ("Ridge", "EL"),
    ("Mission2", "CA"),
    ("Mission", "V"),
    ("Lapis", "U"),
    ("Gemini", "N"),
    ("Vulse", "SD"),
    ("Spinel", "WD"),
    ("Synth", "ZA"),
    ("MiniSexMachine", "FS"),
    ("SexMachine", "F"),
];

/// The Lovense device-type letters a name after `LVS-` stands for: a product name the table
/// knows ("Hush", "Edge2"), or a type code as real toys advertise it (upper-case letters, then
/// upper-case letters or digits, as in "Z36D"). `None` for anything else ("Hsh").
fn lovense_type(model: &str) -> Option<String> {
    if let Some((_, letters)) = LOVENSE_TYPES
        .iter()
        .find(|(product, _)| model.starts_with(product))
    {
        return Some((*letters).to_string());
    }
    let letters: String = model
        .chars()
        .take_while(|c| c.is_ascii_uppercase())
        .collect();
    let code = model
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    (!letters.is_empty() && code).then_some(letters)
}

/// Refuses a Bluetooth name that asks for a Lovense toy (`LVS-` and a model) the simulator does
/// not know ([`lovense_type`] gives no type letters for the model): a simulated Lovense answers
/// identification with the type its name gives, and a name that gives none would otherwise
/// become some other toy. Every other name passes.
pub(super) fn check_lovense_name(name: &str) -> Result<(), String> {
    let Some(model) = name.strip_prefix("LVS-") else {
        return Ok(());
    };
    if lovense_type(model).is_some() {
        return Ok(());
    }
    let known: Vec<&str> = LOVENSE_TYPES.iter().map(|(p, _)| *p).collect();
    Err(format!(
        "{model:?} is no Lovense model the simulator knows: use LVS- followed by \
         one of {}, or by a device-type code such as Z36D",
        known.join(", ")
    ))
}

/// The simulator name of the Lovense model a definition's identifier stands for ("Z" gives
/// "LVS-Hush"), when the simulator knows one. A simulated Lovense answers identification with
/// firmware 11, so the Flexer comes up as `EI-FW3`; `EI` alone (older firmware) has none.
pub fn lovense_simulate_identifier(identifier: &str) -> Option<String> {
    let letters = match identifier {
        "EI-FW3" => "EI",
        "EI" => return None,
        other => other,
    };
    LOVENSE_TYPES
        .iter()
        .find(|(_, l)| *l == letters)
        .map(|(product, _)| format!("LVS-{product}"))
}

/// What every Satisfyer toy's Bluetooth name begins with (the database lists `SF *`).
const SATISFYER_PREFIX: &str = "SF ";

/// The simulator name of the Satisfyer model a definition's identifier (its model number, as
/// in "10160") stands for: `SF ` and the number. `None` for an identifier that is no number.
pub fn satisfyer_simulate_identifier(identifier: &str) -> Option<String> {
    satisfyer_model_number(identifier).map(|_| format!("{SATISFYER_PREFIX}{identifier}"))
}

/// A Satisfyer model number written in decimal digits only (no sign, no spaces), as the
/// database's identifiers are.
fn satisfyer_model_number(text: &str) -> Option<u32> {
    text.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse::<u32>().ok())
        .flatten()
}

/// The simulator name of the model a definition of `protocol` stands for, where the simulator
/// plays that protocol's models by name (Lovense, Satisfyer); what `haptix devices` offers on
/// a definition's line.
pub fn model_simulate_identifier(protocol: &str, identifier: &str) -> Option<String> {
    match protocol {
        "lovense" => lovense_simulate_identifier(identifier),
        "satisfyer" => satisfyer_simulate_identifier(identifier),
        _ => None,
    }
}

/// Satisfyer toys hold their model number in `rxblemodel` (four bytes, big-endian), which
/// identification reads when the advertisement carries no manufacturer data, and picks the
/// model by. Real toys advertise `SF ` and a product name; a simulated one takes its model
/// number from the rest of its name (`SF 10160` is the Double Desire), and a name with no
/// number there answers model 0, which the database does not describe, so the toy comes up
/// as the generic Satisfyer Device.
fn satisfyer(model: &str) -> Readings {
    let number = satisfyer_model_number(model).unwrap_or(0);
    Readings(vec![(Endpoint::RxBleModel, number.to_be_bytes().to_vec())])
}

/// The write answers of the built-in toy that advertises `name` over Bluetooth
/// ([`builtin_toy`] gives the whole toy, which may also answer subscriptions and reads).
pub fn builtin_responder(name: &str) -> Option<Responder> {
    let toy = builtin_toy(&SimBus::Btle {
        name: name.to_string(),
        manufacturer_data: Vec::new(),
        advertised_services: Vec::new(),
    })?;
    Some(Arc::new(move |endpoint: Endpoint, data: &[u8]| {
        toy.write(endpoint, data)
    }))
}

/// The responder of a toy the simulator knows, from what the device presents: a Lovense toy
/// (`LVS-<model>`), or a toy of a family whose identification or initialisation waits for an
/// answer from the device: Ankni, Fredorch, Hismith (and Hismith Mini), Honey Play Box, Lelo F1s
/// V2 and Lelo Harmony, MonsterPub, RealTouch (HID `1f54:0001`), Satisfyer (`SF <model>`),
/// Sensee (second protocol), VibCrafter and Vibio. Each answers the way the real toy does, as
/// much as the set-up of its protocol needs. `None` for other devices: the server drives them
/// without waiting for answers.
pub fn builtin_toy(bus: &SimBus) -> Option<Arc<dyn ToyResponder>> {
    let toy = match bus {
        SimBus::Btle { name, .. } => {
            if let Some(model) = name.strip_prefix("LVS-") {
                let letters = lovense_type(model)?;
                return Some(Arc::new(Lovense { letters }));
            }
            if let Some(model) = name.strip_prefix(SATISFYER_PREFIX) {
                return Some(Arc::new(satisfyer(model)));
            }
            BLE_TOYS
                .iter()
                .find(|(_, names, _)| names.contains(&name.as_str()))
                .map(|(_, _, toy)| *toy)
        }
        SimBus::Hid(id) => HID_TOYS
            .iter()
            .find(|(_, known, _)| known == id)
            .map(|(_, _, toy)| *toy),
        SimBus::Serial { .. } | SimBus::Usb(_) | SimBus::Simulated { .. } => None,
    }?;
    Some(toy.responder())
}

/// A toy family the simulator plays besides Lovense, with what its model answers. What each
/// real toy says, and why, is documented where its answer is built.
#[derive(Debug, Clone, Copy)]
enum Toy {
    /// Ankni (Roselex): its address in the PnP characteristic (`ankni`).
    Ankni,
    /// Fredorch strokers: Modbus acknowledgements (`Fredorch`).
    Fredorch,
    /// Hismith machines and the toys built on them: a two-byte model code (`hismith`).
    Hismith(u16),
    /// Honey Play Box: the session handshake (`HoneyPlayBox`).
    HoneyPlayBox,
    /// Lelo toys that pair on their security characteristic, with their status words (`Lelo`).
    Lelo(LeloStatus),
    /// Sistalk MonsterPub and Tracy's Dog: a model name and an authentication challenge
    /// (`monsterpub`).
    MonsterPub(&'static str),
    /// RealTouch: one input report per output report (`RealTouch`).
    RealTouch,
    /// Sensee toys of the second protocol: a device-type byte (`sensee_v2`).
    SenseeV2(u8),
    /// VibCrafter and Vibio: an encrypted challenge–response login (`Login`).
    Login(&'static LoginBrand),
}

/// Toys by the Bluetooth names they advertise: the protocol of the built-in database that
/// handles them, names it lists, and the toy, which answers as its model where the protocol
/// picks the model from the answer. (Lovense toys, named `LVS-<model>`, are recognised by
/// [`lovense_type`].)
#[rustfmt::skip] // a table
const BLE_TOYS: &[(&str, &[&str], Toy)] = &[
    ("ankni", &["DSJM"], Toy::Ankni),
    ("fredorch", &["YXlinksSPP"], Toy::Fredorch),
    // Hismith model codes (read as hex: 0x1001 is "1001"): 1001 and 3001 are in the legacy list
    // of `hismith`, the others are handled by `hismith-mini`
    ("hismith", &["HISMITH", "\u{7}HISMITH"], Toy::Hismith(0x1001)), // Hismith Sex Machine
    ("hismith", &["Wildolo"], Toy::Hismith(0x3001)), // Wildolo Device
    ("hismith-mini", &["Auxfun-Box"], Toy::Hismith(0x4001)), // Auxfun Sex Machine
    ("hismith-mini", &["Sinloli"], Toy::Hismith(0x2201)), // Sinloli Automatic Sex Doll
    ("hismith-mini", &["Sinloli-Ethel"], Toy::Hismith(0x2202)), // Sinloli Ethel
    ("hismith-mini", &["Sinloli Cosima"], Toy::Hismith(0x2204)), // Sinloli Cosima
    ("hismith-mini", &["Sinloli Aston"], Toy::Hismith(0x2205)), // Sinloli Aston
    ("hismith-mini", &["Hismith Piupiu"], Toy::Hismith(0x4002)), // Sinloli Piupiu
    ("hismith-mini", &["PleasureDrive"], Toy::Hismith(0x1501)), // Kiiroo PleasureDrive
    ("honeyplaybox", &[
        "JXT002", "HPB-274", "HPB-393-1", "HPB-0520", "HONEY-835", "HPB-399", "HPB-398",
        "HPB-437", "HPB-296", "HPB-297", "HPB-376-1", "JXT001", "HPB-DDT003", "HPB-391",
        "HPB-472", "HPB-393", "HBP-JXT001", "HPB-376", "AP-22-892", "HPB-S302", "HPB-501",
    ], Toy::HoneyPlayBox),
    ("lelo-f1sv2", &["F1SV2A", "F1SV2X"], Toy::Lelo(LeloStatus::EightBytes)),
    ("lelo-harmony", &[
        "IdaWave", "Ida Wave", "TianiHarmony", "Tiani Harmony", "Tiani Twist", "TOR3", "Hugo2",
        "DoubleSonic", "GIGI3", "LIV3", "SONA3 Cruise", "Switch", "SURFER2", "SURFER Originals",
        "F2", "Boomerang", "F1SV3",
    ], Toy::Lelo(LeloStatus::OneByte)),
    ("monsterpub", &["MonsterPub"], Toy::MonsterPub("MP2_JK_N_P1")), // MonsterPub 2 Doctor Whale
    ("monsterpub", &["MonsterHub"], Toy::MonsterPub("MH_TOR_TL_P5")), // MonsterHub Tornado
    ("monsterpub", &["TracyDog"], Toy::MonsterPub("TDG_LIP_PT2")), // Tracy's Dog Surreal
    ("sensee-v2", &["CCPA10S2"], Toy::SenseeV2(0x66)), // Sensee Capsule
    // the device types of the other models are not known: they answer 0x65, the type the
    // protocol assumes for a toy that reports none
    ("sensee-v2", &[
        "CCPA18S5", "Easylive NO8 Cup", "CTY508S5", "CTY916S4", "PTYB22S2", "CCP322S5",
        "CTY823S5", "qingnan#16", "CCPB22S5", "CCP324S2",
    ], Toy::SenseeV2(0x65)),
    ("vibcrafter", &["be gentle", "Janna", "Hayden", "Nidalee"], Toy::Login(&VIBCRAFTER_LOGIN)),
    ("vibio", &[
        "Clara_Vibio", "Dodson_Vibio", "Elle_Vibio", "Frida_Vibio", "Rivera_Vibio",
    ], Toy::Login(&VIBIO_LOGIN)),
];

/// Toys by their HID vendor and product ids, with the protocol that handles them.
const HID_TOYS: &[(&str, VidPid, Toy)] = &[(
    "realtouch",
    VidPid {
        vendor_id: 0x1f54,
        product_id: 0x0001,
    },
    Toy::RealTouch,
)];

impl Toy {
    /// A fresh responder for one device (toys that keep state keep it per device).
    fn responder(self) -> Arc<dyn ToyResponder> {
        match self {
            Toy::Ankni => Arc::new(ankni()),
            Toy::Fredorch => Arc::new(Fredorch),
            Toy::Hismith(code) => Arc::new(hismith(code)),
            Toy::HoneyPlayBox => Arc::new(HoneyPlayBox),
            Toy::Lelo(status) => Arc::new(Lelo {
                status,
                paired: AtomicBool::new(false),
            }),
            Toy::MonsterPub(model) => Arc::new(monsterpub(model)),
            Toy::RealTouch => Arc::new(RealTouch::default()),
            Toy::SenseeV2(device_type) => Arc::new(sensee_v2(device_type)),
            Toy::Login(brand) => Arc::new(Login { brand }),
        }
    }
}

/// A Lovense toy: `DeviceType;` is answered with its type letters, firmware 11 and an address
/// (identification picks the model from the letters), `Battery;` with
/// [`SIMULATED_BATTERY_PERCENT`], and every other command with `OK;`.
struct Lovense {
    letters: String,
}

impl ToyResponder for Lovense {
    fn write(&self, endpoint: Endpoint, data: &[u8]) -> Vec<(Endpoint, Vec<u8>)> {
        if endpoint != Endpoint::Tx {
            return Vec::new();
        }
        let reply = match data {
            b"DeviceType;" => format!("{}:11:0082059AD3BD;", self.letters).into_bytes(),
            b"Battery;" => format!("{SIMULATED_BATTERY_PERCENT};").into_bytes(),
            _ if data.ends_with(b";") => b"OK;".to_vec(),
            _ => return Vec::new(),
        };
        vec![(Endpoint::Rx, reply)]
    }
}

/// A toy whose characteristics hold fixed values the server reads (an address, a model code)
/// and that acknowledges writes without a word.
struct Readings(Vec<(Endpoint, Vec<u8>)>);

impl ToyResponder for Readings {
    fn write(&self, _endpoint: Endpoint, _data: &[u8]) -> Vec<(Endpoint, Vec<u8>)> {
        Vec::new()
    }

    fn read(&self, endpoint: Endpoint) -> Option<Vec<u8>> {
        self.0
            .iter()
            .find(|(held, _)| *held == endpoint)
            .map(|(_, value)| value.clone())
    }
}

/// Ankni (Roselex) toys hold their 6-byte Bluetooth address in the PnP ID characteristic
/// (`generic0`), which initialisation reads to compute the two handshake writes; the toy takes
/// those writes (with response) without answering. The address is the one of the toy the
/// reference's protocol test records.
fn ankni() -> Readings {
    Readings(vec![(
        Endpoint::Generic(0),
        vec![0xa2, 0x31, 0x35, 0x53, 0x52, 0xd8],
    )])
}

/// Hismith machines, and the Auxfun, Sinloli, Wildolo… toys built on them, hold a two-byte
/// model code in `rxblemodel`. Identification reads it as hex ("1001") to pick the model, and
/// hands the codes outside its legacy list over to `hismith-mini`.
fn hismith(code: u16) -> Readings {
    Readings(vec![(Endpoint::RxBleModel, code.to_be_bytes().to_vec())])
}

/// The authentication challenge of the simulated MonsterPub toys: the key selector (2, the key
/// `SIS6`), then the 15 bytes to answer.
const MONSTERPUB_CHALLENGE: [u8; 16] = [
    0x02, 0x5e, 0x91, 0x3c, 0xd7, 0x08, 0x6a, 0xf2, 0x47, 0xb3, 0x1d, 0x89, 0xc4, 0x2e, 0x75, 0xa0,
];

/// Sistalk MonsterPub / MonsterHub and Tracy's Dog toys hold their model name in `rxblemodel`
/// (NUL-padded to 16 bytes), which identification reads to pick the model, and a 16-byte
/// authentication challenge in `rx`, which initialisation reads and answers by writing the 15
/// challenge bytes, XOR-ed with the key the first byte selects, back to `rx` (with response;
/// the toy takes it without a word).
fn monsterpub(model: &str) -> Readings {
    let mut name = model.as_bytes().to_vec();
    name.resize(name.len().max(16), 0);
    Readings(vec![
        (Endpoint::RxBleModel, name),
        (Endpoint::Rx, MONSTERPUB_CHALLENGE.to_vec()),
    ])
}

/// What a Sensee Capsule answers when `tx` is read, as the reference's protocol test records
/// it; byte 6 is the device type.
const SENSEE_V2_INFO: [u8; 15] = [
    0x55, 0xaa, 0xf0, 0x02, 0x01, 0x0a, 0x66, 0xfa, 0x01, 0x00, 0x00, 0x01, 0xff, 0x05, 0xa6,
];

/// Sensee toys of the second protocol describe themselves in the frame read from `tx` at
/// start-up: its byte 6 is the device type, which every later command carries. Each model
/// answers the Capsule's frame with its own type byte.
fn sensee_v2(device_type: u8) -> Readings {
    let mut frame = SENSEE_V2_INFO.to_vec();
    if let Some(slot) = frame.get_mut(6) {
        *slot = device_type;
    }
    Readings(vec![(Endpoint::Tx, frame)])
}

/// CRC-16/MODBUS (reflected polynomial 0xA001, initial value 0xFFFF), the check of the frames
/// of Modbus-style toys.
fn crc16_modbus(data: &[u8]) -> u16 {
    let mut crc = 0xffff_u16;
    for byte in data {
        crc ^= u16::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xa001
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// Fredorch strokers speak Modbus RTU: every frame written on `tx` whose CRC (low byte first)
/// checks is acknowledged on `rx` with the standard Modbus response, and initialisation waits
/// for the acknowledgement of each of its frames. A single-register write (function 6) is
/// echoed; a multiple-register write (function 16, the moves) is answered with its unit,
/// function, first register and register count. Frames with a bad CRC are ignored, as a Modbus
/// device ignores them.
struct Fredorch;

impl ToyResponder for Fredorch {
    fn write(&self, endpoint: Endpoint, data: &[u8]) -> Vec<(Endpoint, Vec<u8>)> {
        if endpoint != Endpoint::Tx {
            return Vec::new();
        }
        let Some(request) = data
            .len()
            .checked_sub(2)
            .and_then(|at| data.split_at_checked(at))
            .filter(|(request, crc)| crc16_modbus(request).to_le_bytes() == **crc)
            .map(|(request, _)| request)
        else {
            return Vec::new();
        };
        let response = match request.get(1) {
            Some(0x06) => request,
            Some(0x10) => request.get(..6).unwrap_or(request),
            _ => return Vec::new(),
        };
        let mut frame = response.to_vec();
        frame.extend_from_slice(&crc16_modbus(response).to_le_bytes());
        vec![(Endpoint::Rx, frame)]
    }
}

/// The start of every Honey Play Box frame.
const HONEYPLAYBOX_HEADER: [u8; 6] = [0x02, 0xa5, 0x5a, 0x55, 0xaa, 0xf0];

/// The session token the simulated Honey Play Box hands out (a real toy makes one up).
const HONEYPLAYBOX_TOKEN: [u8; 16] = [
    0x3b, 0x9f, 0x0c, 0x71, 0xe4, 0x58, 0xa2, 0x16, 0xcd, 0x83, 0x4f, 0xb0, 0x27, 0x6e, 0xd9, 0x95,
];

/// A Honey Play Box frame: the header, a counter, type, command, big-endian data length, the
/// data, `03`, and the CRC-16/MODBUS of type to data, high byte first.
fn honeyplaybox_frame(counter: u8, kind: u8, command: u8, data: &[u8]) -> Vec<u8> {
    let length = u16::try_from(data.len()).unwrap_or(u16::MAX).to_be_bytes();
    let mut body = vec![kind, command, length[0], length[1]];
    body.extend_from_slice(data);
    let mut frame = HONEYPLAYBOX_HEADER.to_vec();
    frame.push(counter);
    frame.extend_from_slice(&body);
    frame.push(0x03);
    frame.extend_from_slice(&crc16_modbus(&body).to_be_bytes());
    frame
}

/// The counter, type and command of a well-formed Honey Play Box frame (its length, end byte
/// and CRC check).
fn honeyplaybox_request(frame: &[u8]) -> Option<(u8, u8, u8)> {
    let rest = frame.strip_prefix(&HONEYPLAYBOX_HEADER)?;
    let (&counter, rest) = rest.split_first()?;
    let &[kind, command, hi, lo] = rest.get(..4)? else {
        return None;
    };
    let body_len = 4 + usize::from(u16::from_be_bytes([hi, lo]));
    let (body, tail) = rest.split_at_checked(body_len)?;
    (tail.len() == 3
        && tail.first() == Some(&0x03)
        && tail.get(1..) == Some(&crc16_modbus(body).to_be_bytes()[..]))
    .then_some((counter, kind, command))
}

/// Honey Play Box toys sign their commands with a session token. The handshake frame (type
/// `B1`, command `01`) is answered on `rx` with a frame of the same counter, type and command
/// whose data is the status `90 00` (success) followed by the 16-byte token; the 32-byte reply
/// comes in notifications of at most 20 bytes, as over a link of the default MTU, and
/// initialisation reassembles it. Other frames (the signed vibration commands) get no answer.
struct HoneyPlayBox;

impl ToyResponder for HoneyPlayBox {
    fn write(&self, endpoint: Endpoint, data: &[u8]) -> Vec<(Endpoint, Vec<u8>)> {
        match honeyplaybox_request(data) {
            Some((counter, kind @ 0xb1, command @ 0x01)) if endpoint == Endpoint::Tx => {
                let mut status = vec![0x90, 0x00];
                status.extend_from_slice(&HONEYPLAYBOX_TOKEN);
                honeyplaybox_frame(counter, kind, command, &status)
                    .chunks(20)
                    .map(|piece| (Endpoint::Rx, piece.to_vec()))
                    .collect()
            }
            _ => Vec::new(),
        }
    }
}

/// The status words of a Lelo toy's security characteristic.
#[derive(Debug, Clone, Copy)]
enum LeloStatus {
    /// Eight bytes: all zero (not authorised) or `01` and seven zeros (paired); the F1s V2.
    EightBytes,
    /// One byte: `00` (not authorised) or `01` (paired); the Harmony family.
    OneByte,
}

/// The password the simulated Lelo toys hand out.
const LELO_PASSWORD: [u8; 8] = [0x4c, 0x9e, 0x21, 0xd7, 0x63, 0x0a, 0xb5, 0x38];

/// Lelo toys pair on their security characteristic (`whitelist`). Once subscribed, a toy that
/// is not paired reports so (a status of zeros), then sends its password when its power button
/// is pressed (at once, in the simulator); initialisation unsubscribes, writes the password back
/// (with response) and subscribes again, and the toy, now paired, reports the paired status.
/// Initialisation waits for that status. The toy stays paired while the device exists.
struct Lelo {
    status: LeloStatus,
    paired: AtomicBool,
}

impl ToyResponder for Lelo {
    fn write(&self, endpoint: Endpoint, data: &[u8]) -> Vec<(Endpoint, Vec<u8>)> {
        if endpoint == Endpoint::Whitelist && data == LELO_PASSWORD {
            self.paired.store(true, Ordering::SeqCst);
        }
        Vec::new()
    }

    fn subscribe(&self, endpoint: Endpoint) -> Vec<(Endpoint, Vec<u8>)> {
        if endpoint != Endpoint::Whitelist {
            return Vec::new();
        }
        let status = |first: u8| {
            let mut word = vec![first];
            if matches!(self.status, LeloStatus::EightBytes) {
                word.resize(8, 0);
            }
            (endpoint, word)
        };
        if self.paired.load(Ordering::SeqCst) {
            vec![status(1)]
        } else {
            vec![status(0), (endpoint, LELO_PASSWORD.to_vec())]
        }
    }
}

/// What differs between the logins of VibCrafter and Vibio toys.
#[derive(Debug)]
struct LoginBrand {
    /// The AES-128 key of the brand.
    key: [u8; 16],
    /// What the challenge starts with: four alphanumerics (VibCrafter) or hex digits (Vibio).
    head: &'static str,
    /// The challenge's secret, whose hash answers it.
    secret: &'static str,
}

const VIBCRAFTER_LOGIN: LoginBrand = LoginBrand {
    key: *b"jdk#Cra%f5Vib28r",
    head: "Vc7q",
    secret: "h4Rk2Pw9",
};

const VIBIO_LOGIN: LoginBrand = LoginBrand {
    key: *b"jdk#vib%y5fir21a",
    head: "3fa9",
    secret: "Qd81-kZ",
};

/// VibCrafter and Vibio toys talk in text encrypted with AES-128-ECB (PKCS#7 padding) under
/// their brand's key, and want a login: the server's `Auth:<nonce>;` is answered on `rx` with a
/// challenge `<head>:<secret>;`, the answer `Auth:<h0><h1>;` (the first two bytes of the
/// SHA-256 of the secret, in lower-case hex) with `OK;`, which initialisation waits for, and a
/// wrong answer with the challenge again. The simulated toy asks the same challenge every time.
/// Commands (`MtInt:…;`) get no answer.
struct Login {
    brand: &'static LoginBrand,
}

impl ToyResponder for Login {
    fn write(&self, endpoint: Endpoint, data: &[u8]) -> Vec<(Endpoint, Vec<u8>)> {
        use sha2::Digest;
        if endpoint != Endpoint::Tx {
            return Vec::new();
        }
        let Some(text) = aes128_ecb_decrypt(&self.brand.key, data) else {
            return Vec::new();
        };
        let Some(word) = text
            .strip_prefix(b"Auth:")
            .and_then(|t| t.strip_suffix(b";"))
        else {
            return Vec::new();
        };
        let digest = sha2::Sha256::digest(self.brand.secret.as_bytes());
        let expected = format!("{:02x}{:02x}", digest[0], digest[1]);
        let reply = if word == expected.as_bytes() {
            "OK;".to_string()
        } else {
            format!("{}:{};", self.brand.head, self.brand.secret)
        };
        vec![(
            Endpoint::Rx,
            aes128_ecb_encrypt(&self.brand.key, reply.as_bytes()),
        )]
    }
}

/// The serial number the simulated RealTouch reports.
const REALTOUCH_SERIAL: &[u8] = b"RT0001542";

/// How many unread input reports the simulated RealTouch keeps (the oldest go first).
const REALTOUCH_REPORTS_KEPT: usize = 32;

/// RealTouch (USB HID) answers every output report (65 bytes: report id 0, then the command)
/// with a 64-byte input report, which the server reads; initialisation reads one after each of
/// its three reports. The sources at hand do not document what the answers hold, and the
/// protocol only needs them to arrive: the simulated toy echoes the command as its
/// acknowledgement, and answers the serial-number query (`0A`) with `0A` and its serial number.
/// Unread answers wait in the toy's input buffer.
#[derive(Default)]
struct RealTouch {
    answers: Mutex<VecDeque<Vec<u8>>>,
}

impl ToyResponder for RealTouch {
    fn write(&self, endpoint: Endpoint, report: &[u8]) -> Vec<(Endpoint, Vec<u8>)> {
        if endpoint != Endpoint::Tx {
            return Vec::new();
        }
        let command = report.get(1..).unwrap_or_default();
        let mut answer = match command.first() {
            Some(&0x0a) => [&[0x0a], REALTOUCH_SERIAL].concat(),
            _ => command.to_vec(),
        };
        answer.resize(64, 0);
        let mut answers = self.answers.lock();
        if answers.len() >= REALTOUCH_REPORTS_KEPT {
            answers.pop_front();
        }
        answers.push_back(answer);
        Vec::new()
    }

    fn read(&self, endpoint: Endpoint) -> Option<Vec<u8>> {
        if endpoint != Endpoint::Rx {
            return None;
        }
        self.answers.lock().pop_front()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::tests::{connected, next_notification};
    use super::super::{Fault, SimConnector, SimDeviceSpec, SimHardware};
    use super::*;
    use crate::device::config::DeviceConfigManager;
    use crate::hwmgr::HardwareConnector;

    /// Every name of the toy tables is one the built-in database gives the row's protocol
    /// (first of the candidates, as the server picks), identification through that protocol's
    /// code keeps it there, and where the toy answers with its model, the database describes
    /// that model.
    #[tokio::test]
    async fn the_toys_are_the_database_s_and_answer_models_it_describes() {
        use crate::device::protocols::ProtocolRegistry;
        let config = DeviceConfigManager::builtin().unwrap();
        let registry = ProtocolRegistry::builtin();
        let ble = BLE_TOYS.iter().flat_map(|(protocol, names, toy)| {
            names
                .iter()
                .map(move |name| (*protocol, SimDeviceSpec::ble(name), *toy))
        });
        let hid = HID_TOYS.iter().map(|(protocol, id, toy)| {
            let text = format!("hid:{:04x}:{:04x}", id.vendor_id, id.product_id);
            (*protocol, SimDeviceSpec::parse(&text).unwrap(), *toy)
        });
        let mut models = 0;
        for (protocol, spec, toy) in ble.chain(hid) {
            let name = spec.name();
            assert!(spec.responder.is_some(), "{name:?} has no responder");
            let candidate = config
                .candidates(&spec.specifier(), &|p| registry.contains(p))
                .into_iter()
                .next()
                .unwrap_or_else(|| panic!("no protocol takes {name:?}"));
            assert_eq!(candidate.protocol, protocol, "{name:?}");
            let hardware = SimHardware::new(spec);
            let connected = SimConnector { hardware }
                .connect(&candidate.specifiers)
                .await
                .unwrap();
            let factory = registry.get(protocol).unwrap();
            let identified = factory.identify(&connected).await.unwrap().identification;
            assert_eq!(identified.protocol, protocol, "{name:?}");
            if matches!(toy, Toy::Hismith(_) | Toy::MonsterPub(_)) {
                let model = identified.identifier.unwrap_or_default();
                let described = config.protocol(protocol).is_some_and(|p| {
                    p.configurations
                        .iter()
                        .any(|c| c.identifiers.contains(&model))
                });
                assert!(
                    described,
                    "{name:?} answers {model:?}, unknown to {protocol}"
                );
                models += 1;
            }
        }
        assert_eq!(models, 13);
    }

    /// A simulated Satisfyer answers the model number its name gives, and every model of the
    /// database is identified as itself; a name without a number is the generic model 0.
    #[tokio::test]
    async fn satisfyer_toys_answer_the_model_their_name_gives() {
        use crate::device::protocols::ProtocolRegistry;
        let config = DeviceConfigManager::builtin().unwrap();
        let registry = ProtocolRegistry::builtin();
        let factory = registry.get("satisfyer").unwrap();
        let identify = |name: String| {
            let (config, factory) = (&config, factory.clone());
            async move {
                let spec = SimDeviceSpec::parse(&name).unwrap();
                let candidate = config
                    .candidates(&spec.specifier(), &|p| p == "satisfyer")
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| panic!("no protocol takes {name:?}"));
                let connected = SimConnector {
                    hardware: SimHardware::new(spec),
                }
                .connect(&candidate.specifiers)
                .await
                .unwrap();
                factory.identify(&connected).await.unwrap().identification
            }
        };
        let satisfyer = config.protocol("satisfyer").unwrap();
        let mut models = 0;
        for def in &satisfyer.configurations {
            for id in &def.identifiers {
                let name = satisfyer_simulate_identifier(id)
                    .unwrap_or_else(|| panic!("{} ({id}) has no simulator name", def.name));
                assert_eq!(name, format!("SF {id}"));
                let identified = identify(name).await;
                assert_eq!(identified.protocol, "satisfyer");
                assert_eq!(identified.identifier.as_deref(), Some(id.as_str()));
                models += 1;
            }
        }
        assert!(models >= 80, "only {models} Satisfyer models");
        for generic in ["SF ", "SF Curvy 2+", "SF 12a", "SF -5", "SF 99999999999"] {
            let identified = identify(generic.to_string()).await;
            assert_eq!(identified.identifier.as_deref(), Some("0"), "{generic:?}");
        }
        for no_number in ["", "12a", "+5", "99999999999"] {
            assert_eq!(
                satisfyer_simulate_identifier(no_number),
                None,
                "{no_number:?}"
            );
        }
        assert_eq!(
            model_simulate_identifier("satisfyer", "10160").as_deref(),
            Some("SF 10160")
        );
        assert_eq!(
            model_simulate_identifier("lovense", "Z").as_deref(),
            Some("LVS-Hush")
        );
        assert_eq!(model_simulate_identifier("hismith", "1001"), None);
    }

    /// A Lelo toy hands out its password until the password comes back, then says it is paired.
    #[tokio::test]
    async fn a_lelo_toy_pairs_when_its_password_comes_back() {
        let mut spec = SimDeviceSpec::ble("F1SV2A");
        spec.endpoints = Some(vec![Endpoint::Tx, Endpoint::Whitelist]);
        let (_hw, dynhw) = connected(spec).await;
        let mut events = dynhw.events();
        let mut password = Vec::new();
        for attempt in [b"wrong".to_vec(), LELO_PASSWORD.to_vec()] {
            dynhw.subscribe(Endpoint::Whitelist).await.unwrap();
            assert_eq!(next_notification(&mut events).await, [0; 8]);
            password = next_notification(&mut events).await;
            dynhw.unsubscribe(Endpoint::Whitelist).await.unwrap();
            dynhw
                .write(Endpoint::Whitelist, &attempt, true)
                .await
                .unwrap();
        }
        assert_eq!(password, LELO_PASSWORD);
        dynhw.subscribe(Endpoint::Whitelist).await.unwrap();
        assert_eq!(
            next_notification(&mut events).await,
            [1, 0, 0, 0, 0, 0, 0, 0]
        );
        // the Harmony family's status words are one byte
        let harmony = builtin_toy(&SimDeviceSpec::ble("IdaWave").bus).unwrap();
        let statuses = harmony.subscribe(Endpoint::Whitelist);
        assert_eq!(statuses.first().map(|(_, s)| s.clone()), Some(vec![0]));
    }

    /// Fredorch acknowledges the Modbus frames whose CRC checks (CRCs as the protocol's test
    /// gives them), and ignores the others.
    #[test]
    fn fredorch_acknowledges_checked_modbus_frames() {
        let toy = builtin_toy(&SimDeviceSpec::ble("YXlinksSPP").bus).unwrap();
        let program = [0x01, 0x06, 0x00, 0x64, 0x00, 0x01, 0x09, 0xd5];
        assert_eq!(
            toy.write(Endpoint::Tx, &program),
            [(Endpoint::Rx, program.to_vec())]
        );
        let to_zero = [
            0x01, 0x10, 0x00, 0x6b, 0x00, 0x05, 0x0a, 0x00, 0x05, 0x00, 0x05, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x01, 0xc0, 0xc3,
        ];
        let head = [0x01, 0x10, 0x00, 0x6b, 0x00, 0x05];
        let mut ack = head.to_vec();
        ack.extend_from_slice(&crc16_modbus(&head).to_le_bytes());
        assert_eq!(toy.write(Endpoint::Tx, &to_zero), [(Endpoint::Rx, ack)]);
        let mut corrupted = program;
        corrupted[7] ^= 1;
        assert!(toy.write(Endpoint::Tx, &corrupted).is_empty());
        assert!(toy.write(Endpoint::Tx, &[]).is_empty());
    }

    /// Honey Play Box answers the handshake with the success status and its token, in
    /// notifications of at most 20 bytes; frames as the protocol's test gives them.
    #[test]
    fn honey_play_box_answers_the_handshake() {
        let hex = |text: &str| -> Vec<u8> {
            (0..text.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
                .collect()
        };
        let handshake = hex("02a55a55aaf00bb10100020010033686");
        assert_eq!(
            honeyplaybox_frame(0x0b, 0xb1, 0x01, &[0x00, 0x10]),
            handshake
        );
        let token: Vec<u8> = (1..=16).collect();
        let reply = [vec![0x90, 0x00], token].concat();
        assert_eq!(
            honeyplaybox_frame(0x0b, 0xb1, 0x01, &reply),
            hex("02a55a55aaf00bb101001290000102030405060708090a0b0c0d0e0f1003f426")
        );
        let toy = builtin_toy(&SimDeviceSpec::ble("JXT002").bus).unwrap();
        let pieces = toy.write(Endpoint::Tx, &handshake);
        assert_eq!(
            pieces.iter().map(|(_, p)| p.len()).collect::<Vec<_>>(),
            [20, 12]
        );
        let answer: Vec<u8> = pieces.into_iter().flat_map(|(_, p)| p).collect();
        let status = [[0x90, 0x00].as_slice(), &HONEYPLAYBOX_TOKEN].concat();
        assert_eq!(answer, honeyplaybox_frame(0x0b, 0xb1, 0x01, &status));
        let mut corrupted = handshake;
        corrupted[15] ^= 1;
        assert!(toy.write(Endpoint::Tx, &corrupted).is_empty());
    }

    /// VibCrafter and Vibio challenge a login until the answer is right.
    #[test]
    fn vibcrafter_and_vibio_challenge_the_login() {
        use sha2::Digest;
        for (name, brand) in [
            ("be gentle", &VIBCRAFTER_LOGIN),
            ("Clara_Vibio", &VIBIO_LOGIN),
        ] {
            let toy = builtin_toy(&SimDeviceSpec::ble(name).bus).unwrap();
            let say = |text: &str| -> Option<String> {
                let sealed = aes128_ecb_encrypt(&brand.key, text.as_bytes());
                let reply = toy.write(Endpoint::Tx, &sealed).into_iter().next()?;
                assert_eq!(reply.0, Endpoint::Rx);
                String::from_utf8(aes128_ecb_decrypt(&brand.key, &reply.1)?).ok()
            };
            let challenge = format!("{}:{};", brand.head, brand.secret);
            assert_eq!(say("Auth:n0nce12;").as_deref(), Some(challenge.as_str()));
            assert_eq!(say("Auth:0000;").as_deref(), Some(challenge.as_str()));
            let digest = sha2::Sha256::digest(brand.secret.as_bytes());
            let answer = format!("Auth:{:02x}{:02x};", digest[0], digest[1]);
            assert_eq!(say(&answer).as_deref(), Some("OK;"));
            assert_eq!(say("MtInt:0599;"), None);
        }
        // 16 bytes of plain text take a whole block of padding
        let sealed = aes128_ecb_encrypt(&VIBIO_LOGIN.key, b"0123456789abcdef");
        assert_eq!(sealed.len(), 32);
        assert_eq!(
            aes128_ecb_decrypt(&VIBIO_LOGIN.key, &sealed).as_deref(),
            Some(&b"0123456789abcdef"[..])
        );
        assert_eq!(aes128_ecb_decrypt(&VIBIO_LOGIN.key, &sealed[..20]), None);
    }

    /// RealTouch answers each report with one the server reads; reads scripted by a test come
    /// first, and a read with no answer waiting times out.
    #[tokio::test]
    async fn realtouch_answers_each_report_with_one_to_read() {
        let (hw, dynhw) = connected(SimDeviceSpec::parse("hid:1f54:0001").unwrap()).await;
        let timeout = Duration::from_millis(20);
        assert!(dynhw.read(Endpoint::Rx, 0, timeout).await.is_err());
        let report = |command: &[u8]| {
            let mut r = vec![0u8; 65];
            r[1..=command.len()].copy_from_slice(command);
            r
        };
        dynhw
            .write(Endpoint::Tx, &report(&[0x0a]), false)
            .await
            .unwrap();
        dynhw
            .write(Endpoint::Tx, &report(&[0x06, 0x02]), false)
            .await
            .unwrap();
        hw.queue_read(Endpoint::Rx, &[7]);
        assert_eq!(dynhw.read(Endpoint::Rx, 0, timeout).await.unwrap(), [7]);
        let serial = dynhw.read(Endpoint::Rx, 0, timeout).await.unwrap();
        assert_eq!(serial.len(), 64);
        assert!(serial.starts_with(&[&[0x0a], REALTOUCH_SERIAL].concat()));
        let settings = dynhw.read(Endpoint::Rx, 0, timeout).await.unwrap();
        assert_eq!(settings[..3], [0x06, 0x02, 0x00]);
        assert!(dynhw.read(Endpoint::Rx, 0, timeout).await.is_err());
    }

    /// Toys holding values answer reads with them, subject to injected garbling; Hismith gives
    /// its code, MonsterPub its NUL-padded model name and a challenge, Sensee its type.
    #[tokio::test]
    async fn toys_answer_reads_with_what_they_hold() {
        let read = |name: &'static str, endpoints: Vec<Endpoint>| async move {
            let mut spec = SimDeviceSpec::ble(name);
            spec.endpoints = Some(endpoints);
            connected(spec).await
        };
        let timeout = Duration::from_millis(20);
        let (hw, dynhw) = read("Auxfun-Box", vec![Endpoint::RxBleModel, Endpoint::Tx]).await;
        assert_eq!(
            dynhw.read(Endpoint::RxBleModel, 2, timeout).await.unwrap(),
            [0x40, 0x01]
        );
        hw.inject(Fault::GarbleReplies { count: 1 });
        assert_ne!(
            dynhw.read(Endpoint::RxBleModel, 2, timeout).await.unwrap(),
            [0x40, 0x01]
        );
        assert_eq!(hw.faults_fired(), 1);
        let endpoints = vec![Endpoint::RxBleModel, Endpoint::Rx, Endpoint::Tx];
        let (_, dynhw) = read("MonsterPub", endpoints).await;
        let model = dynhw.read(Endpoint::RxBleModel, 32, timeout).await.unwrap();
        assert_eq!(model, b"MP2_JK_N_P1\0\0\0\0\0");
        let challenge = dynhw.read(Endpoint::Rx, 16, timeout).await.unwrap();
        assert_eq!(challenge.len(), 16);
        assert!(challenge[0] < 4, "no such key: {challenge:?}");
        let (_, dynhw) = read("CCPA10S2", vec![Endpoint::Rx, Endpoint::Tx]).await;
        assert_eq!(
            dynhw.read(Endpoint::Tx, 128, timeout).await.unwrap(),
            SENSEE_V2_INFO
        );
        let (_, dynhw) = read("CCP324S2", vec![Endpoint::Rx, Endpoint::Tx]).await;
        assert_eq!(
            dynhw.read(Endpoint::Tx, 128, timeout).await.unwrap()[6],
            0x65
        );
        // what a toy does not hold leaves the read waiting
        let (_, dynhw) = read("DSJM", vec![Endpoint::Generic(0), Endpoint::Tx]).await;
        assert_eq!(
            dynhw
                .read(Endpoint::Generic(0), 16, timeout)
                .await
                .unwrap()
                .len(),
            6
        );
        assert!(dynhw.read(Endpoint::Tx, 16, timeout).await.is_err());
    }
}
