//! The mixed traffic: a long-lived controller client of the embedded server that adds, removes
//! and pokes simulated toys, and visitor clients that come and go in turn (over the WebSocket
//! server and in-process), each scanning, driving outputs, reading batteries and subscribing to
//! the KGoal Boost's pressure input before it leaves.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use haptix::ffi::proto::{self, event, request};

use crate::abi::{classify, Answer, Client, Context, Server, Tally, ANSWER_WAIT};

/// The toys present all the time: (identifier, address).
const PERMANENT: [(&str, &str); 3] = [
    ("LVS-Hush", "soak-hush"),
    ("LVS-Lush", "soak-lush"),
    ("Boost", "soak-boost"),
];
/// The toy that is unplugged and plugged in again every few rounds.
const RECONNECTED: usize = 1;
/// The toy with the pressure input.
const PRESSURE_TOY: usize = 2;
/// Toys that appear for one round and disappear again, in turn.
const TRANSIENT: [&str; 4] = ["LVS-Nora", "LVS-Edge2", "LVS-Domi", "LVS-Max"];
/// Pressure notifications the Boost sends per round.
const READINGS_PER_ROUND: u64 = 5;
/// Output commands in flight at once per device in each round.
const OUTPUT_BURST: usize = 4;
/// Pause between rounds, so that the soak is steady traffic rather than a flood.
const ROUND_PAUSE: Duration = Duration::from_millis(100);

/// A small deterministic generator (xorshift64*), for levels and choices.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A level in 0.0 ..= 1.0.
    pub fn level(&mut self) -> f64 {
        (self.next() % 1001) as f64 / 1000.0
    }
}

/// What one client has seen on its event stream.
#[derive(Default)]
struct View {
    devices: BTreeMap<u32, proto::Device>,
    removed: HashSet<u32>,
    /// Pressure readings per (device, feature): their values.
    readings: HashMap<(u32, u32), Vec<i64>>,
    /// Responses of requests sent without waiting, by request id.
    responses: HashMap<u64, proto::Response>,
    connected: bool,
    disconnected: Option<String>,
}

impl View {
    fn apply(&mut self, ev: proto::Event) {
        match ev.kind {
            Some(event::Kind::Response(r)) => {
                self.responses.insert(ev.request_id, r);
            }
            Some(event::Kind::Connected(_)) => self.connected = true,
            Some(event::Kind::Disconnected(d)) => {
                self.disconnected = Some(format!("{} (status {})", d.reason, d.status));
            }
            Some(event::Kind::DeviceAdded(a)) => {
                if let Some(d) = a.device {
                    self.removed.remove(&d.index);
                    self.devices.insert(d.index, d);
                }
            }
            Some(event::Kind::DeviceRemoved(r)) => {
                self.devices.remove(&r.device_index);
                self.removed.insert(r.device_index);
            }
            Some(event::Kind::InputReading(r)) => {
                if r.input_type == proto::InputType::Pressure as i32 {
                    self.readings
                        .entry((r.device_index, r.feature_index))
                        .or_default()
                        .push(r.value);
                }
            }
            Some(event::Kind::ScanningFinished(_))
            | Some(event::Kind::Error(_))
            | Some(event::Kind::Log(_))
            | None => {}
        }
    }

    fn index_of(&self, name: &str) -> Option<u32> {
        self.devices
            .values()
            .find(|d| d.name == name)
            .map(|d| d.index)
    }

    fn has_all(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.index_of(n).is_some())
    }
}

/// A client with its view of events.
struct Peer {
    client: Client,
    view: View,
}

impl Peer {
    fn connect(ctx: &Context, tally: &Tally, name: &str, url: Option<&str>) -> Option<Peer> {
        Tally::add(&tally.sent, 1);
        let client = match Client::new(ctx, name, url) {
            Ok(c) => c,
            Err(e) => {
                Tally::add(&tally.unanswered, 1);
                tally.problem(format!("{name}: {e}"));
                return None;
            }
        };
        let mut peer = Peer {
            client,
            view: View::default(),
        };
        let connected = peer.wait(|v| v.connected || v.disconnected.is_some());
        if peer.view.connected {
            Tally::add(&tally.answered, 1);
            Tally::add(&tally.sessions, 1);
            Some(peer)
        } else if connected {
            Tally::add(&tally.answered, 1);
            Tally::add(&tally.failed, 1);
            tally.problem(format!(
                "{name}: connection refused: {}",
                peer.view.disconnected.unwrap_or_default()
            ));
            None
        } else {
            Tally::add(&tally.unanswered, 1);
            tally.problem(format!("{name}: not connected after {ANSWER_WAIT:?}"));
            None
        }
    }

    /// Applies events until `done` holds of the view ([`ANSWER_WAIT`] at most).
    fn wait(&mut self, done: impl Fn(&View) -> bool) -> bool {
        let deadline = Instant::now() + ANSWER_WAIT;
        let Peer { client, view } = self;
        let view = std::cell::RefCell::new(view);
        client.events_until(
            deadline,
            |ev| view.borrow_mut().apply(ev),
            || done(&view.borrow()),
        )
    }

    /// Applies the events already queued.
    fn drain(&mut self) {
        while let Ok(ev) = self.client.next_event(Duration::ZERO) {
            self.view.apply(ev);
        }
    }

    fn call(&self, tally: &Tally, kind: request::Kind) -> Answer {
        self.client.call(tally, kind)
    }

    /// Waits for the responses of requests sent with `send`, counting them.
    fn collect(&mut self, tally: &Tally, what: &str, ids: &[u64]) {
        self.wait(|v| ids.iter().all(|id| v.responses.contains_key(id)));
        for id in ids {
            match self.view.responses.remove(id) {
                Some(r) => {
                    classify(tally, &self.client.name, what, r);
                }
                None => {
                    Tally::add(&tally.unanswered, 1);
                    tally.problem(format!(
                        "{}: {what} (request {id}) not answered within {ANSWER_WAIT:?}",
                        self.client.name
                    ));
                }
            }
        }
    }
}

/// A simulated toy the controller knows: its identifier, address and the name it shows.
#[derive(Clone)]
struct Toy {
    identifier: String,
    address: String,
    name: String,
}

fn add_device(identifier: &str, address: &str) -> request::Kind {
    request::Kind::AddSimulatedDevice(proto::AddSimulatedDevice {
        device: Some(proto::SimulatedDevice {
            identifier: identifier.to_string(),
            address: address.to_string(),
        }),
    })
}

fn remove_device(address: &str) -> request::Kind {
    request::Kind::RemoveSimulatedDevice(proto::RemoveSimulatedDevice {
        address: address.to_string(),
    })
}

fn scan(start: bool) -> request::Kind {
    if start {
        request::Kind::StartScanning(proto::StartScanning {})
    } else {
        request::Kind::StopScanning(proto::StopScanning {})
    }
}

fn input(
    device_index: u32,
    feature: Option<u32>,
    kind: proto::InputType,
    command: proto::InputCommand,
) -> request::Kind {
    request::Kind::Input(proto::Input {
        device_index,
        feature_index: feature,
        input_type: kind as i32,
        command: command as i32,
    })
}

/// The whole soak traffic: a context, its WebSocket server, the controller and the visitors.
pub struct Traffic<'t> {
    tally: &'t Tally,
    rng: Rng,
    controller: Peer,
    permanent: Vec<Toy>,
    transient: Vec<Toy>,
    url: String,
    round: u64,
    /// How the previous round's visitor came and went.
    previous: Option<Visit>,
    /// The round and its visit, for problem messages.
    context: String,
    /// Log records of level warning or above the library sent.
    pub warnings: u64,
    // Dropped last: the clients and the server go before the context.
    _server: Server,
    ctx: Context,
}

/// How the visitor of a round connects and leaves.
#[derive(Clone, Copy, Debug)]
enum Visit {
    WebsocketDisconnect,
    EmbeddedFree,
    WebsocketFree,
    EmbeddedDisconnect,
}

impl<'t> Traffic<'t> {
    /// Starts the context and the server, connects the controller, and learns the name each
    /// simulated toy shows (which also checks that every toy is found).
    pub fn start(tally: &'t Tally) -> Result<Traffic<'t>, String> {
        let ctx = Context::new(&proto::ContextOptions {
            simulated_devices: PERMANENT
                .iter()
                .map(|(identifier, address)| proto::SimulatedDevice {
                    identifier: identifier.to_string(),
                    address: address.to_string(),
                })
                .collect(),
            log_level: proto::LogLevel::Warn as i32,
            server_name: "soak".into(),
            // the visitors' clients ping on their own; generous for a loaded machine
            max_ping_time_ms: 20_000,
            ..Default::default()
        })?;
        let server = Server::start(&ctx)?;
        let url = format!("ws://127.0.0.1:{}", server.port);
        let mut controller = Peer::connect(&ctx, tally, "controller", None)
            .ok_or("the controller could not connect")?;

        let learn = |controller: &mut Peer, address: &str| -> Result<String, String> {
            controller.call(tally, scan(true));
            let found = controller.wait(|v| v.devices.values().any(|d| d.address == address));
            controller.call(tally, scan(false));
            controller
                .view
                .devices
                .values()
                .find(|d| d.address == address)
                .map(|d| d.name.clone())
                .filter(|_| found)
                .ok_or_else(|| format!("the simulated toy {address} was not found by a scan"))
        };
        let mut permanent = Vec::new();
        for (identifier, address) in PERMANENT {
            let name = learn(&mut controller, address)?;
            permanent.push(Toy {
                identifier: identifier.to_string(),
                address: address.to_string(),
                name,
            });
        }
        let mut transient = Vec::new();
        for (i, identifier) in TRANSIENT.iter().enumerate() {
            let address = format!("soak-transient-{i}");
            controller
                .call(tally, add_device(identifier, &address))
                .ok()
                .ok_or_else(|| format!("cannot add the simulated toy {identifier}"))?;
            let name = learn(&mut controller, &address)?;
            controller.call(tally, remove_device(&address));
            if permanent
                .iter()
                .chain(&transient)
                .any(|t: &Toy| t.name == name)
            {
                return Err(format!(
                    "{identifier} shows the name {name:?} of another toy"
                ));
            }
            transient.push(Toy {
                identifier: identifier.to_string(),
                address,
                name,
            });
        }
        Ok(Traffic {
            tally,
            rng: Rng::new(0x50a4_2024),
            controller,
            permanent,
            transient,
            url,
            round: 0,
            previous: None,
            context: String::new(),
            warnings: 0,
            _server: server,
            ctx,
        })
    }

    /// The names of the toys, for the report.
    pub fn toys(&self) -> Vec<String> {
        self.permanent
            .iter()
            .chain(&self.transient)
            .map(|t| format!("{} ({})", t.name, t.identifier))
            .collect()
    }

    /// One round: a visitor connects, scans while a transient toy appears, drives every toy,
    /// reads batteries, subscribes to the pressure input, sees the transient toy (and every
    /// fourth round a permanent one) disappear, and leaves; the controller then checks the
    /// toys and the device list.
    pub fn round(&mut self) {
        let tally = self.tally;
        let round = self.round;
        self.round += 1;
        let visit = match round % 4 {
            0 => Visit::WebsocketDisconnect,
            1 => Visit::EmbeddedFree,
            2 => Visit::WebsocketFree,
            _ => Visit::EmbeddedDisconnect,
        };
        let url = match visit {
            Visit::WebsocketDisconnect | Visit::WebsocketFree => Some(self.url.as_str()),
            Visit::EmbeddedFree | Visit::EmbeddedDisconnect => None,
        };
        let name = format!("visitor-{}", round % 5);
        self.context = format!(
            "round {round}, {visit:?} after {:?}",
            self.previous.replace(visit)
        );
        if let Some(mut visitor) = Peer::connect(&self.ctx, tally, &name, url) {
            self.visit(&mut visitor, round);
            self.leave(visitor, visit);
        }
        self.check_toys();
        for ev in self.ctx.drain_events() {
            if let Some(event::Kind::Log(l)) = ev.kind {
                if l.level <= proto::LogLevel::Warn as i32 && l.level > proto::LogLevel::Off as i32
                {
                    self.warnings += 1;
                    if self.warnings <= 10 {
                        eprintln!("soak: library log: {}: {}", l.target, l.message);
                    }
                }
            }
        }
        Tally::add(&tally.rounds, 1);
        std::thread::sleep(ROUND_PAUSE);
    }

    fn visit(&mut self, visitor: &mut Peer, round: u64) {
        let tally = self.tally;
        let transient = self.transient[(round as usize) % self.transient.len()].clone();
        let early = round.is_multiple_of(3);
        if early {
            self.controller
                .call(tally, add_device(&transient.identifier, &transient.address));
        }
        visitor.call(tally, scan(true));
        if !early {
            self.controller
                .call(tally, add_device(&transient.identifier, &transient.address));
        }
        let mut names: Vec<&str> = self.permanent.iter().map(|t| t.name.as_str()).collect();
        names.push(&transient.name);
        if !visitor.wait(|v| v.has_all(&names)) {
            tally.problem(format!(
                "{}: {}: scanning did not find every toy (saw {:?})",
                visitor.client.name,
                self.context,
                visitor
                    .view
                    .devices
                    .values()
                    .map(|d| &d.name)
                    .collect::<Vec<_>>()
            ));
        }
        visitor.call(tally, scan(false));

        self.outputs(visitor);
        self.batteries(visitor);
        self.pressure(visitor);

        // stop one toy, then everything
        if let Some(index) = visitor.view.index_of(&self.permanent[0].name) {
            visitor.call(
                tally,
                request::Kind::StopDevice(proto::StopDevice {
                    device_index: index,
                    inputs: None,
                    outputs: None,
                }),
            );
        }
        visitor.call(
            tally,
            request::Kind::StopAll(proto::StopAll {
                inputs: None,
                outputs: None,
            }),
        );
        visitor.call(tally, request::Kind::Ping(proto::Ping {}));

        // the transient toy goes away
        let gone = visitor.view.index_of(&transient.name);
        self.controller
            .call(tally, remove_device(&transient.address));
        if let Some(index) = gone {
            if !visitor.wait(|v| v.removed.contains(&index)) {
                tally.problem(format!(
                    "{}: {}: no DeviceRemoved for {}",
                    visitor.client.name, self.context, transient.name
                ));
            }
        }

        // every fourth round a permanent toy is unplugged and plugged in again
        if round % 4 == 3 {
            self.reconnect(visitor);
        }

        match visitor.call(
            tally,
            request::Kind::RequestDeviceList(proto::RequestDeviceList {}),
        ) {
            Answer::Ok(r) => {
                let n = match r.result {
                    Some(proto::response::Result::DeviceList(l)) => l.devices.len(),
                    _ => 0,
                };
                if n != self.permanent.len() {
                    tally.problem(format!(
                        "{}: {}: the device list has {n} devices, expected {}",
                        visitor.client.name,
                        self.context,
                        self.permanent.len()
                    ));
                }
            }
            Answer::Failed | Answer::Missing => {}
        }
    }

    /// Bursts of output commands (sent without waiting) to every output of every toy.
    fn outputs(&mut self, visitor: &mut Peer) {
        let tally = self.tally;
        let mut ids = Vec::new();
        let targets: Vec<(u32, u32, i32)> = visitor
            .view
            .devices
            .values()
            .flat_map(|d| {
                d.features.iter().flat_map(move |f| {
                    f.outputs
                        .iter()
                        .filter(|o| {
                            [
                                proto::OutputType::Vibrate as i32,
                                proto::OutputType::Rotate as i32,
                                proto::OutputType::Oscillate as i32,
                                proto::OutputType::Constrict as i32,
                            ]
                            .contains(&o.output_type)
                        })
                        .map(move |o| (d.index, f.index, o.output_type))
                })
            })
            .collect();
        for _ in 0..OUTPUT_BURST {
            for &(device_index, feature_index, output_type) in &targets {
                let level = self.rng.level();
                if let Some(id) = visitor.client.send(
                    tally,
                    request::Kind::Output(proto::Output {
                        device_index,
                        feature_index: Some(feature_index),
                        output_type,
                        value: Some(proto::output::Value::Level(level)),
                        duration_ms: 0,
                    }),
                ) {
                    ids.push(id);
                }
            }
        }
        visitor.collect(tally, "Output", &ids);
    }

    /// Reads the battery of every toy that has one.
    fn batteries(&mut self, visitor: &mut Peer) {
        let tally = self.tally;
        let readable: Vec<u32> = visitor
            .view
            .devices
            .values()
            .filter(|d| {
                d.features.iter().any(|f| {
                    f.inputs.iter().any(|i| {
                        i.input_type == proto::InputType::Battery as i32
                            && i.commands.contains(&(proto::InputCommand::Read as i32))
                    })
                })
            })
            .map(|d| d.index)
            .collect();
        for index in readable {
            let answer = visitor.call(
                tally,
                input(
                    index,
                    None,
                    proto::InputType::Battery,
                    proto::InputCommand::Read,
                ),
            );
            if let Answer::Ok(r) = answer {
                if !matches!(r.result, Some(proto::response::Result::Reading(_))) {
                    tally.problem(format!(
                        "{}: battery read of device {index} answered without a reading",
                        visitor.client.name
                    ));
                }
            }
        }
    }

    /// Subscribes to the Boost's pressure, makes the toy send readings, unsubscribes.
    fn pressure(&mut self, visitor: &mut Peer) {
        let tally = self.tally;
        let toy = &self.permanent[PRESSURE_TOY];
        let Some(device) = visitor
            .view
            .index_of(&toy.name)
            .and_then(|i| visitor.view.devices.get(&i))
        else {
            return;
        };
        let Some(feature) = device
            .features
            .iter()
            .find(|f| {
                f.inputs.iter().any(|i| {
                    i.input_type == proto::InputType::Pressure as i32
                        && i.commands
                            .contains(&(proto::InputCommand::Subscribe as i32))
                })
            })
            .map(|f| f.index)
        else {
            tally.problem(format!("{} has no pressure subscription", toy.name));
            return;
        };
        let index = device.index;
        let subscribed = visitor.call(
            tally,
            input(
                index,
                Some(feature),
                proto::InputType::Pressure,
                proto::InputCommand::Subscribe,
            ),
        );
        if subscribed.ok().is_none() {
            return;
        }
        visitor.view.readings.clear();
        for i in 0..READINGS_PER_ROUND {
            // The normalised value carries the reading's number in its low four bits, so each
            // differs from the one before; it is never 0 either, the value the protocol starts
            // a stream from (kgoal-boost reports a pressure only when it changed).
            let value = (1 + (self.rng.next() % 100) as u16) << 4 | i as u16;
            let [hi, lo] = value.to_be_bytes();
            let raw = (i as u16).to_be_bytes();
            self.controller.call(
                tally,
                request::Kind::InjectNotification(proto::InjectNotification {
                    address: toy.address.clone(),
                    endpoint: "rxpressure".into(),
                    data: vec![0x00, 0x01, 0x04, hi, lo, raw[0], raw[1]],
                }),
            );
        }
        Tally::add(&tally.readings_expected, READINGS_PER_ROUND);
        let count = |v: &View| v.readings.get(&(index, feature)).map_or(0, Vec::len) as u64;
        visitor.wait(|v| count(v) >= READINGS_PER_ROUND);
        let got = count(&visitor.view);
        Tally::add(&tally.readings_received, got.min(READINGS_PER_ROUND));
        if got < READINGS_PER_ROUND {
            let numbers: Vec<i64> = visitor
                .view
                .readings
                .get(&(index, feature))
                .map(|v| v.iter().map(|x| x & 0xf).collect())
                .unwrap_or_default();
            tally.problem(format!(
                "{}: {}: {got} of {READINGS_PER_ROUND} pressure readings arrived (numbers {numbers:?})",
                visitor.client.name, self.context
            ));
        }
        visitor.call(
            tally,
            input(
                index,
                Some(feature),
                proto::InputType::Pressure,
                proto::InputCommand::Unsubscribe,
            ),
        );
    }

    /// Unplugs a permanent toy and plugs it in again; the visitor sees it go and, after a
    /// scan, come back with the same index.
    fn reconnect(&mut self, visitor: &mut Peer) {
        let tally = self.tally;
        let toy = self.permanent[RECONNECTED].clone();
        let Some(before) = visitor.view.index_of(&toy.name) else {
            return;
        };
        self.controller.call(tally, remove_device(&toy.address));
        if !visitor.wait(|v| v.removed.contains(&before)) {
            tally.problem(format!(
                "{}: {}: no DeviceRemoved for unplugged {}",
                visitor.client.name, self.context, toy.name
            ));
        }
        self.controller
            .call(tally, add_device(&toy.identifier, &toy.address));
        visitor.call(tally, scan(true));
        let back = visitor.wait(|v| v.index_of(&toy.name).is_some());
        visitor.call(tally, scan(false));
        match visitor.view.index_of(&toy.name) {
            Some(after) if after != before => tally.problem(format!(
                "{}: {}: {} came back as device {after}, was {before}",
                visitor.client.name, self.context, toy.name
            )),
            Some(_) => {}
            None if back => {}
            None => tally.problem(format!(
                "{}: {}: {} was not found again after being plugged in",
                visitor.client.name, self.context, toy.name
            )),
        }
    }

    /// Ends the visitor's session: with a `Disconnect` request (waiting for its
    /// `Disconnected`), or by freeing the client at once.
    fn leave(&mut self, mut visitor: Peer, visit: Visit) {
        let tally = self.tally;
        if matches!(
            visit,
            Visit::WebsocketDisconnect | Visit::EmbeddedDisconnect
        ) {
            visitor.call(tally, request::Kind::Disconnect(proto::Disconnect {}));
            if !visitor.wait(|v| v.disconnected.is_some()) {
                tally.problem(format!(
                    "{}: no Disconnected after Disconnect ({visit:?})",
                    visitor.client.name
                ));
            }
        }
        drop(visitor);
    }

    /// The controller empties the toys' write records (counting them), reads a battery, pings,
    /// and checks its own device list.
    fn check_toys(&mut self) {
        let tally = self.tally;
        self.controller.drain();
        for toy in &self.permanent {
            if let Answer::Ok(r) = self.controller.call(
                tally,
                request::Kind::TakeWrites(proto::TakeWrites {
                    address: toy.address.clone(),
                }),
            ) {
                if let Some(proto::response::Result::Writes(w)) = r.result {
                    Tally::add(&tally.toy_writes, w.writes.len() as u64);
                }
            }
        }
        if let Some(index) = self
            .controller
            .view
            .devices
            .values()
            .find(|d| d.address == self.permanent[0].address)
            .map(|d| d.index)
        {
            self.controller.call(
                tally,
                input(
                    index,
                    None,
                    proto::InputType::Battery,
                    proto::InputCommand::Read,
                ),
            );
        }
        self.controller
            .call(tally, request::Kind::Ping(proto::Ping {}));
        self.controller.call(
            tally,
            request::Kind::RequestDeviceList(proto::RequestDeviceList {}),
        );
        // Readings reach every session, the controller's too (subscriptions belong to the
        // device, not to the session that made them): keep none.
        self.controller.view.responses.clear();
        self.controller.view.readings.clear();
    }

    /// Disconnects the controller and shuts the context down.
    pub fn finish(self) {
        let Traffic {
            controller,
            _server,
            ctx,
            ..
        } = self;
        drop(controller);
        drop(_server);
        ctx.shutdown();
        drop(ctx);
    }
}
