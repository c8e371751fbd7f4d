//! One client session: handshake and version negotiation, the state machine, the ping watchdog,
//! routing of every message to the device manager, and conversion of replies and events to the
//! client's spec version.
//!
//! A session is an actor: one task owns its state and handles incoming messages strictly in
//! arrival order. Input reads run as separate tasks so a slow device does not hold up others.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::core::json::{decode_client_frame, DecodeError};
use crate::core::messages::{ClientMessage, MessageId, ServerMessage};
use crate::core::types::{ErrorCode, ErrorKind, InputCommand, InputType, OutputType, SpecVersion};
use crate::device::definition::FloatRule;
use crate::device::handle::Device;
use crate::device::protocol::OutputAction;
use crate::error::DeviceError;
use crate::server::device_manager::{DeviceEvent, DeviceManager};

/// Something for the session to handle.
#[derive(Debug)]
pub enum Incoming {
    /// A JSON text frame from a remote client.
    Frame(String),
    /// An already-decoded message from an in-process client (spec v4 or any version).
    Message(ClientMessage),
    /// A frame that cannot be part of the protocol (a binary WebSocket frame): answered with
    /// an `Error` (Id 0, `ERROR_MSG`) carrying this explanation.
    Invalid(String),
    /// The transport closed.
    Closed,
}

/// Something the transport must deliver.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// A message, to be encoded for `version`.
    Message {
        /// The message.
        message: ServerMessage,
        /// The spec version to encode it for.
        version: SpecVersion,
    },
    /// Close the transport, with a reason.
    Close(String),
}

/// Server identity and watchdog settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOptions {
    /// `ServerName`.
    pub server_name: String,
    /// `MaxPingTime` in ms (0 = off).
    pub max_ping_time: u32,
}

/// What a transport in the same process needs to answer output commands on its own thread.
#[derive(Debug)]
struct Inline {
    dm: DeviceManager,
    /// The session is connected with spec v4 and accepts commands.
    open: AtomicBool,
    /// Items passed to the session task and not yet handled by it.
    queued: AtomicUsize,
}

/// The handle a transport uses to feed a session.
#[derive(Debug, Clone)]
pub struct SessionHandle {
    tx: mpsc::UnboundedSender<Incoming>,
    inline: Arc<Inline>,
}

impl SessionHandle {
    /// Passes something to the session. Returns false when the session has ended.
    pub fn send(&self, incoming: Incoming) -> bool {
        self.inline.queued.fetch_add(1, Ordering::SeqCst);
        if self.tx.send(incoming).is_ok() {
            true
        } else {
            self.inline.queued.fetch_sub(1, Ordering::SeqCst);
            false
        }
    }

    /// Handles a v4 `OutputCmd` on the calling thread and returns its reply, exactly as the
    /// session task would, when that cannot reorder it: the session is connected with spec v4
    /// and has nothing of this connection still to handle. Otherwise (or for another message)
    /// returns `None`, and the message must go through [`SessionHandle::send`].
    ///
    /// This spares in-process clients (the C ABI's embedded server) a thread hop per command.
    pub fn try_output_inline(&self, message: &ClientMessage) -> Option<ServerMessage> {
        let ClientMessage::OutputCmd {
            id,
            device_index,
            feature_index,
            command,
        } = message
        else {
            return None;
        };
        if !self.inline.open.load(Ordering::SeqCst)
            || self.inline.queued.load(Ordering::SeqCst) != 0
        {
            return None;
        }
        let result = self
            .inline
            .dm
            .device(*device_index)
            .and_then(|d| d.check_output(*feature_index, command).map(|a| (d, a)))
            .and_then(|(d, a)| d.output(vec![a]));
        Some(match result {
            Ok(()) => ServerMessage::Ok { id: *id },
            Err(e) => device_error(*id, &e),
        })
    }

    /// True when the session has ended.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    AwaitingHandshake,
    Connected(SpecVersion),
    Disconnected,
    PingedOut,
}

struct Session {
    dm: DeviceManager,
    inline: Arc<Inline>,
    options: SessionOptions,
    out: mpsc::UnboundedSender<Outgoing>,
    state: State,
    announced: BTreeSet<u32>,
    ping_deadline: Option<Instant>,
    events: Option<mpsc::UnboundedReceiver<DeviceEvent>>,
    close: bool,
    /// While a multi-message frame is handled: validated v4 outputs per device, sent as one
    /// batch per device when the frame ends (latest value per feature wins, as the client sent
    /// them together).
    frame_outputs: Option<Vec<(Arc<Device>, OutputAction)>>,
}

/// Starts a session on the current runtime. Returns the handle to feed it and the receiver of
/// what it sends. The session ends (stopping scanning and every device) when `Incoming::Closed`
/// arrives, the handle is dropped, the client pings out or asks to disconnect.
pub fn start_session(
    dm: DeviceManager,
    options: SessionOptions,
) -> (SessionHandle, mpsc::UnboundedReceiver<Outgoing>) {
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let inline = Arc::new(Inline {
        dm: dm.clone(),
        open: AtomicBool::new(false),
        queued: AtomicUsize::new(0),
    });
    let session = Session {
        inline: Arc::clone(&inline),
        dm,
        options,
        out: out_tx,
        state: State::AwaitingHandshake,
        announced: BTreeSet::new(),
        ping_deadline: None,
        events: None,
        close: false,
        frame_outputs: None,
    };
    tokio::spawn(session.run(in_rx));
    (SessionHandle { tx: in_tx, inline }, out_rx)
}

fn device_error(id: MessageId, e: &DeviceError) -> ServerMessage {
    ServerMessage::device_error(id, e.kind(), e.to_string())
}

impl Session {
    fn version(&self) -> SpecVersion {
        match self.state {
            State::Connected(v) => v,
            _ => SpecVersion::V4,
        }
    }

    fn send(&self, message: ServerMessage) {
        let _ = self.out.send(Outgoing::Message {
            message,
            version: self.version(),
        });
    }

    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Incoming>) {
        loop {
            let ping = self.ping_deadline;
            tokio::select! {
                biased;
                incoming = rx.recv() => match incoming {
                    None | Some(Incoming::Closed) => {
                        self.disconnect().await;
                        break;
                    }
                    Some(Incoming::Frame(text)) => {
                        self.on_frame(&text).await;
                        self.inline.queued.fetch_sub(1, Ordering::SeqCst);
                    }
                    Some(Incoming::Message(m)) => {
                        self.on_message(m).await;
                        self.inline.queued.fetch_sub(1, Ordering::SeqCst);
                    }
                    Some(Incoming::Invalid(why)) => {
                        self.send_decode_error(&DecodeError::new(0, ErrorCode::Message, why));
                        self.inline.queued.fetch_sub(1, Ordering::SeqCst);
                    }
                },
                ev = recv_event(&mut self.events) => match ev {
                    Some(ev) => self.on_device_event(ev),
                    None => self.events = None,
                },
                _ = sleep_until_opt(ping) => self.ping_out().await,
            }
            if self.close {
                break;
            }
        }
        self.inline.open.store(false, Ordering::SeqCst);
    }

    async fn on_frame(&mut self, text: &str) {
        let version = match self.state {
            State::Connected(v) => Some(v),
            State::AwaitingHandshake => None,
            // Parse leniently after the session ended, to report the right Id.
            State::Disconnected | State::PingedOut => Some(SpecVersion::V4),
        };
        match decode_client_frame(text, version) {
            Err(e) => self.send_decode_error(&e),
            Ok(messages) => {
                if messages.len() > 1 {
                    self.frame_outputs = Some(Vec::new());
                }
                for m in messages {
                    match m {
                        Ok(m) => self.on_message(m).await,
                        Err(e) => self.send_decode_error(&e),
                    }
                    if self.close {
                        break;
                    }
                }
                self.flush_frame_outputs();
            }
        }
    }

    /// Sends the outputs collected from one frame, one batch per device, in arrival order.
    fn flush_frame_outputs(&mut self) {
        let Some(pending) = self.frame_outputs.take() else {
            return;
        };
        let mut batches: Vec<(Arc<Device>, Vec<OutputAction>)> = Vec::new();
        for (device, action) in pending {
            match batches.iter_mut().find(|(d, _)| Arc::ptr_eq(d, &device)) {
                Some((_, actions)) => {
                    // a later command to the same feature replaces an earlier one
                    actions.retain(|a| a.feature != action.feature);
                    actions.push(action);
                }
                None => batches.push((device, vec![action])),
            }
        }
        for (device, actions) in batches {
            if let Err(e) = device.output(actions) {
                tracing::warn!(device = device.index(), error = %e, "output failed after it was accepted");
            }
        }
    }

    fn send_decode_error(&self, e: &DecodeError) {
        match self.state {
            State::PingedOut => self.send(ServerMessage::error(
                e.id,
                ErrorCode::Ping,
                "the session pinged out",
            )),
            State::Disconnected => self.send(ServerMessage::error(
                e.id,
                ErrorCode::Handshake,
                "the session has disconnected; reconnect denied",
            )),
            _ => self.send(ServerMessage::error(e.id, e.code, e.message.clone())),
        }
    }

    async fn on_message(&mut self, message: ClientMessage) {
        let id = message.id();
        match self.state {
            State::PingedOut => {
                self.send(ServerMessage::error(
                    id,
                    ErrorCode::Ping,
                    "the session pinged out",
                ));
                return;
            }
            State::Disconnected => {
                self.send(ServerMessage::error(
                    id,
                    ErrorCode::Handshake,
                    "the session has disconnected; reconnect denied",
                ));
                return;
            }
            State::AwaitingHandshake => {
                if let ClientMessage::RequestServerInfo { .. } = message {
                    self.handshake(message);
                } else {
                    self.send(ServerMessage::error(
                        id,
                        ErrorCode::Handshake,
                        format!("RequestServerInfo expected, got {}", message.name()),
                    ));
                }
                return;
            }
            State::Connected(_) => {}
        }
        if let Some(reply) = self.handle(message).await {
            self.send(reply);
        }
    }

    fn handshake(&mut self, message: ClientMessage) {
        let ClientMessage::RequestServerInfo {
            id,
            client_name,
            message_version,
            protocol_version_major,
            ..
        } = message
        else {
            return;
        };
        let requested = protocol_version_major.or(message_version).unwrap_or(0);
        let Some(version) = SpecVersion::from_number(u64::from(requested)) else {
            self.send(ServerMessage::error(
                id,
                ErrorCode::Handshake,
                format!(
                    "client spec version {requested} is newer than this server's {}",
                    SpecVersion::LATEST.number()
                ),
            ));
            let _ = self.out.send(Outgoing::Close(format!(
                "unsupported spec version {requested}"
            )));
            self.state = State::Disconnected;
            self.close = true;
            return;
        };
        tracing::info!(version = %version, "client connected");
        tracing::debug!(client = %client_name, "client name");
        self.state = State::Connected(version);
        self.inline
            .open
            .store(version == SpecVersion::V4, Ordering::SeqCst);
        self.events = Some(self.dm.subscribe());
        if self.options.max_ping_time > 0 {
            self.ping_deadline =
                Some(Instant::now() + Duration::from_millis(u64::from(self.options.max_ping_time)));
        }
        self.send(ServerMessage::ServerInfo {
            id,
            server_name: self.options.server_name.clone(),
            max_ping_time: self.options.max_ping_time,
        });
    }

    async fn ping_out(&mut self) {
        tracing::warn!("client ping timed out; stopping every device");
        self.ping_deadline = None;
        self.state = State::PingedOut;
        self.inline.open.store(false, Ordering::SeqCst);
        self.events = None;
        let _ = self.dm.stop_scanning().await;
        self.dm.stop_all(true, true).await;
        let _ = self.out.send(Outgoing::Message {
            message: ServerMessage::error(
                0,
                ErrorCode::Ping,
                "ping timeout: no Ping within MaxPingTime",
            ),
            version: SpecVersion::V4,
        });
        let _ = self.out.send(Outgoing::Close("ping timeout".to_string()));
        self.close = true;
    }

    async fn disconnect(&mut self) {
        self.inline.open.store(false, Ordering::SeqCst);
        if matches!(self.state, State::Connected(_)) {
            tracing::info!("client disconnected; stopping scanning and every device");
            let _ = self.dm.stop_scanning().await;
            self.dm.stop_all(true, true).await;
        }
        self.state = State::Disconnected;
        self.ping_deadline = None;
        self.events = None;
    }

    fn on_device_event(&mut self, ev: DeviceEvent) {
        let v4 = self.version() == SpecVersion::V4;
        match ev {
            DeviceEvent::Added(info) => {
                if v4 {
                    self.send(ServerMessage::DeviceList {
                        id: 0,
                        devices: self.dm.device_infos(),
                    });
                } else if self.announced.insert(info.index) {
                    self.send(ServerMessage::DeviceAdded { device: info });
                }
            }
            DeviceEvent::Removed(index) => {
                if v4 {
                    self.send(ServerMessage::DeviceList {
                        id: 0,
                        devices: self.dm.device_infos(),
                    });
                } else if self.announced.remove(&index) {
                    self.send(ServerMessage::DeviceRemoved {
                        device_index: index,
                    });
                }
            }
            DeviceEvent::Reading {
                device_index,
                feature_index,
                reading,
            } => {
                if v4 {
                    self.send(ServerMessage::InputReading {
                        id: 0,
                        device_index,
                        feature_index,
                        reading,
                    });
                }
            }
            DeviceEvent::ScanningFinished => self.send(ServerMessage::ScanningFinished),
        }
    }

    fn device(&self, index: u32) -> Result<Arc<Device>, DeviceError> {
        self.dm.device(index)
    }

    /// Handles a message in the connected state; returns the reply (None when a task replies).
    async fn handle(&mut self, message: ClientMessage) -> Option<ServerMessage> {
        let id = message.id();
        let ok = ServerMessage::Ok { id };
        let reply = match message {
            ClientMessage::RequestServerInfo { .. } => {
                ServerMessage::error(id, ErrorCode::Handshake, "handshake already happened")
            }
            ClientMessage::Ping { .. } => {
                if let Some(d) = self.ping_deadline.as_mut() {
                    *d = Instant::now()
                        + Duration::from_millis(u64::from(self.options.max_ping_time));
                }
                ok
            }
            ClientMessage::StartScanning { .. } => match self.dm.start_scanning().await {
                Ok(()) => ok,
                Err(e) => device_error(id, &e),
            },
            ClientMessage::StopScanning { .. } => match self.dm.stop_scanning().await {
                Ok(()) => ok,
                Err(e) => device_error(id, &e),
            },
            ClientMessage::RequestDeviceList { .. } => {
                let devices = self.dm.device_infos();
                if self.version() != SpecVersion::V4 {
                    self.announced = devices.iter().map(|d| d.index).collect();
                }
                ServerMessage::DeviceList { id, devices }
            }
            ClientMessage::Disconnect { .. } => {
                self.send(ok);
                self.disconnect().await;
                let _ = self
                    .out
                    .send(Outgoing::Close("client asked to disconnect".into()));
                self.close = true;
                return None;
            }
            ClientMessage::Test { test_string, .. } => {
                if test_string == "Error" {
                    ServerMessage::error(id, ErrorCode::Message, "test error requested")
                } else {
                    ServerMessage::Test { id, test_string }
                }
            }
            ClientMessage::RequestLog { .. } => ServerMessage::error(
                id,
                ErrorCode::Message,
                "RequestLog is not supported by this server",
            ),
            ClientMessage::FleshlightLaunchFw12Cmd { .. }
            | ClientMessage::VorzeA10CycloneCmd { .. }
            | ClientMessage::LovenseCmd { .. }
            | ClientMessage::KiirooCmd { .. }
            | ClientMessage::RssiLevelCmd { .. }
            | ClientMessage::RawCmd { .. } => ServerMessage::error(
                id,
                ErrorCode::Message,
                format!("{} is no longer supported", message.name()),
            ),
            ClientMessage::SensorSubscribeCmd { .. }
            | ClientMessage::SensorUnsubscribeCmd { .. } => ServerMessage::device_error(
                id,
                ErrorKind::NotSupported,
                format!("{} is not supported; use spec v4 InputCmd", message.name()),
            ),
            ClientMessage::StopAllDevices { .. } => {
                self.dm.stop_all(true, true).await;
                ok
            }
            ClientMessage::StopCmd {
                device_index,
                feature_index,
                inputs,
                outputs,
                ..
            } => match device_index {
                None => {
                    self.dm.stop_all(inputs, outputs).await;
                    ok
                }
                Some(i) => match self.device(i) {
                    Ok(d) => match d.stop(feature_index, inputs, outputs).await {
                        Ok(()) => ok,
                        Err(e) => device_error(id, &e),
                    },
                    Err(e) => device_error(id, &e),
                },
            },
            ClientMessage::StopDeviceCmd { device_index, .. } => match self.device(device_index) {
                Ok(d) => match d.stop(None, true, true).await {
                    Ok(()) => ok,
                    Err(e) => device_error(id, &e),
                },
                Err(e) => device_error(id, &e),
            },
            ClientMessage::OutputCmd {
                device_index,
                feature_index,
                command,
                ..
            } => {
                let checked = self
                    .device(device_index)
                    .and_then(|d| d.check_output(feature_index, &command).map(|a| (d, a)));
                let result = match (checked, self.frame_outputs.as_mut()) {
                    (Ok(pair), Some(pending)) => {
                        pending.push(pair);
                        Ok(())
                    }
                    (Ok((d, a)), None) => d.output(vec![a]),
                    (Err(e), _) => Err(e),
                };
                match result {
                    Ok(()) => ok,
                    Err(e) => device_error(id, &e),
                }
            }
            ClientMessage::InputCmd {
                device_index,
                feature_index,
                input_type,
                command,
                ..
            } => {
                let device = match self.device(device_index) {
                    Ok(d) => d,
                    Err(e) => return Some(device_error(id, &e)),
                };
                if command == InputCommand::Read {
                    let out = self.out.clone();
                    let version = self.version();
                    tokio::spawn(async move {
                        let message = match device.input(feature_index, input_type, command).await {
                            Ok(Some(reading)) => ServerMessage::InputReading {
                                id,
                                device_index,
                                feature_index,
                                reading,
                            },
                            Ok(None) => ServerMessage::device_error(
                                id,
                                ErrorKind::DeviceFailed,
                                "the device returned no reading",
                            ),
                            Err(e) => device_error(id, &e),
                        };
                        let _ = out.send(Outgoing::Message { message, version });
                    });
                    return None;
                }
                match device.input(feature_index, input_type, command).await {
                    Ok(_) => ok,
                    Err(e) => device_error(id, &e),
                }
            }
            ClientMessage::SingleMotorVibrateCmd {
                device_index,
                speed,
                ..
            } => self.legacy_output(id, device_index, |d| {
                let vibrators = d.legacy().vibrators();
                if vibrators.is_empty() {
                    return Err(no_support(d, "vibrators"));
                }
                vibrators
                    .iter()
                    .map(|e| {
                        action(
                            d,
                            e.feature_index,
                            OutputType::Vibrate,
                            speed,
                            FloatRule::Value,
                            None,
                            true,
                        )
                    })
                    .collect()
            }),
            ClientMessage::VibrateCmd {
                device_index,
                speeds,
                ..
            } => self.legacy_output(id, device_index, |d| {
                let vibrators = d.legacy().vibrators();
                if vibrators.is_empty() {
                    return Err(no_support(d, "vibrators"));
                }
                speeds
                    .iter()
                    .map(|s| {
                        let e = index_into(&vibrators, s.index, d, "vibrator")?;
                        action(
                            d,
                            e.feature_index,
                            OutputType::Vibrate,
                            s.speed,
                            FloatRule::Value,
                            None,
                            true,
                        )
                    })
                    .collect()
            }),
            ClientMessage::ScalarCmd {
                device_index,
                scalars,
                ..
            } => self.legacy_output(id, device_index, |d| {
                if scalars.is_empty() {
                    return Err(DeviceError::OutOfRange(
                        "ScalarCmd needs at least one scalar".into(),
                    ));
                }
                let list = &d.legacy().scalar;
                if list.is_empty() {
                    return Err(no_support(d, "scalar outputs"));
                }
                scalars
                    .iter()
                    .map(|s| {
                        let e = list.get(s.index as usize).ok_or_else(|| {
                            DeviceError::OutOfRange(format!(
                                "scalar index {} is out of range for device {} ({} scalars)",
                                s.index,
                                d.index(),
                                list.len()
                            ))
                        })?;
                        let kind = OutputType::from_wire(&s.actuator)
                            .filter(|k| !matches!(k, OutputType::HwPositionWithDuration))
                            .ok_or_else(|| {
                                DeviceError::NotSupported(format!(
                                    "unknown actuator type {:?}",
                                    s.actuator
                                ))
                            })?;
                        let rule = if kind == OutputType::Position {
                            FloatRule::Position
                        } else {
                            FloatRule::Value
                        };
                        action(d, e.feature_index, kind, s.scalar, rule, None, true)
                    })
                    .collect()
            }),
            ClientMessage::RotateCmd {
                device_index,
                rotations,
                ..
            } => self.legacy_output(id, device_index, |d| {
                let list: Vec<_> = d.legacy().rotate.iter().collect();
                if list.is_empty() {
                    return Err(no_support(d, "rotators"));
                }
                rotations
                    .iter()
                    .map(|r| {
                        let e = index_into(&list, r.index, d, "rotator")?;
                        action(
                            d,
                            e.feature_index,
                            OutputType::Rotate,
                            r.speed,
                            FloatRule::Value,
                            None,
                            r.clockwise,
                        )
                    })
                    .collect()
            }),
            ClientMessage::LinearCmd {
                device_index,
                vectors,
                ..
            } => self.legacy_output(id, device_index, |d| {
                let list: Vec<_> = d.legacy().linear.iter().collect();
                if list.is_empty() {
                    return Err(no_support(d, "linear actuators"));
                }
                vectors
                    .iter()
                    .map(|v| {
                        let e = index_into(&list, v.index, d, "linear actuator")?;
                        action(
                            d,
                            e.feature_index,
                            OutputType::HwPositionWithDuration,
                            v.position.max(0.0),
                            FloatRule::Linear,
                            Some(v.duration),
                            true,
                        )
                    })
                    .collect()
            }),
            ClientMessage::BatteryLevelCmd { device_index, .. } => {
                return self.legacy_battery(id, device_index, None);
            }
            ClientMessage::SensorReadCmd {
                device_index,
                sensor_index,
                sensor_type,
                ..
            } => {
                if InputType::from_wire(&sensor_type) != Some(InputType::Battery) {
                    return Some(ServerMessage::device_error(
                        id,
                        ErrorKind::NotSupported,
                        format!("sensor type {sensor_type:?} cannot be read in spec v3"),
                    ));
                }
                return self.legacy_battery(id, device_index, Some((sensor_index, sensor_type)));
            }
        };
        Some(reply)
    }

    fn legacy_output(
        &self,
        id: MessageId,
        device_index: u32,
        build: impl FnOnce(&Device) -> Result<Vec<OutputAction>, DeviceError>,
    ) -> ServerMessage {
        let result = self
            .device(device_index)
            .and_then(|d| build(&d).and_then(|actions| d.output(actions)));
        match result {
            Ok(()) => ServerMessage::Ok { id },
            Err(e) => device_error(id, &e),
        }
    }

    fn legacy_battery(
        &self,
        id: MessageId,
        device_index: u32,
        sensor: Option<(u32, String)>,
    ) -> Option<ServerMessage> {
        let device = match self.device(device_index) {
            Ok(d) => d,
            Err(e) => return Some(device_error(id, &e)),
        };
        let Some(feature) = device
            .legacy()
            .sensor_read
            .iter()
            .find(|s| s.kind == InputType::Battery)
            .map(|s| s.feature_index)
        else {
            return Some(ServerMessage::device_error(
                id,
                ErrorKind::NotSupported,
                format!("device {device_index} has no battery"),
            ));
        };
        let out = self.out.clone();
        let version = self.version();
        tokio::spawn(async move {
            let message = match device
                .input(feature, InputType::Battery, InputCommand::Read)
                .await
            {
                Ok(Some(reading)) => {
                    let level = reading.as_i64();
                    match sensor {
                        Some((sensor_index, sensor_type)) => ServerMessage::SensorReading {
                            id,
                            device_index,
                            sensor_index,
                            sensor_type,
                            data: vec![i32::try_from(level).unwrap_or(0)],
                        },
                        None => ServerMessage::BatteryLevelReading {
                            id,
                            device_index,
                            battery_level: level as f64 / 100.0,
                        },
                    }
                }
                Ok(None) => {
                    ServerMessage::device_error(id, ErrorKind::DeviceFailed, "no battery reading")
                }
                Err(e) => device_error(id, &e),
            };
            let _ = out.send(Outgoing::Message { message, version });
        });
        None
    }
}

fn no_support(d: &Device, what: &str) -> DeviceError {
    DeviceError::NotSupported(format!("device {} has no {what}", d.index()))
}

fn index_into<'a, T>(
    list: &'a [&'a T],
    index: u32,
    d: &Device,
    what: &str,
) -> Result<&'a T, DeviceError> {
    list.get(index as usize).copied().ok_or_else(|| {
        DeviceError::OutOfRange(format!(
            "{what} index {index} is out of range for device {} ({} present)",
            d.index(),
            list.len()
        ))
    })
}

/// Builds a validated action from a legacy float.
fn action(
    d: &Device,
    feature_index: u32,
    kind: OutputType,
    value: f64,
    rule: FloatRule,
    duration: Option<u32>,
    positive: bool,
) -> Result<OutputAction, DeviceError> {
    let feature = d
        .definition()
        .feature(feature_index)
        .ok_or(DeviceError::NoFeature {
            device: d.index(),
            feature: feature_index,
        })?;
    let output = feature
        .output(kind)
        .filter(|o| !o.disabled)
        .ok_or_else(|| {
            DeviceError::NotSupported(format!(
                "feature {feature_index} of device {} has no {kind} output",
                d.index()
            ))
        })?;
    let step = output.float_to_step(value, rule)?;
    let step = if positive { step } else { -step };
    let command = crate::core::messages::OutputCommand {
        kind,
        value: step,
        duration,
    };
    d.check_output(feature_index, &command)
}

async fn recv_event(
    events: &mut Option<mpsc::UnboundedReceiver<DeviceEvent>>,
) -> Option<DeviceEvent> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
