//! Seeded command sequences: the same list of Buttplug v4 messages (and injected notifications)
//! for both implementations.

use serde_json::{json, Value};

use crate::cases::{Case, Feature, Output};

/// A small deterministic generator (SplitMix64): the same seed gives the same sequence on
/// every machine.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as i64
    }
}

/// One step of a sequence.
#[derive(Debug, Clone)]
pub enum Step {
    /// Messages sent back to back (each gets its reply before the step ends).
    Send(Vec<Value>),
    /// Bytes delivered by the toy on every endpoint it has been subscribed to.
    Notify(Vec<u8>),
}

/// The message name of an output type in v4 messages (`hw_position_with_duration` gives
/// `HwPositionWithDuration`).
pub fn output_name(kind: &str) -> String {
    kind.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

struct Ids(u32);

impl Ids {
    fn next(&mut self) -> u32 {
        self.0 += 1;
        self.0
    }
}

fn output_msg(ids: &mut Ids, feature: &Feature, out: &Output, value: i64, rng: &mut Rng) -> Value {
    let name = output_name(&out.kind);
    let command = if out.kind == "hw_position_with_duration" {
        let (dlo, dhi) = out.duration.unwrap_or((0, 10_000));
        let duration = match rng.range(0, 3) {
            0 => dlo,
            1 => dhi.min(10_000),
            _ => rng.range(dlo, dhi.min(10_000)),
        };
        json!({ name: { "Value": value, "Duration": duration } })
    } else {
        json!({ name: { "Value": value } })
    };
    json!({ "OutputCmd": {
        "Id": ids.next(), "DeviceIndex": 0, "FeatureIndex": feature.index, "Command": command
    }})
}

/// A value for an output: the ends of the range, the middle, or random steps (signed for
/// rotation when the range allows it).
fn pick(out: &Output, rng: &mut Rng) -> i64 {
    match rng.range(0, 5) {
        0 => out.max,
        1 => out.min,
        2 => (out.min + out.max) / 2,
        _ => rng.range(out.min, out.max),
    }
}

/// The handshake: v4 server info, then scanning (the toy is found by the scan).
pub fn handshake() -> Vec<Value> {
    vec![
        json!({"RequestServerInfo": {"Id": 1, "ClientName": "differential", "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}}),
        json!({"StartScanning": {"Id": 2}}),
    ]
}

/// The first message id [`sequence`] uses.
pub const FIRST_ID: u32 = 10;

/// The command sequence for one case and seed.
pub fn sequence(case: &Case, seed: u64) -> Vec<Step> {
    let mut rng = Rng::new(seed ^ hash(&case.label()));
    let mut ids = Ids(FIRST_ID - 1);
    let mut steps = Vec::new();
    let outputs: Vec<(&Feature, &Output)> = case
        .features
        .iter()
        .flat_map(|f| f.outputs.iter().map(move |o| (f, o)))
        .collect();
    // every output: both ends of the range, the middle, a repeated value, random steps
    for (f, o) in &outputs {
        for v in [o.max, o.min, (o.min + o.max) / 2] {
            steps.push(Step::Send(vec![output_msg(&mut ids, f, o, v, &mut rng)]));
        }
        let v = rng.range(o.min, o.max);
        for _ in 0..2 {
            steps.push(Step::Send(vec![output_msg(&mut ids, f, o, v, &mut rng)]));
        }
        let v = pick(o, &mut rng);
        steps.push(Step::Send(vec![output_msg(&mut ids, f, o, v, &mut rng)]));
    }
    // several features at once, then a stop of the device
    if outputs.len() > 1 {
        for _ in 0..3 {
            let batch = outputs
                .iter()
                .map(|(f, o)| {
                    let v = pick(o, &mut rng);
                    output_msg(&mut ids, f, o, v, &mut rng)
                })
                .collect();
            steps.push(Step::Send(batch));
        }
    }
    steps.push(Step::Send(vec![json!({"StopCmd": {
        "Id": ids.next(), "DeviceIndex": 0, "Inputs": true, "Outputs": true
    }})]));
    // random outputs, then stop everything
    for _ in 0..(outputs.len() * 2).min(8) {
        let (f, o) = outputs[rng.range(0, outputs.len() as i64 - 1) as usize];
        let v = pick(o, &mut rng);
        steps.push(Step::Send(vec![output_msg(&mut ids, f, o, v, &mut rng)]));
    }
    if !outputs.is_empty() {
        steps.push(Step::Send(vec![json!({"StopCmd": {
            "Id": ids.next(), "Inputs": true, "Outputs": true
        }})]));
    }
    // inputs: reads, and subscriptions with injected notifications
    for f in &case.features {
        for i in &f.inputs {
            let kind = output_name(&i.kind);
            for c in &i.commands {
                let msg = |id: u32, command: &str| {
                    json!({"InputCmd": {
                        "Id": id, "DeviceIndex": 0, "FeatureIndex": f.index,
                        "Type": kind, "Command": command
                    }})
                };
                match c.as_str() {
                    "Read" => steps.push(Step::Send(vec![msg(ids.next(), "Read")])),
                    "Subscribe" => {
                        steps.push(Step::Send(vec![msg(ids.next(), "Subscribe")]));
                        for _ in 0..2 {
                            let len = rng.range(1, 8) as usize;
                            let data = (0..len).map(|_| rng.range(0, 255) as u8).collect();
                            steps.push(Step::Notify(data));
                        }
                        steps.push(Step::Send(vec![msg(ids.next(), "Unsubscribe")]));
                    }
                    _ => {}
                }
            }
        }
    }
    steps
}

/// FNV-1a, to derive a per-case seed from its label.
fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
