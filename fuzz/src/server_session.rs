//! `server_session_json`: Buttplug JSON through a real server session, for every spec version.
//!
//! One embedded server with simulated toys (vibrators, a rotator, strokers, a pressure sensor
//! and Lovense toys that answer battery queries) lives for the whole run; its toys are
//! connected once. Each input is one client connection: the first byte picks the spec version
//! (and whether the server has a ping watchdog), the harness sends a valid `RequestServerInfo`
//! for that version, then every line of the rest as one text frame (a line starting with a byte
//! that is not UTF-8, such as 0xff, stands for a binary frame). The connection then closes, and everything the server
//! sent is encoded for the wire, as the WebSocket transport does.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use haptix::core::json::encode_server_message;
use haptix::core::types::SpecVersion;
use haptix::device::config::DeviceConfigManager;
use haptix::hwmgr::sim::SimDeviceSpec;
use haptix::server::{Incoming, Outgoing, Server, SessionOptions};
use tokio::runtime::Runtime;

use crate::{paused_runtime, text_frames, version_from, Reader};

/// The simulated toys every session sees: `(identifier as `haptix serve --simulate` takes it,
/// address)`.
pub const TOYS: &[(&str, &str)] = &[
    ("LVS-Hush", "fuzz-hush"),
    ("LVS-Nora", "fuzz-nora"),
    ("LVS-Edge", "fuzz-edge"),
    ("simulated:simulated-2vibe", "fuzz-2vibe"),
    ("simulated:simulated-rotator", "fuzz-rotator"),
    ("simulated:simulated-oscillator", "fuzz-oscillator"),
    ("simulated:simulated-stroker", "fuzz-stroker"),
    ("Boost", "fuzz-boost"),
    ("Launch", "fuzz-launch"),
];

struct World {
    runtime: Runtime,
    /// Without a ping watchdog.
    plain: Server,
    /// With a 100 ms ping watchdog (time is paused, so it fires only when everything waits).
    pinged: Server,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = paused_runtime();
        let (plain, pinged) = runtime.block_on(async {
            let plain = server_with_toys(0);
            let pinged = server_with_toys(100);
            connect_toys(&plain).await;
            connect_toys(&pinged).await;
            (plain, pinged)
        });
        World {
            runtime,
            plain,
            pinged,
        }
    })
}

/// A server on the built-in database with the toys of [`TOYS`] added (not yet connected).
pub fn server_with_toys(max_ping_time: u32) -> Server {
    let config = match DeviceConfigManager::builtin() {
        Ok(c) => c,
        Err(e) => panic!("built-in database does not load: {e}"),
    };
    let server = Server::new(
        config,
        SessionOptions {
            server_name: "Haptix fuzz".to_string(),
            max_ping_time,
        },
    );
    for (identifier, address) in TOYS {
        let mut spec = match SimDeviceSpec::parse(identifier) {
            Ok(spec) => spec,
            Err(e) => panic!("simulated toy {identifier}: {e}"),
        };
        spec.address = Some((*address).to_string());
        if let Err(e) = server.add_simulated_device(spec) {
            panic!("simulated toy {identifier}: {e}");
        }
    }
    server
}

/// Scans until every toy is connected (time is paused: the waits take no real time).
pub async fn connect_toys(server: &Server) {
    let dm = server.device_manager();
    if dm.devices().len() == TOYS.len() {
        return;
    }
    let _ = dm.start_scanning().await;
    for _ in 0..100 {
        if dm.devices().len() == TOYS.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = dm.stop_scanning().await;
}

/// A valid handshake for `version`.
pub fn handshake(version: SpecVersion) -> String {
    match version {
        SpecVersion::V0 => r#"[{"RequestServerInfo":{"Id":1,"ClientName":"fuzz"}}]"#.to_string(),
        SpecVersion::V4 => r#"[{"RequestServerInfo":{"Id":1,"ClientName":"fuzz","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#.to_string(),
        v => format!(
            r#"[{{"RequestServerInfo":{{"Id":1,"ClientName":"fuzz","MessageVersion":{}}}}}]"#,
            v.number()
        ),
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let world = world();
    let mut input = Reader::new(data);
    let selector = input.byte();
    let version = version_from(selector);
    let server = if selector & 0x80 == 0 {
        &world.plain
    } else {
        &world.pinged
    };
    let frames = text_frames(input.rest());
    world.runtime.block_on(session(server, version, frames));
}

/// One connection: handshake, the frames, close; drains and encodes what the server sends.
pub async fn session(server: &Server, version: SpecVersion, frames: Vec<String>) {
    // a toy that went away (disconnected by a command) is connected again first, so every
    // input meets the same toys
    connect_toys(server).await;
    let (handle, mut outgoing) = server.connect();
    let handle = Arc::new(handle);
    handle.send(Incoming::Frame(handshake(version)));
    for frame in frames {
        let incoming = match frame.strip_prefix('\u{fffd}') {
            Some(rest) => Incoming::Invalid(rest.to_string()),
            None => Incoming::Frame(frame),
        };
        if !handle.send(incoming) {
            break;
        }
    }
    handle.send(Incoming::Closed);
    while let Some(item) = outgoing.recv().await {
        match item {
            Outgoing::Message { message, version } => {
                let _ = encode_server_message(&message, version);
            }
            Outgoing::Close(_) => {}
        }
    }
}
