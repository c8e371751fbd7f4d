//! Writes prost-encoded samples of every message type of `proto/haptix/v1` into a folder, for
//! the bindings' codec tests: the bytes the Rust side produces, which a binding must decode to
//! the same fields and encode back to the same bytes.
//!
//! ```text
//! cargo run --quiet --example proto_samples -- DIR
//! ```
//!
//! Each sample is `DIR/<Message>.<label>.bin`. Every field is set to a value that is not its
//! default (optional fields also to their zero value, so that presence matters), repeated fields
//! hold several elements, every member of every oneof has a sample of its own, and messages with
//! enum fields also get a sample with enum numbers the schema does not name (`enum-unknown`).
//! Messages without fields get their (empty) encoding.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use haptix::ffi::proto::{
    self as pb, client_options, context_options, event, output, request, response, InputCommand,
    InputType, LogLevel, OutputType,
};
use prost::Message;

/// A string with characters beyond ASCII, to check the UTF-8 both ways.
const UNICODE: &str = "Spielzeug \u{2713} \u{1F600}";

/// The samples written so far, as (file name, bytes).
#[derive(Default)]
struct Samples(Vec<(String, Vec<u8>)>);

impl Samples {
    fn add(&mut self, message: &str, label: &str, sample: &impl Message) {
        self.0
            .push((format!("{message}.{label}.bin"), sample.encode_to_vec()));
    }

    fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, bytes) in &self.0 {
            std::fs::write(dir.join(name), bytes)?;
        }
        Ok(())
    }
}

fn range(min: i32, max: i32) -> pb::Range {
    pb::Range { min, max }
}

fn feature_output() -> pb::FeatureOutput {
    pb::FeatureOutput {
        output_type: OutputType::Rotate as i32,
        value: Some(range(-20, 20)),
        duration: Some(range(0, 1500)),
    }
}

fn feature_input() -> pb::FeatureInput {
    pb::FeatureInput {
        input_type: InputType::Battery as i32,
        value: vec![range(0, 100), range(-10, 10)],
        commands: vec![
            InputCommand::Read as i32,
            InputCommand::Subscribe as i32,
            InputCommand::Unsubscribe as i32,
        ],
    }
}

fn feature(index: u32) -> pb::Feature {
    pb::Feature {
        index,
        description: format!("motor {index} {UNICODE}"),
        outputs: vec![
            pb::FeatureOutput {
                output_type: OutputType::Vibrate as i32,
                value: Some(range(0, 20)),
                duration: None,
            },
            feature_output(),
        ],
        inputs: vec![feature_input()],
    }
}

fn device(index: u32) -> pb::Device {
    pb::Device {
        index,
        name: "Lovense Hush".to_string(),
        display_name: UNICODE.to_string(),
        message_timing_gap_ms: 100,
        features: vec![feature(0), feature(1)],
        address: format!("hush-{index}"),
    }
}

fn simulated_device() -> pb::SimulatedDevice {
    pb::SimulatedDevice {
        identifier: "LVS-Hush".to_string(),
        address: "hush-\u{2713}".to_string(),
    }
}

fn context_options(
    device_config: context_options::DeviceConfig,
    user_config: context_options::UserConfig,
) -> pb::ContextOptions {
    pb::ContextOptions {
        comm_managers: vec![
            pb::CommManager::Simulated as i32,
            pb::CommManager::BluetoothLe as i32,
            pb::CommManager::Usb as i32,
        ],
        simulated_devices: vec![
            simulated_device(),
            pb::SimulatedDevice {
                identifier: "J-Dodge".to_string(),
                address: "dodge-1".to_string(),
            },
        ],
        log_level: LogLevel::Debug as i32,
        server_name: UNICODE.to_string(),
        max_ping_time_ms: 4_000_000_000,
        worker_threads: 3,
        websocket_devices_address: "127.0.0.1:54817".to_string(),
        lovense_connect_addresses: vec!["10.0.0.2:30010".to_string(), "[::1]:1".to_string()],
        lovense_dongle_port: "/dev/ttyACM0".to_string(),
        device_config: Some(device_config),
        user_config: Some(user_config),
    }
}

fn output_level() -> pb::Output {
    pb::Output {
        device_index: 7,
        feature_index: Some(2),
        output_type: OutputType::HwPositionWithDuration as i32,
        duration_ms: 250,
        value: Some(output::Value::Level(0.625)),
    }
}

fn output_steps() -> pb::Output {
    pb::Output {
        device_index: 1,
        // explicitly 0: present, unlike an absent feature index
        feature_index: Some(0),
        output_type: OutputType::Rotate as i32,
        duration_ms: 0,
        value: Some(output::Value::Steps(-7)),
    }
}

fn input() -> pb::Input {
    pb::Input {
        device_index: 4,
        feature_index: Some(0),
        input_type: InputType::Pressure as i32,
        command: InputCommand::Subscribe as i32,
    }
}

fn stop_device() -> pb::StopDevice {
    pb::StopDevice {
        device_index: 9,
        inputs: Some(false),
        outputs: Some(true),
    }
}

fn stop_all() -> pb::StopAll {
    pb::StopAll {
        inputs: Some(true),
        outputs: Some(false),
    }
}

fn inject_notification() -> pb::InjectNotification {
    pb::InjectNotification {
        address: "hush-1".to_string(),
        endpoint: "rx".to_string(),
        data: vec![0x00, 0xff, 0x10, 0x80],
    }
}

fn input_reading() -> pb::InputReading {
    pb::InputReading {
        device_index: 2,
        feature_index: 1,
        input_type: InputType::Button as i32,
        value: -123_456_789_012,
    }
}

fn simulated_device_info() -> pb::SimulatedDeviceInfo {
    pb::SimulatedDeviceInfo {
        address: "sim-\u{2713}".to_string(),
        identifier: "J-Rainbow".to_string(),
    }
}

fn write(endpoint: &str, data: &[u8], with_response: bool) -> pb::Write {
    pb::Write {
        endpoint: endpoint.to_string(),
        data: data.to_vec(),
        with_response,
    }
}

fn writes() -> pb::Writes {
    pb::Writes {
        writes: vec![
            write("tx", b"Vibrate:10;", true),
            write("command", &[0xa0, 0x24, 0x00, 0x00, 0x00, 0x00], false),
        ],
    }
}

fn device_list() -> pb::DeviceList {
    pb::DeviceList {
        devices: vec![device(0), device(5)],
    }
}

fn log_record() -> pb::LogRecord {
    pb::LogRecord {
        level: LogLevel::Trace as i32,
        target: "haptix::server".to_string(),
        message: UNICODE.to_string(),
        timestamp_ms: 1_765_000_000_123,
        dropped_before: 3,
    }
}

/// Device, option and request messages.
fn devices_options_requests(s: &mut Samples) {
    s.add("Range", "full", &range(-5, 1000));
    s.add("FeatureOutput", "full", &feature_output());
    s.add(
        "FeatureOutput",
        "enum-unknown",
        &pb::FeatureOutput {
            output_type: 99,
            ..feature_output()
        },
    );
    s.add("FeatureInput", "full", &feature_input());
    s.add(
        "FeatureInput",
        "enum-unknown",
        &pb::FeatureInput {
            input_type: 42,
            commands: vec![77, InputCommand::Read as i32],
            ..feature_input()
        },
    );
    s.add("Feature", "full", &feature(3));
    s.add("Device", "full", &device(3));

    s.add("SimulatedDevice", "full", &simulated_device());
    let json = br#"{"version":{"major":4,"minor":0}}"#.to_vec();
    s.add(
        "ContextOptions",
        "device_config_json",
        &context_options(
            context_options::DeviceConfig::DeviceConfigJson(json.clone()),
            context_options::UserConfig::UserConfigPath("/tmp/user \u{2713}.json".to_string()),
        ),
    );
    s.add(
        "ContextOptions",
        "device_config_path",
        &context_options(
            context_options::DeviceConfig::DeviceConfigPath("/etc/haptix/devices.json".to_string()),
            context_options::UserConfig::UserConfigJson(json),
        ),
    );
    s.add(
        "ContextOptions",
        "enum-unknown",
        &pb::ContextOptions {
            comm_managers: vec![55, pb::CommManager::Hid as i32],
            log_level: 17,
            ..pb::ContextOptions::default()
        },
    );
    s.add("EmbeddedServer", "empty", &pb::EmbeddedServer {});
    let client = |server| pb::ClientOptions {
        client_name: UNICODE.to_string(),
        request_timeout_ms: 2500,
        server: Some(server),
    };
    s.add(
        "ClientOptions",
        "embedded",
        &client(client_options::Server::Embedded(pb::EmbeddedServer {})),
    );
    s.add(
        "ClientOptions",
        "websocket_url",
        &client(client_options::Server::WebsocketUrl(
            "ws://127.0.0.1:12345".to_string(),
        )),
    );
    s.add(
        "ServerOptions",
        "full",
        &pb::ServerOptions {
            listen_address: "0.0.0.0:12345".to_string(),
            max_message_size: 1 << 20,
        },
    );

    s.add("StartScanning", "empty", &pb::StartScanning {});
    s.add("StopScanning", "empty", &pb::StopScanning {});
    s.add("RequestDeviceList", "empty", &pb::RequestDeviceList {});
    s.add("Output", "level", &output_level());
    s.add("Output", "steps", &output_steps());
    s.add(
        "Output",
        "enum-unknown",
        &pb::Output {
            output_type: 1000,
            ..output_level()
        },
    );
    s.add("Input", "full", &input());
    s.add(
        "Input",
        "enum-unknown",
        &pb::Input {
            input_type: 31,
            command: 32,
            ..input()
        },
    );
    s.add("StopDevice", "full", &stop_device());
    s.add("StopAll", "full", &stop_all());
    s.add("Ping", "empty", &pb::Ping {});
    s.add("Disconnect", "empty", &pb::Disconnect {});
    s.add(
        "AddSimulatedDevice",
        "full",
        &pb::AddSimulatedDevice {
            device: Some(simulated_device()),
        },
    );
    s.add(
        "RemoveSimulatedDevice",
        "full",
        &pb::RemoveSimulatedDevice {
            address: "hush-\u{2713}".to_string(),
        },
    );
    s.add("InjectNotification", "full", &inject_notification());
    s.add(
        "TakeWrites",
        "full",
        &pb::TakeWrites {
            address: "dodge-1".to_string(),
        },
    );

    use request::Kind;
    let kinds = [
        ("start_scanning", Kind::StartScanning(pb::StartScanning {})),
        ("stop_scanning", Kind::StopScanning(pb::StopScanning {})),
        (
            "request_device_list",
            Kind::RequestDeviceList(pb::RequestDeviceList {}),
        ),
        ("output", Kind::Output(output_level())),
        ("input", Kind::Input(input())),
        ("stop_device", Kind::StopDevice(stop_device())),
        ("stop_all", Kind::StopAll(stop_all())),
        ("ping", Kind::Ping(pb::Ping {})),
        ("disconnect", Kind::Disconnect(pb::Disconnect {})),
        (
            "add_simulated_device",
            Kind::AddSimulatedDevice(pb::AddSimulatedDevice {
                device: Some(simulated_device()),
            }),
        ),
        (
            "remove_simulated_device",
            Kind::RemoveSimulatedDevice(pb::RemoveSimulatedDevice {
                address: "hush-1".to_string(),
            }),
        ),
        (
            "inject_notification",
            Kind::InjectNotification(inject_notification()),
        ),
        (
            "take_writes",
            Kind::TakeWrites(pb::TakeWrites {
                address: "hush-1".to_string(),
            }),
        ),
    ];
    for (n, (label, kind)) in (1u64..).zip(kinds) {
        // ids from both halves: the binding's own and those at or above 2^63
        let id = if n % 2 == 0 { (1 << 63) + n } else { n * 1000 };
        s.add(
            "Request",
            label,
            &pb::Request {
                id,
                kind: Some(kind),
            },
        );
    }
}

/// Event messages.
fn events(s: &mut Samples) {
    s.add("DeviceList", "full", &device_list());
    s.add("InputReading", "full", &input_reading());
    s.add(
        "InputReading",
        "enum-unknown",
        &pb::InputReading {
            input_type: 64,
            ..input_reading()
        },
    );
    s.add("SimulatedDeviceInfo", "full", &simulated_device_info());
    s.add(
        "Write",
        "full",
        &write("tx", &[0x00, 0x01, 0xfe, 0xff], true),
    );
    s.add("Writes", "full", &writes());

    let plain = |result| pb::Response {
        status: 0,
        message: String::new(),
        result: Some(result),
    };
    s.add(
        "Response",
        "device_list",
        &plain(response::Result::DeviceList(device_list())),
    );
    s.add(
        "Response",
        "reading",
        &plain(response::Result::Reading(input_reading())),
    );
    s.add(
        "Response",
        "simulated_device",
        &plain(response::Result::SimulatedDevice(simulated_device_info())),
    );
    s.add(
        "Response",
        "writes",
        &plain(response::Result::Writes(writes())),
    );
    s.add(
        "Response",
        "error",
        &pb::Response {
            status: 403,
            message: format!("level out of range {UNICODE}"),
            result: None,
        },
    );
    s.add(
        "Response",
        "negative-status",
        &pb::Response {
            status: -3,
            message: "negative statuses take ten bytes".to_string(),
            result: None,
        },
    );
    let connected = pb::Connected {
        server_name: UNICODE.to_string(),
        spec_version: 4,
    };
    s.add("Connected", "full", &connected);
    let disconnected = pb::Disconnected {
        reason: "the server went away".to_string(),
        status: 104,
    };
    s.add("Disconnected", "full", &disconnected);
    s.add(
        "DeviceAdded",
        "full",
        &pb::DeviceAdded {
            device: Some(device(2)),
        },
    );
    s.add(
        "DeviceRemoved",
        "full",
        &pb::DeviceRemoved { device_index: 11 },
    );
    s.add("ScanningFinished", "empty", &pb::ScanningFinished {});
    let error = pb::ErrorReport {
        status: 500,
        message: UNICODE.to_string(),
    };
    s.add("ErrorReport", "full", &error);
    s.add("LogRecord", "full", &log_record());
    s.add(
        "LogRecord",
        "enum-unknown",
        &pb::LogRecord {
            level: 12,
            ..log_record()
        },
    );

    use event::Kind;
    let kinds = [
        (
            "response",
            Kind::Response(plain(response::Result::Writes(writes()))),
        ),
        ("connected", Kind::Connected(connected)),
        ("disconnected", Kind::Disconnected(disconnected)),
        (
            "device_added",
            Kind::DeviceAdded(pb::DeviceAdded {
                device: Some(device(1)),
            }),
        ),
        (
            "device_removed",
            Kind::DeviceRemoved(pb::DeviceRemoved { device_index: 1 }),
        ),
        (
            "scanning_finished",
            Kind::ScanningFinished(pb::ScanningFinished {}),
        ),
        ("input_reading", Kind::InputReading(input_reading())),
        ("error", Kind::Error(error)),
        ("log", Kind::Log(log_record())),
    ];
    for (n, (label, kind)) in (1u64..).zip(kinds) {
        let request_id = if n % 2 == 0 { (1 << 63) + n } else { n };
        s.add(
            "Event",
            label,
            &pb::Event {
                request_id,
                kind: Some(kind),
            },
        );
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: proto_samples DIR   (writes DIR/<Message>.<label>.bin)");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    let mut samples = Samples::default();
    devices_options_requests(&mut samples);
    events(&mut samples);
    if let Err(e) = samples.write(&dir) {
        eprintln!("proto_samples: cannot write into {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    println!(
        "proto_samples: wrote {} samples into {}",
        samples.0.len(),
        dir.display()
    );
    ExitCode::SUCCESS
}
