//! The reference side: Buttplug's server from crates.io with the official file, the recording
//! toy plugged in through the server's public hardware traits (as benches/compare does), and
//! Buttplug JSON through the reference's own serializer. Messages are handled one after another
//! in arrival order, like one client connection.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use buttplug_core::errors::ButtplugDeviceError;
use buttplug_core::message::serializer::{ButtplugMessageSerializer, ButtplugSerializedMessage};
use buttplug_core::ButtplugResultFuture;
use buttplug_server::device::hardware::communication::{
    HardwareCommunicationManager, HardwareCommunicationManagerBuilder,
    HardwareCommunicationManagerEvent,
};
use buttplug_server::device::hardware::{
    Hardware, HardwareConnector, HardwareEvent, HardwareInternal, HardwareReadCmd, HardwareReading,
    HardwareSpecializer, HardwareSubscribeCmd, HardwareUnsubscribeCmd, HardwareWriteCmd,
};
use buttplug_server::device::ServerDeviceManagerBuilder;
use buttplug_server::message::serializer::ButtplugServerJSONSerializer;
use buttplug_server::ButtplugServerBuilder;
use buttplug_server_device_config::{
    load_protocol_configs, BluetoothLESpecifier, Endpoint, ProtocolCommunicationSpecifier,
    SerialSpecifier, VIDPIDSpecifier,
};
use futures::future::{self, BoxFuture, FutureExt};
use futures::StreamExt;
use serde_json::Value;
use tokio::sync::{broadcast, mpsc};

use crate::cases::{Bus, Case};
use crate::run::Conn;
use crate::toy::Toy;

const ADDRESS: &str = "DIFF-TOY-0001";

fn endpoint_name(e: Endpoint) -> String {
    e.to_string().to_lowercase()
}

struct RecordingHw {
    toy: Arc<Toy>,
    events: broadcast::Sender<HardwareEvent>,
}

impl HardwareInternal for RecordingHw {
    fn disconnect(&self) -> BoxFuture<'static, Result<(), ButtplugDeviceError>> {
        let _ = self
            .events
            .send(HardwareEvent::Disconnected(ADDRESS.to_owned()));
        future::ready(Ok(())).boxed()
    }

    fn event_stream(&self) -> broadcast::Receiver<HardwareEvent> {
        self.events.subscribe()
    }

    fn read_value(
        &self,
        msg: &HardwareReadCmd,
    ) -> BoxFuture<'static, Result<HardwareReading, ButtplugDeviceError>> {
        let data = self.toy.read(&endpoint_name(msg.endpoint()));
        future::ready(Ok(HardwareReading::new(msg.endpoint(), &data))).boxed()
    }

    fn write_value(
        &self,
        msg: &HardwareWriteCmd,
    ) -> BoxFuture<'static, Result<(), ButtplugDeviceError>> {
        self.toy.write(
            &endpoint_name(msg.endpoint()),
            msg.data(),
            msg.write_with_response(),
        );
        future::ready(Ok(())).boxed()
    }

    fn subscribe(
        &self,
        msg: &HardwareSubscribeCmd,
    ) -> BoxFuture<'static, Result<(), ButtplugDeviceError>> {
        self.toy.subscribe(&endpoint_name(msg.endpoint()));
        future::ready(Ok(())).boxed()
    }

    fn unsubscribe(
        &self,
        msg: &HardwareUnsubscribeCmd,
    ) -> BoxFuture<'static, Result<(), ButtplugDeviceError>> {
        self.toy.unsubscribe(&endpoint_name(msg.endpoint()));
        future::ready(Ok(())).boxed()
    }
}

struct Toyish {
    name: String,
    specifier: ProtocolCommunicationSpecifier,
    endpoints: Vec<Endpoint>,
    /// The characteristic UUIDs (lower case) the toy has (Bluetooth LE only).
    characteristics: Vec<String>,
    toy: Arc<Toy>,
}

impl fmt::Debug for Toyish {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordingToy")
            .field("name", &self.name)
            .finish()
    }
}

struct RecordingConnector {
    specifier: ProtocolCommunicationSpecifier,
    toy: Option<Toyish>,
}

impl fmt::Debug for RecordingConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.toy.fmt(f)
    }
}

#[async_trait]
impl HardwareConnector for RecordingConnector {
    fn specifier(&self) -> ProtocolCommunicationSpecifier {
        self.specifier.clone()
    }

    async fn connect(&mut self) -> Result<Box<dyn HardwareSpecializer>, ButtplugDeviceError> {
        Ok(Box::new(RecordingSpecializer(self.toy.take())))
    }
}

struct RecordingSpecializer(Option<Toyish>);

#[async_trait]
impl HardwareSpecializer for RecordingSpecializer {
    async fn specialize(
        &mut self,
        protocols: &[ProtocolCommunicationSpecifier],
    ) -> Result<Hardware, ButtplugDeviceError> {
        // as a Bluetooth LE device does, refuse a protocol none of whose characteristics the
        // toy has
        if let Some(t) = &self.0 {
            let wanted: Vec<String> = protocols
                .iter()
                .filter_map(|p| match p {
                    ProtocolCommunicationSpecifier::BluetoothLE(b) => Some(b),
                    _ => None,
                })
                .flat_map(|b| b.services().values())
                .flat_map(|chars| chars.values())
                .map(|u| u.to_string().to_lowercase())
                .collect();
            if !wanted.is_empty() && !wanted.iter().any(|u| t.characteristics.contains(u)) {
                return Err(ButtplugDeviceError::DeviceConnectionError(
                    "the toy has none of the protocol's characteristics".to_owned(),
                ));
            }
        }
        let t = self.0.take().ok_or_else(|| {
            ButtplugDeviceError::DeviceConnectionError("specialized twice".to_owned())
        })?;
        let (events, _) = broadcast::channel(256);
        let ev = events.clone();
        t.toy.set_deliver(Box::new(move |ep, data| {
            if let Ok(endpoint) = ep.parse::<Endpoint>() {
                let _ = ev.send(HardwareEvent::Notification(
                    ADDRESS.to_owned(),
                    endpoint,
                    data,
                ));
            }
        }));
        let internal = RecordingHw { toy: t.toy, events };
        Ok(Hardware::new(
            &t.name,
            ADDRESS,
            &t.endpoints,
            &None,
            false,
            Box::new(internal),
        ))
    }
}

struct ManagerBuilder(Option<Toyish>);

impl HardwareCommunicationManagerBuilder for ManagerBuilder {
    fn finish(
        &mut self,
        sender: mpsc::Sender<HardwareCommunicationManagerEvent>,
    ) -> Box<dyn HardwareCommunicationManager> {
        Box::new(Manager {
            sender,
            toy: self.0.take(),
            scanning: false,
        })
    }
}

struct Manager {
    sender: mpsc::Sender<HardwareCommunicationManagerEvent>,
    toy: Option<Toyish>,
    scanning: bool,
}

impl HardwareCommunicationManager for Manager {
    fn name(&self) -> &'static str {
        "DifferentialManager"
    }

    fn start_scanning(&mut self) -> ButtplugResultFuture {
        self.scanning = true;
        let sender = self.sender.clone();
        let found = self.toy.take();
        async move {
            if let Some(t) = found {
                let _ = sender
                    .send(HardwareCommunicationManagerEvent::DeviceFound {
                        name: t.name.clone(),
                        address: ADDRESS.to_owned(),
                        creator: Box::new(RecordingConnector {
                            specifier: t.specifier.clone(),
                            toy: Some(t),
                        }),
                    })
                    .await;
            }
            Ok(())
        }
        .boxed()
    }

    fn stop_scanning(&mut self) -> ButtplugResultFuture {
        self.scanning = false;
        future::ready(Ok(())).boxed()
    }

    fn scanning_status(&self) -> bool {
        self.scanning
    }

    fn can_scan(&self) -> bool {
        true
    }
}

fn specifier(bus: &Bus) -> ProtocolCommunicationSpecifier {
    match bus {
        Bus::Btle {
            name,
            manufacturer_data,
            advertised_services,
            ..
        } => {
            let md: HashMap<u16, Vec<u8>> = manufacturer_data.iter().cloned().collect();
            let services: Vec<_> = advertised_services
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect();
            ProtocolCommunicationSpecifier::BluetoothLE(BluetoothLESpecifier::new_from_device(
                name, &md, &services,
            ))
        }
        Bus::Serial { port } => {
            ProtocolCommunicationSpecifier::Serial(SerialSpecifier::new_from_name(port))
        }
        Bus::Hid { vid, pid } => {
            ProtocolCommunicationSpecifier::HID(VIDPIDSpecifier::new(*vid, *pid))
        }
        Bus::Usb { vid, pid } => {
            ProtocolCommunicationSpecifier::USB(VIDPIDSpecifier::new(*vid, *pid))
        }
    }
}

struct RefConn {
    to_server: mpsc::UnboundedSender<Value>,
    from_server: mpsc::UnboundedReceiver<Value>,
}

#[async_trait]
impl Conn for RefConn {
    fn send(&mut self, message: &Value) -> Result<(), String> {
        self.to_server
            .send(message.clone())
            .map_err(|_| "the reference server task ended".to_string())
    }

    async fn recv(&mut self, timeout: Duration) -> Option<Value> {
        tokio::time::timeout(timeout, self.from_server.recv())
            .await
            .ok()
            .flatten()
    }
}

fn first_of(serialized: ButtplugSerializedMessage) -> Vec<Value> {
    match serialized {
        ButtplugSerializedMessage::Text(t) => match serde_json::from_str::<Value>(&t) {
            Ok(Value::Array(a)) => a,
            Ok(v) => vec![v],
            Err(_) => Vec::new(),
        },
        ButtplugSerializedMessage::Binary(_) => Vec::new(),
    }
}

/// Runs one case against the reference; the toy records what happened.
pub async fn run(
    config_json: &str,
    skip_version_check: bool,
    case: &Case,
    bus: &Bus,
    toy: &Arc<Toy>,
    steps: &[crate::script::Step],
) -> Result<(), String> {
    let dcm = load_protocol_configs(&Some(config_json.to_owned()), &None, skip_version_check)
        .map_err(|e| format!("device configuration: {e:?}"))?
        .finish()
        .map_err(|e| format!("device configuration: {e:?}"))?;
    let endpoints: Vec<Endpoint> = case
        .endpoints
        .iter()
        .filter_map(|e| e.parse().ok())
        .collect();
    let toyish = Toyish {
        name: bus.name(),
        specifier: specifier(bus),
        endpoints,
        characteristics: match bus {
            Bus::Btle {
                characteristics, ..
            } => characteristics.clone(),
            _ => Vec::new(),
        },
        toy: toy.clone(),
    };
    let mut dm = ServerDeviceManagerBuilder::new(dcm);
    dm.comm_manager(ManagerBuilder(Some(toyish)));
    let dm = dm.finish().map_err(|e| format!("device manager: {e:?}"))?;
    let server = Arc::new(
        ButtplugServerBuilder::new(dm)
            .name("differential")
            .finish()
            .map_err(|e| format!("server: {e:?}"))?,
    );
    let serializer = Arc::new(ButtplugServerJSONSerializer::default());
    let (to_server, mut inbox) = mpsc::unbounded_channel::<Value>();
    let (outbox, from_server) = mpsc::unbounded_channel::<Value>();
    // events
    let mut events = Box::pin(server.event_stream());
    let (ser, out) = (serializer.clone(), outbox.clone());
    let event_task = tokio::spawn(async move {
        while let Some(e) = events.next().await {
            for v in first_of(ser.serialize(&[e])) {
                let _ = out.send(v);
            }
        }
    });
    // messages, one after another
    let (ser, srv) = (serializer.clone(), server.clone());
    let message_task = tokio::spawn(async move {
        while let Some(m) = inbox.recv().await {
            let text = Value::Array(vec![m]).to_string();
            let parsed = ser.deserialize(&ButtplugSerializedMessage::Text(text));
            let msgs = match parsed {
                Ok(msgs) => msgs,
                Err(e) => {
                    let _ = outbox.send(
                        serde_json::json!({"Error": {"Id": 0, "ErrorMessage": format!("{e:?}")}}),
                    );
                    continue;
                }
            };
            for msg in msgs {
                let reply = match srv.parse_message(msg).await {
                    Ok(r) | Err(r) => r,
                };
                for v in first_of(ser.serialize(&[reply])) {
                    let _ = outbox.send(v);
                }
            }
        }
    });
    let mut conn = RefConn {
        to_server,
        from_server,
    };
    let result = crate::run::run(&mut conn, toy, steps).await;
    drop(conn);
    let _ = tokio::time::timeout(Duration::from_secs(2), server.shutdown()).await;
    message_task.abort();
    event_task.abort();
    result
}
