//! `ffi_requests`: bytes through the C ABI, as a binding passes them.
//!
//! Most inputs are requests of one client on a context that lives for the whole run (its
//! embedded server has simulated toys): `[selector][ClientOptions, u16-length-prefixed]` then
//! `[tag][Request, u8-length-prefixed]` items. With options, a new client is made with them
//! through `haptix_client_new` and freed at the end; without (length 0), a client kept from
//! input to input is used, which is much faster. Each request goes through
//! `haptix_client_send` (even tag) or `haptix_client_call` (odd tag, 20 ms), except that only
//! the first four `AddSimulatedDevice` requests of an input are made. A final `Ping` through
//! `haptix_client_call` waits until the client handled everything before it; then every
//! event is drained and decoded, and the simulated devices the input added are removed.
//!
//! When `selector % 4 == 3` the rest is `ContextOptions` for `haptix_context_new` (and, if that
//! succeeds, `ServerOptions` for `haptix_server_new`); the new context is freed at once. Options
//! without a device database get a small one (the built-in database takes 30 ms to load under
//! AddressSanitizer; the shared context loads it).
//!
//! Options that would reach outside the process are rewritten before the call (a WebSocket
//! URL becomes the embedded server, file paths become an empty path, hardware buses are
//! dropped, listen addresses become loopback port 0), so only options that decode are changed;
//! bytes that do not decode reach the library as they are.
//!
//! The shared context is replaced every 250 inputs: simulated devices whose addresses the
//! library generated cannot always be removed again (when their response never arrived), and
//! every device a context keeps makes each later input slower (device lists, announcements);
//! with 20 000 inputs per context the target ran five times slower than with 1 000.

use std::net::SocketAddr;
use std::ptr;
use std::sync::OnceLock;

use haptix::ffi::proto;
use haptix::ffi::{
    haptix_buffer, haptix_buffer_free, haptix_client, haptix_client_call, haptix_client_free,
    haptix_client_new, haptix_client_next_event, haptix_client_send, haptix_context,
    haptix_context_free, haptix_context_new, haptix_server, haptix_server_free, haptix_server_new,
    haptix_status, HAPTIX_ABI_VERSION,
};
use parking_lot::Mutex;
use prost::Message;

use crate::Reader;

/// The toys of the shared context: (identifier, address).
pub const TOYS: &[(&str, &str)] = &[
    ("LVS-Hush", "fuzz-hush"),
    ("simulated:simulated-stroker", "fuzz-stroker"),
    ("Boost", "fuzz-boost"),
];

/// Inputs served by one context before it is replaced.
const CONTEXT_LIFETIME: u32 = 250;

/// How long a fuzzed `haptix_client_call` waits.
const CALL_TIMEOUT_MS: u32 = 20;

/// How long the final ping waits (the client's requests before it must be handled first).
const BARRIER_TIMEOUT_MS: u32 = 10_000;

/// `AddSimulatedDevice` requests of one input that reach the library; later ones are left out.
/// Each one that succeeds brings a device up (discovery, identification, an announcement to
/// every client) and the harness takes it down again, so grown inputs that repeated it 20 to
/// 40 times spent most of the target's time there: the first few already exercise several
/// devices at once.
const MAX_ADDS_PER_INPUT: usize = 4;

/// A context handle shared by the fuzzing thread only, with the client kept between inputs.
struct Shared {
    context: *mut haptix_context,
    client: *mut haptix_client,
    served: u32,
}

// SAFETY: the handle is a registry key; the library allows using it from any thread.
unsafe impl Send for Shared {}

fn shared() -> &'static Mutex<Option<Shared>> {
    static SHARED: OnceLock<Mutex<Option<Shared>>> = OnceLock::new();
    SHARED.get_or_init(|| Mutex::new(None))
}

/// The options of the shared context: its toys, no logging.
pub fn context_options() -> Vec<u8> {
    proto::ContextOptions {
        simulated_devices: TOYS
            .iter()
            .map(|(identifier, address)| proto::SimulatedDevice {
                identifier: (*identifier).to_string(),
                address: (*address).to_string(),
            })
            .collect(),
        log_level: proto::LogLevel::Off as i32,
        ..proto::ContextOptions::default()
    }
    .encode_to_vec()
}

fn new_context(options: &[u8]) -> Option<*mut haptix_context> {
    let mut context = ptr::null_mut();
    // SAFETY: `options` is valid for its length; `context` is writable.
    let status = unsafe {
        haptix_context_new(
            HAPTIX_ABI_VERSION,
            options.as_ptr(),
            options.len(),
            &mut context,
        )
    };
    (status == haptix_status::Ok).then_some(context)
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut input = Reader::new(data);
    let selector = input.byte();
    if selector % 4 == 3 {
        context_constructor(&mut input);
        return;
    }
    let mut slot = shared().lock();
    if slot.as_ref().is_none_or(|s| s.served >= CONTEXT_LIFETIME) {
        if let Some(old) = slot.take() {
            // SAFETY: a live context of ours, freed once (it frees its clients).
            unsafe { haptix_context_free(old.context) };
        }
        let Some(context) = new_context(&context_options()) else {
            panic!("the shared context cannot be created");
        };
        *slot = Some(Shared {
            context,
            client: ptr::null_mut(),
            served: 0,
        });
    }
    let Some(state) = slot.as_mut() else {
        return;
    };
    state.served += 1;
    let options = input.long_chunk();
    if options.is_empty() {
        if state.client.is_null() {
            state.client = new_client(state.context, &[]).unwrap_or(ptr::null_mut());
        }
        if !state.client.is_null() && !requests(state.context, state.client, &mut input) {
            // disconnected: the next input gets a new client
            // SAFETY: our client, freed once.
            unsafe { haptix_client_free(state.client) };
            state.client = ptr::null_mut();
        }
    } else if let Some(client) = new_client(state.context, &client_options(options)) {
        requests(state.context, client, &mut input);
        // SAFETY: our client, freed once.
        unsafe { haptix_client_free(client) };
    }
}

fn new_client(context: *mut haptix_context, options: &[u8]) -> Option<*mut haptix_client> {
    let mut client: *mut haptix_client = ptr::null_mut();
    // SAFETY: `options` is valid for its length; `client` is writable.
    let status =
        unsafe { haptix_client_new(context, options.as_ptr(), options.len(), &mut client) };
    (status == haptix_status::Ok).then_some(client)
}

/// Sends the input's requests on `client`, waits for them with a final ping and drains the
/// events. Returns false when the client is no longer connected.
fn requests(
    context: *mut haptix_context,
    client: *mut haptix_client,
    input: &mut Reader<'_>,
) -> bool {
    let mut restore = false;
    let mut added = Vec::new();
    let mut adds = 0;
    while !input.is_empty() {
        let tag = input.byte();
        let request = input.chunk();
        if let Ok(decoded) = proto::Request::decode(request) {
            match &decoded.kind {
                Some(proto::request::Kind::RemoveSimulatedDevice(r)) => {
                    restore |= TOYS.iter().any(|(_, address)| *address == r.address);
                }
                Some(proto::request::Kind::AddSimulatedDevice(_)) => {
                    adds += 1;
                    if adds > MAX_ADDS_PER_INPUT {
                        continue;
                    }
                }
                _ => {}
            }
        }
        if tag & 1 == 1 {
            let mut response = haptix_buffer {
                data: ptr::null_mut(),
                len: 0,
            };
            // SAFETY: `request` is valid for its length; `response` is writable.
            let status = unsafe {
                haptix_client_call(
                    client,
                    request.as_ptr(),
                    request.len(),
                    CALL_TIMEOUT_MS,
                    &mut response,
                )
            };
            if status == haptix_status::Ok {
                take_event(&mut response, &mut added);
            }
        } else {
            let mut id = 0u64;
            // SAFETY: `request` is valid for its length; `id` is writable.
            let _ = unsafe { haptix_client_send(client, request.as_ptr(), request.len(), &mut id) };
        }
    }
    let ping = proto::Request {
        id: 0,
        kind: Some(proto::request::Kind::Ping(proto::Ping {})),
    }
    .encode_to_vec();
    let mut response = haptix_buffer {
        data: ptr::null_mut(),
        len: 0,
    };
    // SAFETY: `ping` is valid for its length; `response` is writable.
    let status = unsafe {
        haptix_client_call(
            client,
            ping.as_ptr(),
            ping.len(),
            BARRIER_TIMEOUT_MS,
            &mut response,
        )
    };
    let connected = status == haptix_status::Ok;
    if connected {
        take_event(&mut response, &mut added);
    }
    loop {
        let mut event = haptix_buffer {
            data: ptr::null_mut(),
            len: 0,
        };
        // SAFETY: `event` is writable.
        let status = unsafe { haptix_client_next_event(client, 0, &mut event) };
        if status != haptix_status::Ok {
            break;
        }
        take_event(&mut event, &mut added);
    }
    if !added.is_empty() || restore {
        clean_up(context, &added, restore);
    }
    connected
}

/// Decodes and frees an event; remembers the simulated devices it reports added.
fn take_event(buffer: &mut haptix_buffer, added: &mut Vec<String>) {
    let bytes: &[u8] = if buffer.data.is_null() {
        &[]
    } else {
        // SAFETY: the library filled `buffer` with `len` bytes at `data`.
        unsafe { std::slice::from_raw_parts(buffer.data, buffer.len) }
    };
    match proto::Event::decode(bytes) {
        Ok(event) => {
            if let Some(proto::event::Kind::Response(proto::Response {
                result: Some(proto::response::Result::SimulatedDevice(d)),
                ..
            })) = event.kind
            {
                added.push(d.address);
            }
        }
        Err(e) => panic!("the library wrote an event that does not decode: {e}"),
    }
    // SAFETY: filled by the library, freed once.
    unsafe { haptix_buffer_free(buffer) };
}

/// Removes the devices an input added and puts back toys it removed, through a client of
/// the harness's own.
fn clean_up(context: *mut haptix_context, added: &[String], restore: bool) {
    let mut client: *mut haptix_client = ptr::null_mut();
    // SAFETY: no options; `client` is writable.
    let status = unsafe { haptix_client_new(context, ptr::null(), 0, &mut client) };
    if status != haptix_status::Ok {
        return;
    }
    let mut requests: Vec<proto::request::Kind> = added
        .iter()
        .map(|address| {
            proto::request::Kind::RemoveSimulatedDevice(proto::RemoveSimulatedDevice {
                address: address.clone(),
            })
        })
        .collect();
    if restore {
        requests.extend(TOYS.iter().map(|(identifier, address)| {
            proto::request::Kind::AddSimulatedDevice(proto::AddSimulatedDevice {
                device: Some(proto::SimulatedDevice {
                    identifier: (*identifier).to_string(),
                    address: (*address).to_string(),
                }),
            })
        }));
    }
    for kind in requests {
        let bytes = proto::Request {
            id: 0,
            kind: Some(kind),
        }
        .encode_to_vec();
        let mut response = haptix_buffer {
            data: ptr::null_mut(),
            len: 0,
        };
        // SAFETY: `bytes` is valid for its length; `response` is writable.
        let status = unsafe {
            haptix_client_call(
                client,
                bytes.as_ptr(),
                bytes.len(),
                BARRIER_TIMEOUT_MS,
                &mut response,
            )
        };
        if status == haptix_status::Ok {
            // SAFETY: filled by the library, freed once.
            unsafe { haptix_buffer_free(&mut response) };
        }
    }
    // SAFETY: our client, freed once.
    unsafe { haptix_client_free(client) };
}

/// Client options with anything that would leave the process rewritten.
pub fn client_options(bytes: &[u8]) -> Vec<u8> {
    let Ok(mut options) = proto::ClientOptions::decode(bytes) else {
        return bytes.to_vec();
    };
    let mut changed = false;
    if let Some(proto::client_options::Server::WebsocketUrl(url)) = &options.server {
        if url.starts_with("ws://") || url.starts_with("wss://") {
            options.server = Some(proto::client_options::Server::Embedded(
                proto::EmbeddedServer {},
            ));
            changed = true;
        }
    }
    if changed {
        options.encode_to_vec()
    } else {
        bytes.to_vec()
    }
}

/// Context options with anything that would leave the process (or take long) rewritten.
pub fn context_options_safe(bytes: &[u8]) -> Vec<u8> {
    use proto::context_options::{DeviceConfig, UserConfig};
    let Ok(mut options) = proto::ContextOptions::decode(bytes) else {
        return bytes.to_vec();
    };
    let before = options.clone();
    // hardware buses and the Lovense Connect client: simulated devices and WebSocket devices
    // (on loopback) only
    let keep = |m: &i32| {
        !matches!(
            proto::CommManager::try_from(*m),
            Ok(proto::CommManager::BluetoothLe
                | proto::CommManager::Serial
                | proto::CommManager::Hid
                | proto::CommManager::LovenseDongleSerial
                | proto::CommManager::LovenseDongleHid
                | proto::CommManager::LovenseConnect
                | proto::CommManager::Gamepad
                | proto::CommManager::Usb)
        )
    };
    options.comm_managers.retain(keep);
    if options
        .websocket_devices_address
        .parse::<SocketAddr>()
        .is_ok()
        || options.websocket_devices_address.is_empty()
    {
        options.websocket_devices_address = "127.0.0.1:0".to_string();
    }
    options.lovense_connect_addresses.clear();
    options.lovense_dongle_port.clear();
    if let Some(DeviceConfig::DeviceConfigPath(path)) = &mut options.device_config {
        path.clear();
    }
    if let Some(UserConfig::UserConfigPath(path)) = &mut options.user_config {
        path.clear();
    }
    options.worker_threads = options.worker_threads.min(2);
    if options.device_config.is_none() {
        options.device_config = Some(DeviceConfig::DeviceConfigJson(
            crate::device_config::SMALL_BASE.as_bytes().to_vec(),
        ));
    }
    if options == before {
        bytes.to_vec()
    } else {
        options.encode_to_vec()
    }
}

/// Server options listening on loopback only.
pub fn server_options_safe(bytes: &[u8]) -> Vec<u8> {
    let Ok(mut options) = proto::ServerOptions::decode(bytes) else {
        return bytes.to_vec();
    };
    if options.listen_address.is_empty() || options.listen_address.parse::<SocketAddr>().is_ok() {
        options.listen_address = "127.0.0.1:0".to_string();
        options.encode_to_vec()
    } else {
        bytes.to_vec()
    }
}

/// `haptix_context_new` with fuzzed options, then `haptix_server_new` on the new context.
fn context_constructor(input: &mut Reader<'_>) {
    let options = context_options_safe(input.long_chunk());
    let Some(context) = new_context(&options) else {
        return;
    };
    let server_options = server_options_safe(input.rest());
    let mut server: *mut haptix_server = ptr::null_mut();
    // SAFETY: `server_options` is valid for its length; `server` is writable.
    let status = unsafe {
        haptix_server_new(
            context,
            server_options.as_ptr(),
            server_options.len(),
            &mut server,
        )
    };
    if status == haptix_status::Ok {
        // SAFETY: our server, freed once.
        unsafe { haptix_server_free(server) };
    }
    // SAFETY: our context, freed once.
    unsafe { haptix_context_free(context) };
}
