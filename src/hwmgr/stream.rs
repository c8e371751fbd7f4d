//! The receive side shared by byte-stream buses (serial ports, HID input reports): what the
//! device sends arrives on `rx`, either as notifications (while subscribed) or into a bounded
//! buffer that `read` drains, and the end of the device is reported once as `Disconnected`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{broadcast, Notify};

use super::HardwareEvent;
use crate::core::types::Endpoint;
use crate::error::DeviceError;

/// Most bytes kept for `read` while nobody subscribes; older bytes are dropped first.
const MAX_BUFFERED: usize = 64 * 1024;

/// Receive state of one connected stream device.
pub(crate) struct RxStream {
    /// Device name, for messages.
    name: String,
    buffered: Mutex<VecDeque<u8>>,
    data_ready: Notify,
    subscribed: AtomicBool,
    closed: AtomicBool,
    events: broadcast::Sender<HardwareEvent>,
}

impl RxStream {
    /// An open stream for the device called `name`.
    pub(crate) fn new(name: &str) -> RxStream {
        let (events, _) = broadcast::channel(256);
        RxStream {
            name: name.to_string(),
            buffered: Mutex::new(VecDeque::new()),
            data_ready: Notify::new(),
            subscribed: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            events,
        }
    }

    /// Hands received bytes to subscribers, or keeps them for `read`.
    pub(crate) fn deliver(&self, data: Vec<u8>) {
        if self.subscribed.load(Ordering::SeqCst) {
            let _ = self.events.send(HardwareEvent::Notification {
                endpoint: Endpoint::Rx,
                data,
            });
            return;
        }
        {
            let mut b = self.buffered.lock();
            b.extend(data);
            let excess = b.len().saturating_sub(MAX_BUFFERED);
            b.drain(..excess);
        }
        self.data_ready.notify_waiters();
    }

    /// True once the device has gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Ends the stream once: runs `release` (give the port back), then reports the
    /// disconnection and wakes pending reads. Later calls do nothing.
    pub(crate) fn close(&self, release: impl FnOnce()) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        release();
        let _ = self.events.send(HardwareEvent::Disconnected);
        self.data_ready.notify_waiters();
    }

    /// Refuses operations after the end, and on any endpoint but `allowed`.
    pub(crate) fn check(&self, endpoint: Endpoint, allowed: Endpoint) -> Result<(), DeviceError> {
        if self.is_closed() {
            return Err(DeviceError::Disconnected(self.name.clone()));
        }
        if endpoint != allowed {
            return Err(DeviceError::Hardware(format!(
                "{} has no {endpoint} endpoint (use {allowed})",
                self.name
            )));
        }
        Ok(())
    }

    /// Takes `length` buffered bytes (0: whatever is there, at least one), waiting up to
    /// `timeout`; fails when the device goes away first.
    pub(crate) async fn read(
        &self,
        endpoint: Endpoint,
        length: u32,
        timeout: Duration,
    ) -> Result<Vec<u8>, DeviceError> {
        self.check(endpoint, Endpoint::Rx)?;
        let wanted = usize::try_from(length).unwrap_or(usize::MAX);
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.data_ready.notified();
            {
                let mut b = self.buffered.lock();
                if !b.is_empty() && (wanted == 0 || b.len() >= wanted) {
                    let n = if wanted == 0 { b.len() } else { wanted };
                    return Ok(b.drain(..n).collect());
                }
            }
            if self.is_closed() {
                return Err(DeviceError::Disconnected(self.name.clone()));
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(DeviceError::Timeout(format!(
                    "no data from {} within {} ms",
                    self.name,
                    timeout.as_millis()
                )));
            }
        }
    }

    /// Starts (`true`) or stops notifications on `rx`.
    pub(crate) fn subscribe(&self, endpoint: Endpoint, on: bool) -> Result<(), DeviceError> {
        self.check(endpoint, Endpoint::Rx)?;
        self.subscribed.store(on, Ordering::SeqCst);
        Ok(())
    }

    /// A new receiver of the device's events.
    pub(crate) fn events(&self) -> broadcast::Receiver<HardwareEvent> {
        self.events.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn buffers_notifies_bounds_and_closes_once() {
        let rx = RxStream::new("port");
        rx.deliver(b"abc".to_vec());
        let got = rx.read(Endpoint::Rx, 2, Duration::from_millis(50)).await;
        assert_eq!(got.unwrap(), b"ab");
        assert!(rx
            .read(Endpoint::Rx, 5, Duration::from_millis(20))
            .await
            .is_err());
        assert!(rx.read(Endpoint::Tx, 0, Duration::ZERO).await.is_err());
        rx.deliver(vec![0; MAX_BUFFERED + 10]);
        let all = rx.read(Endpoint::Rx, 0, Duration::ZERO).await.unwrap();
        assert_eq!(all.len(), MAX_BUFFERED);
        let mut events = rx.events();
        rx.subscribe(Endpoint::Rx, true).unwrap();
        rx.deliver(b"n".to_vec());
        assert!(matches!(
            events.try_recv(),
            Ok(HardwareEvent::Notification { data, .. }) if data == b"n"
        ));
        let mut released = 0;
        rx.close(|| released += 1);
        rx.close(|| released += 1);
        assert_eq!(released, 1);
        assert!(matches!(events.try_recv(), Ok(HardwareEvent::Disconnected)));
        assert!(rx.subscribe(Endpoint::Rx, false).is_err());
    }
}
