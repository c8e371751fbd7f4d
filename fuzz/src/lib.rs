//! Shared pieces of the fuzz targets in `fuzz_targets/`: a reader that cuts the fuzzer's bytes
//! into the parts a target needs, and the runtimes the targets drive the library on.
//!
//! Every target lives in its own module here so that the binaries in `fuzz_targets/` stay one
//! line long and the harness code is compiled (and checked) once.

pub mod client_server;
pub mod device_config;
pub mod ffi_requests;
pub mod json_parse;
pub mod protocol_notifications;
pub mod server_session;
pub mod ws_announcement;

use haptix::core::types::SpecVersion;

/// Reads a fuzz input front to back. Every method is total: past the end it yields zeros and
/// empty slices, so a target never needs to reject an input.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data }
    }

    /// True when every byte was taken.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte, or 0 at the end.
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    /// The next two bytes as a little-endian number.
    pub fn u16(&mut self) -> u16 {
        u16::from(self.byte()) | (u16::from(self.byte()) << 8)
    }

    /// Up to `n` bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }

    /// A chunk prefixed by its one-byte length.
    pub fn chunk(&mut self) -> &'a [u8] {
        let n = usize::from(self.byte());
        self.take(n)
    }

    /// A chunk prefixed by its two-byte length.
    pub fn long_chunk(&mut self) -> &'a [u8] {
        let n = usize::from(self.u16());
        self.take(n)
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        self.take(self.data.len())
    }
}

/// Splits `data` into lines (without the `\n`), as text: how the JSON targets turn one input
/// into several WebSocket frames. Invalid UTF-8 is replaced, as a text frame is always UTF-8.
pub fn text_frames(data: &[u8]) -> Vec<String> {
    data.split(|b| *b == b'\n')
        .map(|line| String::from_utf8_lossy(line).into_owned())
        .collect()
}

/// The spec version a selector byte stands for (0 to 4).
pub fn version_from(selector: u8) -> SpecVersion {
    match selector % 5 {
        0 => SpecVersion::V0,
        1 => SpecVersion::V1,
        2 => SpecVersion::V2,
        3 => SpecVersion::V3,
        _ => SpecVersion::V4,
    }
}

/// A single-threaded runtime whose clock is paused: when every task waits, time jumps to the
/// next timer, so timeouts inside the library (identification, device reads, ping watchdogs)
/// take no real time and the run is repeatable. Only for targets that do no real I/O.
pub fn paused_runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("cannot build the fuzz runtime: {e}"),
    }
}

/// A single-threaded runtime with a real clock and I/O, for the targets that talk over
/// loopback sockets.
pub fn io_runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("cannot build the fuzz runtime: {e}"),
    }
}
