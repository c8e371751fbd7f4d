//! The C ABI called exactly as C would: the happy path on the embedded server with a simulated
//! toy, and misuse (NULL, stale and wrong-typed handles, bad bytes, freeing from a callback).
// drives simulated toys: needs the `sim` feature (default)
#![cfg(feature = "sim")]

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use haptix::ffi::proto::{self, event, request};
use haptix::ffi::*;
use prost::Message;

#[path = "support/abi.rs"]
mod abi;
use abi::{client, context, device_added, last_error, next, response, send, take_writes, wait_for};

fn hush_context() -> *mut haptix_context {
    context(&proto::ContextOptions {
        simulated_devices: vec![proto::SimulatedDevice {
            identifier: "LVS-Hush".into(),
            address: "hush-1".into(),
        }],
        ..Default::default()
    })
}

#[test]
fn vibrate_reaches_the_simulated_toy() {
    let ctx = hush_context();
    let c = client(ctx);
    let scan = send(c, request::Kind::StartScanning(proto::StartScanning {}));
    let device = device_added(c);
    assert_eq!(device.name, "Lovense Hush");
    assert_eq!(response(c, scan).status, 0);
    take_writes(c, "hush-1");
    let id = send(
        c,
        request::Kind::Output(proto::Output {
            device_index: device.index,
            feature_index: None,
            output_type: proto::OutputType::Vibrate as i32,
            value: Some(proto::output::Value::Level(0.5)),
            duration_ms: 0,
        }),
    );
    let r = response(c, id);
    assert_eq!(r.status, 0, "{}", r.message);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut writes = Vec::new();
    while writes.is_empty() && Instant::now() < deadline {
        writes = take_writes(c, "hush-1");
    }
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].endpoint, "tx");
    assert_eq!(writes[0].data, b"Vibrate:10;");

    // a stale device index answers with DEVICE_NOT_FOUND in the response
    let id = send(
        c,
        request::Kind::Output(proto::Output {
            device_index: 99,
            output_type: proto::OutputType::Vibrate as i32,
            value: Some(proto::output::Value::Level(0.5)),
            ..Default::default()
        }),
    );
    assert_eq!(
        response(c, id).status,
        haptix_status::ErrorDeviceNotFound as i32
    );

    // battery read answers with a reading
    let id = send(
        c,
        request::Kind::Input(proto::Input {
            device_index: device.index,
            feature_index: None,
            input_type: proto::InputType::Battery as i32,
            command: proto::InputCommand::Read as i32,
        }),
    );
    let r = response(c, id);
    match r.result {
        Some(proto::response::Result::Reading(reading)) => assert_eq!(reading.value, 85),
        other => panic!("unexpected battery answer {other:?} ({})", r.message),
    }

    // SAFETY: handles from this test.
    unsafe {
        assert_eq!(haptix_context_shutdown(ctx, 2000), haptix_status::Ok);
        // the client's stream ends with Disconnected, then CLOSED
        let saw = wait_for(c, |ev| match &ev.kind {
            Some(event::Kind::Disconnected(_)) => Some(true),
            _ => None,
        });
        assert!(saw);
        assert_eq!(next(c, 0).unwrap_err(), haptix_status::Closed);
        haptix_client_free(c);
        haptix_context_free(ctx);
    }
}

#[test]
fn misuse_is_refused_with_statuses() {
    // SAFETY: every call below passes values the contract allows (NULL, freed or made-up
    // handles are detected by the library).
    unsafe {
        let mut ctx = ptr::null_mut();
        assert_eq!(
            haptix_context_new(HAPTIX_ABI_VERSION + 1, ptr::null(), 0, &mut ctx),
            haptix_status::ErrorAbiMismatch
        );
        assert!(last_error().contains("ABI"));
        assert_eq!(
            haptix_context_new(HAPTIX_ABI_VERSION, ptr::null(), 0, ptr::null_mut()),
            haptix_status::ErrorNullPointer
        );
        assert_eq!(
            haptix_context_new(HAPTIX_ABI_VERSION, ptr::null(), 3, &mut ctx),
            haptix_status::ErrorNullPointer
        );
        let garbage = [0xffu8, 0xff, 0xff, 0x0f];
        assert_eq!(
            haptix_context_new(
                HAPTIX_ABI_VERSION,
                garbage.as_ptr(),
                garbage.len(),
                &mut ctx
            ),
            haptix_status::ErrorInvalidProtobuf
        );
        let ctx = hush_context();
        let c = client(ctx);
        // an empty request has no kind
        let mut id = 0;
        assert_eq!(
            haptix_client_send(c, ptr::null(), 0, &mut id),
            haptix_status::ErrorInvalidArgument
        );
        // truncated protobuf
        let full = proto::Request {
            id: 5,
            kind: Some(request::Kind::Ping(proto::Ping {})),
        }
        .encode_to_vec();
        assert_eq!(
            haptix_client_send(c, full.as_ptr(), full.len() - 1, &mut id),
            haptix_status::ErrorInvalidProtobuf
        );
        // a context passed as a client, a made-up pointer
        assert_eq!(
            haptix_client_send(ctx.cast(), full.as_ptr(), full.len(), &mut id),
            haptix_status::ErrorInvalidHandle
        );
        assert_eq!(
            haptix_client_send(0x1234usize as *mut _, full.as_ptr(), full.len(), &mut id),
            haptix_status::ErrorInvalidHandle
        );
        let mut buf = haptix_buffer::EMPTY;
        assert_eq!(
            haptix_client_next_event(ptr::null_mut(), 0, &mut buf),
            haptix_status::ErrorNullPointer
        );
        // freed and double-freed handles
        haptix_client_free(c);
        haptix_client_free(c);
        assert_eq!(
            haptix_client_send(c, full.as_ptr(), full.len(), &mut id),
            haptix_status::ErrorInvalidHandle
        );
        haptix_context_free(ctx);
        haptix_context_free(ctx);
        assert_eq!(
            haptix_context_shutdown(ctx, 0),
            haptix_status::ErrorInvalidHandle
        );
    }
}

static FREED: AtomicUsize = AtomicUsize::new(0);
static CALLS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn free_from_callback(user_data: *mut c_void, _event: *const u8, _len: usize) {
    CALLS.fetch_add(1, Ordering::SeqCst);
    // SAFETY: user_data is the client handle registered below; freeing it from its own
    // callback is allowed.
    unsafe { haptix_client_free(user_data.cast()) };
}

unsafe extern "C" fn count_free(_user_data: *mut c_void) {
    FREED.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn a_client_can_free_itself_from_its_callback() {
    let ctx = hush_context();
    let c = client(ctx);
    // SAFETY: valid handles and functions.
    unsafe {
        assert_eq!(
            haptix_client_set_event_callback(
                c,
                Some(free_from_callback),
                c.cast(),
                Some(count_free)
            ),
            haptix_status::Ok
        );
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while FREED.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(FREED.load(Ordering::SeqCst), 1);
    assert_eq!(
        CALLS.load(Ordering::SeqCst),
        1,
        "no callback after the free"
    );
    let mut id = 0;
    let ping = proto::Request {
        id: 0,
        kind: Some(request::Kind::Ping(proto::Ping {})),
    }
    .encode_to_vec();
    // SAFETY: the freed handle is detected.
    unsafe {
        assert_eq!(
            haptix_client_send(c, ping.as_ptr(), ping.len(), &mut id),
            haptix_status::ErrorInvalidHandle
        );
        haptix_context_free(ctx);
    }
}

#[test]
fn contexts_can_be_created_again_after_shutdown() {
    for _ in 0..20 {
        let ctx = hush_context();
        let c = client(ctx);
        let id = send(c, request::Kind::Ping(proto::Ping {}));
        assert_eq!(response(c, id).status, 0);
        // SAFETY: handles from this loop.
        unsafe {
            assert_eq!(haptix_context_shutdown(ctx, 2000), haptix_status::Ok);
            haptix_client_free(c);
            haptix_context_free(ctx);
        }
    }
}

#[test]
fn a_server_shares_the_context_devices_with_remote_clients() {
    let ctx = hush_context();
    let options = proto::ServerOptions {
        listen_address: "127.0.0.1:0".into(),
        max_message_size: 0,
    }
    .encode_to_vec();
    let mut server = ptr::null_mut();
    let mut port = 0u16;
    // SAFETY: valid handles, buffers and out-pointers.
    unsafe {
        assert_eq!(
            haptix_server_new(ctx, options.as_ptr(), options.len(), &mut server),
            haptix_status::Ok,
            "{}",
            last_error()
        );
        assert_eq!(haptix_server_port(server, &mut port), haptix_status::Ok);
        assert_eq!(
            haptix_server_port(server, ptr::null_mut()),
            haptix_status::ErrorNullPointer
        );
    }
    assert_ne!(port, 0);
    // a second context plays the remote application, connecting over the WebSocket
    let remote_ctx = context(&proto::ContextOptions::default());
    let client_options = proto::ClientOptions {
        client_name: "remote".into(),
        server: Some(proto::client_options::Server::WebsocketUrl(format!(
            "ws://127.0.0.1:{port}"
        ))),
        ..Default::default()
    }
    .encode_to_vec();
    let mut remote = ptr::null_mut();
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            haptix_client_new(
                remote_ctx,
                client_options.as_ptr(),
                client_options.len(),
                &mut remote
            ),
            haptix_status::Ok
        );
    }
    let connected = wait_for(remote, |ev| match &ev.kind {
        Some(event::Kind::Connected(c)) => Some(c.clone()),
        _ => None,
    });
    assert_eq!(connected.server_name, "Haptix");
    assert_eq!(connected.spec_version, 4);
    send(
        remote,
        request::Kind::StartScanning(proto::StartScanning {}),
    );
    let device = device_added(remote);
    let id = send(
        remote,
        request::Kind::Output(proto::Output {
            device_index: device.index,
            output_type: proto::OutputType::Vibrate as i32,
            value: Some(proto::output::Value::Steps(7)),
            ..Default::default()
        }),
    );
    assert_eq!(response(remote, id).status, 0);
    // simulated-device control is refused on a remote connection
    let id = send(
        remote,
        request::Kind::TakeWrites(proto::TakeWrites {
            address: "hush-1".into(),
        }),
    );
    assert_eq!(
        response(remote, id).status,
        haptix_status::ErrorNotSupported as i32
    );
    // the toy (in the first context) received the command
    let sim = haptix::ffi::bench_support::simulated_device(ctx, "hush-1").unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = false;
    while !seen && Instant::now() < deadline {
        seen = sim.take_writes().iter().any(|(_, d)| d == b"Vibrate:7;");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(seen, "the toy never received Vibrate:7;");
    // SAFETY: handles from this test.
    unsafe {
        assert_eq!(haptix_server_stop(server, 2000), haptix_status::Ok);
        let gone = wait_for(remote, |ev| match &ev.kind {
            Some(event::Kind::Disconnected(d)) => Some(d.clone()),
            _ => None,
        });
        assert_ne!(gone.status, 0);
        haptix_server_free(server);
        haptix_client_free(remote);
        haptix_context_free(remote_ctx);
        haptix_context_free(ctx);
    }
}

#[test]
fn log_records_reach_the_context_queue() {
    let ctx = context(&proto::ContextOptions {
        log_level: proto::LogLevel::Info as i32,
        ..Default::default()
    });
    let c = client(ctx);
    let id = send(c, request::Kind::Ping(proto::Ping {}));
    assert_eq!(response(c, id).status, 0);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut record = None;
    while record.is_none() && Instant::now() < deadline {
        let mut buf = haptix_buffer::EMPTY;
        // SAFETY: valid handle and out-pointer; the buffer is freed below.
        let st = unsafe { haptix_context_next_event(ctx, 100, &mut buf) };
        if st == haptix_status::Ok {
            // SAFETY: filled by the library.
            let bytes = unsafe { std::slice::from_raw_parts(buf.data, buf.len) }.to_vec();
            // SAFETY: filled by the library.
            unsafe { haptix_buffer_free(&mut buf) };
            if let Some(event::Kind::Log(r)) = proto::Event::decode(bytes.as_slice()).unwrap().kind
            {
                record = Some(r);
            }
        }
    }
    let record = record.expect("no log record");
    assert!(record.target.starts_with("haptix"));
    assert!(record.level >= proto::LogLevel::Error as i32);
    assert!(!record.message.is_empty());
    // SAFETY: handles from this test.
    unsafe {
        assert_eq!(haptix_context_shutdown(ctx, 2000), haptix_status::Ok);
        let mut buf = haptix_buffer::EMPTY;
        // drain, then the stream reports CLOSED
        let mut st = haptix_status::Ok;
        for _ in 0..2000 {
            st = haptix_context_next_event(ctx, 0, &mut buf);
            haptix_buffer_free(&mut buf);
            if st != haptix_status::Ok {
                break;
            }
        }
        assert_eq!(st, haptix_status::Closed);
        haptix_client_free(c);
        haptix_context_free(ctx);
    }
}

#[test]
fn a_requested_disconnect_ends_the_stream_without_an_error() {
    let ctx = hush_context();
    let c = client(ctx);
    let id = send(c, request::Kind::Disconnect(proto::Disconnect {}));
    assert_eq!(response(c, id).status, 0);
    let gone = wait_for(c, |ev| match &ev.kind {
        Some(event::Kind::Disconnected(d)) => Some(d.clone()),
        _ => None,
    });
    assert_eq!(gone.status, 0, "{}", gone.reason);
    assert_eq!(next(c, 100).unwrap_err(), haptix_status::Closed);
    let ping = proto::Request {
        id: 0,
        kind: Some(request::Kind::Ping(proto::Ping {})),
    }
    .encode_to_vec();
    // SAFETY: handles from this test.
    unsafe {
        assert_eq!(
            haptix_client_send(c, ping.as_ptr(), ping.len(), ptr::null_mut()),
            haptix_status::Closed
        );
        haptix_client_free(c);
        haptix_context_free(ctx);
    }
}

#[test]
fn missing_buses_are_reported_and_the_others_keep_working() {
    let ctx = context(&proto::ContextOptions {
        comm_managers: vec![
            proto::CommManager::Simulated as i32,
            proto::CommManager::BluetoothLe as i32,
            proto::CommManager::Hid as i32,
            proto::CommManager::Serial as i32,
        ],
        simulated_devices: vec![proto::SimulatedDevice {
            identifier: "LVS-Hush".into(),
            address: "hush-1".into(),
        }],
        log_level: proto::LogLevel::Warn as i32,
        ..Default::default()
    });
    let c = client(ctx);
    let scan = send(c, request::Kind::StartScanning(proto::StartScanning {}));
    assert_eq!(response(c, scan).status, 0);
    let device = device_added(c);
    assert_eq!(device.name, "Lovense Hush");
    // this machine has no Bluetooth: a warning says so (a machine with an adapter scans)
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut bluetooth_note = None;
    while bluetooth_note.is_none() && Instant::now() < deadline {
        let mut buf = haptix_buffer::EMPTY;
        // SAFETY: valid handle and out-pointer; freed below.
        if unsafe { haptix_context_next_event(ctx, 100, &mut buf) } == haptix_status::Ok {
            // SAFETY: filled by the library.
            let bytes = unsafe { std::slice::from_raw_parts(buf.data, buf.len) }.to_vec();
            // SAFETY: filled by the library.
            unsafe { haptix_buffer_free(&mut buf) };
            if let Some(event::Kind::Log(r)) = proto::Event::decode(bytes.as_slice()).unwrap().kind
            {
                if r.message.contains("Bluetooth") {
                    bluetooth_note = Some(r.message);
                }
            }
        }
    }
    if let Some(note) = bluetooth_note {
        assert!(note.contains("Bluetooth unavailable"), "{note}");
    } else {
        eprintln!("no Bluetooth warning: this machine seems to have a working adapter");
    }
    // SAFETY: handles from this test.
    unsafe {
        haptix_client_free(c);
        haptix_context_free(ctx);
    }
}
