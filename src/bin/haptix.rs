//! The `haptix` command: `haptix serve` (a Buttplug WebSocket server that accepts Intiface
//! Engine's flags, so it can replace the engine where a program launches it) and `haptix demo`
//! (an embedded client and server driving a simulated toy).

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use haptix::client::{Client, ClientEvent};
use haptix::device::config::DeviceConfigManager;
use haptix::device::protocols::bus_built_in;
use haptix::engine::{Bus, DeviceConfigSource, Engine, EngineOptions, UserConfigSource};
use haptix::hwmgr::sim::{
    describe_bytes, model_simulate_identifier, SimDeviceSpec, SimHardware, SimOp,
};
use haptix::hwmgr::{BusSettings, OptionalBus};
use haptix::server::websocket::{WebsocketServer, DEFAULT_MAX_FRAME};
use haptix::server::{offered_identifiers, DEFAULT_SERVER_NAME};

#[derive(Parser, Debug)]
#[command(
    name = "haptix",
    version,
    about = "Buttplug intimate-hardware server, client and simulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a Buttplug WebSocket server (accepts Intiface Engine's command-line flags).
    Serve(ServeArgs),
    /// List every protocol and device definition of the device database, with whether this
    /// build supports it.
    Devices {
        /// An official device configuration file (format 4 or 5) instead of the built-in
        /// database.
        #[arg(long, value_name = "PATH")]
        device_config_file: Option<PathBuf>,
        /// Print protocol names and their status only, one per line.
        #[arg(long)]
        protocols_only: bool,
    },
    /// Run an embedded client and server with a simulated toy and show what the toy receives.
    Demo {
        /// Simulated toy to drive (a BLE name from the device database).
        #[arg(long, default_value = "LVS-Hush")]
        toy: String,
    },
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Port of the Buttplug WebSocket server for clients.
    #[arg(long, value_name = "PORT", default_value_t = 12345)]
    websocket_port: u16,
    /// Listen on all network interfaces instead of loopback only.
    #[arg(long)]
    websocket_use_all_interfaces: bool,
    /// Name reported to clients in ServerInfo.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_SERVER_NAME)]
    server_name: String,
    /// Ping watchdog interval in milliseconds (0 = off). A client that does not ping in time has
    /// its devices stopped and is disconnected.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    max_ping_time: u32,
    /// Device configuration file (official format, major version 4 or 5) replacing the built-in
    /// database.
    #[arg(long, value_name = "PATH")]
    device_config_file: Option<PathBuf>,
    /// User device configuration file (extra specifiers, per-device settings) applied on top.
    #[arg(long, value_name = "PATH")]
    user_device_config_file: Option<PathBuf>,
    /// Accept devices connecting over WebSocket (Intiface Engine's device WebSocket server).
    #[arg(long)]
    use_device_websocket_server: bool,
    /// Watch the serial ports the device and user configurations name.
    #[arg(long)]
    use_serial: bool,
    /// Scan for Bluetooth LE devices.
    #[arg(long)]
    use_bluetooth_le: bool,
    /// Watch HID devices the configurations name.
    #[arg(long)]
    use_hid: bool,
    /// Use the Lovense USB dongle, serial variant (found by its USB ids, or at
    /// --lovense-dongle-port).
    #[arg(long)]
    use_lovense_dongle_serial: bool,
    /// The serial Lovense dongle's port, when it is not to be found by its USB ids.
    #[arg(long, value_name = "PATH")]
    lovense_dongle_port: Option<String>,
    /// Use the Lovense USB dongle, HID variant.
    #[arg(long)]
    use_lovense_dongle_hid: bool,
    /// Drive toys paired with the Lovense Connect app, at --lovense-connect-address.
    #[arg(long)]
    use_lovense_connect: bool,
    /// Address of a Lovense Connect app (`host:port`, as the app shows it). Repeatable.
    #[arg(long, value_name = "HOST:PORT")]
    lovense_connect_address: Vec<String>,
    /// Use gamepads' rumble motors.
    #[arg(long)]
    use_sdl_gamepad: bool,
    /// Watch raw USB devices the configurations name (Rez TranceVibrator).
    #[arg(long)]
    use_usb: bool,
    /// Port of the device WebSocket server.
    #[arg(long, value_name = "PORT", default_value_t = 54817)]
    device_websocket_server_port: u16,
    /// Log level: error, warn, info, debug or trace.
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    log: String,
    /// Add a simulated toy: a BLE name (`LVS-Hush`), `serial:PORT`, `hid:VID:PID` or
    /// `usb:VID:PID` (hex). Repeatable. What each toy receives is printed. Serial toys match a
    /// protocol only once the user configuration names their port, as real ones do.
    #[arg(long, value_name = "IDENTIFIER")]
    simulate: Vec<String>,
    /// Largest frame a client may send, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_FRAME)]
    max_frame_size: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match haptix::runtime::build(2) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("haptix: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Serve(args) => runtime.block_on(serve(args)),
        Command::Demo { toy } => runtime.block_on(demo(&toy)),
        Command::Devices {
            device_config_file,
            protocols_only,
        } => devices(device_config_file.as_deref(), protocols_only),
    };
    runtime.shutdown_timeout(Duration::from_secs(2));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("haptix: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `haptix devices`: the database's protocols and definitions with their support status.
fn devices(path: Option<&std::path::Path>, protocols_only: bool) -> Result<(), String> {
    let config = match path {
        Some(p) => DeviceConfigManager::from_path(p).map_err(|e| e.to_string())?,
        None => DeviceConfigManager::builtin().map_err(|e| e.to_string())?,
    };
    let (out, missing) = listing(&config, protocols_only);
    // A closed pipe (`haptix devices | head`) ends the listing quietly.
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        Err(e) => return Err(format!("cannot write the listing: {e}")),
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "protocols without an implementation: {}",
            missing.join(", ")
        ))
    }
}

/// The text `haptix devices` prints for `config` (a line per protocol with its buses, status
/// and the identifiers `--simulate` takes for it, then a line per device definition, then a
/// summary), and the protocols this build has no implementation of.
fn listing(config: &DeviceConfigManager, protocols_only: bool) -> (String, Vec<String>) {
    let registry = haptix::device::protocols::ProtocolRegistry::builtin();
    let (mut supported, mut definitions, mut missing) = (0usize, 0usize, Vec::new());
    let mut without_bus = 0usize;
    let mut out = String::new();
    for protocol in config.protocols() {
        let ok = registry.contains(&protocol.name);
        let status = if ok { "supported" } else { "NOT SUPPORTED" };
        if ok {
            supported += 1;
        } else {
            missing.push(protocol.name.clone());
        }
        // each bus of the protocol, marked when this build has no comm manager for it
        let mut buses: Vec<String> = Vec::new();
        for c in &protocol.communication {
            let name = if bus_built_in(c.bus()) {
                c.bus().to_string()
            } else {
                format!("{} (not built in)", c.bus())
            };
            if !buses.contains(&name) {
                buses.push(name);
            }
        }
        let reachable = protocol.communication.iter().any(|c| bus_built_in(c.bus()));
        if !reachable {
            without_bus += 1;
        }
        let bus_status = if reachable {
            "bus built in"
        } else {
            "NO BUS BUILT IN"
        };
        let count = protocol.configurations.len() + usize::from(protocol.defaults.is_some());
        definitions += count;
        if protocols_only {
            out.push_str(&format!("{}\t{status}\t{bus_status}\n", protocol.name));
            continue;
        }
        let simulate: Vec<String> =
            offered_identifiers(config, protocol, &|name| registry.contains(name))
                .iter()
                .map(|id| shell_word(id))
                .collect();
        let simulate = if simulate.is_empty() {
            String::new()
        } else {
            format!("; --simulate {}", simulate.join(" | "))
        };
        out.push_str(&format!(
            "{} [{}] {status}, {bus_status}, {count} definition{}{simulate}\n",
            protocol.name,
            buses.join(", "),
            if count == 1 { "" } else { "s" }
        ));
        for def in protocol.defaults.iter().chain(&protocol.configurations) {
            // Lovense and Satisfyer models are told apart by their answer to identification,
            // which a simulated toy of these protocols gives from its name.
            let model = def
                .identifiers
                .iter()
                .find_map(|id| model_simulate_identifier(&protocol.name, id))
                .map(|name| format!("; --simulate {}", shell_word(&name)))
                .unwrap_or_default();
            if def.identifiers.is_empty() {
                out.push_str(&format!("    {} (default){model}\n", def.name));
            } else {
                out.push_str(&format!(
                    "    {} ({}){model}\n",
                    def.name,
                    def.identifiers.join(", ")
                ));
            }
        }
    }
    let total = config.protocols().len();
    out.push_str(&format!(
        "{total} protocols, {supported} supported, {} not supported, {without_bus} without a \
         bus built in; {definitions} device definitions\n",
        total - supported
    ));
    (out, missing)
}

/// `text` as one shell word: quoted when it holds anything but letters, digits and `-_.:/`.
fn shell_word(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.:/".contains(c))
    {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// Prints every operation a simulated toy receives, in plain words.
fn print_toy_operations(label: String, hw: &SimHardware) {
    let mut feed = hw.watch();
    tokio::spawn(async move {
        loop {
            match feed.recv().await {
                Ok(SimOp::Write { endpoint, data, .. }) => {
                    println!(
                        "[{label}] received on {endpoint}: {}",
                        describe_bytes(&data)
                    );
                }
                Ok(op) => println!("[{label}] {op}"),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    println!("[{label}] ({n} operations not shown)");
                }
                Err(_) => break,
            }
        }
    });
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    haptix::logging::init_stderr(&args.log)?;
    let simulated: Vec<SimDeviceSpec> = args
        .simulate
        .iter()
        .map(|s| SimDeviceSpec::parse(s).map_err(|e| format!("--simulate {s}: {e}")))
        .collect::<Result<_, _>>()?;
    let ip: IpAddr = if args.websocket_use_all_interfaces {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    };
    if args.use_lovense_connect && args.lovense_connect_address.is_empty() {
        return Err("--use-lovense-connect needs --lovense-connect-address HOST:PORT".into());
    }
    let buses: Vec<Bus> = [
        (args.use_serial, Bus::Serial),
        (args.use_bluetooth_le, Bus::BluetoothLe),
        (args.use_hid, Bus::Hid),
        (
            args.use_lovense_dongle_serial,
            Bus::Optional(OptionalBus::LovenseDongleSerial),
        ),
        (
            args.use_lovense_dongle_hid,
            Bus::Optional(OptionalBus::LovenseDongleHid),
        ),
        (
            args.use_lovense_connect,
            Bus::Optional(OptionalBus::LovenseConnect),
        ),
        (args.use_sdl_gamepad, Bus::Optional(OptionalBus::Gamepad)),
        (args.use_usb, Bus::Optional(OptionalBus::Usb)),
        (
            args.use_device_websocket_server,
            Bus::WebsocketDevices(SocketAddr::new(ip, args.device_websocket_server_port)),
        ),
    ]
    .into_iter()
    .filter_map(|(wanted, bus)| wanted.then_some(bus))
    .collect();
    let engine = Engine::start(EngineOptions {
        device_config: match &args.device_config_file {
            Some(p) => DeviceConfigSource::Path(p.clone()),
            None => DeviceConfigSource::Builtin,
        },
        user_config: args
            .user_device_config_file
            .clone()
            .map(UserConfigSource::Path),
        server_name: args.server_name.clone(),
        max_ping_time: args.max_ping_time,
        simulated,
        buses,
        bus_settings: BusSettings {
            lovense_connect_addresses: args.lovense_connect_address.clone(),
            lovense_dongle_port: args.lovense_dongle_port.clone(),
        },
    })
    .await
    .map_err(|e| e.to_string())?;
    for (hw, text) in engine.simulated_devices().iter().zip(&args.simulate) {
        print_toy_operations(text.clone(), hw);
    }
    if let Some(addr) = engine.device_websocket_addr() {
        println!("device websocket server on ws://{addr}");
    }
    let ws = match WebsocketServer::start(
        engine.server().clone(),
        SocketAddr::new(ip, args.websocket_port),
        args.max_frame_size,
    )
    .await
    {
        Ok(ws) => ws,
        Err(e) => {
            engine.shutdown().await;
            return Err(e.to_string());
        }
    };
    println!(
        "haptix serving Buttplug clients on ws://{}",
        ws.local_addr()
    );
    wait_for_shutdown_signal().await;
    println!("shutting down: stopping every device");
    ws.shutdown().await;
    engine.shutdown().await;
    Ok(())
}

async fn wait_for_shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

async fn demo(toy: &str) -> Result<(), String> {
    let engine = Engine::start(EngineOptions {
        simulated: vec![SimDeviceSpec::parse(toy)?],
        ..Default::default()
    })
    .await
    .map_err(|e| e.to_string())?;
    let server = engine.server();
    let hw = engine
        .simulated_devices()
        .first()
        .ok_or("the simulated toy was not added")?;
    println!("Haptix demo: an embedded server with a simulated toy ({toy}), driven by a client.");
    let client = Client::connect_in_process(server, "haptix demo")
        .await
        .map_err(|e| e.to_string())?;
    let mut events = client.events();
    client.start_scanning().await.map_err(|e| e.to_string())?;
    let device = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(ev) = events.recv().await {
            if let ClientEvent::DeviceAdded(d) = ev {
                return Some(d);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .ok_or("the simulated toy was not found")?;
    client.stop_scanning().await.map_err(|e| e.to_string())?;
    println!("found device {}: {}", device.index(), device.name());
    hw.take_ops();
    let show = |what: &str| {
        let writes = hw.take_writes();
        let text: Vec<String> = writes
            .iter()
            .map(|(ep, b)| format!("{} on {ep}", describe_bytes(b)))
            .collect();
        if text.is_empty() {
            println!("  {what:<22} -> the toy received nothing (unchanged)");
        } else {
            println!("  {what:<22} -> the toy received {}", text.join(", "));
        }
    };
    let settle = || tokio::time::sleep(Duration::from_millis(50));
    for level in [0.25, 0.5, 1.0, 0.5] {
        device.vibrate(level).await.map_err(|e| e.to_string())?;
        settle().await;
        show(&format!("vibrate {:.0}%", level * 100.0));
    }
    match device.battery().await {
        Ok(b) => {
            settle().await;
            show(&format!("battery read: {:.0}%", b * 100.0));
        }
        Err(e) => println!("  battery read failed: {e}"),
    }
    device.stop().await.map_err(|e| e.to_string())?;
    settle().await;
    show("stop");
    client.disconnect().await.map_err(|e| e.to_string())?;
    engine.shutdown().await;
    println!("done.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use haptix::core::types::Endpoint;

    /// A word as `shell_word` printed it, back to the text.
    fn unquote(word: &str) -> String {
        match word.strip_prefix('\'').and_then(|w| w.strip_suffix('\'')) {
            Some(inner) => inner.replace("'\\''", "'"),
            None => word.to_string(),
        }
    }

    /// The identifiers a line of the listing offers after `; --simulate `.
    fn offered(line: &str) -> Vec<String> {
        line.split_once("; --simulate ")
            .map(|(_, ids)| ids.split(" | ").map(unquote).collect())
            .unwrap_or_default()
    }

    #[test]
    fn shell_words_round_trip() {
        for text in ["LVS-Hush", "serial:/dev/ttyS0", "SF Pro", "it's", ""] {
            assert_eq!(unquote(&shell_word(text)), text);
        }
        assert_eq!(shell_word("IMP 3"), "'IMP 3'");
    }

    #[test]
    fn the_listing_offers_identifiers_that_simulate_what_their_line_names() {
        let config = DeviceConfigManager::builtin().unwrap();
        let registry = haptix::device::protocols::ProtocolRegistry::builtin();
        let (text, missing) = listing(&config, false);
        assert!(missing.is_empty(), "{missing:?}");
        assert!(
            text.lines()
                .any(|l| l == "    Lovense Hush (Z); --simulate LVS-Hush"),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with("kgoal-boost [btle]") && l.ends_with("; --simulate Boost")),
            "{text}"
        );
        let mut protocol = String::new();
        let (mut protocols, mut models) = (0, 0);
        for line in text.lines() {
            if let Some(definition) = line.strip_prefix("    ") {
                // A Lovense or Satisfyer model: the toy answers identification with this
                // definition's device-type letters or model number.
                let ids = offered(definition);
                if ids.is_empty() {
                    continue;
                }
                let listed: Vec<&str> = definition
                    .split_once("; --simulate ")
                    .and_then(|(d, _)| d.rsplit_once(" ("))
                    .and_then(|(_, l)| l.strip_suffix(')'))
                    .map(|l| l.split(", ").collect())
                    .unwrap_or_default();
                for id in ids {
                    let spec = SimDeviceSpec::parse(&id).unwrap_or_else(|e| panic!("{id}: {e}"));
                    let toy = spec
                        .responder
                        .clone()
                        .unwrap_or_else(|| panic!("{line}: {id} has no built-in toy"));
                    let answered = match protocol.as_str() {
                        "lovense" => {
                            let answer = toy.write(Endpoint::Tx, b"DeviceType;");
                            let reply = String::from_utf8_lossy(&answer[0].1).to_string();
                            // `letters:firmware:address;`; a Flexer of firmware 3 or later is
                            // `EI-FW3`
                            let mut parts = reply.trim_end_matches(';').split(':');
                            let kind = parts.next().unwrap_or_default().to_string();
                            let firmware: u32 =
                                parts.next().and_then(|f| f.parse().ok()).unwrap_or(0);
                            if kind == "EI" && firmware >= 3 {
                                "EI-FW3".to_string()
                            } else {
                                kind
                            }
                        }
                        "satisfyer" => {
                            let model = toy.read(Endpoint::RxBleModel).unwrap_or_default();
                            let model: [u8; 4] = model.try_into().unwrap_or_else(|m| {
                                panic!("{line}: {id} answers the model read with {m:?}")
                            });
                            u32::from_be_bytes(model).to_string()
                        }
                        other => panic!("{line}: a model of {other} is offered"),
                    };
                    assert!(
                        listed.contains(&answered.as_str()),
                        "{line}: {id} answers {answered:?}, not one of {listed:?}"
                    );
                    models += 1;
                }
            } else if let Some((name, _)) = line.split_once(" [") {
                // A protocol: what the simulated toy presents matches the protocol.
                protocol = name.to_string();
                for id in offered(line) {
                    let spec = SimDeviceSpec::parse(&id).unwrap_or_else(|e| panic!("{id}: {e}"));
                    let candidates =
                        config.candidates(&spec.specifier(), &|p| registry.contains(p));
                    assert!(
                        candidates.iter().any(|c| c.protocol == protocol),
                        "{line}: {id} presents itself as a device of {:?}",
                        candidates.iter().map(|c| &c.protocol).collect::<Vec<_>>()
                    );
                    protocols += 1;
                }
            }
        }
        assert!(
            protocols > 100 && models > 100,
            "{protocols} protocols, {models} models"
        );
    }

    /// `haptix serve` logs through `haptix::logging::init_stderr`. Run again as a child whose
    /// standard error is a pipe, this test's log must be plain text: colour codes only on a
    /// terminal, so a log redirected to a file reads cleanly.
    #[test]
    fn a_log_off_a_terminal_has_no_colour_codes() {
        const CHILD: &str = "HAPTIX_BIN_TEST_LOG_CHILD";
        const NAME: &str = "tests::a_log_off_a_terminal_has_no_colour_codes";
        if std::env::var_os(CHILD).is_some() {
            haptix::logging::init_stderr("info").unwrap();
            tracing::warn!(target: "haptix", answer = 42, "a record for the log file");
            return;
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", NAME, "--nocapture", "--test-threads", "1"])
            .env(CHILD, "1")
            .env_remove("NO_COLOR")
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{log}");
        assert!(
            log.contains("a record for the log file") && log.contains("42"),
            "{log}"
        );
        assert!(!log.contains('\u{1b}'), "{log:?}");
    }
}
