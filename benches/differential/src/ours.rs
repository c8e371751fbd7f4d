//! Haptix's side: the embedded server (`haptix::server::Server`) with the official file, the
//! recording toy plugged in as a comm manager of its own (through the public `haptix::hwmgr`
//! traits, so reads are recorded too), and an in-process session speaking Buttplug JSON.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::{broadcast, mpsc};

use haptix::core::json::encode_server_message;
use haptix::core::types::Endpoint;
use haptix::device::config::{
    BtleSpecifier, CommSpecifier, DeviceConfigManager, ManufacturerData, SerialSpecifier, VidPid,
};
use haptix::error::DeviceError;
use haptix::hwmgr::{
    CommEvent, CommEventSender, CommManager, Hardware, HardwareConnector, HardwareEvent,
};
use haptix::server::{Incoming, Outgoing, Server, SessionHandle, SessionOptions};

use crate::cases::{Bus, Case};
use crate::run::Conn;
use crate::toy::Toy;

const ADDRESS: &str = "DIFF-TOY-0001";

struct RecordingHw {
    name: String,
    /// What the toy advertises (Bluetooth LE), as a real peripheral's advertisement.
    manufacturer_data: Vec<ManufacturerData>,
    endpoints: Vec<Endpoint>,
    toy: Arc<Toy>,
    events: broadcast::Sender<HardwareEvent>,
}

fn endpoint_name(e: Endpoint) -> String {
    e.to_string().to_lowercase()
}

#[async_trait]
impl Hardware for RecordingHw {
    fn name(&self) -> &str {
        &self.name
    }

    fn manufacturer_data(&self) -> Vec<ManufacturerData> {
        self.manufacturer_data.clone()
    }

    fn address(&self) -> &str {
        ADDRESS
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        self.endpoints.clone()
    }

    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        with_response: bool,
    ) -> Result<(), DeviceError> {
        self.toy
            .write(&endpoint_name(endpoint), data, with_response);
        Ok(())
    }

    async fn read(
        &self,
        endpoint: Endpoint,
        _length: u32,
        _timeout: Duration,
    ) -> Result<Vec<u8>, DeviceError> {
        Ok(self.toy.read(&endpoint_name(endpoint)))
    }

    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        self.toy.subscribe(&endpoint_name(endpoint));
        Ok(())
    }

    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), DeviceError> {
        self.toy.unsubscribe(&endpoint_name(endpoint));
        Ok(())
    }

    fn events(&self) -> broadcast::Receiver<HardwareEvent> {
        self.events.subscribe()
    }

    async fn disconnect(&self) {
        let _ = self.events.send(HardwareEvent::Disconnected);
    }
}

struct RecordingConnector {
    specifier: CommSpecifier,
    hw: Arc<RecordingHw>,
    /// The characteristic UUIDs the toy has (Bluetooth LE only).
    characteristics: Vec<String>,
}

#[async_trait]
impl HardwareConnector for RecordingConnector {
    fn specifier(&self) -> &CommSpecifier {
        &self.specifier
    }

    fn address(&self) -> &str {
        ADDRESS
    }

    fn name(&self) -> &str {
        &self.hw.name
    }

    async fn connect(
        &mut self,
        candidate: &[CommSpecifier],
    ) -> Result<Arc<dyn Hardware>, DeviceError> {
        // as a Bluetooth LE device does, refuse a candidate protocol none of whose
        // characteristics the toy has (it has those of its definition's protocol)
        let wanted: Vec<String> = candidate
            .iter()
            .filter_map(|s| match s {
                CommSpecifier::Btle(b) => Some(b),
                _ => None,
            })
            .flat_map(|b| b.services.iter())
            .flat_map(|s| {
                s.characteristics
                    .iter()
                    .map(|(_, uuid)| uuid.to_lowercase())
            })
            .collect();
        if !wanted.is_empty() && !wanted.iter().any(|u| self.characteristics.contains(u)) {
            return Err(DeviceError::Hardware(
                "the toy has none of the candidate's characteristics".into(),
            ));
        }
        Ok(self.hw.clone())
    }
}

/// Offers the recording toy on the first scan.
struct RecordingManager {
    events: CommEventSender,
    found: Mutex<Option<RecordingConnector>>,
    scanning: AtomicBool,
}

#[async_trait]
impl CommManager for RecordingManager {
    fn name(&self) -> &'static str {
        "differential"
    }

    async fn start_scanning(&self) -> Result<(), DeviceError> {
        self.scanning.store(true, Ordering::SeqCst);
        if let Some(c) = self.found.lock().unwrap().take() {
            let _ = self.events.send(CommEvent::DeviceFound(Box::new(c)));
        }
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), DeviceError> {
        self.scanning.store(false, Ordering::SeqCst);
        Ok(())
    }

    fn is_scanning(&self) -> bool {
        self.scanning.load(Ordering::SeqCst)
    }
}

fn specifier(bus: &Bus) -> CommSpecifier {
    match bus {
        Bus::Btle {
            name,
            manufacturer_data,
            advertised_services,
            ..
        } => CommSpecifier::Btle(BtleSpecifier {
            names: vec![name.clone()],
            manufacturer_data: manufacturer_data
                .iter()
                .map(|(company, data)| ManufacturerData {
                    company: *company,
                    data: Some(data.clone()),
                })
                .collect(),
            advertised_services: advertised_services.clone(),
            services: Vec::new(),
        }),
        Bus::Serial { port } => CommSpecifier::Serial(SerialSpecifier {
            port: port.clone(),
            baud_rate: 0,
            data_bits: 8,
            parity: 'N',
            stop_bits: 1,
        }),
        Bus::Hid { vid, pid } => CommSpecifier::Hid(vec![VidPid {
            vendor_id: *vid,
            product_id: *pid,
        }]),
        Bus::Usb { vid, pid } => CommSpecifier::Usb(vec![VidPid {
            vendor_id: *vid,
            product_id: *pid,
        }]),
    }
}

struct OurConn {
    handle: SessionHandle,
    rx: mpsc::UnboundedReceiver<Outgoing>,
    pending: Vec<Value>,
}

#[async_trait]
impl Conn for OurConn {
    fn send(&mut self, message: &Value) -> Result<(), String> {
        let frame = Value::Array(vec![message.clone()]).to_string();
        if self.handle.send(Incoming::Frame(frame)) {
            Ok(())
        } else {
            Err("the session closed".into())
        }
    }

    async fn recv(&mut self, timeout: Duration) -> Option<Value> {
        if !self.pending.is_empty() {
            return Some(self.pending.remove(0));
        }
        match tokio::time::timeout(timeout, self.rx.recv()).await {
            Ok(Some(Outgoing::Message { message, version })) => {
                let v = encode_server_message(&message, version);
                // one message per frame; unwrap an array if the encoder gives one
                match v {
                    Value::Array(mut a) if !a.is_empty() => {
                        let first = a.remove(0);
                        self.pending.extend(a);
                        Some(first)
                    }
                    other => Some(other),
                }
            }
            _ => None,
        }
    }
}

/// Runs one case against haptix; the toy records what happened.
pub async fn run(
    config: &Path,
    case: &Case,
    bus: &Bus,
    toy: &Arc<Toy>,
    steps: &[crate::script::Step],
) -> Result<(), String> {
    let dcm = DeviceConfigManager::from_path(config).map_err(|e| e.to_string())?;
    let server = Server::new(
        dcm,
        SessionOptions {
            server_name: "differential".into(),
            max_ping_time: 0,
        },
    );
    let endpoints: Vec<Endpoint> = case
        .endpoints
        .iter()
        .filter_map(|e| e.parse().ok())
        .collect();
    let (events, _) = broadcast::channel(256);
    let specifier = specifier(bus);
    let manufacturer_data = match &specifier {
        CommSpecifier::Btle(b) => b.manufacturer_data.clone(),
        _ => Vec::new(),
    };
    let hw = Arc::new(RecordingHw {
        name: bus.name(),
        manufacturer_data,
        endpoints,
        toy: toy.clone(),
        events: events.clone(),
    });
    toy.set_deliver(Box::new(move |ep, data| {
        if let Ok(endpoint) = ep.parse::<Endpoint>() {
            let _ = events.send(HardwareEvent::Notification { endpoint, data });
        }
    }));
    let manager = RecordingManager {
        events: server.comm_sender(),
        found: Mutex::new(Some(RecordingConnector {
            specifier,
            hw,
            characteristics: match &case.bus {
                Ok(Bus::Btle {
                    characteristics, ..
                }) => characteristics.clone(),
                _ => Vec::new(),
            },
        })),
        scanning: AtomicBool::new(false),
    };
    server
        .add_comm_manager(Arc::new(manager))
        .map_err(|e| e.to_string())?;
    let (handle, rx) = server.connect();
    let mut conn = OurConn {
        handle,
        rx,
        pending: Vec::new(),
    };
    let result = crate::run::run(&mut conn, toy, steps).await;
    conn.handle.send(Incoming::Closed);
    server.shutdown().await;
    result
}
