//! The gamepad comm manager, over gilrs (evdev force feedback on Linux, XInput on Windows):
//! gamepads with rumble motors, driven by the `sdl-gamepad` protocol.
//!
//! While scanning, every connected gamepad that supports force feedback is offered to the device
//! manager once, under its name, with the `sdl-gamepad` specifier (every gamepad matches it;
//! `xinput` with a version 4 database, which has no `sdl-gamepad`),
//! addressed `sdl-gamepad-<n>` (gilrs's id). A connected gamepad has one endpoint, `tx`: a write is
//! the protocol's hand-over packet, each motor a little-endian `u16` in feature order (low- and
//! high-frequency motors, then trigger motors); [`rumble_from_packet`] turns it into the strong
//! (low-frequency) and weak (high-frequency) magnitudes the platform plays until the next write
//! (trigger motors have no platform rumble here and are ignored). Disconnecting the gamepad ends
//! the device with a `Disconnected` event.
//!
//! gilrs's state is not shareable between threads, so one thread owns it: it lists gamepads,
//! follows connections and plays effects; the manager and the devices talk to it over channels.
//! Where the platform has no gamepad support (no udev, no input devices access), scanning logs
//! "gamepads unavailable" with the reason and finishes, the other buses unaffected.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::{broadcast, oneshot};

use super::{CommEvent, CommEventSender, CommManager, Hardware, HardwareConnector, HardwareEvent};
use crate::core::types::Endpoint;
use crate::error::DeviceError;
use crate::hwmgr::specifier::CommSpecifier;
use crate::hwmgr::KnownDevices;

/// How long the gamepad thread waits for events before looking at its requests.
const POLL: Duration = Duration::from_millis(20);

/// Strong (low-frequency) and weak (high-frequency) rumble magnitudes from a protocol packet:
/// little-endian `u16` motor values, the first two being the low- and high-frequency motors
/// (a single motor drives both). An empty or odd-length packet is an error.
pub fn rumble_from_packet(data: &[u8]) -> Result<(u16, u16), DeviceError> {
    if data.is_empty() || data.len() % 2 != 0 {
        return Err(DeviceError::Hardware(format!(
            "a gamepad packet carries 16-bit motor values, not {} bytes",
            data.len()
        )));
    }
    let motor = |i: usize| {
        data.get(i * 2..i * 2 + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let strong = motor(0).unwrap_or(0);
    Ok((strong, motor(1).unwrap_or(strong)))
}

/// The specifier gamepads are presented with: `sdl-gamepad` when a protocol of the
/// configuration has it (version 5 databases), else `xinput` (version 4 databases: the same two
/// motors first).
pub fn gamepad_specifier(config: &dyn KnownDevices) -> CommSpecifier {
    let sdl = config
        .specifiers()
        .iter()
        .any(|c| matches!(c, CommSpecifier::SdlGamepad));
    if sdl {
        CommSpecifier::SdlGamepad
    } else {
        CommSpecifier::XInput
    }
}

/// A request to the gamepad thread.
enum Request {
    /// Offer gamepads while `true`.
    Scan(bool),
    /// Play a rumble on a gamepad until the next one (0, 0 stops).
    Rumble {
        gamepad: usize,
        strong: u16,
        weak: u16,
        done: oneshot::Sender<Result<(), String>>,
    },
    /// The device let the gamepad go: stop its rumble, offer it again on the next scan.
    Release(usize),
    Shutdown,
}

/// Per-gamepad disconnection signals, shared with the hardware objects.
type Gone = Arc<Mutex<HashMap<usize, Arc<GamepadShared>>>>;

/// The gamepad comm manager.
pub struct GamepadCommManager {
    events: CommEventSender,
    specifier: CommSpecifier,
    thread: Mutex<Option<std::sync::mpsc::Sender<Request>>>,
    scanning: Arc<AtomicBool>,
}

impl std::fmt::Debug for GamepadCommManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GamepadCommManager").finish()
    }
}

impl GamepadCommManager {
    /// Creates the manager; found gamepads go to `events`, presented with the specifier
    /// [`gamepad_specifier`] picks for `config`. The platform's gamepad layer is opened at the
    /// first scan.
    pub fn new(config: &dyn KnownDevices, events: CommEventSender) -> GamepadCommManager {
        GamepadCommManager {
            events,
            specifier: gamepad_specifier(config),
            thread: Mutex::new(None),
            scanning: Arc::new(AtomicBool::new(false)),
        }
    }

    fn finish(&self) {
        if self.scanning.swap(false, Ordering::SeqCst) {
            let _ = self
                .events
                .send(CommEvent::ScanningFinished { manager: "gamepad" });
        }
    }
}

/// Opens gilrs on a new thread; answers whether that worked.
fn start_thread(
    events: CommEventSender,
    specifier: CommSpecifier,
) -> Result<std::sync::mpsc::Sender<Request>, String> {
    let (tx, rx) = std::sync::mpsc::channel::<Request>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
    let requests = tx.clone();
    std::thread::Builder::new()
        .name("haptix-gamepad".into())
        .spawn(move || {
            let mut gilrs = match gilrs::Gilrs::new() {
                Ok(g) => g,
                Err(gilrs::Error::NotImplemented(g)) => {
                    let _ = ready_tx.send(Err("this platform has no gamepad support".into()));
                    drop(g);
                    return;
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(()));
            run_thread(&mut gilrs, &rx, &requests, &events, &specifier);
        })
        .map_err(|e| format!("cannot start the gamepad thread: {e}"))?;
    ready_rx
        .recv_timeout(Duration::from_secs(10))
        .map_err(|_| "the gamepad layer did not start".to_string())??;
    Ok(tx)
}

fn run_thread(
    gilrs: &mut gilrs::Gilrs,
    rx: &std::sync::mpsc::Receiver<Request>,
    requests: &std::sync::mpsc::Sender<Request>,
    events: &CommEventSender,
    specifier: &CommSpecifier,
) {
    let mut scanning = false;
    let mut offered: HashSet<usize> = HashSet::new();
    let mut effects: HashMap<usize, gilrs::ff::Effect> = HashMap::new();
    let connected: Gone = Arc::new(Mutex::new(HashMap::new()));
    loop {
        // requests first
        loop {
            match rx.try_recv() {
                Ok(Request::Scan(on)) => scanning = on,
                Ok(Request::Rumble {
                    gamepad,
                    strong,
                    weak,
                    done,
                }) => {
                    let _ = done.send(rumble(gilrs, &mut effects, gamepad, strong, weak));
                }
                Ok(Request::Release(id)) => {
                    effects.remove(&id);
                    offered.remove(&id);
                    connected.lock().remove(&id);
                }
                Ok(Request::Shutdown) | Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    for shared in connected.lock().values() {
                        shared.close();
                    }
                    return;
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
            }
        }
        // connections and disconnections
        while let Some(event) = gilrs.next_event_blocking(Some(POLL)) {
            if let gilrs::EventType::Disconnected = event.event {
                let id: usize = event.id.into();
                effects.remove(&id);
                offered.remove(&id);
                if let Some(shared) = connected.lock().remove(&id) {
                    tracing::info!(gamepad = id, "gamepad disconnected");
                    shared.close();
                }
            }
        }
        if scanning {
            for (gid, pad) in gilrs.gamepads() {
                let id: usize = gid.into();
                if !pad.is_connected() || !pad.is_ff_supported() || !offered.insert(id) {
                    continue;
                }
                let (ev, _) = broadcast::channel(16);
                let shared = Arc::new(GamepadShared {
                    id,
                    name: pad.name().to_string(),
                    address: format!("sdl-gamepad-{id}"),
                    closed: AtomicBool::new(false),
                    events: ev,
                    requests: Mutex::new(requests.clone()),
                });
                connected.lock().insert(id, Arc::clone(&shared));
                tracing::debug!(gamepad = id, name = pad.name(), "gamepad found");
                let _ = events.send(CommEvent::DeviceFound(Box::new(GamepadConnector {
                    specifier: specifier.clone(),
                    shared,
                })));
            }
        }
    }
}

fn rumble(
    gilrs: &mut gilrs::Gilrs,
    effects: &mut HashMap<usize, gilrs::ff::Effect>,
    gamepad: usize,
    strong: u16,
    weak: u16,
) -> Result<(), String> {
    // the previous effect stops when dropped
    effects.remove(&gamepad);
    if strong == 0 && weak == 0 {
        return Ok(());
    }
    let Some((gid, _)) = gilrs.gamepads().find(|(g, _)| usize::from(*g) == gamepad) else {
        return Err(format!("gamepad {gamepad} is not connected"));
    };
    let forever = gilrs::ff::Replay {
        play_for: gilrs::ff::Ticks::from_ms(u32::MAX / 2),
        ..Default::default()
    };
    let effect = gilrs::ff::EffectBuilder::new()
        .add_effect(gilrs::ff::BaseEffect {
            kind: gilrs::ff::BaseEffectType::Strong { magnitude: strong },
            scheduling: forever,
            ..Default::default()
        })
        .add_effect(gilrs::ff::BaseEffect {
            kind: gilrs::ff::BaseEffectType::Weak { magnitude: weak },
            scheduling: forever,
            ..Default::default()
        })
        .gamepads(&[gid])
        .finish(gilrs)
        .map_err(|e| format!("gamepad {gamepad}: {e}"))?;
    effect
        .play()
        .map_err(|e| format!("gamepad {gamepad}: {e}"))?;
    effects.insert(gamepad, effect);
    Ok(())
}

#[async_trait]
impl CommManager for GamepadCommManager {
    fn name(&self) -> &'static str {
        "gamepad"
    }

    async fn start_scanning(&self) -> Result<(), DeviceError> {
        self.scanning.store(true, Ordering::SeqCst);
        let existing = self.thread.lock().clone();
        let sender = match existing {
            Some(s) => s,
            None => {
                let (events, specifier) = (self.events.clone(), self.specifier.clone());
                let started = tokio::task::spawn_blocking(move || start_thread(events, specifier))
                    .await
                    .unwrap_or_else(|e| Err(format!("gamepad start task failed: {e}")));
                match started {
                    Ok(s) => {
                        *self.thread.lock() = Some(s.clone());
                        s
                    }
                    Err(reason) => {
                        tracing::warn!(
                            %reason,
                            "gamepads unavailable; scanning the other buses only"
                        );
                        self.finish();
                        return Ok(());
                    }
                }
            }
        };
        if sender.send(Request::Scan(true)).is_err() {
            self.thread.lock().take();
            tracing::warn!("gamepads unavailable: the gamepad thread has ended");
            self.finish();
        }
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), DeviceError> {
        if let Some(s) = self.thread.lock().as_ref() {
            let _ = s.send(Request::Scan(false));
        }
        self.finish();
        Ok(())
    }

    fn is_scanning(&self) -> bool {
        self.scanning.load(Ordering::SeqCst)
    }

    async fn shutdown(&self) {
        self.scanning.store(false, Ordering::SeqCst);
        if let Some(s) = self.thread.lock().take() {
            let _ = s.send(Request::Shutdown);
        }
    }
}

impl Drop for GamepadCommManager {
    /// Ends the gamepad thread when the manager goes without a shutdown.
    fn drop(&mut self) {
        if let Some(s) = self.thread.lock().take() {
            let _ = s.send(Request::Shutdown);
        }
    }
}

/// A connected (or offered) gamepad's state, shared with the gamepad thread.
struct GamepadShared {
    id: usize,
    name: String,
    address: String,
    closed: AtomicBool,
    events: broadcast::Sender<HardwareEvent>,
    requests: Mutex<std::sync::mpsc::Sender<Request>>,
}

impl GamepadShared {
    fn close(&self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            let _ = self.events.send(HardwareEvent::Disconnected);
        }
    }
}

/// A gamepad found, not yet handed to a protocol.
struct GamepadConnector {
    specifier: CommSpecifier,
    shared: Arc<GamepadShared>,
}

#[async_trait]
impl HardwareConnector for GamepadConnector {
    fn specifier(&self) -> &CommSpecifier {
        &self.specifier
    }

    fn address(&self) -> &str {
        &self.shared.address
    }

    fn name(&self) -> &str {
        &self.shared.name
    }

    async fn connect(
        &mut self,
        _candidate: &[CommSpecifier],
    ) -> Result<Arc<dyn Hardware>, DeviceError> {
        if self.shared.closed.load(Ordering::SeqCst) {
            return Err(DeviceError::Disconnected(self.shared.address.clone()));
        }
        Ok(Arc::new(GamepadHardware {
            shared: Arc::clone(&self.shared),
        }))
    }
}

/// A connected gamepad.
struct GamepadHardware {
    shared: Arc<GamepadShared>,
}

#[async_trait]
impl Hardware for GamepadHardware {
    fn name(&self) -> &str {
        &self.shared.name
    }

    fn address(&self) -> &str {
        &self.shared.address
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        vec![Endpoint::Tx]
    }

    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        _with_response: bool,
    ) -> Result<(), DeviceError> {
        if self.shared.closed.load(Ordering::SeqCst) {
            return Err(DeviceError::Disconnected(self.shared.address.clone()));
        }
        if endpoint != Endpoint::Tx {
            return Err(DeviceError::Hardware(format!(
                "a gamepad has no {endpoint} endpoint (use tx)"
            )));
        }
        let (strong, weak) = rumble_from_packet(data)?;
        let (done, answer) = oneshot::channel();
        self.shared
            .requests
            .lock()
            .send(Request::Rumble {
                gamepad: self.shared.id,
                strong,
                weak,
                done,
            })
            .map_err(|_| DeviceError::Disconnected(self.shared.address.clone()))?;
        answer
            .await
            .map_err(|_| DeviceError::Disconnected(self.shared.address.clone()))?
            .map_err(DeviceError::Hardware)
    }

    async fn read(
        &self,
        endpoint: Endpoint,
        _length: u32,
        _timeout: Duration,
    ) -> Result<Vec<u8>, DeviceError> {
        Err(DeviceError::NotSupported(format!(
            "a gamepad has no {endpoint} endpoint to read"
        )))
    }

    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        Err(DeviceError::NotSupported(format!(
            "a gamepad has no {endpoint} endpoint to subscribe to"
        )))
    }

    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        self.subscribe(endpoint).await
    }

    fn events(&self) -> broadcast::Receiver<HardwareEvent> {
        self.shared.events.subscribe()
    }

    async fn disconnect(&self) {
        let _ = self
            .shared
            .requests
            .lock()
            .send(Request::Release(self.shared.id));
        self.shared.close();
    }
}
