//! The scanning loop shared by the buses that find devices by listing what is present (serial
//! ports, HID and USB devices): while scanning, a listing pass runs once a second on a blocking
//! thread and offers what is new. A pass that reports its bus unavailable (no permission, no
//! system support) ends scanning on that bus with a warning and `ScanningFinished`, while the
//! other buses keep scanning.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use super::{CommEvent, CommEventSender};

/// How often a scanning bus lists its devices again.
const RESCAN_INTERVAL: Duration = Duration::from_secs(1);

/// One listing pass: offers what is present and not in `offered` (the addresses offered so
/// far, which the pass keeps current); `Err` with the reason when the bus is unavailable.
pub(crate) type Pass = dyn FnMut(&mut HashSet<String>) -> Result<(), String> + Send;

/// The scanning state of one bus manager.
#[derive(Default)]
pub(crate) struct Rescan {
    scanning: Arc<Mutex<Option<CancellationToken>>>,
}

impl Rescan {
    /// Starts (or restarts) the loop of `manager` (its name in events and logs; `bus` in
    /// words for the warning), running `pass` now and then once per interval.
    pub(crate) fn start(
        &self,
        manager: &'static str,
        bus: &'static str,
        events: CommEventSender,
        pass: Box<Pass>,
    ) {
        let token = CancellationToken::new();
        if let Some(old) = self.scanning.lock().replace(token.clone()) {
            old.cancel();
        }
        let scanning = Arc::clone(&self.scanning);
        // the pass and what it offered so far, lent to one blocking pass at a time
        let state = Arc::new(Mutex::new((pass, HashSet::new())));
        tokio::spawn(async move {
            loop {
                let lent = Arc::clone(&state);
                let outcome = tokio::task::spawn_blocking(move || {
                    let mut guard = lent.lock();
                    let (pass, offered) = &mut *guard;
                    pass(offered)
                })
                .await;
                let reason = match outcome {
                    Ok(Ok(())) => None,
                    Ok(Err(reason)) => Some(reason),
                    Err(e) => Some(format!("listing failed: {e}")),
                };
                if let Some(reason) = reason {
                    tracing::warn!(%reason, "{bus} unavailable; scanning the other buses only");
                    scanning.lock().take();
                    let _ = events.send(CommEvent::ScanningFinished { manager });
                    break;
                }
                tokio::select! {
                    _ = token.cancelled() => break,
                    _ = tokio::time::sleep(RESCAN_INTERVAL) => {}
                }
            }
        });
    }

    /// Ends the loop, if running.
    pub(crate) fn stop(&self) {
        if let Some(token) = self.scanning.lock().take() {
            token.cancel();
        }
    }

    /// Whether the loop is running.
    pub(crate) fn is_scanning(&self) -> bool {
        self.scanning.lock().is_some()
    }
}
