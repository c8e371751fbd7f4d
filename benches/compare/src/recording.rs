//! The recording Lovense Hush for the reference implementation, plugged in through the
//! reference server's public hardware traits (`HardwareCommunicationManagerBuilder`,
//! `HardwareCommunicationManager`, `HardwareConnector`, `HardwareSpecializer`,
//! `HardwareInternal`), and the reference set-up: full built-in device configuration, server,
//! in-process connector, client.
//!
//! The device answers `DeviceType;` with a Hush identification (`Z:11:...;`) on its rx endpoint
//! so the reference's Lovense protocol identifies it, answers `Battery;` with `85;`, and
//! timestamps every `Vibrate:N;` write with `Instant::now()` at the moment the server hands the
//! write to the hardware (the synchronous `HardwareInternal::write_value` call).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use buttplug_client::ButtplugClient;
use buttplug_client_in_process::ButtplugInProcessClientConnectorBuilder;
use buttplug_core::errors::ButtplugDeviceError;
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
use buttplug_server::ButtplugServerBuilder;
use buttplug_server_device_config::{
    load_protocol_configs, BluetoothLESpecifier, Endpoint, ProtocolCommunicationSpecifier,
};
use futures::future::{self, BoxFuture, FutureExt};
use tokio::runtime::Runtime;
use tokio::sync::{broadcast, mpsc};

use crate::common::{WriteRecord, HUSH_ADDRESS, HUSH_NAME};

// ---------------------------------------------------------------------------------------------
// The recording Lovense Hush.
// ---------------------------------------------------------------------------------------------

/// Where the recording device reports its output writes.
pub type WriteSink = mpsc::UnboundedSender<WriteRecord>;

/// The hardware side of the recording Hush.
struct RecordingHush {
    address: String,
    events: broadcast::Sender<HardwareEvent>,
    rx_subscribed: AtomicBool,
    writes: WriteSink,
}

impl RecordingHush {
    fn reply(&self, data: &[u8]) {
        if self.rx_subscribed.load(Ordering::SeqCst) {
            let _ = self.events.send(HardwareEvent::Notification(
                self.address.clone(),
                Endpoint::Rx,
                data.to_vec(),
            ));
        }
    }
}

impl HardwareInternal for RecordingHush {
    fn disconnect(&self) -> BoxFuture<'static, Result<(), ButtplugDeviceError>> {
        let _ = self
            .events
            .send(HardwareEvent::Disconnected(self.address.clone()));
        future::ready(Ok(())).boxed()
    }

    fn event_stream(&self) -> broadcast::Receiver<HardwareEvent> {
        self.events.subscribe()
    }

    fn read_value(
        &self,
        msg: &HardwareReadCmd,
    ) -> BoxFuture<'static, Result<HardwareReading, ButtplugDeviceError>> {
        future::ready(Ok(HardwareReading::new(msg.endpoint(), &[]))).boxed()
    }

    fn write_value(
        &self,
        msg: &HardwareWriteCmd,
    ) -> BoxFuture<'static, Result<(), ButtplugDeviceError>> {
        // Timestamp first: this is the moment the write reaches the device.
        let at = Instant::now();
        let data = msg.data();
        if msg.endpoint() == Endpoint::Tx {
            match data.as_slice() {
                b"DeviceType;" => self.reply(b"Z:11:0082059AD3BD;"),
                b"Battery;" => self.reply(b"85;"),
                _ if data.starts_with(b"Vibrate:") => {
                    let _ = self.writes.send(WriteRecord {
                        at,
                        data: data.clone(),
                    });
                }
                _ => {}
            }
        }
        future::ready(Ok(())).boxed()
    }

    fn subscribe(
        &self,
        msg: &HardwareSubscribeCmd,
    ) -> BoxFuture<'static, Result<(), ButtplugDeviceError>> {
        if msg.endpoint() == Endpoint::Rx {
            self.rx_subscribed.store(true, Ordering::SeqCst);
        }
        future::ready(Ok(())).boxed()
    }

    fn unsubscribe(
        &self,
        msg: &HardwareUnsubscribeCmd,
    ) -> BoxFuture<'static, Result<(), ButtplugDeviceError>> {
        if msg.endpoint() == Endpoint::Rx {
            self.rx_subscribed.store(false, Ordering::SeqCst);
        }
        future::ready(Ok(())).boxed()
    }
}

/// Found by the comm manager's scan; "connects" the recording Hush.
struct RecordingConnector {
    writes: WriteSink,
}

impl fmt::Debug for RecordingConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordingConnector")
            .field("name", &HUSH_NAME)
            .finish()
    }
}

#[async_trait]
impl HardwareConnector for RecordingConnector {
    fn specifier(&self) -> ProtocolCommunicationSpecifier {
        ProtocolCommunicationSpecifier::BluetoothLE(BluetoothLESpecifier::new_from_device(
            HUSH_NAME,
            &HashMap::new(),
            &[],
        ))
    }

    async fn connect(&mut self) -> Result<Box<dyn HardwareSpecializer>, ButtplugDeviceError> {
        Ok(Box::new(RecordingSpecializer {
            writes: Some(self.writes.clone()),
        }))
    }
}

/// Builds the `Hardware` with the tx/rx endpoints a Lovense protocol uses.
struct RecordingSpecializer {
    writes: Option<WriteSink>,
}

#[async_trait]
impl HardwareSpecializer for RecordingSpecializer {
    async fn specialize(
        &mut self,
        _protocols: &[ProtocolCommunicationSpecifier],
    ) -> Result<Hardware, ButtplugDeviceError> {
        let writes = self.writes.take().ok_or_else(|| {
            ButtplugDeviceError::DeviceConnectionError("specialized twice".to_owned())
        })?;
        let (events, _) = broadcast::channel(256);
        let internal = RecordingHush {
            address: HUSH_ADDRESS.to_owned(),
            events,
            rx_subscribed: AtomicBool::new(false),
            writes,
        };
        // No message gap (writes go out at once), no keepalive: the same as our simulated device.
        Ok(Hardware::new(
            HUSH_NAME,
            HUSH_ADDRESS,
            &[Endpoint::Tx, Endpoint::Rx],
            &None,
            false,
            Box::new(internal),
        ))
    }
}

/// Comm manager builder; with `writes: None` it finds nothing (used for start-up timing).
struct RecordingCommManagerBuilder {
    writes: Option<WriteSink>,
}

impl HardwareCommunicationManagerBuilder for RecordingCommManagerBuilder {
    fn finish(
        &mut self,
        sender: mpsc::Sender<HardwareCommunicationManagerEvent>,
    ) -> Box<dyn HardwareCommunicationManager> {
        Box::new(RecordingCommManager {
            sender,
            writes: self.writes.take(),
            scanning: false,
        })
    }
}

struct RecordingCommManager {
    sender: mpsc::Sender<HardwareCommunicationManagerEvent>,
    /// Taken on the first scan: the device is found once.
    writes: Option<WriteSink>,
    scanning: bool,
}

impl HardwareCommunicationManager for RecordingCommManager {
    fn name(&self) -> &'static str {
        "RecordingCommManager"
    }

    fn start_scanning(&mut self) -> ButtplugResultFuture {
        self.scanning = true;
        let sender = self.sender.clone();
        let found = self.writes.take();
        async move {
            if let Some(writes) = found {
                let _ = sender
                    .send(HardwareCommunicationManagerEvent::DeviceFound {
                        name: HUSH_NAME.to_owned(),
                        address: HUSH_ADDRESS.to_owned(),
                        creator: Box::new(RecordingConnector { writes }),
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

// ---------------------------------------------------------------------------------------------
// Set-up.
// ---------------------------------------------------------------------------------------------

/// A multi-thread runtime with tokio's default worker count (one per core).
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Builds the server with the full built-in device configuration and connects an in-process
/// client to it. This is what the start-up figure times.
pub async fn connect(writes: Option<WriteSink>) -> Result<ButtplugClient, String> {
    let dcm = load_protocol_configs(&None, &None, false)
        .map_err(|e| format!("device configuration: {e:?}"))?
        .finish()
        .map_err(|e| format!("device configuration: {e:?}"))?;
    let mut dm = ServerDeviceManagerBuilder::new(dcm);
    dm.comm_manager(RecordingCommManagerBuilder { writes });
    let dm = dm.finish().map_err(|e| format!("device manager: {e:?}"))?;
    let server = ButtplugServerBuilder::new(dm)
        .name("reference bench")
        .finish()
        .map_err(|e| format!("server: {e:?}"))?;
    let connector = ButtplugInProcessClientConnectorBuilder::default()
        .server(server)
        .finish();
    let client = ButtplugClient::new("bench");
    client
        .connect(connector)
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    Ok(client)
}
