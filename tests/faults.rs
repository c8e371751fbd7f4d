//! Faults: comm managers that fail or panic, devices that vanish mid-command, devices that come
//! back.
// drives simulated toys: needs the `sim` feature (default)
#![cfg(feature = "sim")]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use haptix::client::{Client, ClientDevice, ClientEvent};
use haptix::device::config::DeviceConfigManager;
use haptix::error::DeviceError;
use haptix::hwmgr::sim::SimDeviceSpec;
use haptix::hwmgr::CommManager;
use haptix::server::{Server, SessionOptions};

struct Failing;

#[async_trait]
impl CommManager for Failing {
    fn name(&self) -> &'static str {
        "failing"
    }
    async fn start_scanning(&self) -> Result<(), DeviceError> {
        Err(DeviceError::Hardware("the radio is on fire".into()))
    }
    async fn stop_scanning(&self) -> Result<(), DeviceError> {
        Err(DeviceError::Hardware("still on fire".into()))
    }
    fn is_scanning(&self) -> bool {
        false
    }
}

struct Panicking;

#[async_trait]
impl CommManager for Panicking {
    fn name(&self) -> &'static str {
        "panicking"
    }
    async fn start_scanning(&self) -> Result<(), DeviceError> {
        panic!("a bug in a comm manager");
    }
    async fn stop_scanning(&self) -> Result<(), DeviceError> {
        Ok(())
    }
    fn is_scanning(&self) -> bool {
        false
    }
}

fn server() -> Server {
    Server::new(
        DeviceConfigManager::builtin().unwrap(),
        SessionOptions {
            server_name: "faults".into(),
            max_ping_time: 0,
        },
    )
}

async fn next_added(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<ClientEvent>,
) -> ClientDevice {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match events.recv().await {
                Some(ClientEvent::DeviceAdded(d)) => return d,
                Some(_) => {}
                None => panic!("events ended"),
            }
        }
    })
    .await
    .expect("no device added")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_and_panicking_comm_managers_do_not_stop_the_others() {
    let server = server();
    server.add_comm_manager(Arc::new(Failing)).unwrap();
    server.add_comm_manager(Arc::new(Panicking)).unwrap();
    server
        .simulator()
        .add_device(SimDeviceSpec::parse("LVS-Hush").unwrap());
    let client = Client::connect_in_process(&server, "faults").await.unwrap();
    let mut events = client.events();
    client.start_scanning().await.unwrap();
    let device = next_added(&mut events).await;
    device.vibrate(0.5).await.unwrap();
    client.stop_scanning().await.unwrap();
    // the server still answers after all that
    client.ping().await.unwrap();
    client.start_scanning().await.unwrap();
    client.stop_scanning().await.unwrap();
    client.disconnect().await.unwrap();
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_vanishing_mid_read_gives_an_error_and_returns_with_its_index() {
    let server = server();
    let hw = server
        .simulator()
        .add_device(SimDeviceSpec::parse("LVS-Hush").unwrap());
    let client = Client::connect_in_process(&server, "faults").await.unwrap();
    let mut events = client.events();
    client.start_scanning().await.unwrap();
    let device = next_added(&mut events).await;
    let index = device.index();
    // the battery query now crawls; the device disconnects while the read waits for it
    hw.set_write_delay(Some(Duration::from_millis(500)));
    let reader = device.clone();
    let read = tokio::spawn(async move { reader.battery().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    hw.disconnect_now();
    let outcome = tokio::time::timeout(Duration::from_secs(15), read)
        .await
        .expect("the read hung")
        .unwrap();
    assert!(outcome.is_err(), "{outcome:?}");
    let removed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(ClientEvent::DeviceRemoved(i)) = events.recv().await {
                return i;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(removed, index);
    // commands to the vanished device fail at once
    assert!(device.vibrate(0.5).await.is_err());
    // it comes back (a new scan finds it) with the same index
    hw.set_write_delay(None);
    client.stop_scanning().await.unwrap();
    client.start_scanning().await.unwrap();
    let again = next_added(&mut events).await;
    assert_eq!(again.index(), index);
    again.vibrate(1.0).await.unwrap();
    client.disconnect().await.unwrap();
    server.shutdown().await;
}

/// A protocol with a bug: its initialisation panics.
struct PanickingProtocol;

/// How many times [`PanickingProtocol`] was asked to initialise a device.
static ATTEMPTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[async_trait]
impl haptix::device::protocol::ProtocolFactory for PanickingProtocol {
    fn name(&self) -> &'static str {
        "cupido"
    }
    async fn initialize(
        &self,
        _hardware: &Arc<dyn haptix::hwmgr::Hardware>,
        _definition: &haptix::device::definition::DeviceDefinition,
    ) -> Result<Arc<dyn haptix::device::protocol::ProtocolHandler>, DeviceError> {
        ATTEMPTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        panic!("a bug in a protocol");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protocol_that_panics_while_connecting_does_not_take_the_others_down() {
    use haptix::device::protocols::ProtocolRegistry;
    use haptix::hwmgr::sim::SimCommManager;
    use haptix::server::device_manager::{DeviceEvent, DeviceManager};

    let mut registry = ProtocolRegistry::builtin();
    registry.add(Arc::new(PanickingProtocol));
    let (dm, comm) =
        DeviceManager::new(Arc::new(DeviceConfigManager::builtin().unwrap()), registry);
    let sim = Arc::new(SimCommManager::new(comm));
    dm.add_comm_manager(sim.clone()).unwrap();
    let mut events = dm.subscribe();
    let broken = sim.add_device(SimDeviceSpec::parse("MY2607-BLE-V1.0").unwrap()); // cupido
    sim.add_device(SimDeviceSpec::parse("LVS-Hush").unwrap());
    dm.start_scanning().await.unwrap();
    let added = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(DeviceEvent::Added(info)) = events.recv().await {
                return info;
            }
        }
    })
    .await
    .expect("the healthy device was not added");
    assert_eq!(added.name, "Lovense Hush");
    // the broken one never appears, and the manager keeps working
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(dm.devices().len(), 1);
    assert_eq!(ATTEMPTS.load(std::sync::atomic::Ordering::SeqCst), 1);
    // once the failed attempt is over (its hardware released), the next scan tries the
    // device again
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while broken.is_connected() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !broken.is_connected(),
        "the failed device's hardware was not released"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while ATTEMPTS.load(std::sync::atomic::Ordering::SeqCst) < 2
        && tokio::time::Instant::now() < deadline
    {
        // (the attempt's bookkeeping ends just after the release: scan again until it is done)
        dm.stop_scanning().await.unwrap();
        dm.start_scanning().await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(ATTEMPTS.load(std::sync::atomic::Ordering::SeqCst), 2);
    dm.stop_scanning().await.unwrap();
    dm.shutdown().await;
}
