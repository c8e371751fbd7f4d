//! The C ABI called from Rust tests the way a C program calls it: options and requests encoded
//! as protobuf, handles as raw pointers, every buffer the library fills decoded and freed here.
//! Each helper asserts the status it expects and, when it fails, shows the library's last error
//! message. A test file includes it with `#[path = "support/abi.rs"] mod abi;`.
#![allow(dead_code)] // each test file uses a part of it

use std::cell::RefCell;
use std::ptr;
use std::time::{Duration, Instant};

use haptix::ffi::proto::{self, event, request};
use haptix::ffi::*;
use prost::Message;

/// How long [`call`] and [`wait_for`] wait before the test fails instead of hanging.
pub const WAIT: Duration = Duration::from_secs(10);

/// The calling thread's last error message (empty when there is none).
pub fn last_error() -> String {
    let mut buf = vec![0u8; 512];
    let mut len = 0;
    // SAFETY: a writable buffer of the given size and a writable length.
    unsafe { haptix_last_error_message(buf.as_mut_ptr().cast(), buf.len(), &mut len) };
    String::from_utf8_lossy(&buf[..len.min(511)]).into_owned()
}

/// `haptix_context_new` with `options`: the context, or the status it was refused with (the
/// out-pointer is then checked to be left NULL).
pub fn try_context(options: &proto::ContextOptions) -> Result<*mut haptix_context, haptix_status> {
    let bytes = options.encode_to_vec();
    let mut ctx = ptr::null_mut();
    // SAFETY: a valid buffer and out-pointer.
    let st =
        unsafe { haptix_context_new(HAPTIX_ABI_VERSION, bytes.as_ptr(), bytes.len(), &mut ctx) };
    if st == haptix_status::Ok {
        Ok(ctx)
    } else {
        assert!(ctx.is_null(), "a refused context_new wrote a handle");
        Err(st)
    }
}

/// A new context with `options`; the test fails when it is refused.
pub fn context(options: &proto::ContextOptions) -> *mut haptix_context {
    match try_context(options) {
        Ok(ctx) => ctx,
        Err(st) => panic!("haptix_context_new: {st:?}: {}", last_error()),
    }
}

/// The options of a context whose embedded server has the simulated toys `toys`
/// (identifier, address), with its log `level`.
pub fn toys_options(toys: &[(&str, &str)], level: proto::LogLevel) -> proto::ContextOptions {
    proto::ContextOptions {
        simulated_devices: toys
            .iter()
            .map(|(identifier, address)| proto::SimulatedDevice {
                identifier: (*identifier).into(),
                address: (*address).into(),
            })
            .collect(),
        log_level: level as i32,
        ..Default::default()
    }
}

/// A client of the context's embedded server (default options).
pub fn client(ctx: *mut haptix_context) -> *mut haptix_client {
    let mut c = ptr::null_mut();
    // SAFETY: NULL options with length 0 are the defaults; a valid out-pointer.
    let st = unsafe { haptix_client_new(ctx, ptr::null(), 0, &mut c) };
    assert_eq!(st, haptix_status::Ok, "{}", last_error());
    c
}

/// A client with `options` (a remote server, a name, ...).
pub fn client_with(ctx: *mut haptix_context, options: &proto::ClientOptions) -> *mut haptix_client {
    let bytes = options.encode_to_vec();
    let mut c = ptr::null_mut();
    // SAFETY: a valid buffer and out-pointer.
    let st = unsafe { haptix_client_new(ctx, bytes.as_ptr(), bytes.len(), &mut c) };
    assert_eq!(st, haptix_status::Ok, "{}", last_error());
    c
}

/// A request of `kind`, encoded.
pub fn request_bytes(kind: request::Kind) -> Vec<u8> {
    proto::Request {
        id: 0,
        kind: Some(kind),
    }
    .encode_to_vec()
}

/// Sends a request of `kind`; returns its id.
pub fn send(c: *mut haptix_client, kind: request::Kind) -> u64 {
    let bytes = request_bytes(kind);
    let mut id = 0;
    // SAFETY: a valid buffer and out-pointer.
    let st = unsafe { haptix_client_send(c, bytes.as_ptr(), bytes.len(), &mut id) };
    assert_eq!(st, haptix_status::Ok, "{}", last_error());
    id
}

/// Decodes the event the library wrote into `buf`, and frees the buffer.
pub fn take_event(buf: &mut haptix_buffer) -> proto::Event {
    let bytes = if buf.data.is_null() {
        Vec::new()
    } else {
        // SAFETY: the library filled data/len.
        unsafe { std::slice::from_raw_parts(buf.data, buf.len) }.to_vec()
    };
    // SAFETY: filled by the library, freed once.
    unsafe { haptix_buffer_free(buf) };
    match proto::Event::decode(bytes.as_slice()) {
        Ok(ev) => ev,
        Err(e) => panic!("the library wrote an event that does not decode: {e}"),
    }
}

/// `haptix_client_call` with a request of `kind`, waiting up to [`WAIT`]: the response event.
pub fn call(c: *mut haptix_client, kind: request::Kind) -> proto::Event {
    let bytes = request_bytes(kind);
    let mut out = haptix_buffer::EMPTY;
    let wait = WAIT.as_millis() as u32;
    // SAFETY: a valid buffer and out-pointer; the response is freed by take_event.
    let st = unsafe { haptix_client_call(c, bytes.as_ptr(), bytes.len(), wait, &mut out) };
    assert_eq!(st, haptix_status::Ok, "{}", last_error());
    take_event(&mut out)
}

/// [`call`], for the response itself.
pub fn call_response(c: *mut haptix_client, kind: request::Kind) -> proto::Response {
    match call(c, kind).kind {
        Some(event::Kind::Response(r)) => r,
        other => panic!("a call answered with {other:?}"),
    }
}

/// The client's next event within `timeout_ms`, or the status `next_event` returned.
pub fn next(c: *mut haptix_client, timeout_ms: u32) -> Result<proto::Event, haptix_status> {
    let mut buf = haptix_buffer::EMPTY;
    // SAFETY: a valid out-pointer; the buffer is freed by take_event.
    let st = unsafe { haptix_client_next_event(c, timeout_ms, &mut buf) };
    if st == haptix_status::Ok {
        Ok(take_event(&mut buf))
    } else {
        Err(st)
    }
}

/// The context's next event (log records) within `timeout_ms`, or the status returned.
pub fn next_context_event(
    ctx: *mut haptix_context,
    timeout_ms: u32,
) -> Result<proto::Event, haptix_status> {
    let mut buf = haptix_buffer::EMPTY;
    // SAFETY: a valid out-pointer; the buffer is freed by take_event.
    let st = unsafe { haptix_context_next_event(ctx, timeout_ms, &mut buf) };
    if st == haptix_status::Ok {
        Ok(take_event(&mut buf))
    } else {
        Err(st)
    }
}

thread_local! {
    /// Events taken from a queue by [`wait_for`] but not wanted yet.
    static STASH: RefCell<Vec<proto::Event>> = const { RefCell::new(Vec::new()) };
}

/// The first event `pick` chooses (from those set aside earlier, then from the queue), within
/// [`WAIT`]; the events it passes over are set aside for later calls.
pub fn wait_for<T>(c: *mut haptix_client, mut pick: impl FnMut(&proto::Event) -> Option<T>) -> T {
    let stashed = STASH.with(|s| {
        let mut s = s.borrow_mut();
        let found = s
            .iter()
            .enumerate()
            .find_map(|(i, ev)| pick(ev).map(|t| (i, t)));
        found.map(|(i, t)| {
            s.remove(i);
            t
        })
    });
    if let Some(t) = stashed {
        return t;
    }
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if let Ok(ev) = next(c, 200) {
            if let Some(t) = pick(&ev) {
                return t;
            }
            STASH.with(|s| s.borrow_mut().push(ev));
        }
    }
    panic!("event not received in time");
}

/// The response to request `id`.
pub fn response(c: *mut haptix_client, id: u64) -> proto::Response {
    wait_for(c, |ev| match &ev.kind {
        Some(event::Kind::Response(r)) if ev.request_id == id => Some(r.clone()),
        _ => None,
    })
}

/// The next device added.
pub fn device_added(c: *mut haptix_client) -> proto::Device {
    wait_for(c, |ev| match &ev.kind {
        Some(event::Kind::DeviceAdded(d)) => d.device.clone(),
        _ => None,
    })
}

/// The writes the simulated toy at `address` received since the last time (TakeWrites drains
/// what it returns).
pub fn take_writes(c: *mut haptix_client, address: &str) -> Vec<proto::Write> {
    let id = send(
        c,
        request::Kind::TakeWrites(proto::TakeWrites {
            address: address.into(),
        }),
    );
    let r = response(c, id);
    match r.result {
        Some(proto::response::Result::Writes(w)) => w.writes,
        other => panic!("TakeWrites answered {other:?}: {}", r.message),
    }
}
