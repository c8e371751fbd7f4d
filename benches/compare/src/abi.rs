//! haptix through its C ABI, exactly as a C program would use it: `haptix_context_new`,
//! `haptix_client_new` on the embedded server, `haptix_client_send` with protobuf requests,
//! `haptix_client_next_event` + `haptix_buffer_free` for protobuf events.

use std::ptr;
use std::time::{Duration, Instant};

use haptix::ffi::proto;
use haptix::ffi::{
    haptix_buffer, haptix_buffer_free, haptix_client, haptix_client_free, haptix_client_new,
    haptix_client_next_event, haptix_client_send, haptix_context, haptix_context_free,
    haptix_context_new, haptix_last_error_message, haptix_status, HAPTIX_ABI_VERSION,
};
use prost::Message;

/// The calling thread's last error message.
fn last_error() -> String {
    let mut buf = vec![0u8; 1024];
    let mut len = 0usize;
    // SAFETY: buf has `cap` writable bytes; len is a valid out-pointer.
    unsafe { haptix_last_error_message(buf.as_mut_ptr().cast(), buf.len(), &mut len) };
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

fn check(what: &str, status: haptix_status) -> Result<(), String> {
    if status == haptix_status::Ok {
        Ok(())
    } else {
        Err(format!("{what}: {status:?}: {}", last_error()))
    }
}

/// A context and a client on its embedded server, freed on drop.
pub struct Session {
    pub context: *mut haptix_context,
    client: *mut haptix_client,
    encode_buf: Vec<u8>,
}

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: both handles came from this library and are freed once (NULL is accepted).
        unsafe {
            haptix_client_free(self.client);
            haptix_context_free(self.context);
        }
    }
}

/// One event received: the decoded event and when `next_event` returned it.
pub struct Received {
    pub event: proto::Event,
    pub at: Instant,
}

impl Session {
    /// Creates the context (`options`, or defaults) and a client on the embedded server, and
    /// waits for its `Connected` event.
    pub fn open(options: Option<&proto::ContextOptions>) -> Result<Session, String> {
        let encoded = options.map(|o| o.encode_to_vec());
        let (ptr_, len) = match &encoded {
            Some(bytes) => (bytes.as_ptr(), bytes.len()),
            None => (ptr::null(), 0),
        };
        let mut context = ptr::null_mut();
        // SAFETY: options bytes are valid for the call; out-pointer is valid.
        check("haptix_context_new", unsafe {
            haptix_context_new(HAPTIX_ABI_VERSION, ptr_, len, &mut context)
        })?;
        let mut session = Session {
            context,
            client: ptr::null_mut(),
            encode_buf: Vec::with_capacity(64),
        };
        let mut client = ptr::null_mut();
        // SAFETY: live context; NULL options = embedded server; valid out-pointer.
        check("haptix_client_new", unsafe {
            haptix_client_new(session.context, ptr::null(), 0, &mut client)
        })?;
        session.client = client;
        loop {
            let ev = session.next_event(Duration::from_secs(10))?;
            match ev.event.kind {
                Some(proto::event::Kind::Connected(_)) => return Ok(session),
                Some(proto::event::Kind::Disconnected(d)) => {
                    return Err(format!("client disconnected: {d:?}"))
                }
                _ => continue,
            }
        }
    }

    /// Encodes and sends a request; returns its request id.
    pub fn send(&mut self, kind: proto::request::Kind) -> Result<u64, String> {
        let request = proto::Request {
            id: 0,
            kind: Some(kind),
        };
        self.encode_buf.clear();
        request
            .encode(&mut self.encode_buf)
            .map_err(|e| format!("encode: {e}"))?;
        let mut id = 0u64;
        // SAFETY: live client; request bytes valid for the call; valid out-pointer.
        check("haptix_client_send", unsafe {
            haptix_client_send(
                self.client,
                self.encode_buf.as_ptr(),
                self.encode_buf.len(),
                &mut id,
            )
        })?;
        Ok(id)
    }

    /// Waits for the next client event.
    pub fn next_event(&mut self, timeout: Duration) -> Result<Received, String> {
        let mut buffer = haptix_buffer {
            data: ptr::null_mut(),
            len: 0,
        };
        let ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX - 1);
        // SAFETY: live client; valid out-buffer.
        let status = unsafe { haptix_client_next_event(self.client, ms, &mut buffer) };
        let at = Instant::now();
        if status == haptix_status::Timeout {
            return Err(format!("no event within {timeout:?}"));
        }
        check("haptix_client_next_event", status)?;
        let bytes = if buffer.data.is_null() {
            &[][..]
        } else {
            // SAFETY: the library lent `len` bytes at `data` until haptix_buffer_free.
            unsafe { std::slice::from_raw_parts(buffer.data, buffer.len) }
        };
        let decoded = proto::Event::decode(bytes);
        // SAFETY: the buffer was filled by the library and is freed once.
        unsafe { haptix_buffer_free(&mut buffer) };
        let event = decoded.map_err(|e| format!("decode event: {e}"))?;
        Ok(Received { event, at })
    }

    /// Waits for the response to request `id` (other events are skipped); fails on an error
    /// status.
    pub fn response(&mut self, id: u64, timeout: Duration) -> Result<Received, String> {
        loop {
            let ev = self.next_event(timeout)?;
            if ev.event.request_id != id {
                continue;
            }
            if let Some(proto::event::Kind::Response(r)) = &ev.event.kind {
                if r.status != 0 {
                    return Err(format!("request {id} failed: {} {}", r.status, r.message));
                }
                return Ok(ev);
            }
        }
    }
}
